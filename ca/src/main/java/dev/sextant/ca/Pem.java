package dev.sextant.ca;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;

/**
 * PEM as istiod reads and writes it (Go {@code encoding/pem}): blocks of 64-column base64 with
 * {@code \n} line ends; the label of a CSR block is not checked; private keys in SEC1
 * ({@code EC PRIVATE KEY}), PKCS#1 ({@code RSA PRIVATE KEY}) or PKCS#8 ({@code PRIVATE KEY}).
 */
public final class Pem {
  public static final String CERTIFICATE = "CERTIFICATE";
  static final String EC_PRIVATE_KEY = "EC PRIVATE KEY";
  static final String RSA_PRIVATE_KEY = "RSA PRIVATE KEY";
  static final String PRIVATE_KEY = "PRIVATE KEY";

  private static final String BEGIN = "-----BEGIN ";
  private static final String END = "-----END ";
  private static final String DASHES = "-----";

  private Pem() {}

  /**
   * One decoded block. {@code start} and {@code end} are offsets in the text: from the first
   * character after the previous block (Go's {@code rest}) to just past this block's END line.
   */
  public record Block(String label, byte[] der, int start, int end) {}

  /** The first block in {@code text}, or null if there is none that decodes. */
  public static Block first(String text) {
    return next(text, 0);
  }

  /** Every block, in order; stops at the first that does not decode (as Go's loop does). */
  public static List<Block> all(String text) {
    List<Block> out = new ArrayList<>();
    int from = 0;
    Block b;
    while ((b = next(text, from)) != null) {
      out.add(b);
      from = b.end();
    }
    return out;
  }

  private static Block next(String text, int from) {
    int search = from;
    while (true) {
      int begin = text.indexOf(BEGIN, search);
      if (begin < 0) {
        return null;
      }
      int labelEnd = text.indexOf(DASHES, begin + BEGIN.length());
      int lineEnd = text.indexOf('\n', begin);
      if (labelEnd < 0 || (lineEnd >= 0 && lineEnd < labelEnd)) {
        search = begin + BEGIN.length();
        continue;
      }
      String label = text.substring(begin + BEGIN.length(), labelEnd);
      String endMarker = END + label + DASHES;
      int endAt = text.indexOf(endMarker, labelEnd + DASHES.length());
      if (endAt < 0) {
        return null;
      }
      String body = text.substring(labelEnd + DASHES.length(), endAt);
      byte[] der;
      try {
        der = Base64.getMimeDecoder().decode(stripHeaders(body));
      } catch (IllegalArgumentException e) {
        search = begin + BEGIN.length();
        continue;
      }
      int end = endAt + endMarker.length();
      if (end < text.length() && text.charAt(end) == '\r') {
        end++;
      }
      if (end < text.length() && text.charAt(end) == '\n') {
        end++;
      }
      return new Block(label, der, from, end);
    }
  }

  private static String stripHeaders(String body) {
    if (!body.contains(":")) {
      return body;
    }
    StringBuilder sb = new StringBuilder();
    for (String line : body.split("\n")) {
      if (!line.contains(":")) {
        sb.append(line).append('\n');
      }
    }
    return sb.toString();
  }

  /** Encodes one block: 64-column base64, {@code \n} line ends, ending in {@code \n}. */
  public static String encode(String label, byte[] der) {
    String b64 = Base64.getEncoder().encodeToString(der);
    StringBuilder sb = new StringBuilder(b64.length() + b64.length() / 64 + 64);
    sb.append(BEGIN).append(label).append(DASHES).append('\n');
    for (int i = 0; i < b64.length(); i += 64) {
      sb.append(b64, i, Math.min(b64.length(), i + 64)).append('\n');
    }
    return sb.append(END).append(label).append(DASHES).append('\n').toString();
  }

  /**
   * Splits concatenated PEM into one string per block, as istiod's {@code PemCertBytestoString}:
   * each piece runs from the end of the previous block, with one leading and one trailing
   * {@code \n} trimmed.
   */
  public static List<String> split(String text) {
    List<String> out = new ArrayList<>();
    for (Block b : all(text)) {
      if (b.der().length == 0) {
        break;
      }
      String piece = text.substring(b.start(), b.end());
      if (piece.endsWith("\n")) {
        piece = piece.substring(0, piece.length() - 1);
      }
      if (piece.startsWith("\n")) {
        piece = piece.substring(1);
      }
      out.add(piece);
    }
    return out;
  }

  /** Every {@code CERTIFICATE} block, parsed. */
  public static List<X509Certificate> certificates(String text) throws CertificateException {
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    List<X509Certificate> out = new ArrayList<>();
    for (Block b : all(text)) {
      if (CERTIFICATE.equals(b.label())) {
        out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.der())));
      }
    }
    return out;
  }

  /** The first certificate in {@code text}; an exception if there is none. */
  public static X509Certificate certificate(String text) throws CertificateException {
    Block b = first(text);
    if (b == null) {
      throw new CertificateException("invalid PEM encoded certificate");
    }
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    return (X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.der()));
  }

  public static String encodeCertificate(X509Certificate cert) {
    try {
      return encode(CERTIFICATE, cert.getEncoded());
    } catch (CertificateException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A private key in any of the three layouts istiod reads; anything else is an error. */
  public static PrivateKey privateKey(String text) throws GeneralSecurityException {
    Block b = first(text);
    if (b == null) {
      throw new GeneralSecurityException("invalid PEM-encoded key");
    }
    try {
      PrivateKeyInfo info = switch (b.label()) {
        case EC_PRIVATE_KEY -> {
          org.bouncycastle.asn1.sec.ECPrivateKey sec1 =
              org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(ASN1Primitive.fromByteArray(b.der()));
          if (sec1.getParametersObject() == null) {
            throw new GeneralSecurityException("failed to parse the ECDSA private key: no curve");
          }
          yield new PrivateKeyInfo(new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey,
              sec1.getParametersObject()), sec1);
        }
        case RSA_PRIVATE_KEY -> new PrivateKeyInfo(
            new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE),
            ASN1Primitive.fromByteArray(b.der()));
        case PRIVATE_KEY -> PrivateKeyInfo.getInstance(b.der());
        default -> throw new GeneralSecurityException("unsupported PEM block type for a private key: " + b.label());
      };
      return new JcaPEMKeyConverter().setProvider(Crypto.BC).getPrivateKey(info);
    } catch (IOException | RuntimeException e) {
      throw new GeneralSecurityException("failed to parse the private key", e);
    }
  }

  /**
   * The key as a Go istiod writes it for a self-signed CA: PKCS#1 for RSA, SEC1 with the curve and
   * public key for EC, so either implementation can read the other's Secret.
   */
  public static String encodePrivateKey(KeyPair pair) {
    try {
      PrivateKeyInfo info = PrivateKeyInfo.getInstance(pair.getPrivate().getEncoded());
      if (pair.getPrivate() instanceof RSAPrivateKey) {
        return encode(RSA_PRIVATE_KEY, info.parsePrivateKey().toASN1Primitive().getEncoded("DER"));
      }
      if (pair.getPrivate() instanceof ECPrivateKey ec) {
        SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(pair.getPublic().getEncoded());
        ASN1ObjectIdentifier curve = ASN1ObjectIdentifier.getInstance(info.getPrivateKeyAlgorithm().getParameters());
        int bits = ec.getParams().getOrder().bitLength();
        BigInteger d = ec.getS();
        var sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(bits, d,
            new DERBitString(spki.getPublicKeyData().getBytes()), curve);
        return encode(EC_PRIVATE_KEY, sec1.getEncoded("DER"));
      }
      return encode(PRIVATE_KEY, info.getEncoded("DER"));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static String ascii(byte[] b) {
    return new String(b, StandardCharsets.US_ASCII);
  }
}
