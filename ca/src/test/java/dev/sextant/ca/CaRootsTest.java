package dev.sextant.ca;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x509.Extension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Root choice, persistence in istiod's layout, reuse of an istiod-written Secret, rotation, plugged-in CAs. */
@EnableKubernetesMockClient(crud = true)
class CaRootsTest {
  static final String NS = "istio-system";
  static final String ID = "spiffe://cluster.local/ns/default/sa/bookinfo";
  KubernetesClient client;
  @TempDir
  Path tmp;

  CaConfig config(Map<String, String> env) {
    Map<String, String> e = new java.util.HashMap<>(env);
    e.putIfAbsent("ROOT_CA_DIR", tmp.resolve("cacerts").toString());
    return CaConfig.fromEnvironment(e, NS, "Kubernetes", "cluster.local", null, null, "");
  }

  CaRoots load(CaConfig c, KubernetesClient k, Clock clock) throws Exception {
    return CaRoots.load(c, k, new CaMetrics(clock), clock);
  }

  static String data(Secret s, String key) {
    return new String(Base64.getDecoder().decode(s.getData().get(key)), StandardCharsets.UTF_8);
  }

  Secret caSecret() {
    return client.secrets().inNamespace(NS).withName("istio-ca-secret").get();
  }

  @Test
  void selfSigned_noSecret_createsEcRootInIstiodLayout_andRestartKeepsIt() throws Exception {
    CaRoots first = load(config(Map.of()), client, Clock.systemUTC());
    Secret s = caSecret();

    assertEquals(CaRoots.Mode.SELF_SIGNED, first.mode());
    assertEquals("istio.io/ca-root", s.getType());
    assertEquals(java.util.Set.of("ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem", "key.pem"),
        s.getData().keySet());
    assertEquals(data(s, "ca-cert.pem"), data(s, "root-cert.pem"));
    assertEquals("", data(s, "cert-chain.pem"));
    assertTrue(data(s, "ca-key.pem").startsWith("-----BEGIN EC PRIVATE KEY-----"));
    X509Certificate root = Pem.certificate(data(s, "ca-cert.pem"));
    assertTrue(root.getPublicKey() instanceof ECPublicKey);
    assertEquals("O=cluster.local", root.getSubjectX500Principal().getName());
    assertEquals(Integer.MAX_VALUE, root.getBasicConstraints(), "CA without path length");
    assertTrue(root.getKeyUsage()[5]);
    assertTrue(root.getCriticalExtensionOIDs().contains(Extension.keyUsage.getId()));
    assertTrue(root.getExtensionValue(Extension.subjectKeyIdentifier.getId()) != null);
    assertEquals(Duration.ofDays(3650), Duration.between(root.getNotBefore().toInstant(), root.getNotAfter().toInstant()));

    CaRoots second = load(config(Map.of()), client, Clock.systemUTC());
    assertEquals(first.rootCertPem(), second.rootCertPem(), "a restart keeps the same root");
  }

  @Test
  void selfSigned_rsaSelected_createsRsa2048WithPkcs1Key() throws Exception {
    load(config(Map.of("SEXTANT_CA_KEY_TYPE", "RSA")), client, Clock.systemUTC());
    Secret s = caSecret();
    assertTrue(data(s, "ca-key.pem").startsWith("-----BEGIN RSA PRIVATE KEY-----"));
    assertEquals(2048, ((RSAPublicKey) Pem.certificate(data(s, "ca-cert.pem")).getPublicKey()).getModulus().bitLength());
  }

  @Test
  void selfSigned_istiodWrittenSecret_isReusedAsIs_andItsLeavesAndOursVerify() throws Exception {
    KeyPair key = TestPki.rsa(2048);
    X509Certificate goRoot = TestPki.caCert("cluster.local", key, null, null, Instant.now().minusSeconds(3600),
        Duration.ofDays(3650));
    String certPem = TestPki.pem(goRoot);
    String keyPem = TestPki.keyPem(key);
    assertTrue(keyPem.startsWith("-----BEGIN RSA PRIVATE KEY-----"), "PKCS#1, as Go writes it");
    client.secrets().inNamespace(NS).resource(istiodSecret(certPem, keyPem)).create();

    CaRoots roots = load(config(Map.of()), client, Clock.systemUTC());

    assertEquals(certPem, roots.rootCertPem());
    assertEquals(certPem, data(caSecret(), "ca-cert.pem"), "the Secret is not rewritten");
    List<String> chain = roots.authority().signWorkload(TestPki.csr(TestPki.ec(), ID), List.of(ID), 3600);
    assertEquals(List.of(certPem), chain.subList(1, 2));
    X509Certificate leaf = Pem.certificate(chain.get(0));
    leaf.verify(goRoot.getPublicKey());
    assertArrayEquals(goRoot.getSubjectX500Principal().getEncoded(), leaf.getIssuerX500Principal().getEncoded());
  }

  @Test
  void selfSigned_storedRootExpired_failsStartup() throws Exception {
    KeyPair key = TestPki.ec();
    X509Certificate expired = TestPki.caCert("cluster.local", key, null, null, Instant.now().minus(Duration.ofDays(3)),
        Duration.ofDays(1));
    client.secrets().inNamespace(NS).resource(istiodSecret(TestPki.pem(expired), TestPki.keyPem(key))).create();
    Exception e = assertThrows(java.security.GeneralSecurityException.class,
        () -> load(config(Map.of()), client, Clock.systemUTC()));
    assertTrue(e.getMessage().contains("expired"), e.getMessage());
  }

  @Test
  void configDirMode_caDir_persistsRootAcrossRestarts_withIstiodFileNames() throws Exception {
    Path caDir = tmp.resolve("ca");
    CaConfig c = config(Map.of()).withRoots(withCaDir(config(Map.of()).roots(), caDir));
    String first = load(c, null, Clock.systemUTC()).rootCertPem();
    assertEquals(first, Files.readString(caDir.resolve("ca-cert.pem")));
    assertTrue(Files.readString(caDir.resolve("ca-key.pem")).startsWith("-----BEGIN EC PRIVATE KEY-----"));
    assertEquals(first, load(c, null, Clock.systemUTC()).rootCertPem());
    assertNotEquals(first, load(config(Map.of()), null, Clock.systemUTC()).rootCertPem(),
        "without --caDir the root is in memory only");
  }

  @Test
  void selfSigned_extraRootsInRootCaDir_areAppendedToTheBundle_whenTheSetIsIstioGenerated() throws Exception {
    // USE_CACERTS_FOR_SELF_SIGNED_CA with an istio-generated cacerts: the self-signed path, bundle = root + root-cert.pem
    KeyPair other = TestPki.ec();
    X509Certificate otherRoot = TestPki.caCert("other", other, null, null, Instant.now().minusSeconds(60), Duration.ofDays(30));
    Path dir = Files.createDirectories(tmp.resolve("cacerts"));
    KeyPair key = TestPki.ec();
    X509Certificate root = TestPki.caCert("cluster.local", key, null, null, Instant.now().minusSeconds(60), Duration.ofDays(30));
    Files.writeString(dir.resolve("ca-cert.pem"), TestPki.pem(root));
    Files.writeString(dir.resolve("ca-key.pem"), TestPki.keyPem(key));
    Files.writeString(dir.resolve("cert-chain.pem"), "");
    Files.writeString(dir.resolve("root-cert.pem"), TestPki.pem(otherRoot));
    Files.writeString(dir.resolve("istio-generated"), "");

    CaRoots roots = load(config(Map.of("USE_CACERTS_FOR_SELF_SIGNED_CA", "true")), client, Clock.systemUTC());

    assertEquals(CaRoots.Mode.SELF_SIGNED, roots.mode());
    List<X509Certificate> bundle = Pem.certificates(roots.rootCertPem());
    assertEquals(2, bundle.size(), "multi-root bundle");
    assertEquals(otherRoot, bundle.get(1));
    List<String> chain = roots.authority().signWorkload(TestPki.csr(TestPki.ec(), ID), List.of(ID), 60);
    assertEquals(roots.rootCertPem(), chain.get(chain.size() - 1), "served unsplit as the last element");
    assertTrue(client.secrets().inNamespace(NS).withName("cacerts").get() != null,
        "with no istio-ca-secret, the self-signed root is created as cacerts");
  }

  @Test
  void plugged_completeDirectory_winsOverSecret_withChainAndMultiRootBundle() throws Exception {
    Pki p = pluggedSet(tmp.resolve("cacerts"));
    client.secrets().inNamespace(NS).resource(istiodSecret(TestPki.pem(p.root), TestPki.keyPem(p.rootKey))).create();

    CaRoots roots = load(config(Map.of()), client, Clock.systemUTC());

    assertEquals(CaRoots.Mode.PLUGGED, roots.mode());
    assertEquals(p.rootBundle, roots.rootCertPem());
    List<String> chain = roots.authority().signWorkload(TestPki.csr(TestPki.ec(), ID), List.of(ID), 60);
    assertEquals(List.of(TestPki.pem(p.intermediate), TestPki.pem(p.root), p.rootBundle), chain.subList(1, 4));
  }

  @Test
  void plugged_cacertsSecretWithoutMount_isUsed() throws Exception {
    Pki p = pluggedSet(null);
    Map<String, String> data = new java.util.HashMap<>();
    data.put("ca-cert.pem", b64(TestPki.pem(p.intermediate)));
    data.put("ca-key.pem", b64(TestPki.keyPem(p.intKey)));
    data.put("cert-chain.pem", b64(TestPki.pem(p.intermediate) + TestPki.pem(p.root)));
    data.put("root-cert.pem", b64(p.rootBundle));
    client.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("cacerts")
        .withNamespace(NS).endMetadata().withData(data).build()).create();

    CaRoots roots = load(config(Map.of()), client, Clock.systemUTC());
    assertEquals(CaRoots.Mode.PLUGGED, roots.mode());
    assertEquals(p.rootBundle, roots.rootCertPem());
  }

  @Test
  void plugged_partialSet_isFatal() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("cacerts"));
    Files.writeString(dir.resolve("ca-cert.pem"), "x");
    assertThrows(PluggedCa.IncompleteException.class, () -> load(config(Map.of()), client, Clock.systemUTC()));
  }

  @Test
  void plugged_kubernetesTlsLayout_isRead() throws Exception {
    Pki p = pluggedSet(null);
    Path dir = Files.createDirectories(tmp.resolve("cacerts"));
    Files.writeString(dir.resolve("tls.crt"), TestPki.pem(p.intermediate));
    Files.writeString(dir.resolve("tls.key"), TestPki.pkcs8Pem(p.intKey));
    Files.writeString(dir.resolve("ca.crt"), TestPki.pem(p.root));
    CaRoots roots = load(config(Map.of()), client, Clock.systemUTC());
    List<String> chain = roots.authority().signWorkload(TestPki.csr(TestPki.ec(), ID), List.of(ID), 60);
    assertEquals(List.of(TestPki.pem(p.intermediate), TestPki.pem(p.root), TestPki.pem(p.root)), chain.subList(1, 4));
  }

  @Test
  void plugged_rootChange_ignoredWithoutMultiRoot_acceptedWithItWhenSuperset() throws Exception {
    Path dir = tmp.resolve("cacerts");
    Pki p = pluggedSet(dir);
    KeyPair newKey = TestPki.ec();
    X509Certificate newRoot = TestPki.caCert("new", newKey, null, null, Instant.now().minusSeconds(60), Duration.ofDays(30));
    String superset = p.rootBundle + TestPki.pem(newRoot);

    CaRoots plain = load(config(Map.of()), client, Clock.systemUTC());
    Files.writeString(dir.resolve("root-cert.pem"), superset);
    assertEquals("root change ignored", plain.reloadPlugged());
    assertEquals(p.rootBundle, plain.rootCertPem());

    Files.writeString(dir.resolve("root-cert.pem"), p.rootBundle);
    CaRoots multi = load(config(Map.of("ISTIO_MULTIROOT_MESH", "true")), client, Clock.systemUTC());
    List<KeyCertBundle> seen = new ArrayList<>();
    multi.authority().addListener(seen::add);
    Files.writeString(dir.resolve("root-cert.pem"), superset);
    assertEquals("reloaded", multi.reloadPlugged());
    assertEquals(superset, multi.rootCertPem());
    assertEquals(1, seen.size());

    Files.writeString(dir.resolve("root-cert.pem"), TestPki.pem(TestPki.caCert("x", newKey, null, null,
        Instant.now().minusSeconds(60), Duration.ofDays(3))));
    assertEquals("root change ignored", multi.reloadPlugged(), "no subset relation");
  }

  @Test
  void rotation_insideGracePeriod_reissuesWithSameKeySubjectAndSkid_oldLeavesStillVerify() throws Exception {
    CaConfig c = config(Map.of("CITADEL_SELF_SIGNED_CA_CERT_TTL", "100h"));
    CaRoots roots = load(c, client, Clock.systemUTC());
    X509Certificate oldRoot = Pem.certificate(roots.rootCertPem());
    String oldKey = data(caSecret(), "ca-key.pem");
    X509Certificate oldLeaf = Pem.certificate(
        roots.authority().signWorkload(TestPki.csr(TestPki.ec(), ID), List.of(ID), 3600).get(0));
    assertEquals("unchanged", roots.checkAndRotate());

    Clock late = Clock.fixed(Instant.now().plus(Duration.ofHours(85)), ZoneOffset.UTC);
    CaRoots lateRoots = CaRoots.load(c, client, new CaMetrics(late), late);
    CaRoots peer = CaRoots.load(c, client, new CaMetrics(late), late);
    List<KeyCertBundle> seen = new ArrayList<>();
    lateRoots.authority().addListener(seen::add);
    assertEquals("rotated", lateRoots.checkAndRotate());

    X509Certificate newRoot = Pem.certificate(lateRoots.rootCertPem());
    assertNotEquals(oldRoot.getSerialNumber(), newRoot.getSerialNumber());
    assertEquals(oldRoot.getPublicKey(), newRoot.getPublicKey());
    assertArrayEquals(oldRoot.getSubjectX500Principal().getEncoded(), newRoot.getSubjectX500Principal().getEncoded());
    assertArrayEquals(oldRoot.getExtensionValue(Extension.subjectKeyIdentifier.getId()),
        newRoot.getExtensionValue(Extension.subjectKeyIdentifier.getId()));
    assertEquals(late.instant().plus(Duration.ofHours(100)).getEpochSecond(),
        newRoot.getNotAfter().toInstant().getEpochSecond());
    assertEquals(lateRoots.rootCertPem(), data(caSecret(), "ca-cert.pem"));
    assertEquals(oldKey, data(caSecret(), "ca-key.pem"));
    assertEquals(1, seen.size(), "listeners hear of the new root");
    oldLeaf.verify(newRoot.getPublicKey());

    assertEquals("reloaded", peer.checkAndRotate(), "a peer's rotation is picked up");
    assertEquals(lateRoots.rootCertPem(), peer.rootCertPem());
  }

  record Pki(KeyPair rootKey, X509Certificate root, KeyPair intKey, X509Certificate intermediate, String rootBundle) {}

  /** An operator's cacerts: root, intermediate signing cert, cert-chain = intermediate + root, a two-root bundle. */
  static Pki pluggedSet(Path dir) throws Exception {
    KeyPair rootKey = TestPki.rsa(2048);
    X509Certificate root = TestPki.caCert("root", rootKey, null, null, Instant.now().minusSeconds(60), Duration.ofDays(365));
    KeyPair intKey = TestPki.ec();
    X509Certificate intermediate = TestPki.caCert("cluster.local", intKey, root, rootKey.getPrivate(),
        Instant.now().minusSeconds(60), Duration.ofDays(100));
    KeyPair otherKey = TestPki.ec();
    X509Certificate other = TestPki.caCert("other", otherKey, null, null, Instant.now().minusSeconds(60), Duration.ofDays(10));
    String bundle = TestPki.pem(root) + TestPki.pem(other);
    if (dir != null) {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("ca-cert.pem"), TestPki.pem(intermediate));
      Files.writeString(dir.resolve("ca-key.pem"), TestPki.keyPem(intKey));
      Files.writeString(dir.resolve("cert-chain.pem"), TestPki.pem(intermediate) + TestPki.pem(root));
      Files.writeString(dir.resolve("root-cert.pem"), bundle);
    }
    return new Pki(rootKey, root, intKey, intermediate, bundle);
  }

  static Secret istiodSecret(String certPem, String keyPem) {
    Map<String, String> data = new java.util.LinkedHashMap<>();
    data.put("ca-cert.pem", b64(certPem));
    data.put("ca-key.pem", b64(keyPem));
    data.put("cert-chain.pem", "");
    data.put("key.pem", "");
    data.put("root-cert.pem", b64(certPem));
    return new SecretBuilder().withNewMetadata().withName("istio-ca-secret").withNamespace(NS).endMetadata()
        .withType("istio.io/ca-root").withData(data).build();
  }

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  static CaConfig.Roots withCaDir(CaConfig.Roots r, Path caDir) {
    return new CaConfig.Roots(r.rootCaDir(), caDir, r.selfSignedCaCertTtl(), r.rootCheckInterval(), r.gracePercentile(),
        r.jitter(), r.keyType(), r.rsaKeySize(), r.multiRootMesh(), r.useCacertsForSelfSignedCa());
  }
}
