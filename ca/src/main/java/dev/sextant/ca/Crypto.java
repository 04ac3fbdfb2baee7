package dev.sextant.ca;

import java.io.IOException;
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
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Locale;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;

/**
 * Key generation and signature algorithms, on private provider instances (never installed
 * globally).
 *
 * <p>The two signatures of every issuance, the CSR's verify and the CA's sign, dominate its cost
 * (performance-anchors.md section 4; a profile of bench scenario S5 puts three quarters of the
 * CA's CPU in Bouncy Castle's P-256 arithmetic). They run on {@link #SIGNATURES}: the Amazon
 * Corretto Crypto Provider (AWS-LC, native) when its library loads and passes its self-tests,
 * measured here at about 5x Bouncy Castle for a P-256 verify with a fresh key and 6x for a sign;
 * otherwise, or with {@code SEXTANT_CA_CRYPTO=java}, Bouncy Castle (2-7x faster than the JDK 17
 * providers). Anything the native provider does not support falls back to Bouncy Castle per
 * call. Key generation, PEM and ASN.1 stay on Bouncy Castle.
 */
public final class Crypto {
  public static final Provider BC = new BouncyCastleProvider();
  static final SecureRandom RANDOM = new SecureRandom();
  private static final String NATIVE_CLASS = "com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider";

  /** Signs and verifies on the hot path: native when available, else {@link #BC}. */
  public static final Provider SIGNATURES;
  /** Why {@link #SIGNATURES} is what it is, for the startup log. */
  public static final String SIGNATURES_CHOICE;

  static {
    String setting = System.getenv("SEXTANT_CA_CRYPTO");
    Choice c = choose(setting == null ? "" : setting);
    SIGNATURES = c.provider();
    SIGNATURES_CHOICE = c.why();
  }

  record Choice(Provider provider, String why) {}

  /**
   * {@code SEXTANT_CA_CRYPTO}: empty or {@code auto} = native if it loads, {@code java} = Bouncy
   * Castle. Never fails: a native library that cannot load (another OS or CPU, no writable temp
   * directory) leaves Bouncy Castle in charge and says why.
   */
  static Choice choose(String setting) {
    String s = setting.trim().toLowerCase(Locale.ROOT);
    if (s.equals("java") || s.equals("bc")) {
      return new Choice(BC, "Bouncy Castle (SEXTANT_CA_CRYPTO=" + s + ")");
    }
    String prefix = s.isEmpty() || s.equals("auto") ? "" : "SEXTANT_CA_CRYPTO=\"" + setting + "\" is not auto or java; ";
    try {
      Provider p = (Provider) Class.forName(NATIVE_CLASS).getField("INSTANCE").get(null);
      p.getClass().getMethod("assertHealthy").invoke(p);
      return new Choice(p, prefix + p.getName() + " " + p.getVersionStr() + " (native)");
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      Throwable cause = e instanceof java.lang.reflect.InvocationTargetException ite && ite.getCause() != null
          ? ite.getCause() : e;
      return new Choice(BC, prefix + "Bouncy Castle (the native provider is unavailable: "
          + cause.getClass().getSimpleName() + ")");
    }
  }

  private Crypto() {}

  /**
   * The key to sign with: {@code key} as a {@link #SIGNATURES} key, converted once so that each
   * signature does not convert it again; {@code key} itself if the provider cannot take it.
   */
  public static PrivateKey forSigning(PrivateKey key) {
    return forSigning(key, SIGNATURES);
  }

  public static PrivateKey forSigning(PrivateKey key, Provider provider) {
    if (provider == BC) {
      return key;
    }
    try {
      String alg = key instanceof RSAKey ? "RSA" : key instanceof ECKey ? "EC" : null;
      if (alg == null || key.getEncoded() == null) {
        return key;
      }
      return java.security.KeyFactory.getInstance(alg, provider)
          .generatePrivate(new PKCS8EncodedKeySpec(key.getEncoded()));
    } catch (GeneralSecurityException | RuntimeException e) {
      return key;
    }
  }

  /**
   * Whether the CSR is signed by the key it carries (proof of possession): on
   * {@link #SIGNATURES}, or on Bouncy Castle when the native provider does not support the key or
   * algorithm.
   *
   * @throws OperatorCreationException the algorithm is supported by neither
   * @throws PKCSException the signature cannot be processed
   */
  static boolean csrSignatureValid(PKCS10CertificationRequest csr) throws OperatorCreationException, PKCSException {
    return csrSignatureValid(csr, SIGNATURES);
  }

  static boolean csrSignatureValid(PKCS10CertificationRequest csr, Provider provider)
      throws OperatorCreationException, PKCSException {
    if (provider != BC) {
      Boolean verdict = verifyOn(csr, provider);
      if (verdict != null) {
        return verdict;
      }
    }
    return csr.isSignatureValid(
        new JcaContentVerifierProviderBuilder().setProvider(BC).build(csr.getSubjectPublicKeyInfo()));
  }

  private static final Map<ASN1ObjectIdentifier, String> KEY_ALGORITHMS = Map.of(
      X9ObjectIdentifiers.id_ecPublicKey, "EC",
      PKCSObjectIdentifiers.rsaEncryption, "RSA");
  private static final Map<ASN1ObjectIdentifier, String> SIGNATURE_ALGORITHMS = Map.of(
      X9ObjectIdentifiers.ecdsa_with_SHA256, "SHA256withECDSA",
      X9ObjectIdentifiers.ecdsa_with_SHA384, "SHA384withECDSA",
      X9ObjectIdentifiers.ecdsa_with_SHA512, "SHA512withECDSA",
      PKCSObjectIdentifiers.sha256WithRSAEncryption, "SHA256withRSA",
      PKCSObjectIdentifiers.sha384WithRSAEncryption, "SHA384withRSA",
      PKCSObjectIdentifiers.sha512WithRSAEncryption, "SHA512withRSA");

  /** Key factories and verifiers of one thread, reused across requests (each lookup costs a provider search). */
  private static final ThreadLocal<VerifyTools> VERIFY_TOOLS = ThreadLocal.withInitial(VerifyTools::new);

  private static final class VerifyTools {
    private final Map<String, java.security.KeyFactory> keyFactories = new java.util.HashMap<>();
    private final Map<String, Signature> signatures = new java.util.HashMap<>();

    java.security.KeyFactory keyFactory(String algorithm, Provider provider) throws GeneralSecurityException {
      String k = provider.getName() + "/" + algorithm;
      java.security.KeyFactory f = keyFactories.get(k);
      if (f == null || f.getProvider() != provider) {
        f = java.security.KeyFactory.getInstance(algorithm, provider);
        keyFactories.put(k, f);
      }
      return f;
    }

    /** A verifier; initVerify resets whatever state a failed use left. */
    Signature signature(String algorithm, Provider provider) throws GeneralSecurityException {
      String k = provider.getName() + "/" + algorithm;
      Signature sig = signatures.get(k);
      if (sig == null || sig.getProvider() != provider) {
        sig = Signature.getInstance(algorithm, provider);
        signatures.put(k, sig);
      }
      return sig;
    }
  }

  /**
   * The CSR's signature checked on {@code provider} by algorithm name (the native provider knows
   * no OIDs, so Bouncy Castle's operator builders cannot reach it): true or false, or null when
   * {@code provider} cannot judge (another key or signature algorithm, parameters it refuses, a
   * signature it cannot parse) and Bouncy Castle must.
   */
  static Boolean verifyOn(PKCS10CertificationRequest csr, Provider provider) {
    String keyAlgorithm = KEY_ALGORITHMS.get(csr.getSubjectPublicKeyInfo().getAlgorithm().getAlgorithm());
    String signatureAlgorithm = SIGNATURE_ALGORITHMS.get(csr.getSignatureAlgorithm().getAlgorithm());
    if (keyAlgorithm == null || signatureAlgorithm == null || csr.getSignatureAlgorithm().getParameters() != null
        && !DERNull.INSTANCE.equals(csr.getSignatureAlgorithm().getParameters())) {
      return null;
    }
    try {
      PublicKey key = VERIFY_TOOLS.get().keyFactory(keyAlgorithm, provider)
          .generatePublic(new X509EncodedKeySpec(csr.getSubjectPublicKeyInfo().getEncoded(ASN1Encoding.DER)));
      Signature verifier = VERIFY_TOOLS.get().signature(signatureAlgorithm, provider);
      verifier.initVerify(key);
      verifier.update(csr.toASN1Structure().getCertificationRequestInfo().getEncoded(ASN1Encoding.DER));
      return verifier.verify(csr.getSignature());
    } catch (GeneralSecurityException | IOException | RuntimeException e) {
      return null;
    }
  }

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

  /** A signer for {@code key}: on {@link #SIGNATURES} if it takes the key, else on Bouncy Castle. */
  static ContentSigner signer(PrivateKey key) throws GeneralSecurityException {
    return signer(key, SIGNATURES);
  }

  static ContentSigner signer(PrivateKey key, Provider provider) throws GeneralSecurityException {
    String alg = signatureAlgorithm(key);
    if (provider != BC) {
      try {
        return new JcaContentSignerBuilder(alg).setProvider(provider).build(key);
      } catch (OperatorCreationException | RuntimeException e) {
        // not supported natively: Bouncy Castle below
      }
    }
    try {
      return new JcaContentSignerBuilder(alg).setProvider(BC).setSecureRandom(RANDOM).build(key);
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
