package dev.sextant.ca.authn;

/**
 * Kubernetes facts about a caller authenticated by a service-account token (istiod's
 * {@code security.KubernetesInfo}); pod name and UID are empty for tokens not bound to a pod.
 */
public record KubernetesInfo(String podName, String podNamespace, String podUid, String podServiceAccount) {
  public static final KubernetesInfo NONE = new KubernetesInfo("", "", "", "");

  public boolean boundToPod() {
    return !podName.isEmpty() && !podUid.isEmpty();
  }
}
