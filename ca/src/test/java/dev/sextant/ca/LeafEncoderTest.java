package dev.sextant.ca;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The hand-written leaf DER against Bouncy Castle's builder, byte for byte, and against the JDK's parser. */
class LeafEncoderTest {

  @ParameterizedTest(name = "{0} CA")
  @ValueSource(strings = {"EC P-256", "EC P-384", "RSA-2048"})
  void encoder_writesTheBuildersBytes_andTheJdkAcceptsThem(String kind) throws Exception {
    KeyPair caKey = CryptoTest.key(kind);
    X509Certificate root = TestPki.caCert("cluster.local", caKey, null, null, Instant.now().minusSeconds(60),
        Duration.ofDays(3650));
    KeyCertBundle b = KeyCertBundle.verified(TestPki.pem(root), TestPki.keyPem(caKey), "", TestPki.pem(root));
    SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(Crypto.generateEc("secp256r1").getPublic().getEncoded());
    String longId = "spiffe://cluster.local/ns/" + "n".repeat(120) + "/sa/" + "s".repeat(150);
    List<List<String>> sanSets = List.of(
        List.of("spiffe://cluster.local/ns/default/sa/bookinfo"),
        List.of(longId), // lengths past 127 and 255 bytes
        List.of("istiod.istio-system.svc", "10.0.0.1", "spiffe://cluster.local/ns/a/sa/b"));
    Instant notBefore = Instant.parse("2026-11-23T13:00:00Z");
    for (Instant notAfter : List.of(Instant.parse("2026-11-24T13:00:00Z"), Instant.parse("2051-01-01T00:00:00Z"))) {
      for (List<String> sans : sanSets) {
        BigInteger serial = new BigInteger(128, Crypto.RANDOM).setBit(127); // a leading 0 byte in DER
        byte[] mine = b.leafEncoder().encode(serial, notBefore, notAfter, spki.getEncoded(ASN1Encoding.DER),
            Sans.encode(sans).getEncoded(ASN1Encoding.DER));
        byte[] reference = CertificateAuthority.buildWithBouncyCastle(b, serial, notBefore, notAfter,
            new X500Name(new RDN[0]), spki, sans);
        Certificate a = Certificate.getInstance(mine);
        Certificate r = Certificate.getInstance(reference);
        assertArrayEquals(r.getTBSCertificate().getEncoded(ASN1Encoding.DER), a.getTBSCertificate().getEncoded(),
            kind + " " + sans + " until " + notAfter);
        assertArrayEquals(a.getEncoded(ASN1Encoding.DER), mine, "the whole certificate is DER");
        assertEquals(r.getSignatureAlgorithm(), a.getSignatureAlgorithm());
        X509Certificate parsed = Pem.certificate(Pem.encode(Pem.CERTIFICATE, mine));
        parsed.verify(root.getPublicKey());
        assertEquals(serial, parsed.getSerialNumber());
        assertEquals(sans.size(), parsed.getSubjectAlternativeNames().size());
      }
    }
  }
}
