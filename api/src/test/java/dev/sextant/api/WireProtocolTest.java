package dev.sextant.api;

import static java.util.Map.entry;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.DescriptorProto.ReservedRange;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.Empty;
import com.google.protobuf.UInt32Value;
import dev.sextant.api.ca.CaProto;
import dev.sextant.api.ca.IstioCertificateServiceGrpc;
import dev.sextant.api.security.Authorization;
import dev.sextant.api.security.AuthorizationProto;
import dev.sextant.api.security.Match;
import dev.sextant.api.security.Group;
import dev.sextant.api.security.Rules;
import dev.sextant.api.security.Scope;
import dev.sextant.api.security.StringMatch;
import dev.sextant.api.workload.Address;
import dev.sextant.api.workload.AppProtocol;
import dev.sextant.api.workload.GatewayAddress;
import dev.sextant.api.workload.NamespacedHostname;
import dev.sextant.api.workload.NetworkAddress;
import dev.sextant.api.workload.Port;
import dev.sextant.api.workload.PortList;
import dev.sextant.api.workload.TunnelProtocol;
import dev.sextant.api.workload.Workload;
import dev.sextant.api.workload.WorkloadProto;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pins the wire protocol of our .proto copies to upstream istio/ztunnel and istio/api.
 *
 * <p>The tables below were written from upstream independently of our .proto files
 * (istio/ztunnel {@code proto/workload.proto} and {@code proto/authorization.proto} at 62d8265,
 * istio/api {@code security/v1alpha1/ca.proto} at b8f8791). Each field is rendered as
 * {@code name = number : [repeated|optional] type [in oneof]}, where type is the proto scalar name or
 * the full name of a message or enum, so a wrong number, type, label, oneof or nesting fails with a
 * readable diff. Every message and enum in the three files must have an entry here.
 */
class WireProtocolTest {

  private static final List<FileDescriptor> FILES =
      List.of(
          WorkloadProto.getDescriptor(), AuthorizationProto.getDescriptor(), CaProto.getDescriptor());

  private static final Map<String, String> FIELDS =
      Map.ofEntries(
          // ---- istio.workload ----
          entry(
              "istio.workload.Address",
              """
              workload = 1 : istio.workload.Workload in type
              service = 2 : istio.workload.Service in type
              """),
          entry(
              "istio.workload.Workload",
              """
              uid = 20 : string
              name = 1 : string
              namespace = 2 : string
              addresses = 3 : repeated bytes
              hostname = 21 : string
              network = 4 : string
              tunnel_protocol = 5 : istio.workload.TunnelProtocol
              trust_domain = 6 : string
              service_account = 7 : string
              waypoint = 8 : istio.workload.GatewayAddress
              network_gateway = 19 : istio.workload.GatewayAddress
              node = 9 : string
              canonical_name = 10 : string
              canonical_revision = 11 : string
              workload_type = 12 : istio.workload.WorkloadType
              workload_name = 13 : string
              native_tunnel = 14 : bool
              application_tunnel = 23 : istio.workload.ApplicationTunnel
              services = 22 : map<string, istio.workload.PortList>
              authorization_policies = 16 : repeated string
              status = 17 : istio.workload.WorkloadStatus
              cluster_id = 18 : string
              locality = 24 : istio.workload.Locality
              network_mode = 25 : istio.workload.NetworkMode
              extensions = 26 : repeated istio.workload.Extension
              capacity = 27 : google.protobuf.UInt32Value
              """),
          entry(
              "istio.workload.Service",
              """
              name = 1 : string
              namespace = 2 : string
              hostname = 3 : string
              addresses = 4 : repeated istio.workload.NetworkAddress
              ports = 5 : repeated istio.workload.Port
              subject_alt_names = 6 : repeated string
              waypoint = 7 : istio.workload.GatewayAddress
              load_balancing = 8 : istio.workload.LoadBalancing
              ip_families = 9 : istio.workload.IPFamilies
              extensions = 10 : repeated istio.workload.Extension
              canonical = 11 : bool
              ingress_use_waypoint = 12 : bool
              weighted_waypoints = 13 : repeated istio.workload.WeightedWaypoint
              visibility = 14 : istio.workload.Service.Visibility
              """),
          entry(
              "istio.workload.LoadBalancing",
              """
              routing_preference = 1 : repeated istio.workload.LoadBalancing.Scope
              mode = 2 : istio.workload.LoadBalancing.Mode
              health_policy = 3 : istio.workload.LoadBalancing.HealthPolicy
              """),
          entry(
              "istio.workload.Locality",
              """
              region = 1 : string
              zone = 2 : string
              subzone = 3 : string
              """),
          entry("istio.workload.PortList", "ports = 1 : repeated istio.workload.Port"),
          entry(
              "istio.workload.Port",
              """
              service_port = 1 : uint32
              target_port = 2 : uint32
              app_protocol = 3 : istio.workload.AppProtocol
              """),
          entry(
              "istio.workload.ApplicationTunnel",
              """
              protocol = 1 : istio.workload.ApplicationTunnel.Protocol
              port = 2 : uint32
              """),
          entry(
              "istio.workload.GatewayAddress",
              """
              hostname = 1 : istio.workload.NamespacedHostname in destination
              address = 2 : istio.workload.NetworkAddress in destination
              hbone_mtls_port = 3 : uint32
              """),
          entry(
              "istio.workload.WeightedWaypoint",
              """
              destination = 1 : istio.workload.GatewayAddress
              weight = 2 : uint32
              """),
          entry(
              "istio.workload.NetworkAddress",
              """
              network = 1 : string
              address = 2 : bytes
              length = 3 : optional uint32
              """),
          entry(
              "istio.workload.NamespacedHostname",
              """
              namespace = 1 : string
              hostname = 2 : string
              """),
          entry(
              "istio.workload.Extension",
              """
              name = 1 : string
              config = 2 : google.protobuf.Any
              """),
          // ---- istio.security (istio names: Group/Rules; ztunnel names them Rule/Clause) ----
          entry(
              "istio.security.Authorization",
              """
              name = 1 : string
              namespace = 2 : string
              scope = 3 : istio.security.Scope
              action = 4 : istio.security.Action
              groups = 5 : repeated istio.security.Group
              dry_run = 6 : bool
              extensions = 7 : repeated istio.workload.Extension
              """),
          entry("istio.security.Group", "rules = 1 : repeated istio.security.Rules"),
          entry("istio.security.Rules", "matches = 2 : repeated istio.security.Match"),
          entry(
              "istio.security.Match",
              """
              namespaces = 1 : repeated istio.security.StringMatch
              not_namespaces = 2 : repeated istio.security.StringMatch
              service_accounts = 11 : repeated istio.security.ServiceAccountMatch
              not_service_accounts = 12 : repeated istio.security.ServiceAccountMatch
              principals = 3 : repeated istio.security.StringMatch
              not_principals = 4 : repeated istio.security.StringMatch
              source_ips = 5 : repeated istio.security.Address
              not_source_ips = 6 : repeated istio.security.Address
              destination_ips = 7 : repeated istio.security.Address
              not_destination_ips = 8 : repeated istio.security.Address
              destination_ports = 9 : repeated uint32
              not_destination_ports = 10 : repeated uint32
              extensions = 13 : repeated istio.workload.Extension
              """),
          entry(
              "istio.security.Address",
              """
              address = 1 : bytes
              length = 2 : uint32
              """),
          entry(
              "istio.security.ServiceAccountMatch",
              """
              namespace = 1 : string
              serviceAccount = 2 : string
              """),
          entry(
              "istio.security.StringMatch",
              """
              exact = 1 : string in match_type
              prefix = 2 : string in match_type
              suffix = 3 : string in match_type
              presence = 4 : google.protobuf.Empty in match_type
              """),
          // ---- istio.v1.auth ----
          entry(
              "istio.v1.auth.IstioCertificateRequest",
              """
              csr = 1 : string
              validity_duration = 3 : int64
              metadata = 4 : google.protobuf.Struct
              """),
          entry(
              "istio.v1.auth.IstioCertificateResponse", "cert_chain = 1 : repeated string"));

  private static final Map<String, String> ENUMS =
      Map.ofEntries(
          entry("istio.workload.TunnelProtocol", "NONE = 0, HBONE = 1, LEGACY_ISTIO_MTLS = 2"),
          entry("istio.workload.WorkloadStatus", "HEALTHY = 0, UNHEALTHY = 1"),
          entry("istio.workload.WorkloadType", "DEPLOYMENT = 0, CRONJOB = 1, POD = 2, JOB = 3"),
          entry("istio.workload.NetworkMode", "STANDARD = 0, HOST_NETWORK = 1"),
          entry(
              "istio.workload.IPFamilies", "AUTOMATIC = 0, IPV4_ONLY = 1, IPV6_ONLY = 2, DUAL = 3"),
          entry(
              "istio.workload.AppProtocol",
              "UNKNOWN = 0, HTTP11 = 1, HTTP2 = 2, GRPC = 3, TCP = 4, TLS = 5"),
          entry("istio.workload.Service.Visibility", "PUBLIC = 0, NAMESPACE = 1"),
          entry("istio.workload.ApplicationTunnel.Protocol", "NONE = 0, PROXY = 1"),
          entry(
              "istio.workload.LoadBalancing.Scope",
              "UNSPECIFIED_SCOPE = 0, REGION = 1, ZONE = 2, SUBZONE = 3, NODE = 4, CLUSTER = 5,"
                  + " NETWORK = 6"),
          entry(
              "istio.workload.LoadBalancing.Mode",
              "UNSPECIFIED_MODE = 0, STRICT = 1, FAILOVER = 2, PASSTHROUGH = 3"),
          entry("istio.workload.LoadBalancing.HealthPolicy", "ONLY_HEALTHY = 0, ALLOW_ALL = 1"),
          entry("istio.security.Scope", "GLOBAL = 0, NAMESPACE = 1, WORKLOAD_SELECTOR = 2"),
          entry("istio.security.Action", "ALLOW = 0, DENY = 1"));

  // ---------------------------------------------------------------- descriptors

  @Test
  void protoFiles_packages_areTheUpstreamPackages() {
    assertAll(
        () -> assertEquals("istio.workload", WorkloadProto.getDescriptor().getPackage()),
        () -> assertEquals("istio.security", AuthorizationProto.getDescriptor().getPackage()),
        () -> assertEquals("istio.v1.auth", CaProto.getDescriptor().getPackage()));
  }

  static Stream<Arguments> pinnedMessages() {
    return new TreeMap<>(FIELDS).entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("pinnedMessages")
  void pinnedMessage_everyField_hasUpstreamNumberTypeAndLabel(String fullName, String table) {
    Descriptor message = allMessages().get(fullName);
    assertNotNull(message, () -> "no message named " + fullName);
    assertEquals(byNumber(table), render(message), fullName);
  }

  @Test
  void protoFiles_messageSet_equalsPinnedTable() {
    // Also catches nesting mistakes: Service.Visibility vs a top-level Visibility, etc.
    assertEquals(new TreeSet<>(FIELDS.keySet()), new TreeSet<>(allMessages().keySet()));
  }

  static Stream<Arguments> pinnedEnums() {
    return new TreeMap<>(ENUMS).entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("pinnedEnums")
  void pinnedEnum_everyValue_hasUpstreamNumber(String fullName, String values) {
    EnumDescriptor enumType = allEnums().get(fullName);
    assertNotNull(enumType, () -> "no enum named " + fullName);
    String actual =
        enumType.getValues().stream()
            .sorted(Comparator.comparingInt(v -> v.getNumber()))
            .map(v -> v.getName() + " = " + v.getNumber())
            .reduce((a, b) -> a + ", " + b)
            .orElse("");
    assertEquals(values, actual, fullName);
  }

  @Test
  void protoFiles_enumSet_equalsPinnedTable() {
    assertEquals(new TreeSet<>(ENUMS.keySet()), new TreeSet<>(allEnums().keySet()));
  }

  @Test
  void retiredFields_workloadAndGatewayAddress_stayReserved() {
    DescriptorProto workload = Workload.getDescriptor().toProto();
    DescriptorProto gateway = GatewayAddress.getDescriptor().toProto();
    assertAll(
        () -> assertEquals(List.of("15"), ranges(workload.getReservedRangeList())),
        () -> assertEquals(List.of(), workload.getReservedNameList()),
        () -> assertEquals(List.of("4"), ranges(gateway.getReservedRangeList())),
        () -> assertEquals(List.of("hbone_single_tls_port"), gateway.getReservedNameList()));
  }

  @Test
  void caService_createCertificate_isUnaryAtUpstreamPath() {
    var service = CaProto.getDescriptor().findServiceByName("IstioCertificateService");
    assertNotNull(service);
    assertEquals("istio.v1.auth.IstioCertificateService", service.getFullName());
    assertEquals(1, service.getMethods().size());
    MethodDescriptor method = service.findMethodByName("CreateCertificate");
    assertNotNull(method);
    assertAll(
        () -> assertFalse(method.isClientStreaming()),
        () -> assertFalse(method.isServerStreaming()),
        () -> assertEquals("istio.v1.auth.IstioCertificateRequest", method.getInputType().getFullName()),
        () ->
            assertEquals(
                "istio.v1.auth.IstioCertificateResponse", method.getOutputType().getFullName()),
        () ->
            assertEquals(
                "istio.v1.auth.IstioCertificateService/CreateCertificate",
                IstioCertificateServiceGrpc.getCreateCertificateMethod().getFullMethodName()),
        () ->
            assertEquals(
                io.grpc.MethodDescriptor.MethodType.UNARY,
                IstioCertificateServiceGrpc.getCreateCertificateMethod().getType()));
  }

  // ---------------------------------------------------------------- type URLs

  @Test
  void typeUrls_constants_equalPrefixPlusDescriptorFullName() {
    assertAll(
        () -> assertEquals("type.googleapis.com/", TypeUrls.PREFIX),
        () -> assertEquals("type.googleapis.com/istio.workload.Address", TypeUrls.ADDRESS),
        () -> assertEquals(TypeUrls.of(Address.getDescriptor()), TypeUrls.ADDRESS),
        () -> assertEquals("type.googleapis.com/istio.workload.Workload", TypeUrls.WORKLOAD),
        () -> assertEquals(TypeUrls.of(Workload.getDescriptor()), TypeUrls.WORKLOAD),
        () ->
            assertEquals(
                "type.googleapis.com/istio.security.Authorization", TypeUrls.AUTHORIZATION),
        () -> assertEquals(TypeUrls.of(Authorization.getDescriptor()), TypeUrls.AUTHORIZATION),
        () -> assertEquals(TypeUrls.of(Listener.getDescriptor()), TypeUrls.LISTENER),
        () -> assertEquals(TypeUrls.of(Cluster.getDescriptor()), TypeUrls.CLUSTER),
        () -> assertEquals(TypeUrls.of(RouteConfiguration.getDescriptor()), TypeUrls.ROUTE),
        () -> assertEquals(TypeUrls.of(ClusterLoadAssignment.getDescriptor()), TypeUrls.ENDPOINT),
        () -> assertEquals(TypeUrls.of(Secret.getDescriptor()), TypeUrls.SECRET));
  }

  @Test
  void typeUrls_anyPackOfAddress_usesAddressConstant() {
    Any packed = Any.pack(Address.getDefaultInstance());
    assertEquals(TypeUrls.ADDRESS, packed.getTypeUrl());
  }

  // ---------------------------------------------------------------- bytes

  @Test
  void address_withFullWorkload_roundTripsThroughBytes() throws Exception {
    NetworkAddress waypointIp =
        NetworkAddress.newBuilder()
            .setNetwork("net1")
            .setAddress(ByteString.copyFrom(new byte[] {10, 0, 0, 9}))
            .build();
    Workload workload =
        Workload.newBuilder()
            .setUid("Kubernetes//Pod/default/app-1")
            .setName("app-1")
            .setNamespace("default")
            .addAddresses(ByteString.copyFrom(new byte[] {10, 0, 0, 1}))
            .addAddresses(ByteString.copyFrom(new byte[16]))
            .setNetwork("net1")
            .setTunnelProtocol(TunnelProtocol.HBONE)
            .setTrustDomain("cluster.local")
            .setServiceAccount("app")
            .setWaypoint(GatewayAddress.newBuilder().setAddress(waypointIp).setHboneMtlsPort(15008))
            .setNetworkGateway(
                GatewayAddress.newBuilder()
                    .setHostname(
                        NamespacedHostname.newBuilder()
                            .setNamespace("istio-system")
                            .setHostname("eastwest.istio-system.svc.cluster.local"))
                    .setHboneMtlsPort(15008))
            .setNode("node-a")
            .setWorkloadName("app")
            .putServices(
                "default/app.default.svc.cluster.local",
                PortList.newBuilder()
                    .addPorts(
                        Port.newBuilder()
                            .setServicePort(80)
                            .setTargetPort(8080)
                            .setAppProtocol(AppProtocol.HTTP11))
                    .build())
            .addAuthorizationPolicies("default/allow-all")
            .setCapacity(UInt32Value.of(3))
            .build();
    Address address = Address.newBuilder().setWorkload(workload).build();

    byte[] bytes = address.toByteArray();
    Address parsed = Address.parseFrom(bytes);

    assertEquals(address, parsed);
    assertEquals(Address.TypeCase.WORKLOAD, parsed.getTypeCase());
    assertEquals(8080, parsed.getWorkload().getServicesOrThrow("default/app.default.svc.cluster.local").getPorts(0).getTargetPort());
    assertArrayEquals(bytes, parsed.toByteArray());
  }

  @Test
  void address_workloadWithOnlyUid_encodesToHandComputedBytes() {
    // Address.workload = field 1 (tag 0x0a); Workload.uid = field 20, length-delimited:
    // tag (20 << 3) | 2 = 162 = varint a2 01.
    Address address = Address.newBuilder().setWorkload(Workload.newBuilder().setUid("u")).build();
    assertEquals("0a04a2010175", HexFormat.of().formatHex(address.toByteArray()));
  }

  @Test
  void authorization_oneExactPrincipal_encodesToHandComputedBytes() {
    // scope (3, varint) = 18 02; groups (5) = 2a; Group.rules (1) = 0a;
    // Rules.matches (2, number 1 unused) = 12; Match.principals (3) = 1a; StringMatch.exact (1) = 0a.
    Authorization policy =
        Authorization.newBuilder()
            .setScope(Scope.WORKLOAD_SELECTOR)
            .addGroups(
                Group.newBuilder()
                    .addRules(
                        Rules.newBuilder()
                            .addMatches(
                                Match.newBuilder()
                                    .addPrincipals(StringMatch.newBuilder().setExact("a")))))
            .build();
    assertEquals("18022a090a0712051a030a0161", HexFormat.of().formatHex(policy.toByteArray()));
  }

  @Test
  void networkAddress_lengthZeroSet_isStillSentBecauseFieldHasPresence() throws Exception {
    NetworkAddress unset = NetworkAddress.getDefaultInstance();
    NetworkAddress zero = NetworkAddress.newBuilder().setLength(0).build();
    assertFalse(unset.hasLength());
    assertTrue(NetworkAddress.parseFrom(zero.toByteArray()).hasLength());
    assertEquals("1800", HexFormat.of().formatHex(zero.toByteArray()));
  }

  @Test
  void stringMatch_presence_encodesAsEmptyMessageInField4() {
    StringMatch presence = StringMatch.newBuilder().setPresence(Empty.getDefaultInstance()).build();
    assertEquals("2200", HexFormat.of().formatHex(presence.toByteArray()));
  }

  // ---------------------------------------------------------------- helpers

  private static Map<String, Descriptor> allMessages() {
    Map<String, Descriptor> out = new TreeMap<>();
    for (FileDescriptor file : FILES) {
      file.getMessageTypes().forEach(m -> collectMessages(m, out));
    }
    return out;
  }

  private static void collectMessages(Descriptor message, Map<String, Descriptor> out) {
    if (message.getOptions().getMapEntry()) {
      return; // synthetic map entry types are covered by the map<..> rendering
    }
    out.put(message.getFullName(), message);
    message.getNestedTypes().forEach(n -> collectMessages(n, out));
  }

  private static Map<String, EnumDescriptor> allEnums() {
    Map<String, EnumDescriptor> out = new TreeMap<>();
    for (FileDescriptor file : FILES) {
      file.getEnumTypes().forEach(e -> out.put(e.getFullName(), e));
    }
    for (Descriptor message : allMessages().values()) {
      message.getEnumTypes().forEach(e -> out.put(e.getFullName(), e));
    }
    return out;
  }

  /** The table's lines, ordered by field number. */
  private static List<String> byNumber(String table) {
    return Arrays.stream(table.strip().split("\n"))
        .map(String::strip)
        .sorted(Comparator.comparingInt(WireProtocolTest::numberOf))
        .toList();
  }

  private static int numberOf(String line) {
    String afterEquals = line.substring(line.indexOf('=') + 1).strip();
    return Integer.parseInt(afterEquals.substring(0, afterEquals.indexOf(' ')));
  }

  private static List<String> render(Descriptor message) {
    List<String> lines = new ArrayList<>();
    message.getFields().stream()
        .sorted(Comparator.comparingInt(FieldDescriptor::getNumber))
        .forEach(f -> lines.add(f.getName() + " = " + f.getNumber() + " : " + describe(f)));
    return lines;
  }

  private static String describe(FieldDescriptor field) {
    if (field.isMapField()) {
      Descriptor entry = field.getMessageType();
      return "map<"
          + typeName(entry.findFieldByName("key"))
          + ", "
          + typeName(entry.findFieldByName("value"))
          + ">";
    }
    OneofDescriptor oneof = field.getRealContainingOneof();
    String label;
    if (field.isRepeated()) {
      label = "repeated ";
    } else if (field.getContainingOneof() != null && oneof == null) {
      label = "optional "; // proto3 `optional`: a synthetic one-field oneof
    } else {
      label = "";
    }
    return label + typeName(field) + (oneof == null ? "" : " in " + oneof.getName());
  }

  private static String typeName(FieldDescriptor field) {
    return switch (field.getType()) {
      case MESSAGE, GROUP -> field.getMessageType().getFullName();
      case ENUM -> field.getEnumType().getFullName();
      default -> field.getType().name().toLowerCase(java.util.Locale.ROOT);
    };
  }

  private static List<String> ranges(List<ReservedRange> ranges) {
    // ReservedRange.end is exclusive.
    return ranges.stream()
        .map(r -> r.getEnd() - r.getStart() == 1 ? "" + r.getStart() : r.getStart() + "-" + (r.getEnd() - 1))
        .toList();
  }
}
