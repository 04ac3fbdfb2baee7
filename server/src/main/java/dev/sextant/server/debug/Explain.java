package dev.sextant.server.debug;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sextant.ambient.IpAddresses;
import dev.sextant.api.TypeUrls;
import dev.sextant.api.security.Authorization;
import dev.sextant.api.workload.Service;
import dev.sextant.api.workload.TunnelProtocol;
import dev.sextant.api.workload.Workload;
import dev.sextant.convert.AuthorizationEvaluator;
import dev.sextant.convert.PeerAuthenticationConverter;
import dev.sextant.model.PolicyConversion;
import dev.sextant.model.ServiceInfo;
import dev.sextant.model.WorkloadInfo;
import dev.sextant.server.SextantServer;
import dev.sextant.source.ObjectKeys;
import dev.sextant.xds.XdsResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Beyond istiod: why Sextant serves what it serves. {@code /debug/explain} shows, for a workload,
 * service or node, the resources served and, for each field that matters, the input objects and
 * the rule behind it. {@code /debug/authz-check} shows the L4 decision a ztunnel would make for a
 * connection under the current policies, with the policy and group that decided it.
 */
final class Explain {
  private static final String REDIRECTION = "ambient.istio.io/redirection";
  private static final String TUNNEL_LABEL = "networking.istio.io/tunnel";
  private static final String USE_WAYPOINT = "istio.io/use-waypoint";

  private final SextantServer sextant;

  Explain(SextantServer sextant) {
    this.sextant = sextant;
  }

  Object explain(String workload, String service, String node) throws IOException {
    if (workload != null && !workload.isEmpty()) {
      return explainWorkload(workload);
    }
    if (service != null && !service.isEmpty()) {
      return explainService(service);
    }
    if (node != null && !node.isEmpty()) {
      List<Map<String, Object>> out = new ArrayList<>();
      for (WorkloadInfo w : sorted(sextant.ambient().workloads().list())) {
        if (w.workload().getNode().equals(node)) {
          out.add(Map.of("uid", w.key(), "name", w.workload().getName(), "namespace", w.workload().getNamespace(),
              "serviceAccount", w.workload().getServiceAccount()));
        }
      }
      return Map.of("node", node, "workloads", out);
    }
    return new DebugViews.Reply(400, "text/plain; charset=utf-8",
        "You must provide workload=NAMESPACE/NAME, service=NAMESPACE/NAME or node=NAME in the query string");
  }

  private static List<WorkloadInfo> sorted(List<WorkloadInfo> l) {
    l.sort(Comparator.comparing(WorkloadInfo::key));
    return l;
  }

  private Optional<WorkloadInfo> findWorkload(String nsName) {
    int slash = nsName.indexOf('/');
    if (slash < 0) {
      return Optional.empty();
    }
    String ns = nsName.substring(0, slash);
    String name = nsName.substring(slash + 1);
    return sorted(sextant.ambient().workloads().list()).stream()
        .filter(w -> w.workload().getNamespace().equals(ns) && w.workload().getName().equals(name))
        .findFirst();
  }

  private Object explainWorkload(String nsName) throws IOException {
    Optional<WorkloadInfo> found = findWorkload(nsName);
    if (found.isEmpty()) {
      return new DebugViews.Reply(404, "text/plain; charset=utf-8", "no workload " + nsName
          + " is served (pods without an IP and terminated pods are not sent)");
    }
    WorkloadInfo info = found.get();
    Workload w = info.workload();
    Map<String, Object> out = new LinkedHashMap<>();
    XdsResource r = sextant.resources().type(TypeUrls.ADDRESS).get(info.key());
    out.put("resource", Map.of("typeUrl", TypeUrls.ADDRESS, "name", info.key(),
        "version", r == null ? "" : r.version()));
    out.put("workload", DebugViews.protoJson(w));
    Optional<Pod> pod = sextant.inputs().pods().get(ObjectKeys.of(w.getNamespace(), w.getName()))
        .filter(p -> info.key().contains("//Pod/"));
    out.put("source", pod.isPresent() ? "Pod " + w.getNamespace() + "/" + w.getName() : sourceOf(info.key()));

    Map<String, Object> fields = new LinkedHashMap<>();
    pod.ifPresent(p -> fields.put("status", field(w.getStatus().name(), statusReason(p))));
    Map<String, String> annotations = pod.map(p -> p.getMetadata().getAnnotations()).orElse(null);
    fields.put("tunnelProtocol", field(w.getTunnelProtocol().name(), tunnelReason(w, info.labels(), annotations)));
    fields.put("waypoint", field(w.hasWaypoint() ? DebugViews.protoJson(w.getWaypoint()) : null,
        waypointReason(w, info.labels())));
    List<Map<String, Object>> services = new ArrayList<>();
    for (String key : new java.util.TreeSet<>(w.getServicesMap().keySet())) {
      Optional<ServiceInfo> svc = sextant.ambient().services().get(key);
      String because = svc.map(s -> s.selects(info.labels())
              ? "its " + (s.isKubernetesService() ? "Service" : "ServiceEntry") + " selector " + s.selector()
                  + " matches the workload's labels"
              : "an EndpointSlice of Service " + s.source().name() + " targets this pod by name and UID")
          .orElse("the ServiceEntry that defines this endpoint");
      services.add(Map.of("service", key, "ports", DebugViews.protoJson(w.getServicesMap().get(key)),
          "because", because));
    }
    fields.put("services", services);
    List<Map<String, Object>> policies = new ArrayList<>();
    for (String p : w.getAuthorizationPoliciesList()) {
      policies.add(Map.of("policy", p, "because", policyReason(p, w.getNamespace())));
    }
    fields.put("authorizationPolicies", policies);
    out.put("fields", fields);
    return out;
  }

  private static String sourceOf(String uid) {
    if (uid.contains("/networking.istio.io/WorkloadEntry/")) {
      return "WorkloadEntry " + uid.substring(uid.indexOf("WorkloadEntry/") + "WorkloadEntry/".length());
    }
    if (uid.contains("/networking.istio.io/ServiceEntry/")) {
      return "ServiceEntry endpoint " + uid.substring(uid.indexOf("ServiceEntry/") + "ServiceEntry/".length());
    }
    if (uid.contains("/discovery.k8s.io/EndpointSlice/")) {
      return "EndpointSlice endpoint " + uid.substring(uid.indexOf("EndpointSlice/") + "EndpointSlice/".length());
    }
    return uid;
  }

  private static Map<String, Object> field(Object value, String because) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("value", value);
    m.put("because", because);
    return m;
  }

  private static String statusReason(Pod p) {
    if (p.getMetadata().getDeletionTimestamp() != null) {
      return "the pod is being deleted (deletionTimestamp " + p.getMetadata().getDeletionTimestamp() + ")";
    }
    var conditions = p.getStatus() == null || p.getStatus().getConditions() == null
        ? List.<io.fabric8.kubernetes.api.model.PodCondition>of() : p.getStatus().getConditions();
    for (var c : conditions) {
      if ("Ready".equals(c.getType())) {
        return "the pod's Ready condition is " + c.getStatus();
      }
    }
    return "the pod has no Ready condition (phase " + (p.getStatus() == null ? "?" : p.getStatus().getPhase()) + ")";
  }

  private static String tunnelReason(Workload w, Map<String, String> labels, Map<String, String> annotations) {
    if (w.getNativeTunnel()) {
      return "label " + TUNNEL_LABEL + "=" + labels.get(TUNNEL_LABEL) + " (a sidecar that accepts HBONE)";
    }
    if (w.getTunnelProtocol() == TunnelProtocol.HBONE) {
      return "annotation " + REDIRECTION + "=enabled, written by istio-cni once it redirects the pod's traffic";
    }
    String value = annotations == null ? null : annotations.get(REDIRECTION);
    return value == null
        ? "no " + REDIRECTION + " annotation: istio-cni has not captured this workload (not enrolled in ambient, or not yet)"
        : REDIRECTION + "=" + value + " is not \"enabled\"";
  }

  private String waypointReason(Workload w, Map<String, String> labels) {
    if (w.hasApplicationTunnel() || labels.containsKey("gateway.networking.k8s.io/gateway-name")) {
      return "the workload is an instance of waypoint " + labels.get("gateway.networking.k8s.io/gateway-name")
          + ": instances get no waypoint";
    }
    String own = labels.get(USE_WAYPOINT);
    if (own != null) {
      return own.equals("none") ? "its own label " + USE_WAYPOINT + "=none opts out"
          : w.hasWaypoint() ? "its own label " + USE_WAYPOINT + "=" + own
              : "its own label names waypoint " + own + ", which is not ready, does not allow this namespace, "
                  + "or does not serve workload traffic (no fallback to the namespace's waypoint)";
    }
    Optional<Namespace> ns = sextant.inputs().namespaces().get(w.getNamespace());
    String fromNs = ns.map(n -> n.getMetadata().getLabels()).map(l -> l.get(USE_WAYPOINT)).orElse(null);
    if (fromNs == null) {
      return "neither the workload nor its namespace has " + USE_WAYPOINT;
    }
    return w.hasWaypoint() ? "namespace label " + USE_WAYPOINT + "=" + fromNs
        : "namespace label names waypoint " + fromNs + ", which is not ready, or serves services only "
            + "(istio.io/waypoint-for defaults to service)";
  }

  private String policyReason(String key, String workloadNamespace) {
    String root = sextant.config().mesh().rootNamespace();
    if (key.equals(root + "/" + PeerAuthenticationConverter.STATIC_STRICT_NAME)) {
      return "STRICT mutual TLS applies to this workload (mesh-, namespace- or workload-wide PeerAuthentication)";
    }
    int slash = key.indexOf('/');
    String name = key.substring(slash + 1);
    if (name.startsWith(PeerAuthenticationConverter.CONVERTED_PREFIX)) {
      return "PeerAuthentication " + key.substring(0, slash) + "/"
          + name.substring(PeerAuthenticationConverter.CONVERTED_PREFIX.length()) + " sets port-level mutual TLS";
    }
    Optional<PolicyConversion> p = sextant.ambient().policies().conversions().get(key);
    return p.map(c -> "AuthorizationPolicy " + key + " selects it with " + c.selector()
            + (c.namespace().equals(workloadNamespace) ? "" : " (a root-namespace policy applies in every namespace)"))
        .orElse("AuthorizationPolicy " + key);
  }

  private Object explainService(String nsName) throws IOException {
    int slash = nsName.indexOf('/');
    if (slash < 0) {
      return new DebugViews.Reply(400, "text/plain; charset=utf-8", "service must be NAMESPACE/NAME or NAMESPACE/HOSTNAME");
    }
    String ns = nsName.substring(0, slash);
    String name = nsName.substring(slash + 1);
    Optional<ServiceInfo> svc = sextant.ambient().services().list().stream()
        .filter(s -> s.service().getNamespace().equals(ns)
            && (s.service().getName().equals(name) || s.service().getHostname().equals(name)))
        .min(Comparator.comparing(ServiceInfo::key));
    if (svc.isEmpty()) {
      return new DebugViews.Reply(404, "text/plain; charset=utf-8", "no service " + nsName
          + " is served (ExternalName services are not sent; a duplicate hostname may have lost deduplication)");
    }
    ServiceInfo s = svc.get();
    Service wire = s.service();
    Map<String, Object> out = new LinkedHashMap<>();
    XdsResource r = sextant.resources().type(TypeUrls.ADDRESS).get(s.key());
    out.put("resource", Map.of("typeUrl", TypeUrls.ADDRESS, "name", s.key(), "version", r == null ? "" : r.version()));
    out.put("service", DebugViews.protoJson(wire));
    out.put("source", s.source().kind() + " " + s.source().namespace() + "/" + s.source().name());
    out.put("canonical", field(wire.getCanonical(), s.isKubernetesService()
        ? "Kubernetes Services are always canonical"
        : wire.getCanonical() ? "the oldest ServiceEntry for this hostname across namespaces"
            : "another service owns this hostname's canonical entry"));
    List<String> endpoints = new ArrayList<>();
    for (WorkloadInfo w : sorted(sextant.ambient().workloads().list())) {
      if (w.workload().getServicesMap().containsKey(s.key())) {
        endpoints.add(w.key());
      }
    }
    out.put("endpoints", endpoints);
    out.put("waypoint", field(wire.hasWaypoint() ? DebugViews.protoJson(wire.getWaypoint()) : null,
        wire.hasWaypoint() ? "istio.io/use-waypoint on the service or its namespace, and the waypoint serves services"
            : "no ready waypoint serving service traffic is bound"));
    return out;
  }

  /** The decision a ztunnel would make for src -> dst:port. */
  Object authzCheck(String src, String dst, String port, String srcIp) throws IOException {
    if (dst == null || dst.isEmpty() || port == null || port.isEmpty()) {
      return new DebugViews.Reply(400, "text/plain; charset=utf-8",
          "You must provide dst=NAMESPACE/NAME and port=N (and src=NAMESPACE/NAME, or srcIp=IP for a plain-text client)");
    }
    int p;
    try {
      p = Integer.parseInt(port);
    } catch (NumberFormatException e) {
      return new DebugViews.Reply(400, "text/plain; charset=utf-8", "port must be a number");
    }
    Optional<WorkloadInfo> d = findWorkload(dst);
    if (d.isEmpty()) {
      return new DebugViews.Reply(404, "text/plain; charset=utf-8", "no workload " + dst + " is served");
    }
    AuthorizationEvaluator.Identity identity = null;
    byte[] sourceIp = srcIp == null ? null : IpAddresses.parse(srcIp);
    Map<String, Object> source = new LinkedHashMap<>();
    if (src != null && !src.isEmpty()) {
      Optional<WorkloadInfo> s = findWorkload(src);
      if (s.isEmpty()) {
        return new DebugViews.Reply(404, "text/plain; charset=utf-8", "no workload " + src + " is served");
      }
      Workload sw = s.get().workload();
      if (sw.getTunnelProtocol() == TunnelProtocol.HBONE && !sw.getServiceAccount().isEmpty()) {
        identity = new AuthorizationEvaluator.Identity(sextant.config().mesh().trustDomain(), sw.getNamespace(),
            sw.getServiceAccount());
      }
      if (sourceIp == null && sw.getAddressesCount() > 0) {
        sourceIp = sw.getAddresses(0).toByteArray();
      }
      source.put("workload", s.get().key());
    }
    source.put("identity", identity == null ? null : identity.spiffe());
    source.put("ip", sourceIp == null ? null : IpAddresses.format(sourceIp));
    Workload dw = d.get().workload();
    byte[] destinationIp = dw.getAddressesCount() > 0 ? dw.getAddresses(0).toByteArray() : null;
    List<Authorization> all = new ArrayList<>();
    for (XdsResource r : sextant.resources().type(TypeUrls.AUTHORIZATION).all()) {
      all.add(Authorization.parseFrom(r.resource().getResource().getValue()));
    }
    all.sort(Comparator.comparing(a -> a.getNamespace() + "/" + a.getName()));
    List<Authorization> applicable = AuthorizationEvaluator.applicable(all, dw.getNamespace(),
        dw.getAuthorizationPoliciesList());
    var decision = AuthorizationEvaluator.evaluate(applicable,
        new AuthorizationEvaluator.Connection(identity, sourceIp, destinationIp, p));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("source", source);
    out.put("destination", Map.of("workload", d.get().key(), "port", p,
        "enforcedByZtunnel", dw.getTunnelProtocol() == TunnelProtocol.HBONE));
    out.put("decision", decision.allowed() ? "ALLOW" : "DENY");
    out.put("reason", decision.reason());
    out.put("policy", decision.decidingPolicy());
    List<Map<String, Object>> evaluated = new ArrayList<>();
    for (var r : decision.evaluated()) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("policy", r.policy());
      row.put("action", r.action().name());
      row.put("dryRun", r.dryRun());
      row.put("matched", r.matchedGroup() >= 0);
      if (r.matchedGroup() >= 0) {
        row.put("group", r.matchedGroup());
      }
      evaluated.add(row);
    }
    out.put("evaluated", evaluated);
    if (dw.getTunnelProtocol() != TunnelProtocol.HBONE) {
      out.put("note", "the destination is not captured by ztunnel (no HBONE): ztunnel does not enforce these policies for it");
    }
    return out;
  }

  static JsonNode json(com.google.protobuf.Message m) throws IOException {
    return DebugViews.protoJson(m);
  }
}
