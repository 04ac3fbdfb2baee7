package dev.sextant.server.debug;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.sextant.ambient.IpAddresses;
import dev.sextant.api.TypeUrls;
import dev.sextant.api.security.Authorization;
import dev.sextant.api.workload.Address;
import dev.sextant.api.workload.NetworkAddress;
import dev.sextant.model.ServiceInfo;
import dev.sextant.server.SextantServer;
import dev.sextant.server.xds.AdsConnection;
import dev.sextant.server.xds.TypeIndex;
import dev.sextant.source.InputKind;
import dev.sextant.source.Inputs;
import dev.sextant.xds.XdsResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The bodies of istiod's debug endpoints (istio/istio {@code pilot/pkg/xds/debug.go}), in the JSON
 * shapes istioctl and Kiali read: {@code syncz}, {@code adsz}, {@code config_dump},
 * {@code registryz}, {@code configz}, {@code clusterz}, {@code mesh}, {@code resourcesz},
 * {@code push_status}.
 */
final class DebugViews {
  static final String NO_PROXY_ID = "You must provide a proxyID in the query string";
  static final String PROXY_NOT_CONNECTED =
      "Proxy not connected to this Pilot instance. It may be connected to another instance.";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final KubernetesSerialization K8S = new KubernetesSerialization();
  private static final Set<String> CONFIG_KINDS = Set.of("PeerAuthentication", "AuthorizationPolicy",
      "ServiceEntry", "WorkloadEntry", "Gateway", "GatewayClass", "HTTPRoute");
  private static final JsonFormat.TypeRegistry TYPES = JsonFormat.TypeRegistry.newBuilder()
      .add(Address.getDescriptor()).add(Authorization.getDescriptor()).build();

  private final SextantServer sextant;

  DebugViews(SextantServer sextant) {
    this.sextant = sextant;
  }

  /** A reply with a status and body other than 200 JSON. */
  record Reply(int status, String contentType, String body) {}

  /** The proxy ID of a node id ({@code type~ip~pod.ns~domain}), else the node id. */
  static String proxyId(AdsConnection c) {
    String[] parts = c.node().getId().split("~", -1);
    return parts.length == 4 ? parts[2] : c.node().getId();
  }

  static String proxyType(AdsConnection c) {
    String[] parts = c.node().getId().split("~", -1);
    return parts.length == 4 ? parts[0] : "";
  }

  private static String metadata(AdsConnection c, String key) {
    var f = c.node().getMetadata().getFieldsMap().get(key);
    return f == null ? "" : f.getStringValue();
  }

  /** istiod's SyncStatus list: one element per client, snake_case keys, empty values omitted. */
  List<Map<String, Object>> syncz(String namespace) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (AdsConnection c : sextant.xds().clients()) {
      if (namespace != null && !namespace.isEmpty() && !namespace.equals(metadata(c, "NAMESPACE"))) {
        continue;
      }
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("proxy", proxyId(c));
      putIfNotEmpty(row, "cluster_id", metadata(c, "CLUSTER_ID"));
      putIfNotEmpty(row, "proxy_type", proxyType(c));
      putIfNotEmpty(row, "istio_version", metadata(c, "ISTIO_VERSION"));
      Map<String, Object> resources = new LinkedHashMap<>();
      c.syncStatus().forEach((type, s) -> {
        String shortType = switch (type) {
          case TypeUrls.CLUSTER -> "cluster";
          case TypeUrls.LISTENER -> "listener";
          case TypeUrls.ROUTE -> "route";
          case TypeUrls.ENDPOINT -> "endpoint";
          default -> null;
        };
        if (shortType != null) {
          putIfNotEmpty(row, shortType + "_sent", s.sent());
          putIfNotEmpty(row, shortType + "_acked", s.acked());
        }
        Map<String, Object> r = new LinkedHashMap<>();
        putIfNotEmpty(r, "sent", s.sent());
        putIfNotEmpty(r, "acked", s.acked());
        if (s.sentTime() != null) {
          r.put("sentTime", s.sentTime().toString());
        }
        putIfNotEmpty(r, "lastError", s.lastError());
        resources.put(type, r);
      });
      if (!resources.isEmpty()) {
        row.put("resources", resources);
      }
      out.add(row);
    }
    return out;
  }

  /** Connections with their node metadata and subscriptions. */
  Map<String, Object> adsz(String proxyIdFilter) {
    List<Map<String, Object>> clients = new ArrayList<>();
    for (AdsConnection c : sextant.xds().clients()) {
      if (proxyIdFilter != null && !c.connectionId().contains(proxyIdFilter)) {
        continue;
      }
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("connectionId", c.connectionId());
      row.put("connectedAt", c.connectedAt().toString());
      row.put("address", c.peer());
      Map<String, Object> meta = new LinkedHashMap<>();
      c.node().getMetadata().getFieldsMap().forEach((k, v) -> meta.put(k, v.hasStringValue() ? v.getStringValue() : v.toString()));
      row.put("metadata", meta);
      row.put("watches", c.watchedResources());
      clients.add(row);
    }
    return Map.of("totalClients", clients.size(), "clients", clients);
  }

  /**
   * The configuration a connected proxy was sent: for a ztunnel, every Address (and, with
   * {@code types=wads}, Authorization) resource, as istiod's config_dump.
   */
  Object configDump(String proxyIdFilter, String types) throws IOException {
    if (proxyIdFilter == null || proxyIdFilter.isEmpty()) {
      return new Reply(400, "text/plain; charset=utf-8", NO_PROXY_ID);
    }
    Optional<AdsConnection> conn = sextant.xds().clients().stream()
        .filter(c -> c.connectionId().contains(proxyIdFilter)).findFirst();
    if (conn.isEmpty()) {
      return new Reply(404, "text/plain; charset=utf-8", PROXY_NOT_CONNECTED);
    }
    List<String> typeUrls = new ArrayList<>();
    if (types == null || types.isEmpty()) {
      typeUrls.add(TypeUrls.ADDRESS);
    } else {
      for (String t : types.split(",")) {
        switch (t.trim().toLowerCase(java.util.Locale.ROOT)) {
          case "wds" -> typeUrls.add(TypeUrls.ADDRESS);
          case "wads" -> typeUrls.add(TypeUrls.AUTHORIZATION);
          default -> typeUrls.add(t.trim());
        }
      }
    }
    List<JsonNode> configs = new ArrayList<>();
    for (String type : typeUrls) {
      TypeIndex index = sextant.resources().type(type);
      if (index == null) {
        continue;
      }
      List<XdsResource> all = index.all();
      all.sort(Comparator.comparing(XdsResource::name));
      for (XdsResource r : all) {
        configs.add(JSON.readTree(JsonFormat.printer().usingTypeRegistry(TYPES).print(r.resource().getResource())));
      }
    }
    return Map.of("configs", configs);
  }

  /** Services in the shape of istiod's internal Service, the fields Kiali reads. */
  List<Map<String, Object>> registryz() {
    List<ServiceInfo> services = sextant.ambient().services().list();
    services.sort(Comparator.comparing(ServiceInfo::key));
    String cluster = sextant.config().mesh().clusterId();
    List<Map<String, Object>> out = new ArrayList<>();
    for (ServiceInfo s : services) {
      var svc = s.service();
      Map<String, Object> attributes = new LinkedHashMap<>();
      attributes.put("ServiceRegistry", s.isKubernetesService() ? "Kubernetes" : "External");
      attributes.put("Name", svc.getName());
      attributes.put("Namespace", svc.getNamespace());
      attributes.put("LabelSelectors", s.selector());
      List<String> vips = new ArrayList<>();
      for (NetworkAddress a : svc.getAddressesList()) {
        String ip = IpAddresses.format(a.getAddress().toByteArray());
        vips.add(a.hasLength() ? ip + "/" + a.getLength() : ip);
      }
      List<Map<String, Object>> ports = new ArrayList<>();
      svc.getPortsList().forEach(p -> {
        ServiceInfo.PortName pn = s.portNames().get(p.getServicePort());
        ports.add(Map.of("name", pn == null ? "" : pn.portName(), "port", p.getServicePort(),
            "protocol", protocolName(p.getAppProtocol())));
      });
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("Attributes", attributes);
      row.put("ports", ports);
      row.put("creationTime", s.createdAt().toString());
      row.put("hostname", svc.getHostname());
      row.put("clusterVIPs", Map.of("Addresses", Map.of(cluster, vips)));
      row.put("defaultAddress", vips.isEmpty() ? "0.0.0.0" : vips.get(0));
      row.put("Resolution", 0);
      row.put("MeshExternal", !s.isKubernetesService());
      out.add(row);
    }
    return out;
  }

  private static String protocolName(dev.sextant.api.workload.AppProtocol p) {
    return switch (p) {
      case HTTP11 -> "HTTP";
      case HTTP2 -> "HTTP2";
      case GRPC -> "GRPC";
      case TLS -> "TLS";
      case TCP -> "TCP";
      default -> "UnsupportedProtocol";
    };
  }

  /** Istio and Gateway API objects in Kubernetes object form. */
  List<JsonNode> configz() {
    List<JsonNode> out = new ArrayList<>();
    Inputs inputs = sextant.inputs();
    for (InputKind<?> kind : Inputs.KINDS) {
      if (!CONFIG_KINDS.contains(kind.kind())) {
        continue;
      }
      List<? extends HasMetadata> objects = new ArrayList<>(kind.collection().apply(inputs).list());
      objects.sort(Comparator.comparing(o -> o.getMetadata().getNamespace() + "/" + o.getMetadata().getName()));
      for (HasMetadata o : objects) {
        out.add(K8S.convertValue(o, JsonNode.class));
      }
    }
    return out;
  }

  List<Map<String, Object>> clusterz() {
    return List.of(Map.of("id", sextant.config().mesh().clusterId(), "secretName", "",
        "syncStatus", sextant.isReady() ? "synced" : "syncing"));
  }

  Map<String, Object> mesh() {
    var m = sextant.config().mesh();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("trustDomain", m.trustDomain());
    out.put("rootNamespace", m.rootNamespace());
    return out;
  }

  List<Map<String, String>> resourcesz() {
    List<Map<String, String>> out = new ArrayList<>();
    for (InputKind<?> k : Inputs.KINDS) {
      String version = switch (k.group()) {
        case "" -> "v1";
        case "discovery.k8s.io", "gateway.networking.k8s.io", "security.istio.io", "networking.istio.io" -> "v1";
        default -> "";
      };
      out.add(Map.of("group", k.group(), "version", version, "kind", k.kind()));
    }
    return out;
  }

  private static void putIfNotEmpty(Map<String, Object> m, String k, String v) {
    if (v != null && !v.isEmpty()) {
      m.put(k, v);
    }
  }

  static JsonNode protoJson(com.google.protobuf.Message m) throws IOException {
    try {
      return JSON.readTree(JsonFormat.printer().print(m));
    } catch (InvalidProtocolBufferException e) {
      throw new IOException(e);
    }
  }
}
