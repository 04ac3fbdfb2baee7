package dev.sextant.ca;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * The CA's signature providers: the native one and Bouncy Castle must agree on every CSR, good or
 * bad, and a leaf signed by either must verify with the JDK's own code.
 */
class CryptoTest {
  static final String ID = "spiffe://cluster.local/ns/default/sa/bookinfo";

  static boolean linuxAmd64() {
    String arch = System.getProperty("os.arch", "");
    return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")
        && (arch.equals("amd64") || arch.equals("x86_64"));
  }

  @Test
  void choice_nativeOnLinuxAmd64_javaWhenAsked_neverFails() {
    assertSame(Crypto.BC, Crypto.choose("java").provider());
    assertSame(Crypto.BC, Crypto.choose(" BC ").provider());
    assertTrue(Crypto.choose("java").why().contains("SEXTANT_CA_CRYPTO=java"));
    Crypto.Choice auto = Crypto.choose("");
    assertTrue(Crypto.choose("fast").why().startsWith("SEXTANT_CA_CRYPTO=\"fast\" is not auto or java"));
    if (auto.provider() == Crypto.BC) {
      // a machine where the native library cannot load (another CPU, a noexec temp directory):
      // the choice says why, and the rest of this class runs on Bouncy Castle twice
      assertTrue(auto.why().startsWith("Bouncy Castle (the native provider is unavailable: "), auto.why());
      assumeTrue(!linuxAmd64(), "native provider expected on Linux x86-64 but: " + auto.why());
    } else {
      assertTrue(auto.why().contains("AmazonCorrettoCryptoProvider"), auto.why());
      if (System.getenv("SEXTANT_CA_CRYPTO") == null) {
        assertSame(auto.provider(), Crypto.SIGNATURES, "the process uses what the default setting chooses");
      }
    }
  }

  static Stream<Arguments> providersAndKeys() throws Exception {
    Provider fast = Crypto.choose("").provider();
    return Stream.of(Crypto.BC, fast).flatMap(p -> Stream.of(
        Arguments.of(p.getName(), p, "EC P-256"),
        Arguments.of(p.getName(), p, "EC P-384"),
        Arguments.of(p.getName(), p, "RSA-2048"),
        Arguments.of(p.getName(), p, "Ed25519")));
  }

  /** CA keys: those a {@code cacerts} or {@code istio-ca-secret} holds in practice. */
  static Stream<Arguments> providersAndCaKeys() throws Exception {
    return providersAndKeys().filter(a -> !a.get()[2].equals("Ed25519"));
  }

  static KeyPair key(String kind) throws Exception {
    return switch (kind) {
      case "EC P-256" -> Crypto.generateEc("secp256r1");
      case "EC P-384" -> Crypto.generateEc("secp384r1");
      case "RSA-2048" -> TestPki.rsa(2048);
      case "Ed25519" -> KeyPairGenerator.getInstance("Ed25519", Crypto.BC).generateKeyPair();
      default -> throw new IllegalArgumentException(kind);
    };
  }

  static PKCS10CertificationRequest csr(KeyPair k) throws Exception {
    String alg = switch (k.getPrivate().getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> "SHA256withECDSA";
    };
    var b = new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder(
        new org.bouncycastle.asn1.x500.X500Name(new org.bouncycastle.asn1.x500.RDN[0]), k.getPublic());
    return b.build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder(alg).setProvider(Crypto.BC)
        .build(k.getPrivate()));
  }

  @ParameterizedTest(name = "{0} {2}")
  @MethodSource("providersAndKeys")
  void csrSignature_goodPasses_tamperedFails(String name, Provider provider, String kind) throws Exception {
    PKCS10CertificationRequest good = csr(key(kind));
    assertTrue(Crypto.csrSignatureValid(good, provider));
    if (provider != Crypto.BC && !kind.equals("Ed25519")) {
      assertEquals(Boolean.TRUE, Crypto.verifyOn(good, provider), "judged natively, not by the fallback");
    }

    byte[] der = good.getEncoded();
    byte[] badSignature = der.clone();
    badSignature[der.length - 3] ^= 0x01;
    assertFalse(verifies(new PKCS10CertificationRequest(badSignature), provider), "a flipped signature bit");

    // someone else's signature over the same request info
    PKCS10CertificationRequest other = csr(key(kind));
    var swapped = new org.bouncycastle.asn1.pkcs.CertificationRequest(
        good.toASN1Structure().getCertificationRequestInfo(), other.getSignatureAlgorithm(),
        other.toASN1Structure().getSignature());
    assertFalse(verifies(new PKCS10CertificationRequest(swapped), provider), "another key's signature");
    if (provider != Crypto.BC && !kind.equals("Ed25519")) {
      assertEquals(Boolean.FALSE, Crypto.verifyOn(new PKCS10CertificationRequest(swapped), provider));
    }
  }

  /** False for a signature that does not verify or cannot be processed (both end as a CSR_ERROR). */
  private static boolean verifies(PKCS10CertificationRequest csr, Provider provider) {
    try {
      return Crypto.csrSignatureValid(csr, provider);
    } catch (Exception e) {
      return false;
    }
  }

  @ParameterizedTest(name = "{0} {2}")
  @MethodSource("providersAndCaKeys")
  void caKeyOfEachKind_signsLeavesTheJdkVerifies(String name, Provider provider, String kind) throws Exception {
    KeyPair caKey = key(kind);
    X509Certificate root = TestPki.caCert("cluster.local", caKey, null, null, Instant.now().minusSeconds(60),
        Duration.ofDays(30));
    PrivateKey signing = Crypto.forSigning(caKey.getPrivate(), provider);
    if (provider != Crypto.BC) {
      assertTrue(signing.getClass().getName().startsWith("com.amazon.corretto"), "converted once to a native key");
    }
    byte[] der = new org.bouncycastle.cert.X509v3CertificateBuilder(
        org.bouncycastle.asn1.x500.X500Name.getInstance(root.getSubjectX500Principal().getEncoded()),
        Crypto.serial(), CertificateAuthority.x509Time(Instant.now()),
        CertificateAuthority.x509Time(Instant.now().plusSeconds(3600)),
        new org.bouncycastle.asn1.x500.X500Name(new org.bouncycastle.asn1.x500.RDN[0]),
        org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(Crypto.generateEc("secp256r1").getPublic()
            .getEncoded()))
        .build(Crypto.signer(signing, provider)).getEncoded();
    X509Certificate leaf = Pem.certificate(Pem.encode(Pem.CERTIFICATE, der));
    leaf.verify(root.getPublicKey()); // the JDK's providers, not the signer's
  }

  @Test
  void workloadSigning_onTheChosenProvider_verifiesAndRejectsAsBefore() throws Exception {
    KeyPair rootKey = TestPki.ec();
    X509Certificate root = TestPki.caCert("cluster.local", rootKey, null, null, Instant.now().minusSeconds(60),
        Duration.ofDays(30));
    KeyCertBundle b = KeyCertBundle.verified(TestPki.pem(root), TestPki.keyPem(rootKey), "", TestPki.pem(root));
    CertificateAuthority ca = new CertificateAuthority(b, Duration.ofHours(24), Duration.ofHours(2160),
        CertificateAuthority.CsrPolicy.defaults(), Clock.systemUTC());
    KeyPair workload = Crypto.generateEc("secp256r1");
    List<String> chain = ca.signWorkload(TestPki.csr(workload, ID), List.of(ID), 3600);
    Pem.certificate(chain.get(0)).verify(root.getPublicKey());

    String csr = TestPki.csr(workload, ID);
    byte[] der = Pem.first(csr).der();
    der[der.length - 3] ^= 0x01;
    CaException e = assertThrows(CaException.class,
        () -> ca.signWorkload(Pem.encode("CERTIFICATE REQUEST", der), List.of(ID), 3600));
    assertEquals(CaError.CSR_ERROR, e.error());
  }

  @Test
  void x509Time_isWhatBouncyCastleWritesForADate_utcBefore2050_generalizedFrom2050() throws Exception {
    for (String t : List.of("1950-01-01T00:00:00Z", "1999-12-31T23:59:59Z", "2026-11-23T13:05:09Z",
        "2049-12-31T23:59:59Z", "2050-01-01T00:00:00Z", "2125-06-30T12:00:00Z", "1949-12-31T23:59:59Z")) {
      Instant i = Instant.parse(t);
      assertArrayEquals(new Time(Date.from(i), Locale.ROOT).getEncoded(), CertificateAuthority.x509Time(i).getEncoded(),
          t);
      assertEquals(i, CertificateAuthority.x509Time(i).getDate().toInstant(), t);
    }
    // sub-second parts are dropped, as Go's encoder drops them
    Instant withMillis = Instant.parse("2026-11-23T13:05:09.987Z");
    assertEquals(Instant.parse("2026-11-23T13:05:09Z"), CertificateAuthority.x509Time(withMillis).getDate().toInstant());
  }
}
