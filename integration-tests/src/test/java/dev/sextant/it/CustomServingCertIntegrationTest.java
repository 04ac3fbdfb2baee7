package dev.sextant.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sextant.ca.Crypto;
import dev.sextant.ca.Pem;
import dev.sextant.ca.SelfSignedRoots;
import dev.sextant.server.ServerConfig;
import dev.sextant.server.SextantServer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * istiod's {@code --tlsCertFile/--tlsKeyFile/--caCertFile}: the secure port serves a certificate
 * from an outside PKI instead of one from the mesh CA, and picks up a renewal written in place.
 */
class CustomServingCertIntegrationTest {
  @TempDir Path dir;
  SextantServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void servesTheFileCertificate_andItsRenewal_withoutARestart() throws Exception {
    var corp = SelfSignedRoots.generate("corp.example", Duration.ofDays(30), Crypto.KeyType.EC_P256, 2048,
        Clock.systemUTC());
    X509Certificate corpCert = Pem.certificate(corp.caCertPem());
    PrivateKey corpKey = KeyFactory.getInstance("EC")
        .generatePrivate(new PKCS8EncodedKeySpec(Pem.privateKey(corp.caKeyPem()).getEncoded()));
    Path cert = dir.resolve("tls.crt");
    Path key = dir.resolve("tls.key");
    Path ca = dir.resolve("ca.crt");
    Files.writeString(ca, corp.caCertPem());
    BigInteger first = writeLeaf(cert, key, corpCert, corpKey, 1001);

    Path config = Files.createDirectories(dir.resolve("config"));
    ServerConfig.Security security = new ServerConfig.Security(new java.net.InetSocketAddress("127.0.0.1", 0),
        dir.resolve("mesh-ca"), null, dir.resolve("root-cert.pem"), new ServerConfig.TlsFiles(cert, key, ca));
    server = SextantServer.start(ServerConfig.forTest(config).withSecurity(security));

    assertEquals(first, servedLeaf(corpCert).getSerialNumber(), "the file certificate, not a mesh-CA one");

    BigInteger second = writeLeaf(cert, key, corpCert, corpKey, 2002);
    // make the change visible even on file systems with coarse timestamps
    Files.setLastModifiedTime(cert, FileTime.from(Instant.now().plusSeconds(5)));
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    BigInteger served = first;
    while (!served.equals(second) && System.nanoTime() < deadline) {
      Thread.sleep(200);
      served = servedLeaf(corpCert).getSerialNumber();
    }
    assertEquals(second, served, "the renewed certificate is served on new handshakes");

    // a half-written update (key of another pair) keeps the last good certificate
    KeyPair other = ec();
    Files.writeString(key, Pem.encodePrivateKey(other));
    Files.setLastModifiedTime(key, FileTime.from(Instant.now().plusSeconds(10)));
    Thread.sleep(1200);
    assertEquals(second, servedLeaf(corpCert).getSerialNumber());
    assertNotEquals(null, server.ca().rootCertPem());
  }

  private X509Certificate servedLeaf(X509Certificate trusted) throws Exception {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    store.setCertificateEntry("corp", trusted);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    try (SSLSocket socket = (SSLSocket) ctx.getSocketFactory()
        .createSocket("127.0.0.1", server.secureGrpcAddress().getPort())) {
      SSLParameters p = socket.getSSLParameters();
      p.setApplicationProtocols(new String[] {"h2"});
      p.setEndpointIdentificationAlgorithm(null);
      socket.setSSLParameters(p);
      socket.startHandshake();
      X509Certificate leaf = (X509Certificate) socket.getSession().getPeerCertificates()[0];
      assertTrue(leaf.getSubjectAlternativeNames().stream()
          .anyMatch(san -> List.of(2, "istiod.istio-system.svc").equals(san)), "DNS SAN from the file");
      return leaf;
    }
  }

  private static BigInteger writeLeaf(Path cert, Path key, X509Certificate issuer, PrivateKey issuerKey, long serial)
      throws Exception {
    KeyPair pair = ec();
    Instant now = Instant.now();
    var builder = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(serial),
        Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(1))),
        new X500Name("CN=istiod"), pair.getPublic());
    builder.addExtension(Extension.subjectAlternativeName, false,
        new GeneralNames(new GeneralName(GeneralName.dNSName, "istiod.istio-system.svc")));
    X509Certificate leaf = new JcaX509CertificateConverter().getCertificate(
        builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
    Files.writeString(key, Pem.encodePrivateKey(pair));
    Files.writeString(cert, Pem.encodeCertificate(leaf) + Pem.encodeCertificate(issuer));
    return leaf.getSerialNumber();
  }

  private static KeyPair ec() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }
}
