package dev.sextant.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The wired CA in --configDir mode, and Sextant's serving certificate. */
class SextantCaTest {
  @TempDir
  Path tmp;

  CaConfig config() {
    return CaConfig.fromEnvironment(Map.of("ROOT_CA_DIR", tmp.resolve("none").toString(),
            "CITADEL_ENABLE_JITTER_FOR_ROOT_CERT_ROTATOR", "false"),
        "istio-system", "Kubernetes", "cluster.local", tmp.resolve("ca"), null, "canary");
  }

  @Test
  void localMode_writesRootFile_servingCertHasIstiodDnsNamesAndVerifies() throws Exception {
    Path rootFile = tmp.resolve("out/root-cert.pem");
    try (SextantCa ca = SextantCa.start(config(), null, new SextantCa.Options(null, null, rootFile))) {
      assertEquals(CaRoots.Mode.SELF_SIGNED, ca.mode());
      assertEquals(ca.rootCertPem(), Files.readString(rootFile));
      ServingCertificate.Material m = ca.servingCertificate().current();
      X509Certificate leaf = m.leaf();
      leaf.verify(Pem.certificate(ca.rootCertPem()).getPublicKey());
      List<Object> dns = new ArrayList<>();
      leaf.getSubjectAlternativeNames().forEach(s -> dns.add(s.get(1)));
      assertEquals(List.of("istio-pilot.istio-system.svc", "istiod-canary.istio-system.svc",
          "istiod-remote.istio-system.svc", "istiod.istio-system.svc"), dns);
      assertEquals(1, m.chain().size(), "self-signed: the leaf only");
      assertEquals("EC", m.key().getAlgorithm().startsWith("EC") ? "EC" : m.key().getAlgorithm());
      assertEquals(Pem.certificate(ca.rootCertPem()).getNotAfter(), leaf.getNotAfter(),
          "10y requested, clamped to the root");
      var km = ca.servingCertificate().keyManager();
      String alias = km.chooseServerAlias("EC", null, null);
      assertEquals(leaf, km.getCertificateChain(alias)[0]);
      assertEquals(m.key(), km.getPrivateKey(alias));
      assertEquals(Set.of(), Set.copyOf(ca.config().trustDomainAliases()));
    }
  }

  @Test
  void servingCert_renewsOnRootChange_andOnDemand_keyManagerFollows() throws Exception {
    KeyCertBundle b1 = bundle("one");
    CertificateAuthority ca = new CertificateAuthority(b1, Duration.ofHours(24), Duration.ofHours(2160),
        CertificateAuthority.CsrPolicy.defaults(), Clock.systemUTC());
    try (ServingCertificate s = new ServingCertificate(ca, List.of("istiod.istio-system.svc"), Duration.ofDays(3650),
        Clock.systemUTC())) {
      List<ServingCertificate.Material> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
      s.addListener(seen::add);
      X509Certificate first = s.current().leaf();
      var km = s.keyManager();
      String oldAlias = km.chooseServerAlias("EC", null, null);
      assertTrue(s.renewalDue().isBefore(first.getNotAfter().toInstant()));

      KeyCertBundle b2 = bundle("two");
      ca.update(b2);
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (seen.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertEquals(1, seen.size(), "re-issued once after the root changed");
      X509Certificate second = s.current().leaf();
      second.verify(b2.cert().getPublicKey());
      assertNotEquals(first, second);
      assertEquals(second, km.getCertificateChain(km.chooseServerAlias("EC", null, null))[0]);
      assertEquals(first, km.getCertificateChain(oldAlias)[0], "a handshake that chose the old alias stays consistent");
    }
  }

  static KeyCertBundle bundle(String org) throws Exception {
    var k = TestPki.ec();
    X509Certificate root = TestPki.caCert(org, k, null, null, Instant.now().minusSeconds(60), Duration.ofDays(30));
    return KeyCertBundle.verified(TestPki.pem(root), TestPki.keyPem(k), "", TestPki.pem(root));
  }
}
