package dev.sextant.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sextant.ca.Crypto;
import dev.sextant.ca.Pem;
import dev.sextant.ca.SelfSignedRoots;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class RootTrustManagerTest {
  @Test
  void followsTheRootBundle_whenTheCaRotatesToANewRoot() throws Exception {
    X509Certificate a = root("a.example");
    X509Certificate b = root("b.example");
    AtomicReference<String> bundle = new AtomicReference<>(Pem.encodeCertificate(a));
    RootTrustManager tm = new RootTrustManager(bundle::get);

    tm.checkClientTrusted(new X509Certificate[] {a}, "UNKNOWN");
    assertThrows(CertificateException.class,
        () -> tm.checkClientTrusted(new X509Certificate[] {b}, "UNKNOWN"));

    bundle.set(Pem.encodeCertificate(a) + Pem.encodeCertificate(b)); // rotation: old and new roots both trusted
    tm.checkClientTrusted(new X509Certificate[] {b}, "UNKNOWN");
    tm.checkClientTrusted(new X509Certificate[] {a}, "UNKNOWN");

    bundle.set(Pem.encodeCertificate(b)); // old root retired
    assertThrows(CertificateException.class,
        () -> tm.checkClientTrusted(new X509Certificate[] {a}, "UNKNOWN"));
    assertArrayEquals(new X509Certificate[] {b}, tm.getAcceptedIssuers());
  }

  private static X509Certificate root(String org) throws Exception {
    return Pem.certificate(SelfSignedRoots.generate(
        org, Duration.ofDays(1), Crypto.KeyType.EC_P256, 2048, Clock.systemUTC()).caCertPem());
  }
}
