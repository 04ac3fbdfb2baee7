package dev.sextant.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sextant.krt.Event;
import dev.sextant.krt.Krt;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code --configDir} source, driven through {@link DirectorySource#scan()} on a temporary
 * directory: which documents become inputs, how bad documents are reported, and how changes to
 * files turn into additions, updates and deletions.
 */
class DirectorySourceTest {
  @TempDir
  Path dir;

  private final Krt krt = new Krt("test");
  private final Inputs inputs = Inputs.create(krt);
  private DirectorySource source;
  private long mtime = 1_700_000_000_000L;

  @AfterEach
  void close() {
    if (source != null) {
      source.close();
    }
    krt.close();
  }

  private DirectorySource source() {
    if (source == null) {
      source = new DirectorySource(dir, inputs, Duration.ofHours(1));
    }
    return source;
  }

  private void scan() {
    source().scan();
  }

  /** Writes a file and gives it a new modification time, so a rewrite is always seen as a change. */
  private Path write(String relative, String text) throws IOException {
    return write(relative, text.getBytes(StandardCharsets.UTF_8));
  }

  private Path write(String relative, byte[] bytes) throws IOException {
    Path p = dir.resolve(relative);
    Files.createDirectories(p.getParent());
    Files.write(p, bytes);
    mtime += 1000;
    Files.setLastModifiedTime(p, FileTime.fromMillis(mtime));
    return p;
  }

  private static String pod(String ns, String name, String ip) {
    return """
        apiVersion: v1
        kind: Pod
        metadata: {name: %s, namespace: %s}
        status: {phase: Running, podIP: %s}
        """.formatted(name, ns, ip);
  }

  private String podIp(String key) {
    return inputs.pods().get(key).map(p -> p.getStatus().getPodIP()).orElse(null);
  }

  private Set<String> podKeys() {
    Set<String> keys = new TreeSet<>();
    inputs.pods().list().forEach(p -> keys.add(ObjectKeys.of(p)));
    return keys;
  }

  // ---- what is read ----

  @Test
  void scan_multiDocumentYaml_everyObjectLoadedUnderItsKey() throws IOException {
    write("all.yaml", """
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: shop}
        spec: {clusterIP: 10.96.0.5, selector: {app: web}, ports: [{port: 80}]}
        ---
        """ + pod("shop", "web-1", "10.0.0.1") + """
        ---
        apiVersion: v1
        kind: Node
        metadata: {name: node-1, labels: {topology.kubernetes.io/zone: z1}}
        """);
    scan();
    assertEquals("ambient", inputs.namespaces().get("shop").orElseThrow().getMetadata().getLabels()
        .get("istio.io/dataplane-mode"));
    assertEquals("10.96.0.5", inputs.services().get("shop/web").orElseThrow().getSpec().getClusterIP());
    assertEquals("10.0.0.1", podIp("shop/web-1"));
    assertTrue(inputs.nodes().get("node-1").isPresent());
    assertEquals(List.of(), source().problems());
  }

  @Test
  void scan_namespacedObjectWithoutNamespace_isInDefault() throws IOException {
    write("p.yaml", """
        apiVersion: v1
        kind: Pod
        metadata: {name: lonely}
        """);
    scan();
    assertEquals("default", inputs.pods().get("default/lonely").orElseThrow().getMetadata().getNamespace());
  }

  @Test
  void scan_clusterScopedObjectWithNamespace_namespaceDropped() throws IOException {
    write("n.yaml", """
        apiVersion: v1
        kind: Node
        metadata: {name: node-1, namespace: stray}
        """);
    scan();
    assertNull(inputs.nodes().get("node-1").orElseThrow().getMetadata().getNamespace());
  }

  @Test
  void scan_kindsFromOtherApiGroups_routedByGroupAnyVersion() throws IOException {
    write("istio.yaml", """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: deny-all, namespace: shop}
        spec: {}
        ---
        apiVersion: security.istio.io/v1beta1
        kind: PeerAuthentication
        metadata: {name: strict, namespace: istio-system}
        spec: {mtls: {mode: STRICT}}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: kubernetes, namespace: default, labels: {kubernetes.io/service-name: kubernetes}}
        addressType: IPv4
        endpoints: [{addresses: [172.18.0.5]}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: waypoint, namespace: shop}
        spec: {gatewayClassName: istio-waypoint, listeners: [{name: mesh, port: 15008, protocol: HBONE}]}
        """);
    scan();
    assertTrue(inputs.authorizationPolicies().get("shop/deny-all").isPresent());
    assertTrue(inputs.peerAuthentications().get("istio-system/strict").isPresent());
    assertTrue(inputs.endpointSlices().get("default/kubernetes").isPresent());
    assertTrue(inputs.gateways().get("shop/waypoint").isPresent());
    assertEquals(List.of(), source().problems());
  }

  @Test
  void scan_unknownKinds_ignoredWithoutProblems() throws IOException {
    write("other.yaml", """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: shop}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: cfg, namespace: shop}
        ---
        apiVersion: serving.knative.dev/v1
        kind: Service
        metadata: {name: knative, namespace: shop}
        """);
    scan();
    assertEquals(0, inputs.services().size());
    assertEquals(List.of(), source().problems());
  }

  @Test
  void scan_unknownKindWithoutMetadata_ignoredWithoutProblems() throws IOException {
    // Regression: the name check ran before the kind lookup, so a kustomization.yaml (no metadata)
    // was reported as a bad document instead of being ignored as an unknown kind.
    write("kustomization.yaml", """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources: [pods.yaml]
        """);
    write("pods.yaml", pod("ns", "p", "10.0.0.1"));
    scan();
    assertEquals(List.of(), source().problems());
    assertEquals(0, source().rejectedDocuments());
    assertEquals(Set.of("ns/p"), podKeys());
  }

  @Test
  void scan_listKinds_itemsExpanded() throws IOException {
    write("list.yaml", """
        apiVersion: v1
        kind: List
        items:
        - {apiVersion: v1, kind: Pod, metadata: {name: a, namespace: ns}}
        - {apiVersion: v1, kind: Service, metadata: {name: s, namespace: ns}}
        ---
        apiVersion: v1
        kind: PodList
        items:
        - {apiVersion: v1, kind: Pod, metadata: {name: b, namespace: ns}}
        """);
    scan();
    assertEquals(Set.of("ns/a", "ns/b"), podKeys());
    assertTrue(inputs.services().get("ns/s").isPresent());
  }

  @Test
  void scan_jsonFile_isOneDocument() throws IOException {
    write("pod.json", """
        {
          "apiVersion": "v1",
          "kind": "Pod",
          "metadata": {"name": "j", "namespace": "ns"},
          "status": {"podIP": "10.0.0.9"}
        }
        """);
    scan();
    assertEquals("10.0.0.9", podIp("ns/j"));
  }

  @Test
  void scan_tabIndentedJson_isRead() throws IOException {
    // Regression: .json files went through the YAML parser, which rejects tab indentation.
    write("tabs.json", "{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"Pod\",\n"
        + "\t\"metadata\": {\n\t\t\"name\": \"t\",\n\t\t\"namespace\": \"ns\"\n\t}\n}\n");
    scan();
    assertEquals(List.of(), source().problems());
    assertTrue(inputs.pods().get("ns/t").isPresent());
  }

  @Test
  void scan_invalidJson_reportedOthersKept() throws IOException {
    write("broken.json", "{\"apiVersion\": \"v1\", \"kind\": \"Pod\",\n");
    write("ok.json", "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"ok\", \"namespace\": \"ns\"}}");
    scan();
    assertEquals(List.of("broken.json#0"),
        source().problems().stream().map(p -> p.file() + "#" + p.document()).toList());
    assertEquals(Set.of("ns/ok"), podKeys());
  }

  @Test
  void scan_crlfLineEndings_documentsSplit() throws IOException {
    write("crlf.yaml", (pod("ns", "a", "10.0.0.1") + "---\n" + pod("ns", "b", "10.0.0.2")).replace("\n", "\r\n"));
    scan();
    assertEquals(Set.of("ns/a", "ns/b"), podKeys());
  }

  @Test
  void scan_separatorWithTrailingComment_stillSplits() throws IOException {
    // Regression: "--- # comment" was not taken as a separator, and the YAML parser then read only
    // the first document of the merged text: pod b was silently lost.
    write("c.yaml", pod("ns", "a", "10.0.0.1") + "--- # second pod\n" + pod("ns", "b", "10.0.0.2"));
    scan();
    assertEquals(Set.of("ns/a", "ns/b"), podKeys());
  }

  @Test
  void scan_nonConfigFiles_ignored() throws IOException {
    write("README.md", pod("ns", "md", "10.0.0.1"));
    write(".hidden.yaml", pod("ns", "hidden", "10.0.0.2"));
    write("pod.yaml.bak", pod("ns", "bak", "10.0.0.3"));
    Files.createDirectories(dir.resolve("dir.yaml"));
    write("nested/deeper/UPPER.YAML", pod("ns", "upper", "10.0.0.4"));
    write("nested/x.yml", pod("ns", "yml", "10.0.0.5"));
    scan();
    assertEquals(Set.of("ns/upper", "ns/yml"), podKeys());
    assertEquals(List.of(), source().problems());
  }

  // ---- bad documents ----

  @Test
  void scan_badDocuments_reportedWithFileAndIndexAndOthersKept() throws IOException {
    write("sub/bad.yaml", pod("ns", "first", "10.0.0.1") + """
        ---
        this: [is not: valid
        ---
        apiVersion: v1
        kind: Pod
        metadata: {namespace: ns}
        ---
        metadata: {name: kindless}
        ---
        just a scalar
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: typed-wrong, namespace: ns}
        spec: {containers: 5}
        ---
        """ + pod("ns", "last", "10.0.0.2"));
    write("good.yaml", pod("ns", "other-file", "10.0.0.3"));
    scan();
    List<DirectorySource.Problem> problems = source().problems();
    assertEquals(List.of(1, 2, 3, 4, 5), problems.stream().map(DirectorySource.Problem::document).toList());
    assertTrue(problems.stream().allMatch(p -> p.file().equals(Path.of("sub", "bad.yaml").toString())), problems::toString);
    assertTrue(problems.get(1).reason().contains("missing metadata.name"), problems.get(1).reason());
    assertTrue(problems.get(2).reason().contains("missing kind"), problems.get(2).reason());
    assertTrue(problems.get(3).reason().contains("not a mapping"), problems.get(3).reason());
    assertTrue(problems.get(4).reason().contains("typed-wrong"), problems.get(4).reason());
    assertEquals(Set.of("ns/first", "ns/last", "ns/other-file"), podKeys());
  }

  @Test
  void scan_badDocuments_countedAsRejected() throws IOException {
    // Regression: only unreadable files were counted; bad documents never were.
    write("bad.yaml", "kind: Pod\n---\nmetadata: {name: x}\n---\n" + pod("ns", "ok", "10.0.0.1"));
    scan();
    assertEquals(2, source().rejectedDocuments());
    write("bad.yaml", "kind: Pod\n---\n" + pod("ns", "ok", "10.0.0.1"));
    scan();
    assertEquals(3, source().rejectedDocuments(), "each re-read of a bad document counts");
    assertEquals(1, source().problems().size());
  }

  @Test
  void scan_leadingSeparatorAndHeaderComment_indexCountsRealDocuments() throws IOException {
    write("a.yaml", "---\nkind: Pod\n");
    write("b.yaml", "# generated\n# by a tool\n---\n" + pod("ns", "p", "10.0.0.1") + "---\nkind: Pod\n");
    write("c.yaml", pod("ns", "q", "10.0.0.2") + "---\n---\nkind: Pod\n");
    scan();
    assertEquals(List.of("a.yaml#0", "b.yaml#1", "c.yaml#2"),
        source().problems().stream().map(p -> p.file() + "#" + p.document()).toList());
  }

  @Test
  void scan_invalidUtf8_fileReportedOthersKept() throws IOException {
    write("binary.yaml", new byte[] {'k', 'i', 'n', 'd', ':', ' ', (byte) 0xc3, (byte) 0x28, '\n'});
    write("good.yaml", pod("ns", "p", "10.0.0.1"));
    scan();
    assertEquals(1, source().problems().size());
    assertEquals("binary.yaml", source().problems().get(0).file());
    assertEquals(0, source().problems().get(0).document());
    assertEquals(Set.of("ns/p"), podKeys());
  }

  @Test
  void scan_badDocumentFixed_problemCleared() throws IOException {
    write("p.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {namespace: ns}\n");
    scan();
    assertEquals(1, source().problems().size());
    write("p.yaml", pod("ns", "fixed", "10.0.0.1"));
    scan();
    assertEquals(List.of(), source().problems());
    assertEquals(Set.of("ns/fixed"), podKeys());
  }

  @Test
  void scan_fileWithBadDocumentDeleted_problemCleared() throws IOException {
    Path bad = write("bad.yaml", "kind: Pod\n");
    scan();
    assertEquals(1, source().problems().size());
    Files.delete(bad);
    scan();
    assertEquals(List.of(), source().problems());
  }

  // ---- changes ----

  @Test
  void scan_objectChangedInFile_updated() throws IOException {
    write("p.yaml", pod("ns", "p", "10.0.0.1"));
    scan();
    write("p.yaml", pod("ns", "p", "10.0.0.2"));
    scan();
    assertEquals("10.0.0.2", podIp("ns/p"));
  }

  @Test
  void scan_objectRemovedFromFile_deleted() throws IOException {
    write("p.yaml", pod("ns", "a", "10.0.0.1") + "---\n" + pod("ns", "b", "10.0.0.2"));
    scan();
    write("p.yaml", pod("ns", "a", "10.0.0.1"));
    scan();
    assertEquals(Set.of("ns/a"), podKeys());
  }

  @Test
  void scan_fileDeleted_itsObjectsDeletedOthersKept() throws IOException {
    Path a = write("a.yaml", pod("ns", "a", "10.0.0.1") + "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ns}\n");
    write("b.yaml", pod("ns", "b", "10.0.0.2"));
    scan();
    Files.delete(a);
    scan();
    assertEquals(Set.of("ns/b"), podKeys());
    assertFalse(inputs.namespaces().get("ns").isPresent());
  }

  @Test
  void scan_sameObjectInTwoFiles_laterPathWinsAndEarlierReturnsWhenLaterGoes() throws IOException {
    Path first = write("10-base.yaml", pod("ns", "p", "10.0.0.1"));
    Path second = write("20-override.yaml", pod("ns", "p", "10.0.0.2"));
    scan();
    assertEquals("10.0.0.2", podIp("ns/p"));

    write("10-base.yaml", pod("ns", "p", "10.0.0.3"));
    scan();
    assertEquals("10.0.0.2", podIp("ns/p"), "a change to the earlier file does not beat the later one");

    Files.delete(second);
    scan();
    assertEquals("10.0.0.3", podIp("ns/p"));

    Files.delete(first);
    scan();
    assertEquals(Set.of(), podKeys());
  }

  @Test
  void scan_sameObjectTwiceInOneFile_laterDocumentWins() throws IOException {
    write("dup.yaml", pod("ns", "p", "10.0.0.1") + "---\n" + pod("ns", "p", "10.0.0.2"));
    scan();
    assertEquals("10.0.0.2", podIp("ns/p"));
    assertEquals(List.of(), source().problems());
  }

  @Test
  void scan_objectMovesBetweenFiles_keptWithoutDeletion() throws IOException {
    write("a.yaml", pod("ns", "p", "10.0.0.1"));
    write("b.yaml", "");
    scan();
    List<Event<Pod>> events = new ArrayList<>();
    inputs.pods().subscribe(events::addAll, false);
    write("a.yaml", "");
    write("b.yaml", pod("ns", "p", "10.0.0.1"));
    scan();
    assertEquals("10.0.0.1", podIp("ns/p"));
    assertEquals(List.of(), events, "the object is unchanged, so nothing is announced");
  }

  @Test
  void scan_nothingChanged_nothingAnnounced() throws IOException {
    write("p.yaml", pod("ns", "p", "10.0.0.1"));
    scan();
    List<List<Event<Pod>>> batches = new ArrayList<>();
    inputs.pods().subscribe(batches::add, false);
    scan();
    assertEquals(List.of(), batches);
  }

  @Test
  void scan_fileChanged_oneBatchPerKind() throws IOException {
    write("p.yaml", pod("ns", "keep", "10.0.0.1") + "---\n" + pod("ns", "change", "10.0.0.2")
        + "---\n" + pod("ns", "drop", "10.0.0.3"));
    scan();
    List<List<Event<Pod>>> batches = new ArrayList<>();
    inputs.pods().subscribe(batches::add, false);
    write("p.yaml", pod("ns", "keep", "10.0.0.1") + "---\n" + pod("ns", "change", "10.0.0.9")
        + "---\n" + pod("ns", "new", "10.0.0.4"));
    scan();
    assertEquals(1, batches.size());
    assertEquals(Set.of("updated/ns/change", "deleted/ns/drop", "added/ns/new"),
        Set.copyOf(batches.get(0).stream().map(Event::toString).toList()));
  }

  @Test
  void scan_fileBecomesInvalid_itsObjectsDeleted() throws IOException {
    write("p.yaml", pod("ns", "p", "10.0.0.1"));
    scan();
    write("p.yaml", "this: [is not: valid\n");
    scan();
    assertEquals(Set.of(), podKeys());
    assertEquals(1, source().problems().size());
  }

  // ---- start ----

  @Test
  void start_readsAndMarksEveryInputSynced() throws IOException {
    write("p.yaml", pod("ns", "p", "10.0.0.1"));
    assertFalse(inputs.pods().hasSynced());
    source().start();
    assertTrue(inputs.pods().hasSynced());
    assertTrue(inputs.namespaces().hasSynced());
    assertTrue(inputs.httpRoutes().hasSynced());
    assertEquals(Set.of("ns/p"), podKeys());
  }

  @Test
  void start_notADirectory_throws() throws IOException {
    Path file = write("file.yaml", "");
    DirectorySource s = new DirectorySource(file, inputs, Duration.ofHours(1));
    assertThrows(IllegalArgumentException.class, s::start);
    assertFalse(inputs.pods().hasSynced());
  }

  @Test
  void isConfigFile_extensions() {
    assertTrue(DirectorySource.isConfigFile(Path.of("a.yaml")));
    assertTrue(DirectorySource.isConfigFile(Path.of("a.YML")));
    assertTrue(DirectorySource.isConfigFile(Path.of("d/a.json")));
    assertFalse(DirectorySource.isConfigFile(Path.of(".a.yaml")));
    assertFalse(DirectorySource.isConfigFile(Path.of("a.yaml~")));
    assertFalse(DirectorySource.isConfigFile(Path.of("a.txt")));
  }

  @Test
  void scan_unknownEnumValue_documentReportedAndSkipped_neverReadAsTheDefault() throws IOException {
    write("policies.yaml", """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: typo, namespace: ns}
        spec: {action: DENYY, rules: [{}]}
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: good, namespace: ns}
        spec: {action: DENY, rules: [{}]}
        """);
    scan();
    assertEquals(List.of("ns/good"), inputs.authorizationPolicies().list().stream()
        .map(ObjectKeys::of).toList(), "an unknown action must not become ALLOW");
    assertEquals(1, source().problems().size());
    assertEquals(0, source().problems().get(0).document());
    org.junit.jupiter.api.Assertions.assertTrue(source().problems().get(0).reason().contains("DENYY"),
        source().problems().get(0).reason());
  }
}
