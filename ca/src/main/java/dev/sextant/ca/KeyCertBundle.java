package dev.sextant.ca;

import com.google.protobuf.ByteString;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertStore;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXCertPathBuilderResult;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;

/**
 * The CA's signing material, immutable: signing cert and key, the cert chain above it and the root
 * bundle, each as PEM text exactly as loaded (istio/istio {@code security/pkg/pki/util/keycertbundle.go}).
 * A request reads one snapshot, so a rotation never mixes an old chain with a new root.
 *
 * <p>Verification, as istiod's {@code Verify}: the signing cert must chain to one of the roots
 * through the chain, every cert on the path (roots included) must be valid now, and the key must
 * belong to the cert.
 */
public final class KeyCertBundle {
  private final String certPem;
  private final String keyPem;
  private final String certChainPem;
  private final String rootCertPem;
  private final X509Certificate cert;
  private final PrivateKey key;
  private final PrivateKey signingKey;
  private final X500Name subject;
  private final byte[] subjectKeyId;
  private final List<ByteString> responseTail;

  private KeyCertBundle(String certPem, String keyPem, String certChainPem, String rootCertPem,
      X509Certificate cert, PrivateKey key) {
    this.certPem = certPem;
    this.keyPem = keyPem;
    this.certChainPem = certChainPem == null ? "" : certChainPem;
    this.rootCertPem = rootCertPem;
    this.cert = cert;
    this.key = key;
    this.signingKey = Crypto.forSigning(key);
    this.subject = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
    byte[] ski = cert.getExtensionValue(Extension.subjectKeyIdentifier.getId());
    this.subjectKeyId = ski == null ? null
        : ASN1OctetString.getInstance(ASN1OctetString.getInstance(ski).getOctets()).getOctets();
    List<ByteString> tail = new ArrayList<>();
    for (String piece : Pem.split(this.certChainPem)) {
      tail.add(ByteString.copyFromUtf8(piece + "\n")); // each cert of the chain on its own
    }
    if (!rootCertPem.isEmpty()) {
      tail.add(ByteString.copyFromUtf8(rootCertPem));
    }
    this.responseTail = List.copyOf(tail);
  }

  /**
   * What follows the leaf in every response, as UTF-8: each cert of the CA chain, then the whole
   * root bundle (absent when there is none).
   */
  List<ByteString> responseTail() {
    return responseTail;
  }

  /** Parses and verifies; the message of the exception says what does not fit. */
  public static KeyCertBundle verified(String certPem, String keyPem, String certChainPem, String rootCertPem)
      throws GeneralSecurityException {
    return verified(certPem, keyPem, certChainPem, rootCertPem, Instant.now());
  }

  static KeyCertBundle verified(String certPem, String keyPem, String certChainPem, String rootCertPem, Instant now)
      throws GeneralSecurityException {
    X509Certificate cert;
    try {
      cert = Pem.certificate(certPem);
    } catch (GeneralSecurityException e) {
      throw new GeneralSecurityException("failed to parse cert PEM: " + e.getMessage(), e);
    }
    List<X509Certificate> roots = Pem.certificates(rootCertPem == null ? "" : rootCertPem);
    List<X509Certificate> chain = Pem.certificates(certChainPem == null ? "" : certChainPem);
    verifyPath(cert, chain, roots, now);
    PrivateKey key;
    try {
      key = Pem.privateKey(keyPem);
    } catch (GeneralSecurityException e) {
      throw new GeneralSecurityException("failed to parse private key PEM: " + e.getMessage(), e);
    }
    if (!Crypto.matches(key, cert.getPublicKey())) {
      throw new GeneralSecurityException("the cert does not match the key");
    }
    return new KeyCertBundle(certPem, keyPem, certChainPem, rootCertPem, cert, key);
  }

  private static void verifyPath(X509Certificate cert, List<X509Certificate> chain, List<X509Certificate> roots,
      Instant now) throws GeneralSecurityException {
    String prefix = "cannot verify the cert with the provided root chain and cert pool with error: ";
    if (roots.isEmpty()) {
      throw new GeneralSecurityException(prefix + "no root certificate");
    }
    Date at = Date.from(now);
    for (X509Certificate root : roots) {
      if (Arrays.equals(root.getEncoded(), cert.getEncoded())) {
        checkValid(root, at, prefix);
        return;
      }
    }
    Set<TrustAnchor> anchors = new HashSet<>();
    for (X509Certificate root : roots) {
      anchors.add(new TrustAnchor(root, null));
    }
    X509CertSelector target = new X509CertSelector();
    target.setCertificate(cert);
    PKIXBuilderParameters params = new PKIXBuilderParameters(anchors, target);
    params.setRevocationEnabled(false);
    params.setDate(at);
    List<X509Certificate> store = new ArrayList<>(chain);
    store.add(cert);
    params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(store)));
    try {
      PKIXCertPathBuilderResult result =
          (PKIXCertPathBuilderResult) CertPathBuilder.getInstance("PKIX").build(params);
      checkValid(result.getTrustAnchor().getTrustedCert(), at, prefix);
    } catch (GeneralSecurityException e) {
      throw new GeneralSecurityException(prefix + e.getMessage(), e);
    }
  }

  private static void checkValid(X509Certificate c, Date at, String prefix) throws GeneralSecurityException {
    try {
      c.checkValidity(at);
    } catch (GeneralSecurityException e) {
      throw new GeneralSecurityException(prefix + "certificate has expired or is not yet valid: "
          + c.getSubjectX500Principal() + " valid until " + c.getNotAfter().toInstant(), e);
    }
  }

  public String certPem() {
    return certPem;
  }

  /** The signing key as PEM; for persisting only, never for logs or responses. */
  String keyPem() {
    return keyPem;
  }

  public String certChainPem() {
    return certChainPem;
  }

  /** The root bundle: one or several concatenated roots, exactly the bytes loaded. */
  public String rootCertPem() {
    return rootCertPem;
  }

  public X509Certificate cert() {
    return cert;
  }

  PrivateKey key() {
    return key;
  }

  private volatile LeafEncoder leafEncoder;

  /** The workload-leaf encoder for this signing material, prepared on first use. */
  LeafEncoder leafEncoder() throws GeneralSecurityException {
    LeafEncoder e = leafEncoder;
    if (e == null) {
      synchronized (this) {
        e = leafEncoder;
        if (e == null) {
          e = new LeafEncoder(this);
          leafEncoder = e;
        }
      }
    }
    return e;
  }

  /** {@link #key()} as the signature provider holds it (converted once per bundle). */
  PrivateKey signingKey() {
    return signingKey;
  }

  /** The signing cert's subject, as its encoded bytes; becomes the issuer of every leaf. */
  X500Name subject() {
    return subject;
  }

  /** The signing cert's subject key ID, or null; becomes the authority key ID of every leaf. */
  byte[] subjectKeyId() {
    return subjectKeyId;
  }

  public Instant notAfter() {
    return cert.getNotAfter().toInstant();
  }
}
