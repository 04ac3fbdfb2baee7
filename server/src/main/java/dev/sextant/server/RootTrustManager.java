package dev.sextant.server;

import java.io.ByteArrayInputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Verifies client certificates on the secure port against the CA's current root bundle.
 *
 * <p>Model: istiod reloads the trust bundle of its secure gRPC server when the mesh roots change
 * (a rotation, or plugged-in {@code cacerts} replaced); a trust manager built once at start-up
 * would reject every workload certificate issued under the new root. The bundle PEM is read on
 * each handshake and the delegate rebuilt only when the text changed.
 *
 * <p>Threading: any handshake thread; the (pem, delegate) pair is replaced atomically.
 */
final class RootTrustManager extends X509ExtendedTrustManager {
  private record Loaded(String pem, X509ExtendedTrustManager delegate) {}

  private final Supplier<String> rootPem;
  private volatile Loaded loaded;

  RootTrustManager(Supplier<String> rootPem) {
    this.rootPem = rootPem;
    this.loaded = load(rootPem.get());
  }

  private X509ExtendedTrustManager current() {
    String pem = rootPem.get();
    Loaded l = loaded;
    if (!l.pem().equals(pem)) {
      l = load(pem);
      loaded = l;
    }
    return l.delegate();
  }

  private static Loaded load(String pem) {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (var cert : CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.UTF_8)))) {
        store.setCertificateEntry("root-" + i++, cert);
      }
      TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      f.init(store);
      for (TrustManager tm : f.getTrustManagers()) {
        if (tm instanceof X509ExtendedTrustManager x) {
          return new Loaded(pem, x);
        }
      }
      throw new IllegalStateException("no X509 trust manager for the mesh roots");
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot load the mesh root bundle: " + e.getMessage(), e);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    current().checkClientTrusted(chain, authType, socket);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    current().checkClientTrusted(chain, authType, engine);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    current().checkClientTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    current().checkServerTrusted(chain, authType, socket);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    current().checkServerTrusted(chain, authType, engine);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    current().checkServerTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return current().getAcceptedIssuers();
  }
}
