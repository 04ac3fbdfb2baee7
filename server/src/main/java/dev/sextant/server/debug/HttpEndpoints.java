package dev.sextant.server.debug;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.sextant.ambient.IpAddresses;
import dev.sextant.api.TypeUrls;
import dev.sextant.api.security.Authorization;
import dev.sextant.api.workload.Address;
import dev.sextant.server.SextantServer;
import dev.sextant.server.xds.TypeIndex;
import dev.sextant.xds.XdsResource;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP surfaces: {@code /ready} on {@code --httpAddr}; {@code /version} and {@code /metrics} on
 * {@code --monitoringAddr}; the {@code /debug} index and {@code /debug/*} on both, with istiod's
 * paths and shapes where they exist (istio/istio {@code pilot/pkg/xds/debug.go}).
 *
 * <p>Access, as istiod: {@code /ready}, {@code /version}, {@code /metrics} and the {@code /debug}
 * index are open. Every other debug endpoint is free for loopback callers (a port-forward arrives
 * on loopback); others need a Kubernetes token: 401 without one; a caller outside the root
 * namespace may only use {@code config_dump}, {@code ndsz} and {@code edsz} (403 otherwise) for
 * proxies of its own namespace.
 */
public final class HttpEndpoints implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HttpEndpoints.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String NOT_FOUND = "404 page not found\n";

  private final HttpServer server;
  private final ExecutorService executor;
  private final SextantServer sextant;
  private final Map<String, Endpoint> debug = new LinkedHashMap<>();

  private record Endpoint(String help, Handler handler) {}

  @FunctionalInterface
  private interface Handler {
    Object handle(Query query) throws IOException;
  }

  private HttpEndpoints(HttpServer server, SextantServer sextant) {
    this.server = server;
    this.sextant = sextant;
    this.executor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "http-" + server.getAddress().getPort());
      t.setDaemon(true);
      return t;
    });
    debug.put("ambientz", new Endpoint("Workloads, services and policies served to ztunnel", x -> ambientz()));
    debug.put("connections", new Endpoint("Connected xDS clients", x -> connections()));
    debug.put("krtz", new Endpoint("Every translator collection: size, sync, recomputations, dependencies",
        x -> sextant.krt().describe()));
    debug.put("inputz", new Endpoint("Input sizes, skipped configDir documents or Kubernetes objects, informer states",
        x -> inputz()));
    debug.put("authorizationz", new Endpoint(
        "AuthorizationPolicies as converted for ztunnel, with the status istiod would write", x -> authorizationz()));
    DebugViews views = new DebugViews(sextant);
    debug.put("syncz", new Endpoint("Synchronization status of every connected proxy",
        x -> views.syncz(x.get("namespace"))));
    debug.put("adsz", new Endpoint("Connected proxies, their metadata and subscriptions",
        x -> views.adsz(x.get("proxyID"))));
    debug.put("config_dump", new Endpoint("The configuration sent to a proxy (proxyID=, types=wds,wads)",
        x -> views.configDump(x.get("proxyID"), x.get("types"))));
    debug.put("registryz", new Endpoint("Services in the registry", x -> views.registryz()));
    debug.put("configz", new Endpoint("Istio and Gateway API configuration", x -> views.configz()));
    debug.put("clusterz", new Endpoint("Known clusters", x -> views.clusterz()));
    debug.put("mesh", new Endpoint("The active mesh settings", x -> views.mesh()));
    debug.put("resourcesz", new Endpoint("The watched kinds", x -> views.resourcesz()));
    debug.put("push_status", new Endpoint("Problems found by the last push", x -> Map.of()));
    Explain explain = new Explain(sextant);
    debug.put("explain", new Endpoint(
        "Why a workload, service or node is served as it is (workload=NS/NAME, service=NS/NAME, node=NAME)",
        x -> explain.explain(x.get("workload"), x.get("service"), x.get("node"))));
    debug.put("authz-check", new Endpoint(
        "The L4 decision a ztunnel would make (src=NS/NAME or srcIp=IP, dst=NS/NAME, port=N)",
        x -> explain.authzCheck(x.get("src"), x.get("dst"), x.get("port"), x.get("srcIp"))));
    debug.put("list", new Endpoint("The debug endpoints", x -> debug.keySet().stream()
        .filter(k -> !k.equals("list")).toList()));
  }

  public static HttpEndpoints start(InetSocketAddress address, SextantServer sextant, boolean readiness)
      throws IOException {
    HttpServer server = HttpServer.create(address, 64);
    HttpEndpoints e = new HttpEndpoints(server, sextant);
    if (readiness) {
      server.createContext("/ready", e::ready);
    } else {
      server.createContext("/version", x -> e.send(x, 200, "text/plain; charset=utf-8", version()));
      server.createContext("/metrics", x -> e.send(x, 200, "text/plain; version=0.0.4; charset=utf-8",
          sextant.telemetry().scrape()));
    }
    server.createContext("/debug", e::debug);
    server.setExecutor(e.executor);
    server.start();
    return e;
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  static String version() {
    return dev.sextant.server.Version.text();
  }

  private void ready(HttpExchange x) throws IOException {
    send(x, sextant.isReady() ? 200 : 503, "text/plain", "");
  }

  private void debug(HttpExchange x) throws IOException {
    try {
      String path = x.getRequestURI().getPath();
      if (path.equals("/debug") || path.equals("/debug/")) {
        send(x, 200, "text/html; charset=utf-8", index());
        return;
      }
      Endpoint endpoint = debug.get(path.substring("/debug/".length()));
      if (endpoint == null) {
        send(x, 404, "text/plain; charset=utf-8", NOT_FOUND);
        return;
      }
      InetAddress remote = x.getRemoteAddress().getAddress();
      Query query = new Query(x.getRequestURI().getRawQuery());
      if (!remote.isLoopbackAddress()) {
        String callerNamespace = callerNamespace(x);
        if (callerNamespace == null) {
          send(x, 401, "text/plain", "");
          return;
        }
        if (!callerNamespace.isEmpty()) {
          String name = path.substring("/debug/".length());
          if (!name.equals("config_dump") && !name.equals("ndsz") && !name.equals("edsz")) {
            send(x, 403, "text/plain", "");
            return;
          }
          String proxy = query.get("proxyID");
          if (proxy != null && !proxyInNamespace(proxy, callerNamespace)) {
            send(x, 404, "text/plain; charset=utf-8", DebugViews.PROXY_NOT_CONNECTED);
            return;
          }
        }
      }
      Object body = endpoint.handler().handle(query);
      if (body instanceof DebugViews.Reply r) {
        send(x, r.status(), r.contentType(), r.body());
        return;
      }
      boolean pretty = x.getRequestURI().getQuery() != null && x.getRequestURI().getQuery().contains("pretty");
      String text = pretty
          ? JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(body)
          : JSON.writeValueAsString(body);
      send(x, 200, "application/json", text);
    } catch (RuntimeException e) {
      log.error("debug endpoint failed path={}", x.getRequestURI().getPath(), e);
      send(x, 500, "text/plain", "internal error\n");
    }
  }

  /**
   * istiod's debug access for a caller not on loopback: a Kubernetes token ({@code Authorization:
   * Bearer}) checked by the CA's authenticators. Returns null when unauthenticated, "" for full
   * access (the root namespace, or {@code DEBUG_ENDPOINT_AUTH_ALLOWED_NAMESPACES}), else the
   * namespace the caller is limited to.
   */
  private String callerNamespace(HttpExchange x) {
    var ca = sextant.ca();
    if (ca == null) {
      return null;
    }
    io.grpc.Metadata headers = new io.grpc.Metadata();
    for (String h : List.of("authorization", "clusterid")) {
      List<String> values = x.getRequestHeaders().get(h);
      if (values != null) {
        values.forEach(v -> headers.put(io.grpc.Metadata.Key.of(h, io.grpc.Metadata.ASCII_STRING_MARSHALLER), v));
      }
    }
    try {
      var caller = ca.authenticators().authenticate(
          new dev.sextant.ca.authn.AuthRequest(headers, List.of(), true, x.getRemoteAddress()));
      if (caller.isEmpty()) {
        return null;
      }
      String root = sextant.config().mesh().rootNamespace();
      String allowed = System.getenv().getOrDefault("DEBUG_ENDPOINT_AUTH_ALLOWED_NAMESPACES", "");
      for (String id : caller.get().identities()) {
        String[] parts = id.startsWith("spiffe://") ? id.substring(9).split("/", -1) : new String[0];
        if (parts.length == 5 && parts[1].equals("ns")) {
          String ns = parts[2];
          if (ns.equals(root) || List.of(allowed.split(",")).contains(ns)) {
            return "";
          }
          return ns;
        }
      }
      return null;
    } catch (dev.sextant.ca.authn.AuthenticationException e) {
      return null;
    }
  }

  private boolean proxyInNamespace(String proxyId, String namespace) {
    return sextant.xds().clients().stream()
        .filter(c -> c.connectionId().contains(proxyId))
        .findFirst()
        .map(c -> {
          var f = c.node().getMetadata().getFieldsMap().get("NAMESPACE");
          return f != null && namespace.equals(f.getStringValue());
        })
        .orElse(false);
  }

  /** A request's query string: a parameter's value, or null; a parameter given without a value is "". */
  record Query(String raw) {
    String get(String name) {
      if (raw == null) {
        return null;
      }
      for (String part : raw.split("&")) {
        int eq = part.indexOf('=');
        String k = java.net.URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
        if (k.equals(name)) {
          return eq < 0 ? "" : java.net.URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
        }
      }
      return null;
    }
  }

  /**
   * Runs a debug endpoint in-process, as istiod's {@code istio.io/debug} xDS type does: the body
   * of {@code /debug/<name>} for {@code nameAndQuery} such as {@code syncz} or
   * {@code config_dump?proxyID=x.y}. The HTTP status is not conveyed, as in istiod.
   */
  public String internal(String nameAndQuery) {
    int q = nameAndQuery.indexOf('?');
    String name = q < 0 ? nameAndQuery : nameAndQuery.substring(0, q);
    Endpoint endpoint = debug.get(name);
    if (endpoint == null) {
      return NOT_FOUND;
    }
    try {
      Object body = endpoint.handler().handle(new Query(q < 0 ? null : nameAndQuery.substring(q + 1)));
      return body instanceof DebugViews.Reply r ? r.body() : JSON.writeValueAsString(body);
    } catch (IOException | RuntimeException e) {
      log.warn("internal debug request failed name={} error={}", name, e.toString());
      return "error: " + e.getMessage();
    }
  }

  private String index() {
    StringBuilder sb = new StringBuilder("<html><head><title>Sextant Debug Console</title></head><body>"
        + "<h1>Sextant Debug Console</h1><table><tr><th>Path</th><th>Description</th></tr>");
    debug.forEach((name, e) -> sb.append("<tr><td><a href=\"/debug/").append(name).append("\">/debug/")
        .append(name).append("</a></td><td>").append(e.help()).append("</td></tr>"));
    return sb.append("</table></body></html>").toString();
  }

  private Map<String, Object> connections() {
    var conns = sextant.xds().connections();
    return Map.of("totalClients", conns.size(), "clients", conns.stream().map(c -> Map.of(
        "connectionId", c.connectionId(), "connectedAt", c.connectedAt(), "address", c.address())).toList());
  }

  private Map<String, Object> authorizationz() throws IOException {
    List<Map<String, Object>> out = new java.util.ArrayList<>();
    var conversions = sextant.ambient().policies().conversions().list();
    conversions.sort(Comparator.comparing(dev.sextant.model.PolicyConversion::key));
    for (var c : conversions) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("name", c.name());
      row.put("namespace", c.namespace());
      row.put("servedToZtunnel", c.policy() != null);
      if (c.statusReason() != null) {
        row.put("status", Map.of("reason", c.statusReason(), "message", c.statusMessage()));
      }
      if (c.policy() != null) {
        row.put("policy", protoJson(c.policy()));
      }
      out.add(row);
    }
    return Map.of("authorization_policies", out);
  }

  private Map<String, Object> inputz() {
    Map<String, Object> out = new LinkedHashMap<>();
    Map<String, Integer> sizes = new LinkedHashMap<>();
    sextant.krt().collections().stream().filter(c -> c.name().startsWith("informer/"))
        .forEach(c -> sizes.put(c.name(), c.size()));
    out.put("inputs", sizes);
    out.put("skippedDocuments", sextant.source() == null ? List.of() : sextant.source().problems());
    var kube = sextant.kubernetesSource();
    if (kube != null) {
      out.put("skippedObjectsTotal", kube.skippedObjects());
      out.put("skippedObjects", kube.skipped());
      out.put("informers", kube.describe());
    }
    return out;
  }

  /** istiod's {@code /debug/ambientz}: protobuf-JSON, IP bytes rewritten as text. */
  private ObjectNode ambientz() throws IOException {
    ObjectNode out = JSON.createObjectNode();
    ArrayNode workloads = out.putArray("workloads");
    ArrayNode services = out.putArray("services");
    ArrayNode policies = out.putArray("policies");
    TypeIndex addresses = sextant.resources().type(TypeUrls.ADDRESS);
    for (XdsResource r : sorted(addresses.all())) {
      Address a = Address.parseFrom(r.resource().getResource().getValue());
      if (a.hasWorkload()) {
        workloads.add(ipsAsText(protoJson(a.getWorkload())));
      } else if (a.hasService()) {
        services.add(ipsAsText(protoJson(a.getService())));
      }
    }
    for (XdsResource r : sorted(sextant.resources().type(TypeUrls.AUTHORIZATION).all())) {
      policies.add(protoJson(Authorization.parseFrom(r.resource().getResource().getValue())));
    }
    return out;
  }

  private static List<XdsResource> sorted(List<XdsResource> list) {
    list.sort(Comparator.comparing(XdsResource::name));
    return list;
  }

  static JsonNode protoJson(Message m) {
    try {
      return JSON.readTree(JsonFormat.printer().print(m));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Rewrites {@code addresses} (base64 bytes, or NetworkAddress.address) as IP text. */
  static JsonNode ipsAsText(JsonNode node) {
    if (node instanceof ObjectNode o && o.get("addresses") instanceof ArrayNode arr) {
      for (int i = 0; i < arr.size(); i++) {
        JsonNode item = arr.get(i);
        if (item.isTextual()) {
          arr.set(i, JSON.getNodeFactory().textNode(ipText(item.asText())));
        } else if (item instanceof ObjectNode na && na.get("address") != null) {
          na.put("address", ipText(na.get("address").asText()));
        }
      }
    }
    return node;
  }

  private static String ipText(String base64) {
    try {
      byte[] b = Base64.getDecoder().decode(base64);
      return b.length == 4 || b.length == 16 ? IpAddresses.format(b) : base64;
    } catch (IllegalArgumentException e) {
      return base64;
    }
  }

  private void send(HttpExchange x, int code, String contentType, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().set("Content-Type", contentType);
    x.sendResponseHeaders(code, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      try (OutputStream os = x.getResponseBody()) {
        os.write(bytes);
      }
    }
    x.close();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
