package dev.sextant.ca;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;

/**
 * Self-signed roots as istiod makes them ({@code genCertTemplateFromOptions} with IsCA and
 * IsSelfSigned): subject {@code O=<trust domain>} (PrintableString when it can be, as Go's
 * asn1 writes it), no CN, no SAN; notBefore = now; critical key usage keyCertSign only; critical
 * CA=true without a path length; a subject key ID (SHA-1 of the public key bits); no AKID.
 *
 * <p>Rotation ({@link #reissue}) keeps the key, the exact subject bytes and the SKID of the old
 * root, so every leaf issued under the old root verifies against the new one.
 */
public final class SelfSignedRoots {
  private SelfSignedRoots() {}

  /** A new root and its key, as PEM ({@code ca-cert.pem}, {@code ca-key.pem}). */
  public static RootStore.StoredRoot generate(String org, Duration ttl, Crypto.KeyType type, int rsaBits, Clock clock)
      throws GeneralSecurityException {
    KeyPair pair = Crypto.generate(type, rsaBits);
    X500Name subject = new X500Name(new RDN[] {new RDN(BCStyle.O, directoryString(org))});
    String cert = build(subject, pair.getPublic(), pair.getPrivate(), subjectKeyId(pair.getPublic()), ttl, clock);
    return new RootStore.StoredRoot(cert, Pem.encodePrivateKey(pair));
  }

  /** A new root for the same key, subject and SKID as {@code old}, valid from now for {@code ttl}. */
  public static RootStore.StoredRoot reissue(RootStore.StoredRoot old, Duration ttl, Clock clock)
      throws GeneralSecurityException {
    X509Certificate oldCert = Pem.certificate(old.caCertPem());
    PrivateKey key = Pem.privateKey(old.caKeyPem());
    PublicKey pub = oldCert.getPublicKey();
    if (!Crypto.matches(key, pub)) {
      throw new GeneralSecurityException("the stored root does not match its key");
    }
    X500Name subject = X500Name.getInstance(oldCert.getSubjectX500Principal().getEncoded());
    byte[] ski = oldCert.getExtensionValue(Extension.subjectKeyIdentifier.getId());
    byte[] skid = ski == null ? subjectKeyId(pub)
        : ASN1OctetString.getInstance(ASN1OctetString.getInstance(ski).getOctets()).getOctets();
    return new RootStore.StoredRoot(build(subject, pub, key, skid, ttl, clock), old.caKeyPem());
  }

  private static String build(X500Name subject, PublicKey pub, PrivateKey key, byte[] skid, Duration ttl, Clock clock)
      throws GeneralSecurityException {
    Instant now = clock.instant();
    try {
      X509v3CertificateBuilder b = new X509v3CertificateBuilder(subject, Crypto.serial(), Date.from(now),
          Date.from(now.plus(ttl)), subject, SubjectPublicKeyInfo.getInstance(pub.getEncoded()));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign));
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(Extension.subjectKeyIdentifier, false, new SubjectKeyIdentifier(skid));
      return Pem.encode(Pem.CERTIFICATE, b.build(Crypto.signer(key)).getEncoded());
    } catch (IOException e) {
      throw new GeneralSecurityException("cannot build the root certificate", e);
    }
  }

  static byte[] subjectKeyId(PublicKey pub) throws GeneralSecurityException {
    byte[] bits = SubjectPublicKeyInfo.getInstance(pub.getEncoded()).getPublicKeyData().getBytes();
    return MessageDigest.getInstance("SHA-1").digest(bits);
  }

  private static ASN1Encodable directoryString(String s) {
    return DERPrintableString.isPrintableString(s) ? new DERPrintableString(s) : new DERUTF8String(s);
  }

  /** Time until the root should be rotated: (notAfter - now) - grace% of its lifetime; &le; 0 means now. */
  static Duration waitTime(X509Certificate root, int gracePercent, Instant now) {
    Instant notAfter = root.getNotAfter().toInstant();
    Duration toExpire = Duration.between(now, notAfter);
    if (toExpire.isNegative()) {
      return Duration.ZERO;
    }
    Duration life = Duration.between(root.getNotBefore().toInstant(), notAfter);
    Duration grace = Duration.ofMillis((long) (life.toMillis() * (gracePercent / 100.0)));
    Duration wait = toExpire.minus(grace);
    return wait.isNegative() ? Duration.ZERO : wait;
  }
}
