package dev.sextant.server.xds;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import dev.sextant.api.TypeUrls;
import io.envoyproxy.envoy.admin.v3.UpdateFailureState;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.envoyproxy.envoy.service.status.v3.ClientConfig;
import io.envoyproxy.envoy.service.status.v3.ConfigStatus;
import io.grpc.Status;
import io.grpc.StatusException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * istiod's debug types inside the ADS stream (istio/istio {@code pilot/pkg/xds/statusgen.go},
 * {@code debuggen.go}), which {@code istioctl proxy-status} and {@code istioctl x internal-debug}
 * use: {@code istio.io/debug/syncz}, {@code istio.io/debug/config_dump} and {@code istio.io/debug}.
 * Answered per request, never pushed.
 *
 * <p>Access (istiod's {@code ENABLE_DEBUG_ENDPOINT_AUTH}, default on): only a caller with a verified
 * identity (the secure port); a caller outside the root namespace and
 * {@code DEBUG_ENDPOINT_AUTH_ALLOWED_NAMESPACES} sees only proxies of its own namespace and may ask
 * {@code istio.io/debug} only for {@code config_dump}, {@code ndsz} or {@code edsz}.
 */
public final class DebugTypes {
  public static final String SYNCZ = "istio.io/debug/syncz";
  public static final String CONFIG_DUMP = "istio.io/debug/config_dump";
  public static final String DEBUG = "istio.io/debug";
  private static final Set<String> NAMESPACE_DEBUG = Set.of("config_dump", "ndsz", "edsz");

  /**
   * What debug answers need from the rest of the server.
   *
   * @param rootNamespace the mesh root namespace: its callers see everything
   * @param allowedNamespaces {@code DEBUG_ENDPOINT_AUTH_ALLOWED_NAMESPACES}
   * @param authRequired {@code ENABLE_DEBUG_ENDPOINT_AUTH}
   * @param httpDebug runs {@code /debug/<name>?<query>} in-process and returns its body
   * @param controlPlaneIdentifier the JSON istiod puts in {@code control_plane.identifier} of syncz responses
   */
  public record Support(String rootNamespace, Set<String> allowedNamespaces, boolean authRequired,
      Function<String, String> httpDebug, String controlPlaneIdentifier) {

    /** From istiod's environment variables. */
    public static Support fromEnvironment(Map<String, String> env, String rootNamespace,
        Function<String, String> httpDebug, String controlPlaneIdentifier) {
      Set<String> allowed = new java.util.HashSet<>();
      for (String ns : env.getOrDefault("DEBUG_ENDPOINT_AUTH_ALLOWED_NAMESPACES", "").split(",")) {
        if (!ns.isBlank()) {
          allowed.add(ns.trim());
        }
      }
      boolean auth = !"false".equalsIgnoreCase(env.getOrDefault("ENABLE_DEBUG_ENDPOINT_AUTH", "true"));
      return new Support(rootNamespace, Set.copyOf(allowed), auth, httpDebug, controlPlaneIdentifier);
    }
  }

  private DebugTypes() {}

  static boolean isDebug(String typeUrl) {
    return typeUrl.equals(DEBUG) || typeUrl.startsWith(DEBUG + "/");
  }

  /** The resources answering one debug request. */
  static List<Resource> generate(XdsServerContext ctx, String typeUrl, List<String> names, String verifiedIdentity)
      throws StatusException {
    Support support = ctx.debugSupport();
    if (support == null) {
      throw Status.UNAVAILABLE.withDescription("debug information is not available").asException();
    }
    if (support.authRequired() && verifiedIdentity == null) {
      throw Status.UNAUTHENTICATED.withDescription("authentication required").asException();
    }
    String callerNamespace = "";
    if (support.authRequired()) {
      String[] id = ProxyNode.spiffe(verifiedIdentity);
      String ns = id == null ? "" : id[1];
      if (!ns.equals(support.rootNamespace()) && !support.allowedNamespaces().contains(ns)) {
        callerNamespace = ns;
      }
    }
    switch (typeUrl) {
      case SYNCZ:
        return syncz(ctx, callerNamespace);
      case CONFIG_DUMP:
        if (names.size() != 1) {
          return List.of();
        }
        return configDump(ctx, names.get(0), callerNamespace);
      case DEBUG:
        if (names.size() != 1) {
          return List.of();
        }
        String name = names.get(0);
        String command = name.contains("?") ? name.substring(0, name.indexOf('?')) : name;
        if (!callerNamespace.isEmpty() && !NAMESPACE_DEBUG.contains(command)) {
          throw Status.PERMISSION_DENIED.withDescription("the debug info is not available for current identity: "
              + verifiedIdentity).asException();
        }
        String body = support.httpDebug().apply(name);
        return List.of(Resource.newBuilder().setName(name).setResource(Any.newBuilder().setTypeUrl(DEBUG)
            .setValue(ByteString.copyFrom(body, StandardCharsets.UTF_8))).build());
      default:
        return List.of();
    }
  }

  private static String metadata(AdsConnection c, String key) {
    Value v = c.node().getMetadata().getFieldsMap().get(key);
    return v == null ? "" : v.getStringValue();
  }

  private static boolean reported(AdsConnection c) {
    String[] parts = c.node().getId().split("~", -1);
    boolean ztunnel = parts.length == 4 && parts[0].equals("ztunnel");
    return ztunnel || c.node().getMetadata().getFieldsMap().containsKey("PROXY_CONFIG");
  }

  private static String proxyId(AdsConnection c) {
    String[] parts = c.node().getId().split("~", -1);
    return parts.length == 4 ? parts[2] : c.node().getId();
  }

  private static List<Resource> syncz(XdsServerContext ctx, String callerNamespace) {
    List<Resource> out = new ArrayList<>();
    for (AdsConnection c : ctx.clients()) {
      if (!reported(c) || (!callerNamespace.isEmpty() && !callerNamespace.equals(metadata(c, "NAMESPACE")))) {
        continue;
      }
      ClientConfig.Builder cc = ClientConfig.newBuilder().setNode(Node.newBuilder()
          .setId(proxyId(c))
          .setMetadata(Struct.newBuilder()
              .putFields("CLUSTER_ID", str(metadata(c, "CLUSTER_ID")))
              .putFields("NAMESPACE", str(metadata(c, "NAMESPACE")))
              .putFields("ISTIO_VERSION", str(metadata(c, "ISTIO_VERSION")))));
      for (Map.Entry<String, AdsConnection.SyncState> e : new TreeMap<>(c.syncStatus()).entrySet()) {
        AdsConnection.SyncState s = e.getValue();
        ConfigStatus status = !s.lastError().isEmpty() ? ConfigStatus.ERROR
            : s.sent().isEmpty() ? ConfigStatus.NOT_SENT
            : s.sent().equals(s.acked()) ? ConfigStatus.SYNCED : ConfigStatus.STALE;
        ClientConfig.GenericXdsConfig.Builder g = ClientConfig.GenericXdsConfig.newBuilder()
            .setTypeUrl(e.getKey())
            .setConfigStatus(status);
        Timestamp sent = s.sentTime() == null ? Timestamp.getDefaultInstance()
            : Timestamp.newBuilder().setSeconds(s.sentTime().getEpochSecond()).setNanos(s.sentTime().getNano()).build();
        g.setLastUpdated(sent);
        if (!s.lastError().isEmpty()) {
          g.setErrorState(UpdateFailureState.newBuilder().setLastUpdateAttempt(sent).setDetails(s.lastError()));
        }
        cc.addGenericXdsConfigs(g);
      }
      ClientConfig config = cc.build();
      out.add(Resource.newBuilder().setName(config.getNode().getId()).setResource(Any.pack(config)).build());
    }
    return out;
  }

  /** The config of a proxy whose connection id contains {@code proxyId}: Address resources (and policies). */
  private static List<Resource> configDump(XdsServerContext ctx, String proxyId, String callerNamespace) {
    Optional<AdsConnection> conn = ctx.clients().stream().filter(c -> c.connectionId().contains(proxyId)).findFirst();
    if (conn.isEmpty() || (!callerNamespace.isEmpty() && !callerNamespace.equals(metadata(conn.get(), "NAMESPACE")))) {
      return List.of();
    }
    List<Resource> out = new ArrayList<>();
    for (String type : List.of(TypeUrls.ADDRESS, TypeUrls.AUTHORIZATION)) {
      TypeIndex index = ctx.resources().type(type);
      if (index == null || !conn.get().watchedResources().containsKey(type)) {
        continue;
      }
      index.all().stream().sorted(java.util.Comparator.comparing(dev.sextant.xds.XdsResource::name))
          .forEach(r -> out.add(Resource.newBuilder().setResource(r.resource().getResource()).build()));
    }
    return out;
  }

  private static Value str(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }
}
