package dev.sextant.ca;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Signature;
import java.time.Instant;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;

/**
 * Writes istiod's workload leaf ({@link CertificateAuthority}'s profile, empty subject) straight
 * to DER from pieces prepared once per signing bundle, and signs it with a signature object kept
 * per thread.
 *
 * <p>Why: building the same certificate with Bouncy Castle's object tree (builder, extension
 * generator, DER re-encoding, a new {@code Signature} looked up per call) cost more CPU than the
 * native signatures themselves in a profile of bench scenario S5. The bytes are the same as the
 * builder's (a test checks the two byte for byte), except that the issuer is the signing cert's
 * subject exactly as it is encoded there, as Go's {@code x509.CreateCertificate} copies it.
 *
 * <p>Threading: immutable apart from the per-thread signature cache; safe for concurrent use.
 */
final class LeafEncoder {
  private static final byte[] VERSION_3 = {(byte) 0xA0, 0x03, 0x02, 0x01, 0x02};
  private static final byte[] EMPTY_NAME = {0x30, 0x00};
  private static final byte[] CRITICAL = {0x01, 0x01, (byte) 0xFF};
  private static final byte[] SAN_OID = {0x06, 0x03, 0x55, 0x1D, 0x11}; // 2.5.29.17

  private final PrivateKey key;
  private final Provider provider;
  private final String signatureAlgorithm;
  private final byte[] algorithmIdentifier;
  private final byte[] issuer;
  /** keyUsage, extendedKeyUsage, basicConstraints and authorityKeyIdentifier, encoded in that order. */
  private final byte[] fixedExtensions;
  private final ThreadLocal<Signature> signatures;

  LeafEncoder(KeyCertBundle bundle) throws GeneralSecurityException {
    this.key = bundle.signingKey();
    this.signatureAlgorithm = Crypto.signatureAlgorithm(bundle.key());
    this.provider = providerFor(key, signatureAlgorithm);
    try {
      AlgorithmIdentifier alg = new DefaultSignatureAlgorithmIdentifierFinder().find(signatureAlgorithm);
      this.algorithmIdentifier = alg.getEncoded(ASN1Encoding.DER);
      this.issuer = bundle.cert().getSubjectX500Principal().getEncoded();
      ByteArrayOutputStream ext = new ByteArrayOutputStream();
      ext.write(new Extension(Extension.keyUsage, true,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment).getEncoded(ASN1Encoding.DER))
          .getEncoded(ASN1Encoding.DER));
      ext.write(new Extension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth})
              .getEncoded(ASN1Encoding.DER)).getEncoded(ASN1Encoding.DER));
      ext.write(new Extension(Extension.basicConstraints, true, new BasicConstraints(false).getEncoded(ASN1Encoding.DER))
          .getEncoded(ASN1Encoding.DER));
      if (bundle.subjectKeyId() != null) {
        ext.write(new Extension(Extension.authorityKeyIdentifier, false,
            new AuthorityKeyIdentifier(bundle.subjectKeyId()).getEncoded(ASN1Encoding.DER)).getEncoded(ASN1Encoding.DER));
      }
      this.fixedExtensions = ext.toByteArray();
    } catch (IOException | IllegalArgumentException e) {
      throw new GeneralSecurityException("cannot prepare the leaf encoding: " + e.getMessage(), e);
    }
    this.signatures = ThreadLocal.withInitial(() -> {
      try {
        Signature s = Signature.getInstance(signatureAlgorithm, provider);
        s.initSign(key);
        return s;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("cannot sign with the CA key", e);
      }
    });
  }

  /** The CA key's own provider if it takes the key, else Bouncy Castle (an Ed25519 key, say). */
  private static Provider providerFor(PrivateKey key, String algorithm) throws GeneralSecurityException {
    if (Crypto.SIGNATURES != Crypto.BC) {
      try {
        Signature.getInstance(algorithm, Crypto.SIGNATURES).initSign(key);
        return Crypto.SIGNATURES;
      } catch (GeneralSecurityException | RuntimeException e) {
        // Bouncy Castle below
      }
    }
    Signature.getInstance(algorithm, Crypto.BC).initSign(key);
    return Crypto.BC;
  }

  /**
   * The signed leaf, DER.
   *
   * @param spki the subject public key info exactly as the CSR carries it
   * @param san the subjectAltName extension value (DER of the GeneralNames)
   */
  byte[] encode(BigInteger serial, Instant notBefore, Instant notAfter, byte[] spki, byte[] san)
      throws GeneralSecurityException {
    byte[] sanExtension = sequence(concat(SAN_OID, CRITICAL, tlv(0x04, san)));
    byte[] extensions = tlv(0xA3, sequence(concat(fixedExtensions, sanExtension)));
    byte[] validity = sequence(concat(encoded(notBefore), encoded(notAfter)));
    byte[] tbs = sequence(concat(VERSION_3, tlv(0x02, serial.toByteArray()), algorithmIdentifier, issuer, validity,
        EMPTY_NAME, spki, extensions));
    byte[] signature = sign(tbs);
    byte[] bitString = new byte[signature.length + 1];
    System.arraycopy(signature, 0, bitString, 1, signature.length);
    return sequence(concat(tbs, algorithmIdentifier, tlv(0x03, bitString)));
  }

  private byte[] sign(byte[] tbs) throws GeneralSecurityException {
    Signature s = signatures.get();
    try {
      s.update(tbs);
      return s.sign(); // leaves s ready for the next one, with the same key
    } catch (GeneralSecurityException | RuntimeException e) {
      signatures.remove(); // whatever state it is in, the next call starts afresh
      throw e;
    }
  }

  private static byte[] encoded(Instant t) {
    try {
      return CertificateAuthority.x509Time(t).getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] sequence(byte[] content) {
    return tlv(0x30, content);
  }

  static byte[] tlv(int tag, byte[] content) {
    int n = content.length;
    int lengthBytes = n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 4;
    byte[] out = new byte[1 + lengthBytes + n];
    out[0] = (byte) tag;
    if (lengthBytes == 1) {
      out[1] = (byte) n;
    } else {
      out[1] = (byte) (0x80 | (lengthBytes - 1));
      for (int i = 0; i < lengthBytes - 1; i++) {
        out[2 + i] = (byte) (n >>> (8 * (lengthBytes - 2 - i)));
      }
    }
    System.arraycopy(content, 0, out, 1 + lengthBytes, n);
    return out;
  }

  static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }
}
