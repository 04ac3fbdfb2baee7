package dev.sextant.ambient;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Workload name (istio/istio {@code pkg/kube/util.go GetWorkloadMetaFromPod}) and canonical
 * name/revision ({@code pkg/kube/labels/labels.go CanonicalService}), wds-spec §2.5.
 */
class WorkloadNamesTest {

  private static OwnerReference owner(String kind, String name, Boolean controller) {
    return new OwnerReferenceBuilder()
        .withApiVersion("apps/v1").withKind(kind).withName(name).withUid("uid-" + name).withController(controller)
        .build();
  }

  private static Pod pod(String name, String generateName, Map<String, String> labels, OwnerReference... owners) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name).withNamespace("ns").withGenerateName(generateName).withLabels(labels)
        .withOwnerReferences(owners)
        .endMetadata()
        .build();
  }

  @Test
  void workloadName_replicaSetWithoutTemplateHash_isOwnerName() {
    // The upstream example (workloads_test.go "pod from replicaset").
    Pod p = pod("rs-xvnqd", "rs-", null, owner("ReplicaSet", "rs", true));
    assertEquals("rs", WorkloadNames.workloadName(p));
  }

  @Test
  void workloadName_replicaSetWithTemplateHash_isDeploymentName() {
    Pod p = pod("reviews-v1-5b4f8c7d9-abcde", "reviews-v1-5b4f8c7d9-",
        Map.of("pod-template-hash", "5b4f8c7d9"), owner("ReplicaSet", "reviews-v1-5b4f8c7d9", true));
    assertEquals("reviews-v1", WorkloadNames.workloadName(p));
  }

  @Test
  void workloadName_templateHashNotOwnerSuffix_isOwnerName() {
    Pod p = pod("rs-abcde", "rs-", Map.of("pod-template-hash", "zzz"), owner("ReplicaSet", "rs-123", true));
    assertEquals("rs-123", WorkloadNames.workloadName(p));
  }

  @Test
  void workloadName_argoRolloutHash_isRolloutName() {
    Pod p = pod("canary-6f7d9c-x1", "canary-6f7d9c-",
        Map.of("rollouts-pod-template-hash", "6f7d9c"), owner("ReplicaSet", "canary-6f7d9c", true));
    assertEquals("canary", WorkloadNames.workloadName(p));
  }

  @Test
  void workloadName_deploymentConfig_isLabelValue() {
    Pod p = pod("frontend-3-x7k2p", "frontend-3-",
        Map.of("deploymentconfig", "frontend"), owner("ReplicationController", "frontend-3", true));
    assertEquals("frontend", WorkloadNames.workloadName(p));
  }

  @Test
  void workloadName_deploymentConfigLabelEmpty_isOwnerName() {
    // Regression: an empty deploymentconfig label was taken as the name, giving "" where istiod
    // (which requires the label to be non-empty) gives the ReplicationController's name.
    Pod p = pod("frontend-3-x7k2p", "frontend-3-",
        Map.of("deploymentconfig", ""), owner("ReplicationController", "frontend-3", true));
    assertEquals("frontend-3", WorkloadNames.workloadName(p));
  }

  @Test
  void workloadName_replicationControllerWithoutLabel_isOwnerName() {
    Pod p = pod("rc-x7k2p", "rc-", null, owner("ReplicationController", "rc", true));
    assertEquals("rc", WorkloadNames.workloadName(p));
  }

  @Test
  void workloadName_cronJobJob_isCronJobName() {
    Pod p = pod("backup-28912345-q2w3e", "backup-28912345-", null, owner("Job", "backup-28912345", true));
    assertEquals("backup", WorkloadNames.workloadName(p));
  }

  @Test
  void workloadName_cronJobJobWithDashesInName_keepsEverythingBeforeTimestamp() {
    Pod p = pod("db-backup-1234567890-abc", "db-backup-1234567890-", null,
        owner("Job", "db-backup-1234567890", true));
    assertEquals("db-backup", WorkloadNames.workloadName(p));
  }

  @Test
  void workloadName_jobSuffixTooShortOrLong_isJobName() {
    assertEquals("migrate-1234567", WorkloadNames.workloadName(
        pod("migrate-1234567-x", "migrate-1234567-", null, owner("Job", "migrate-1234567", true))));
    assertEquals("migrate-12345678901", WorkloadNames.workloadName(
        pod("migrate-12345678901-x", "migrate-12345678901-", null, owner("Job", "migrate-12345678901", true))));
    assertEquals("migrate", WorkloadNames.workloadName(
        pod("migrate-x", "migrate-", null, owner("Job", "migrate", true))));
  }

  @Test
  void workloadName_otherControllers_areOwnerName() {
    assertEquals("web", WorkloadNames.workloadName(pod("web-0", "web-", null, owner("StatefulSet", "web", true))));
    assertEquals("agent", WorkloadNames.workloadName(pod("agent-x", "agent-", null, owner("DaemonSet", "agent", true))));
  }

  @Test
  void workloadName_noGenerateName_isPodNameEvenWithController() {
    assertEquals("web-0", WorkloadNames.workloadName(pod("web-0", null, null, owner("StatefulSet", "web", true))));
    assertEquals("web-0", WorkloadNames.workloadName(pod("web-0", "", null, owner("StatefulSet", "web", true))));
  }

  @Test
  void workloadName_ownerNotController_isPodName() {
    assertEquals("rs-xvnqd", WorkloadNames.workloadName(pod("rs-xvnqd", "rs-", null, owner("ReplicaSet", "rs", false))));
    assertEquals("rs-xvnqd", WorkloadNames.workloadName(pod("rs-xvnqd", "rs-", null, owner("ReplicaSet", "rs", null))));
  }

  @Test
  void workloadName_severalOwners_usesTheController() {
    Pod p = pod("rs-xvnqd", "rs-", null, owner("Foo", "not-me", false), owner("ReplicaSet", "rs", true));
    assertEquals("rs", WorkloadNames.workloadName(p));
  }

  @Test
  void workloadName_noOwnerOrLabels_isPodName() {
    assertEquals("standalone", WorkloadNames.workloadName(pod("standalone", null, null)));
  }

  @Test
  void workloadName_workloadNameLabel_overridesEverything() {
    Pod p = pod("reviews-v1-5b4f8c7d9-abcde", "reviews-v1-5b4f8c7d9-",
        Map.of("pod-template-hash", "5b4f8c7d9", "service.istio.io/workload-name", "custom"),
        owner("ReplicaSet", "reviews-v1-5b4f8c7d9", true));
    assertEquals("custom", WorkloadNames.workloadName(p));
    assertEquals("", WorkloadNames.workloadName(pod("p", null, Map.of("service.istio.io/workload-name", ""))));
  }

  @Test
  void canonicalName_labelOrder_firstPresentWins() {
    Map<String, String> all = new LinkedHashMap<>();
    all.put("app", "c");
    all.put("app.kubernetes.io/name", "b");
    all.put("service.istio.io/canonical-name", "a");
    assertEquals("a", WorkloadNames.canonicalName(all, "wl"));
    all.remove("service.istio.io/canonical-name");
    assertEquals("b", WorkloadNames.canonicalName(all, "wl"));
    all.remove("app.kubernetes.io/name");
    assertEquals("c", WorkloadNames.canonicalName(all, "wl"));
    all.remove("app");
    assertEquals("wl", WorkloadNames.canonicalName(all, "wl"));
  }

  @Test
  void canonicalName_presentButEmpty_isEmptyNotFallback() {
    assertEquals("", WorkloadNames.canonicalName(Map.of("app", "", "version", "v1"), "wl"));
    assertEquals("", WorkloadNames.canonicalName(Map.of("service.istio.io/canonical-name", "", "app", "x"), "wl"));
  }

  @Test
  void canonicalRevision_labelOrder_firstPresentWinsElseLatest() {
    Map<String, String> all = new LinkedHashMap<>();
    all.put("version", "c");
    all.put("app.kubernetes.io/version", "b");
    all.put("service.istio.io/canonical-revision", "a");
    assertEquals("a", WorkloadNames.canonicalRevision(all));
    all.remove("service.istio.io/canonical-revision");
    assertEquals("b", WorkloadNames.canonicalRevision(all));
    all.remove("app.kubernetes.io/version");
    assertEquals("c", WorkloadNames.canonicalRevision(all));
    all.remove("version");
    assertEquals("latest", WorkloadNames.canonicalRevision(all));
    assertEquals("", WorkloadNames.canonicalRevision(Map.of("version", "")));
  }
}
