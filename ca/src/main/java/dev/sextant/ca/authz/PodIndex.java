package dev.sextant.ca.authz;

import java.util.Optional;

/**
 * The pods the node authorizer looks at: by name, and by (namespace, service account, node).
 * Pods in phase {@code Failed} are not in it; pods without a node or a service account are found
 * by name but never by the node index (istio/istio {@code security/pkg/server/ca/node_auth.go}).
 */
public interface PodIndex {
  /** The fields the authorizer reads. */
  record PodRef(String namespace, String name, String uid, String serviceAccount, String nodeName) {}

  Optional<PodRef> pod(String namespace, String name);

  /** True if at least one indexed pod of this namespace and service account runs on {@code node}. */
  boolean anyOn(String namespace, String serviceAccount, String node);

  boolean hasSynced();
}
