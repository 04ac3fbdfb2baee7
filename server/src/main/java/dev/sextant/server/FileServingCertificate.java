package dev.sextant.server;

import dev.sextant.ca.Crypto;
import dev.sextant.ca.Pem;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The secure port's certificate from {@code --tlsCertFile}/{@code --tlsKeyFile}/{@code --caCertFile}.
 *
 * <p>Model: istiod watches these files and serves the new pair after a change (cert-manager renews
 * them in place). Here each handshake checks the files' modification times at most once a second;
 * a changed pair is loaded and checked (key matches the leaf) before it replaces the current one,
 * so a half-written or mismatched update keeps the previous certificate and is logged once.
 *
 * <p>Threading: handshake threads; the current material is one volatile snapshot.
 */
final class FileServingCertificate extends X509ExtendedKeyManager {
  private static final Logger log = LoggerFactory.getLogger(FileServingCertificate.class);
  private static final long CHECK_EVERY_NANOS = 1_000_000_000L;

  private record Loaded(X509Certificate[] chain, PrivateKey key, String caBundlePem, FileTime certTime,
      FileTime keyTime, FileTime caTime) {
    String alias() {
      return chain[0].getSerialNumber().toString(16);
    }
  }

  private final ServerConfig.TlsFiles files;
  private volatile Loaded current;
  /** The pair before the last reload: a handshake that chose its alias just before still finds it. */
  private volatile Loaded previous;
  private volatile long lastCheck;
  private volatile String lastError;

  /** Loads the files now; a missing file, bad PEM or a key that does not match fails start-up. */
  FileServingCertificate(ServerConfig.TlsFiles files) throws IOException, GeneralSecurityException {
    this.files = files;
    this.current = load();
    this.lastCheck = System.nanoTime();
    log.info("serving certificate from file={} serial={} notAfter={}", files.certFile(), current.alias(),
        current.chain()[0].getNotAfter().toInstant());
  }

  /** The CA bundle from {@code --caCertFile}, as last loaded. */
  String caBundlePem() {
    return fresh().caBundlePem();
  }

  private Loaded load() throws IOException, GeneralSecurityException {
    FileTime ct = Files.getLastModifiedTime(files.certFile());
    FileTime kt = Files.getLastModifiedTime(files.keyFile());
    FileTime at = Files.getLastModifiedTime(files.caCertFile());
    List<X509Certificate> chain = Pem.certificates(Files.readString(files.certFile()));
    if (chain.isEmpty()) {
      throw new GeneralSecurityException(files.certFile() + " holds no certificate");
    }
    PrivateKey key = Pem.privateKey(Files.readString(files.keyFile()));
    if (!Crypto.matches(key, chain.get(0).getPublicKey())) {
      throw new GeneralSecurityException(files.keyFile() + " is not the key of " + files.certFile());
    }
    String ca = Files.readString(files.caCertFile());
    if (Pem.certificates(ca).isEmpty()) {
      throw new GeneralSecurityException(files.caCertFile() + " holds no certificate");
    }
    return new Loaded(chain.toArray(X509Certificate[]::new), key, ca, ct, kt, at);
  }

  private Loaded fresh() {
    long now = System.nanoTime();
    if (now - lastCheck < CHECK_EVERY_NANOS) {
      return current;
    }
    lastCheck = now;
    Loaded l = current;
    try {
      if (l.certTime().equals(Files.getLastModifiedTime(files.certFile()))
          && l.keyTime().equals(Files.getLastModifiedTime(files.keyFile()))
          && l.caTime().equals(Files.getLastModifiedTime(files.caCertFile()))) {
        return l;
      }
      Loaded next = load();
      previous = l;
      current = next;
      lastError = null;
      log.info("serving certificate reloaded file={} serial={} notAfter={}", files.certFile(), next.alias(),
          next.chain()[0].getNotAfter().toInstant());
      return next;
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      String msg = e.getMessage();
      if (!String.valueOf(msg).equals(lastError)) {
        lastError = String.valueOf(msg);
        log.warn("serving certificate not reloaded, keeping serial={}: {}", l.alias(), msg);
      }
      return l;
    }
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return null;
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return new String[] {fresh().alias()};
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return fresh().alias();
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return fresh().alias();
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    Loaded l = byAlias(alias);
    return l == null ? null : l.chain().clone();
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    Loaded l = byAlias(alias);
    return l == null ? null : l.key();
  }

  private Loaded byAlias(String alias) {
    if (alias == null) {
      return null;
    }
    Loaded c = current;
    if (alias.equals(c.alias())) {
      return c;
    }
    Loaded p = previous;
    return p != null && alias.equals(p.alias()) ? p : null;
  }
}
