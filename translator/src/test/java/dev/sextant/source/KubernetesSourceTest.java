package dev.sextant.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sextant.krt.Krt;
import dev.sextant.krt.StaticCollection;
import dev.sextant.krt.fabric8.InformerInput;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link KubernetesSource} against fabric8's mock API server in CRUD mode: what reaches the input
 * collections, for every kind, as objects are listed, added, changed and removed.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesSourceTest {
  KubernetesClient client;
  final Krt krt = new Krt("test");
  final Inputs inputs = Inputs.create(krt);
  KubernetesSource source;

  @AfterEach
  void stop() {
    if (source != null) {
      source.close();
    }
    krt.close();
  }

  // ---- initial list and changes, every kind ----

  @Test
  void initialList_everyKind_reachesItsInputReducedAndSynced() throws Exception {
    installCrds();
    List<GenericKubernetesResource> objects = everyKind();
    objects.forEach(this::create);

    start(KubernetesSource.Options.defaults());
    awaitSynced();
    for (GenericKubernetesResource g : objects) {
      HasMetadata got = input(g).get(ObjectKeys.of(g)).orElseThrow(() -> new AssertionError("missing " + describe(g)));
      assertTrue(got.getMetadata().getManagedFields() == null || got.getMetadata().getManagedFields().isEmpty());
      assertEquals(g.getMetadata().getLabels(), got.getMetadata().getLabels(), describe(g));
    }
    assertEquals(Inputs.KINDS.size(), objects.size(), "the fixture holds every kind");
    assertEquals(0, source.skippedObjects());
  }

  @Test
  void addUpdateDelete_everyKind_followedByItsInput() throws Exception {
    installCrds();
    start(KubernetesSource.Options.defaults());
    awaitSynced();

    List<GenericKubernetesResource> objects = everyKind();
    for (GenericKubernetesResource g : objects) {
      create(g);
      await("added " + describe(g), () -> input(g).get(ObjectKeys.of(g)).isPresent());
    }
    for (GenericKubernetesResource g : objects) {
      GenericKubernetesResource current = resources(g).withName(g.getMetadata().getName()).get();
      current.getMetadata().getLabels().put("touched", "yes");
      resources(g).resource(current).update();
      await("updated " + describe(g), () -> input(g).get(ObjectKeys.of(g))
          .map(o -> "yes".equals(o.getMetadata().getLabels().get("touched"))).orElse(false));
    }
    for (GenericKubernetesResource g : objects) {
      if (!g.getKind().equals("Namespace")) {
        resources(g).withName(g.getMetadata().getName()).delete();
        await("deleted " + describe(g), () -> input(g).get(ObjectKeys.of(g)).isEmpty());
      }
    }
  }

  @Test
  void failedPod_notSeen_andLeavesWhenItFails() throws Exception {
    start(KubernetesSource.Options.defaults());
    awaitSynced();
    Pod pod = KubeObjects.pod("default", "job-1", "10.244.0.7", Map.of());
    client.resource(pod).create();
    await("running pod seen", () -> inputs.pods().get("default/job-1").isPresent());
    Pod failed = new PodBuilder(client.pods().inNamespace("default").withName("job-1").get())
        .editStatus().withPhase("Failed").endStatus().build();
    client.resource(failed).updateStatus();
    await("failed pod gone", () -> inputs.pods().get("default/job-1").isEmpty());
  }

  // ---- scope ----

  @Test
  void discoverySelectors_namespaceRelabelled_movesItsObjectsInAndOut() throws Exception {
    LabelSelector mesh = new LabelSelectorBuilder().addToMatchLabels("mesh", "on").build();
    client.resource(KubeObjects.namespace("in", Map.of("mesh", "on"))).create();
    client.resource(KubeObjects.namespace("out", Map.of())).create();
    client.resource(KubeObjects.pod("in", "a", "10.244.0.1", Map.of())).create();
    client.resource(KubeObjects.pod("out", "b", "10.244.0.2", Map.of())).create();
    client.resource(KubeObjects.service("out", "svc", "10.96.0.2", Map.of())).create();

    start(new KubernetesSource.Options(List.of(mesh), ""));
    awaitSynced();
    assertTrue(inputs.pods().get("in/a").isPresent());
    assertFalse(inputs.pods().get("out/b").isPresent(), "out of scope from the first list on");
    assertFalse(inputs.services().get("out/svc").isPresent());
    assertEquals(2, inputs.namespaces().size(), "namespaces themselves are not filtered");

    client.namespaces().withName("out").edit(ns -> {
      ns.getMetadata().getLabels().put("mesh", "on");
      return ns;
    });
    await("relabelled namespace's objects arrive", () -> inputs.pods().get("out/b").isPresent()
        && inputs.services().get("out/svc").isPresent());

    client.namespaces().withName("in").edit(ns -> {
      ns.getMetadata().getLabels().remove("mesh");
      return ns;
    });
    await("deselected namespace's objects leave", () -> inputs.pods().get("in/a").isEmpty());
    assertTrue(inputs.pods().get("out/b").isPresent());

    client.resource(KubeObjects.pod("in", "c", "10.244.0.3", Map.of())).create();
    client.resource(KubeObjects.pod("out", "d", "10.244.0.4", Map.of())).create();
    await("new pod in selected namespace", () -> inputs.pods().get("out/d").isPresent());
    assertTrue(inputs.pods().get("in/c").isEmpty(), "a pod added to a deselected namespace stays out");
  }

  @Test
  void discoverySelectors_changed_reDecideEveryObject() throws Exception {
    client.resource(KubeObjects.namespace("a", Map.of("tier", "x"))).create();
    client.resource(KubeObjects.pod("a", "p", "10.244.0.1", Map.of())).create();
    start(new KubernetesSource.Options(List.of(new LabelSelectorBuilder().addToMatchLabels("tier", "y").build()), ""));
    awaitSynced();
    assertTrue(inputs.pods().get("a/p").isEmpty());
    source.setDiscoverySelectors(List.of(new LabelSelectorBuilder().addNewMatchExpression()
        .withKey("tier").withOperator("In").withValues("x", "y").endMatchExpression().build()));
    await("pod selected by the new selectors", () -> inputs.pods().get("a/p").isPresent());
  }

  @Test
  void revision_otherRevisionsPolicies_notSeen_unlabelledAndOursAre() throws Exception {
    installCrds();
    client.resource(KubeObjects.peerAuthentication("default", "ours", Map.of("istio.io/rev", "canary"))).create();
    client.resource(KubeObjects.peerAuthentication("default", "theirs", Map.of("istio.io/rev", "stable"))).create();
    client.resource(KubeObjects.peerAuthentication("default", "global", Map.of())).create();
    client.resource(KubeObjects.pod("default", "p", "10.244.0.1", Map.of("istio.io/rev", "stable"))).create();
    start(new KubernetesSource.Options(List.of(), "canary"));
    awaitSynced();
    assertTrue(inputs.peerAuthentications().get("default/ours").isPresent());
    assertTrue(inputs.peerAuthentications().get("default/global").isPresent());
    assertFalse(inputs.peerAuthentications().get("default/theirs").isPresent());
    assertTrue(inputs.pods().get("default/p").isPresent(), "pods are not filtered by revision");
  }

  // ---- CRDs ----

  @Test
  void crdMissing_inputSyncedEmpty_andPickedUpWhenInstalled_andEmptiedWhenRemoved() throws Exception {
    client.resource(KubeObjects.pod("default", "p", "10.244.0.1", Map.of())).create();
    start(KubernetesSource.Options.defaults());
    awaitSynced();
    assertEquals(0, inputs.peerAuthentications().size());
    assertEquals("crd-not-installed", source.describe().get("informer/PeerAuthentications").get("state"));

    var crd = client.apiextensions().v1().customResourceDefinitions()
        .resource(KubeObjects.crd(PeerAuthentication.class, true)).create();
    client.resource(KubeObjects.peerAuthentication("default", "strict", Map.of())).create();
    await("CRD picked up", () -> inputs.peerAuthentications().get("default/strict").isPresent());
    assertEquals("crd-not-installed", source.describe().get("informer/AuthorizationPolicies").get("state"));

    client.apiextensions().v1().customResourceDefinitions().resource(crd).delete();
    await("input emptied with its CRD", () -> inputs.peerAuthentications().size() == 0);
    assertTrue(inputs.peerAuthentications().hasSynced(), "still synced: readiness stays");
  }

  // ---- bad input ----

  @Test
  void unreadableCustomResource_skippedReportedCounted_othersFlow() throws Exception {
    installCrds();
    client.resource(KubeObjects.peerAuthentication("default", "good", Map.of())).create();
    create(KubeObjects.rawPeerAuthentication("default", "enum", KubeObjects.UNKNOWN_ENUM));
    create(KubeObjects.rawPeerAuthentication("default", "type", KubeObjects.WRONG_TYPE));
    start(KubernetesSource.Options.defaults());
    awaitSynced();

    assertTrue(inputs.peerAuthentications().get("default/good").isPresent());
    assertEquals(1, inputs.peerAuthentications().size());
    assertEquals(2, source.skippedObjects());
    List<InformerInput.Rejection> skipped = new ArrayList<>(source.skipped());
    skipped.sort((a, b) -> a.name().compareTo(b.name()));
    assertEquals(List.of("enum", "type"), skipped.stream().map(InformerInput.Rejection::name).toList());
    assertEquals("PeerAuthentication", skipped.get(0).kind());
    assertEquals("default", skipped.get(0).namespace());
    assertTrue(skipped.get(0).reason().contains("SOMETIMES"), skipped.get(0).reason());

    // The informer keeps working: later objects arrive, and a fixed object is accepted.
    client.resource(KubeObjects.peerAuthentication("default", "later", Map.of())).create();
    await("later object", () -> inputs.peerAuthentications().get("default/later").isPresent());
    GenericKubernetesResource fixed = resources(KubeObjects.rawPeerAuthentication("default", "enum", Map.of()))
        .withName("enum").get();
    fixed.setAdditionalProperty("spec", Map.of("mtls", Map.of("mode", "PERMISSIVE")));
    resources(fixed).resource(fixed).update();
    await("fixed object accepted", () -> inputs.peerAuthentications().get("default/enum").isPresent());
    assertEquals(1, source.skipped().size());
    assertEquals(2, source.skippedObjects(), "the counter counts what was skipped, not what is skipped now");

    // A valid object that turns unreadable leaves the input.
    GenericKubernetesResource broken = resources(fixed).withName("good").get();
    broken.setAdditionalProperty("spec", KubeObjects.WRONG_TYPE);
    resources(broken).resource(broken).update();
    await("broken object removed", () -> inputs.peerAuthentications().get("default/good").isEmpty());
    assertEquals(3, source.skippedObjects());
  }

  // ---- helpers ----

  void start(KubernetesSource.Options options) {
    source = new KubernetesSource(client, inputs, options);
    source.start();
  }

  void awaitSynced() throws InterruptedException {
    await("every input synced " + krt.notSynced(), krt::hasSynced);
  }

  void installCrds() {
    for (InputKind<?> kind : Inputs.KINDS) {
      if (!KubernetesSource.isBuiltIn(kind)) {
        client.apiextensions().v1().customResourceDefinitions()
            .resource(KubeObjects.crd(kind.type(), kind.namespaced())).create();
      }
    }
  }

  static List<GenericKubernetesResource> everyKind() throws IOException {
    String text;
    try (InputStream in = KubernetesSourceTest.class.getResourceAsStream("/source/every-kind.yaml")) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    List<GenericKubernetesResource> out = new ArrayList<>();
    for (String doc : DirectorySource.splitDocuments(text)) {
      if (!doc.isBlank() && doc.contains("kind:")) {
        out.add(new io.fabric8.kubernetes.client.utils.KubernetesSerialization()
            .unmarshal(doc, GenericKubernetesResource.class));
      }
    }
    return out;
  }

  static InputKind<?> kindOf(GenericKubernetesResource g) {
    return Inputs.kindOf(g.getApiVersion(), g.getKind());
  }

  @SuppressWarnings("unchecked")
  StaticCollection<HasMetadata> input(GenericKubernetesResource g) {
    return (StaticCollection<HasMetadata>) kindOf(g).collection().apply(inputs);
  }

  io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<GenericKubernetesResource,
      io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
      io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> resources(GenericKubernetesResource g) {
    InputKind<?> kind = kindOf(g);
    var ops = client.genericKubernetesResources(ResourceDefinitionContext.fromResourceType(kind.type()));
    return kind.namespaced() ? ops.inNamespace(g.getMetadata().getNamespace()) : ops;
  }

  void create(GenericKubernetesResource g) {
    resources(g).resource(g).create();
  }

  static String describe(GenericKubernetesResource g) {
    return g.getKind() + " " + ObjectKeys.of(g);
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(5);
    }
  }
}
