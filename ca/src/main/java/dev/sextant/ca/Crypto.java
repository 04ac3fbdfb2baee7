package dev.sextant.ca;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.security.spec.ECGenParameterSpec;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Key generation and signature algorithms, on a private Bouncy Castle provider instance (never
 * installed globally): BC is 2-7x faster than the JDK 17 providers for ECDSA, and the CSR verify
 * dominates the cost of issuance (see shared/docs/performance-anchors.md section 4).
 */
public final class Crypto {
  public static final Provider BC = new BouncyCastleProvider();
  static final SecureRandom RANDOM = new SecureRandom();

  private Crypto() {}

  /** The key type of a new self-signed root. */
  public enum KeyType {
    /** ECDSA P-256: Sextant's default, several times faster to sign with. */
    EC_P256,
    /** RSA of {@code CITADEL_SELF_SIGNED_CA_RSA_KEY_SIZE} bits: istiod's only choice. */
    RSA
  }

  public static KeyPair generate(KeyType type, int rsaBits) throws GeneralSecurityException {
    if (type == KeyType.RSA) {
      if (rsaBits < 2048) {
        throw new GeneralSecurityException(
            "requested key size does not meet the minimum required size of 2048 (requested: " + rsaBits + ")");
      }
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA", BC);
      g.initialize(rsaBits, RANDOM);
      return g.generateKeyPair();
    }
    return generateEc("secp256r1");
  }

  static KeyPair generateEc(String curve) throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", BC);
    g.initialize(new ECGenParameterSpec(curve), RANDOM);
    return g.generateKeyPair();
  }

  /** The signature algorithm Go picks for a CA key: SHA-256 for RSA and P-256, SHA-384/512 for P-384/521. */
  static String signatureAlgorithm(PrivateKey key) throws GeneralSecurityException {
    if (key instanceof RSAKey) {
      return "SHA256WITHRSA";
    }
    if (key instanceof ECKey ec) {
      int bits = ec.getParams().getOrder().bitLength();
      return bits <= 256 ? "SHA256WITHECDSA" : bits <= 384 ? "SHA384WITHECDSA" : "SHA512WITHECDSA";
    }
    if ("Ed25519".equalsIgnoreCase(key.getAlgorithm()) || "EdDSA".equalsIgnoreCase(key.getAlgorithm())) {
      return "Ed25519";
    }
    throw new GeneralSecurityException("unsupported CA key algorithm " + key.getAlgorithm());
  }

  static ContentSigner signer(PrivateKey key) throws GeneralSecurityException {
    try {
      return new JcaContentSignerBuilder(signatureAlgorithm(key)).setProvider(BC).setSecureRandom(RANDOM).build(key);
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException("cannot sign with the CA key", e);
    }
  }

  /** True if {@code priv} is the private half of {@code pub} (checked by a test signature). */
  public static boolean matches(PrivateKey priv, PublicKey pub) {
    try {
      String alg = signatureAlgorithm(priv);
      byte[] msg = "sextant key check".getBytes(StandardCharsets.US_ASCII);
      Signature s = Signature.getInstance(alg, BC);
      s.initSign(priv, RANDOM);
      s.update(msg);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg, BC);
      v.initVerify(pub);
      v.update(msg);
      return v.verify(sig);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  /** A uniformly random positive 128-bit serial number (never zero). */
  static BigInteger serial() {
    BigInteger s;
    do {
      s = new BigInteger(128, RANDOM);
    } while (s.signum() == 0);
    return s;
  }
}
