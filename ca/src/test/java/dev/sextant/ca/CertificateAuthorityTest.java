package dev.sextant.ca;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.List;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The signer against istiod's leaf profile, TTL rules, chain layout and CSR checks. */
class CertificateAuthorityTest {
  static final String ID = "spiffe://cluster.local/ns/default/sa/bookinfo";
  static KeyPair rootKey;
  static X509Certificate root;
  static KeyCertBundle selfSigned;
  static KeyPair workload;

  final Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
  final Clock clock = Clock.fixed(now, ZoneOffset.UTC);

  @BeforeAll
  static void setUp() throws Exception {
    rootKey = TestPki.ec();
    root = TestPki.caCert("cluster.local", rootKey, null, null, Instant.now().minusSeconds(60), Duration.ofDays(365));
    selfSigned = KeyCertBundle.verified(TestPki.pem(root), TestPki.keyPem(rootKey), "", TestPki.pem(root));
    workload = TestPki.ec();
  }

  CertificateAuthority ca(KeyCertBundle b) throws Exception {
    return new CertificateAuthority(b, Duration.ofHours(24), Duration.ofHours(2160),
        CertificateAuthority.CsrPolicy.defaults(), clock);
  }

  @Test
  void signWorkload_ztunnelCsr_leafHasIstiodProfileAndChainIsLeafThenRoot() throws Exception {
    List<String> chain = ca(selfSigned).signWorkload(TestPki.csr(workload, ID), List.of(ID), 3600);

    assertEquals(2, chain.size());
    assertEquals(TestPki.pem(root), chain.get(1), "the root bundle, verbatim, is the last element");
    X509Certificate leaf = Pem.certificate(chain.get(0));
    leaf.verify(root.getPublicKey());
    assertEquals(workload.getPublic(), leaf.getPublicKey());
    assertEquals("", leaf.getSubjectX500Principal().getName(), "empty subject");
    assertArrayEquals(root.getSubjectX500Principal().getEncoded(), leaf.getIssuerX500Principal().getEncoded());
    assertEquals(now.minus(Duration.ofMinutes(2)), leaf.getNotBefore().toInstant());
    assertEquals(now.plusSeconds(3600), leaf.getNotAfter().toInstant());
    assertTrue(leaf.getCriticalExtensionOIDs().containsAll(List.of(
        Extension.subjectAlternativeName.getId(), Extension.keyUsage.getId(), Extension.basicConstraints.getId())));
    assertTrue(leaf.getNonCriticalExtensionOIDs().containsAll(List.of(
        Extension.extendedKeyUsage.getId(), Extension.authorityKeyIdentifier.getId())));
    assertNull(leaf.getExtensionValue(Extension.subjectKeyIdentifier.getId()), "no SKID on leaves");
    boolean[] ku = leaf.getKeyUsage();
    assertTrue(ku[0] && ku[2], "digitalSignature and keyEncipherment");
    assertFalse(ku[5], "not keyCertSign");
    assertEquals(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"), leaf.getExtendedKeyUsage());
    assertEquals(-1, leaf.getBasicConstraints(), "CA=false");
    Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
    assertEquals(1, sans.size());
    assertEquals(List.of(6, ID), List.copyOf(sans.iterator().next()));
    byte[] akid = AuthorityKeyIdentifier.getInstance(ASN1OctetString.getInstance(
        leaf.getExtensionValue(Extension.authorityKeyIdentifier.getId())).getOctets()).getKeyIdentifierOctets();
    assertArrayEquals(TestPki.skid(root.getPublicKey()), akid);
    assertTrue(chain.get(0).endsWith("-----END CERTIFICATE-----\n"));
  }

  @Test
  void signWorkload_ttlZeroOrNegative_usesDefault() throws Exception {
    for (long ttl : new long[] {0, -5}) {
      X509Certificate leaf = Pem.certificate(ca(selfSigned).signWorkload(TestPki.csr(workload, ID), List.of(ID), ttl).get(0));
      assertEquals(now.plus(Duration.ofHours(24)), leaf.getNotAfter().toInstant());
    }
  }

  @Test
  void signWorkload_ttlAboveMax_isTtlErrorNotClamp() throws Exception {
    CaException e = assertThrows(CaException.class,
        () -> ca(selfSigned).signWorkload(TestPki.csr(workload, ID), List.of(ID), 2160L * 3600 + 1));
    assertEquals(CaError.TTL_ERROR, e.error());
    assertEquals("requested TTL 2160h0m1s is greater than the max allowed TTL 2160h0m0s", e.getMessage());
    CaException huge = assertThrows(CaException.class,
        () -> ca(selfSigned).signWorkload(TestPki.csr(workload, ID), List.of(ID), Long.MAX_VALUE));
    assertEquals(CaError.TTL_ERROR, huge.error(), "no overflow on absurd values");
  }

  @Test
  void signWorkload_ttlBeyondSigningCert_isClampedToItsNotAfter() throws Exception {
    KeyPair k = TestPki.ec();
    X509Certificate shortRoot = TestPki.caCert("cluster.local", k, null, null, now.minusSeconds(60), Duration.ofHours(2));
    KeyCertBundle b = KeyCertBundle.verified(TestPki.pem(shortRoot), TestPki.keyPem(k), "", TestPki.pem(shortRoot));
    X509Certificate leaf = Pem.certificate(ca(b).signWorkload(TestPki.csr(workload, ID), List.of(ID), 86400).get(0));
    assertEquals(shortRoot.getNotAfter(), leaf.getNotAfter());
  }

  @Test
  void signWorkload_signingCertExpired_isCertGenError() throws Exception {
    CertificateAuthority later = new CertificateAuthority(selfSigned, Duration.ofHours(24), Duration.ofHours(2160),
        CertificateAuthority.CsrPolicy.defaults(), Clock.fixed(root.getNotAfter().toInstant(), ZoneOffset.UTC));
    CaException e = assertThrows(CaException.class,
        () -> later.signWorkload(TestPki.csr(workload, ID), List.of(ID), 3600));
    assertEquals(CaError.CERT_GEN_ERROR, e.error());
    assertTrue(e.getMessage().startsWith("signing certificate has expired at "), e.getMessage());
  }

  @Test
  void signWorkload_csrWithCommonName_getsDualUseCnOfFirstSan() throws Exception {
    X509Certificate leaf = Pem.certificate(ca(selfSigned)
        .signWorkload(TestPki.csr(workload, List.of(), "anything"), List.of(ID), 60).get(0));
    assertEquals("CN=" + ID, leaf.getSubjectX500Principal().getName());
  }

  @Test
  void signWorkload_pluggedInWithIntermediate_chainHasEachCertThenTheRootBundle() throws Exception {
    KeyPair intKey = TestPki.ec();
    X509Certificate intermediate = TestPki.caCert("intermediate", intKey, root, rootKey.getPrivate(),
        now.minusSeconds(60), Duration.ofDays(30));
    String certChain = TestPki.pem(intermediate) + "\n" + TestPki.pem(root);
    KeyCertBundle b = KeyCertBundle.verified(TestPki.pem(intermediate), TestPki.keyPem(intKey), certChain,
        TestPki.pem(root));
    CertificateAuthority ca = ca(b);
    List<String> chain = ca.signWorkload(TestPki.csr(workload, ID), List.of(ID), 0);

    assertEquals(4, chain.size(), "leaf, intermediate, root (from cert-chain.pem), root bundle");
    assertEquals(TestPki.pem(intermediate), chain.get(1));
    assertEquals(TestPki.pem(root), chain.get(2));
    assertEquals(TestPki.pem(root), chain.get(3));
    Pem.certificate(chain.get(0)).verify(intermediate.getPublicKey());
    assertEquals(Duration.ofHours(24), ca.defaultTtl(), "the chain outlives the default TTL");
  }

  @Test
  void constructor_chainExpiresBeforeDefaultTtl_lowersDefaultTtl() throws Exception {
    KeyPair intKey = TestPki.ec();
    X509Certificate intermediate = TestPki.caCert("intermediate", intKey, root, rootKey.getPrivate(),
        now.minusSeconds(60), Duration.ofHours(5).plusSeconds(60));
    KeyCertBundle b = KeyCertBundle.verified(TestPki.pem(intermediate), TestPki.keyPem(intKey),
        TestPki.pem(intermediate), TestPki.pem(root));
    assertEquals(Duration.ofHours(5), ca(b).defaultTtl());
  }

  @Test
  void signWorkload_badCsrs_areCsrErrorsWithSpecificMessages() throws Exception {
    CertificateAuthority ca = ca(selfSigned);
    String good = TestPki.csr(workload, ID);
    String tampered = Pem.encode("CERTIFICATE REQUEST", tamper(Pem.first(good).der()));
    String[][] cases = {
        {"not pem at all", "certificate signing request is not properly encoded"},
        {Pem.encode("CERTIFICATE REQUEST", new byte[] {1, 2, 3}), "failed to parse X.509 certificate signing request"},
        {tampered, "CSR signature verification failed"},
        {TestPki.csr(TestPki.rsa(1024), ID), "CSR public key is too weak: RSA 1024 bits, at least 2048 required"},
        {TestPki.csr(workload, List.of(ID, ID + "x"), null),
            "CSR requests 2 subject alternative names, but 1 identity is being issued"},
        {TestPki.csr(workload, "spiffe://cluster.local/ns/default/sa/other"),
            "CSR requests subject alternative name \"spiffe://cluster.local/ns/default/sa/other\", "
                + "which is not the authenticated identity"},
        {good + "x".repeat(3 * 1024 * 1024), "CSR is " + (good.length() + 3 * 1024 * 1024)
            + " characters long, more than the limit of 65536"},
    };
    for (String[] c : cases) {
      CaException e = assertThrows(CaException.class, () -> ca.signWorkload(c[0], List.of(ID), 60));
      assertEquals(CaError.CSR_ERROR, e.error(), c[1]);
      assertEquals(c[1], e.getMessage());
    }
  }

  @Test
  void signWorkload_anyPemLabelAndRsa2048Csr_areAccepted() throws Exception {
    String csr = TestPki.csr(TestPki.rsa(2048), ID).replace("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST");
    assertEquals(2, ca(selfSigned).signWorkload(csr, List.of(ID), 60).size());
  }

  @Test
  void signWorkload_csrWithoutSans_isAcceptedAndGetsTheIdentity() throws Exception {
    X509Certificate leaf = Pem.certificate(ca(selfSigned).signWorkload(TestPki.csr(workload, (String) null),
        List.of(ID), 60).get(0));
    assertEquals(ID, leaf.getSubjectAlternativeNames().iterator().next().get(1));
  }

  @Test
  void sans_ipDnsAndUri_encodedAsIstiodDoes() throws Exception {
    List<String> ids = List.of("10.1.2.3", "::ffff:10.0.0.1", "fd00::1", "istiod.istio-system.svc", ID);
    var names = Sans.encode(ids).getNames();
    assertEquals(7, names[0].getTagNo());
    assertEquals(4, ASN1OctetString.getInstance(names[1].getName()).getOctets().length, "IPv4-mapped as 4 bytes");
    assertEquals(16, ASN1OctetString.getInstance(names[2].getName()).getOctets().length);
    assertEquals(2, names[3].getTagNo());
    assertEquals(6, names[4].getTagNo());
    assertEquals(List.of("10.1.2.3", "10.0.0.1", "fd00:0:0:0:0:0:0:1", "istiod.istio-system.svc", ID),
        Sans.decode(Sans.encode(ids)));
  }

  @Test
  void split_concatenatedPem_oneCertPerElementLikeIstiod() throws Exception {
    String a = TestPki.pem(root);
    List<String> parts = Pem.split(a + "\n" + a);
    assertEquals(2, parts.size());
    assertEquals(a.substring(0, a.length() - 1), parts.get(0));
    assertEquals(a.substring(0, a.length() - 1), parts.get(1));
  }

  private static byte[] tamper(byte[] der) {
    byte[] copy = der.clone();
    copy[copy.length - 5] ^= 0x55;
    return copy;
  }
}
