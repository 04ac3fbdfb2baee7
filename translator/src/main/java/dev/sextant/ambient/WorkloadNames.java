package dev.sextant.ambient;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Workload name, canonical name and canonical revision, as istiod derives them
 * (istio/istio {@code pkg/kube/util.go GetWorkloadMetaFromPod}, {@code pkg/kube/labels/labels.go}).
 */
public final class WorkloadNames {
  static final String WORKLOAD_NAME_LABEL = "service.istio.io/workload-name";
  private static final Pattern CRONJOB_JOB = Pattern.compile("^(.+)-\\d{8,10}$");
  private static final List<String> CANONICAL_NAME_LABELS =
      List.of("service.istio.io/canonical-name", "app.kubernetes.io/name", "app");
  private static final List<String> CANONICAL_REVISION_LABELS =
      List.of("service.istio.io/canonical-revision", "app.kubernetes.io/version", "version");

  private WorkloadNames() {}

  /** The name of the controller that owns the pod (Deployment, CronJob, ...), or the pod name. */
  public static String workloadName(Pod pod) {
    Map<String, String> labels = labels(pod);
    String override = labels.get(WORKLOAD_NAME_LABEL);
    if (override != null) {
      return override;
    }
    String generateName = pod.getMetadata().getGenerateName();
    OwnerReference controller = controllerOf(pod);
    if (generateName == null || generateName.isEmpty() || controller == null) {
      return pod.getMetadata().getName();
    }
    String kind = controller.getKind();
    String owner = controller.getName();
    if ("ReplicaSet".equals(kind)) {
      String hash = labels.get("pod-template-hash");
      if (hash != null && owner.endsWith("-" + hash)) {
        return owner.substring(0, owner.length() - hash.length() - 1);
      }
      String rolloutHash = labels.get("rollouts-pod-template-hash");
      if (rolloutHash != null && owner.endsWith("-" + rolloutHash)) {
        return owner.substring(0, owner.length() - rolloutHash.length() - 1);
      }
      return owner;
    }
    // An empty deploymentconfig label does not count (istio/istio pkg/kube/util.go GetDeployMetaFromPod).
    if ("ReplicationController".equals(kind) && !labels.getOrDefault("deploymentconfig", "").isEmpty()) {
      return labels.get("deploymentconfig");
    }
    if ("Job".equals(kind)) {
      Matcher m = CRONJOB_JOB.matcher(owner);
      if (m.matches()) {
        return m.group(1);
      }
    }
    return owner;
  }

  private static OwnerReference controllerOf(Pod pod) {
    List<OwnerReference> refs = pod.getMetadata().getOwnerReferences();
    if (refs == null) {
      return null;
    }
    for (OwnerReference r : refs) {
      if (Boolean.TRUE.equals(r.getController())) {
        return r;
      }
    }
    return null;
  }

  /** The first present of the canonical-name labels (even if empty), else {@code fallback}. */
  public static String canonicalName(Map<String, String> labels, String fallback) {
    for (String l : CANONICAL_NAME_LABELS) {
      if (labels.containsKey(l)) {
        return labels.get(l);
      }
    }
    return fallback;
  }

  /** The first present of the canonical-revision labels (even if empty), else {@code latest}. */
  public static String canonicalRevision(Map<String, String> labels) {
    for (String l : CANONICAL_REVISION_LABELS) {
      if (labels.containsKey(l)) {
        return labels.get(l);
      }
    }
    return "latest";
  }

  static Map<String, String> labels(Pod pod) {
    Map<String, String> l = pod.getMetadata().getLabels();
    return l == null ? Map.of() : l;
  }
}
