package dev.sextant.server.xds;

import dev.sextant.ambient.IpAddresses;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A client's node, parsed as istiod parses it (istio/istio {@code pilot/pkg/model/context.go}
 * {@code ParseServiceNodeWithMetadata}, {@code GetProxyConfigNamespace}): the id is
 * {@code <type>~<ip>~<pod>.<namespace>~<namespace>.svc.<domain>}.
 *
 * @param proxyId the third part, {@code <pod>.<namespace>}
 * @param configNamespace metadata {@code NAMESPACE}, else the first label of the DNS domain
 * @param serviceAccount metadata {@code SERVICE_ACCOUNT}, or empty
 */
record ProxyNode(String type, List<String> ips, String proxyId, String dnsDomain, String configNamespace,
    String serviceAccount) {

  static final Set<String> TYPES = Set.of("sidecar", "router", "waypoint", "ztunnel", "agentgateway");

  /** Parses the first request's node; INVALID_ARGUMENT with istiod's message when it cannot. */
  static ProxyNode parse(Node node) throws io.grpc.StatusException {
    String id = node.getId();
    String[] parts = id.split("~", -1);
    if (parts.length != 4) {
      throw invalid("missing parts in the service node \"" + id + "\"");
    }
    if (!TYPES.contains(parts[0])) {
      throw invalid("invalid node type (valid types: [sidecar router waypoint ztunnel]) in the service node \""
          + id + "\"");
    }
    var meta = node.getMetadata().getFieldsMap();
    List<String> ips = new ArrayList<>();
    String instanceIps = meta.containsKey("INSTANCE_IPS") ? meta.get("INSTANCE_IPS").getStringValue() : "";
    boolean allValid = !instanceIps.isEmpty();
    for (String ip : instanceIps.split(",")) {
      if (!ip.isEmpty() && IpAddresses.parse(ip) == null) {
        allValid = false;
      }
    }
    if (allValid) {
      for (String ip : instanceIps.split(",")) {
        if (!ip.isEmpty()) {
          ips.add(ip);
        }
      }
    } else if (IpAddresses.parse(parts[1]) != null) {
      ips.add(parts[1]);
    }
    if (ips.isEmpty()) {
      throw invalid("no valid IP address in the service node id or metadata");
    }
    String namespace = meta.containsKey("NAMESPACE") ? meta.get("NAMESPACE").getStringValue() : "";
    if (namespace.isEmpty()) {
      String[] domain = parts[3].split("\\.");
      if (domain.length > 1) {
        namespace = domain[0];
      }
    }
    String sa = meta.containsKey("SERVICE_ACCOUNT") ? meta.get("SERVICE_ACCOUNT").getStringValue() : "";
    return new ProxyNode(parts[0], List.copyOf(ips), parts[2], parts[3], namespace, sa);
  }

  private static io.grpc.StatusException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asException();
  }

  /**
   * istiod's identity check ({@code pilot/pkg/xds/auth.go checkConnectionIdentity}): one of the
   * caller's SPIFFE identities must be in the node's namespace and, if the node names one, its
   * service account. Returns the matching identity; PERMISSION_DENIED otherwise.
   */
  String authorize(List<String> identities) throws io.grpc.StatusException {
    for (String raw : identities) {
      String[] id = spiffe(raw);
      if (id == null) {
        continue;
      }
      if (!configNamespace.isEmpty() && !id[1].equals(configNamespace)) {
        continue;
      }
      if (!serviceAccount.isEmpty() && !id[2].equals(serviceAccount)) {
        continue;
      }
      return raw;
    }
    throw Status.PERMISSION_DENIED.withDescription("authorization failed: no identities (" + identities
        + ") matched " + configNamespace + "/" + serviceAccount).asException();
  }

  /** {@code spiffe://<td>/ns/<ns>/sa/<sa>} to [td, ns, sa], or null. */
  static String[] spiffe(String raw) {
    if (!raw.startsWith("spiffe://")) {
      return null;
    }
    String[] p = raw.substring("spiffe://".length()).split("/", -1);
    if (p.length != 5 || !p[1].equals("ns") || !p[3].equals("sa")) {
      return null;
    }
    return new String[] {p[0], p[2], p[4]};
  }
}
