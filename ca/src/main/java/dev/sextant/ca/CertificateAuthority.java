package dev.sextant.ca;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1UTCTime;
import org.bouncycastle.asn1.BERTags;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.x500.X500NameBuilder;

/**
 * The signer: turns a CSR and the identities decided by the caller into a leaf certificate and the
 * chain istiod returns.
 *
 * <p>Model: istio/istio {@code security/pkg/pki/ca/ca.go} ({@code sign}) and
 * {@code security/pkg/pki/util/generate_cert.go} ({@code genCertTemplateFromCSR}). The CSR supplies
 * only its public key and whether its subject has a CN; the SANs are the identities given here,
 * never copied from the CSR. Leaf profile: empty subject (dual-use CN aside), critical SAN,
 * critical key usage digitalSignature+keyEncipherment, EKU serverAuth+clientAuth, critical
 * CA=false, AKID = the signing cert's SKID, notBefore = now - 2 min, random 128-bit serial.
 *
 * <p>Validity: TTL &le; 0 means the default; a requested TTL above the maximum is a
 * {@code TTL_ERROR}, not a clamp; notAfter is clamped to the signing cert's notAfter; an expired
 * signing cert is a {@code CERT_GEN_ERROR}.
 *
 * <p>Beyond istiod (each a {@code CSR_ERROR}): a CSR text above {@link CsrPolicy#maxPemChars()},
 * a weak or unsupported key, and, if the CSR asks for SANs, any that is not among the identities
 * being issued.
 *
 * <p>Threading: stateless apart from the current {@link KeyCertBundle}, which is swapped
 * atomically; every request reads one snapshot.
 */
public final class CertificateAuthority {
  /** istiod's {@code ClockSkewGracePeriod}. */
  static final Duration CLOCK_SKEW_GRACE = Duration.ofMinutes(2);
  private static final Set<ASN1ObjectIdentifier> CURVES =
      Set.of(SECObjectIdentifiers.secp256r1, SECObjectIdentifiers.secp384r1, SECObjectIdentifiers.secp521r1);

  /** What a CSR must satisfy beyond istiod's checks. */
  public record CsrPolicy(int maxPemChars, int minRsaBits, boolean requestedSansMustMatch) {
    public static CsrPolicy defaults() {
      return new CsrPolicy(64 * 1024, 2048, true);
    }
  }

  private final AtomicReference<KeyCertBundle> bundle;
  private final Duration defaultTtl;
  private final Duration maxTtl;
  private final CsrPolicy policy;
  private final Clock clock;
  private final List<Consumer<KeyCertBundle>> listeners = new CopyOnWriteArrayList<>();

  /**
   * @param defaultTtl {@code DEFAULT_WORKLOAD_CERT_TTL}; lowered, as istiod does once at
   *     construction, to the time left on the first cert of the chain if that is shorter
   */
  public CertificateAuthority(KeyCertBundle initial, Duration defaultTtl, Duration maxTtl, CsrPolicy policy,
      Clock clock) throws GeneralSecurityException {
    this.bundle = new AtomicReference<>(Objects.requireNonNull(initial));
    this.maxTtl = maxTtl;
    this.policy = policy;
    this.clock = clock;
    Duration ttl = defaultTtl;
    if (!initial.certChainPem().isEmpty()) {
      Instant chainExpiry = Pem.certificate(initial.certChainPem()).getNotAfter().toInstant();
      Duration left = Duration.between(clock.instant(), chainExpiry);
      if (left.isNegative() || left.isZero()) {
        throw new GeneralSecurityException("failed to get default cert TTL cert chain has expired");
      }
      if (ttl.compareTo(left) > 0) {
        ttl = left;
      }
    }
    this.defaultTtl = ttl;
  }

  public KeyCertBundle bundle() {
    return bundle.get();
  }

  public Duration defaultTtl() {
    return defaultTtl;
  }

  public Duration maxTtl() {
    return maxTtl;
  }

  /** Swaps the signing material and tells the listeners (on the calling thread). */
  void update(KeyCertBundle next) {
    bundle.set(next);
    for (Consumer<KeyCertBundle> l : listeners) {
      l.accept(next);
    }
  }

  /** Called after every change of the signing material (rotation, reload). */
  public void addListener(Consumer<KeyCertBundle> listener) {
    listeners.add(listener);
  }

  /**
   * Signs a workload CSR and returns the response chain in istiod's layout: the leaf, each cert of
   * the CA chain as its own element, then the whole root bundle as the last element.
   *
   * @param ttlSeconds the requested {@code validity_duration}; &le; 0 for the default
   */
  public List<String> signWorkload(String csrPem, List<String> sans, long ttlSeconds) throws CaException {
    List<ByteString> chain = signWorkloadEncoded(csrPem, sans, ttlSeconds);
    List<String> out = new ArrayList<>(chain.size());
    for (ByteString element : chain) {
      out.add(element.toStringUtf8());
    }
    return out;
  }

  /**
   * {@link #signWorkload} with each element as its UTF-8 bytes, ready for the response: the
   * elements after the leaf are the same cached bytes for every response of a bundle.
   */
  public List<ByteString> signWorkloadEncoded(String csrPem, List<String> sans, long ttlSeconds) throws CaException {
    KeyCertBundle b = bundle.get();
    PKCS10CertificationRequest csr = parseAndVerify(csrPem);
    checkRequestedSans(csr, sans);
    // compared in seconds, before any conversion, so absurd values cannot wrap as they do in Go
    if (ttlSeconds > maxTtl.getSeconds()) {
      throw new CaException(CaError.TTL_ERROR, "requested TTL " + GoDuration.format(Duration.ofSeconds(ttlSeconds))
          + " is greater than the max allowed TTL " + GoDuration.format(maxTtl));
    }
    Duration ttl = ttlSeconds <= 0 ? defaultTtl : Duration.ofSeconds(ttlSeconds);
    String leaf = issue(b, csr.getSubjectPublicKeyInfo(), sans, ttl, hasCommonName(csr.getSubject()));
    List<ByteString> after = b.responseTail();
    List<ByteString> chain = new ArrayList<>(1 + after.size());
    chain.add(ByteString.copyFromUtf8(leaf));
    chain.addAll(after);
    return chain;
  }

  /**
   * A leaf for {@code publicKey} with the given SANs and no TTL maximum (istiod's own serving
   * cert: {@code GenKeyCert} with {@code checkLifetime=false}). Returns the leaf PEM followed by
   * the CA cert chain PEM, concatenated, as istiod serves it.
   */
  String signServing(PublicKey publicKey, List<String> sans, Duration ttl) throws CaException {
    KeyCertBundle b = bundle.get();
    String leaf = issue(b, SubjectPublicKeyInfo.getInstance(publicKey.getEncoded()), sans, ttl, false);
    return leaf + b.certChainPem();
  }

  PKCS10CertificationRequest parseAndVerify(String csrPem) throws CaException {
    if (csrPem.length() > policy.maxPemChars()) {
      throw csrError("CSR is " + csrPem.length() + " characters long, more than the limit of "
          + policy.maxPemChars());
    }
    Pem.Block block = Pem.first(csrPem);
    if (block == null) {
      throw csrError("certificate signing request is not properly encoded");
    }
    PKCS10CertificationRequest csr;
    try {
      csr = new PKCS10CertificationRequest(block.der());
    } catch (IOException | RuntimeException e) {
      throw csrError("failed to parse X.509 certificate signing request");
    }
    SubjectPublicKeyInfo spki = csr.getSubjectPublicKeyInfo();
    checkKey(spki);
    try {
      if (!Crypto.csrSignatureValid(csr)) {
        throw csrError("CSR signature verification failed");
      }
    } catch (OperatorCreationException | PKCSException | RuntimeException e) {
      throw csrError("CSR signature cannot be verified: unsupported signature algorithm");
    }
    return csr;
  }

  private void checkKey(SubjectPublicKeyInfo spki) throws CaException {
    ASN1ObjectIdentifier alg = spki.getAlgorithm().getAlgorithm();
    try {
      if (alg.equals(PKCSObjectIdentifiers.rsaEncryption)) {
        int bits = RSAPublicKey.getInstance(spki.parsePublicKey()).getModulus().bitLength();
        if (bits < policy.minRsaBits()) {
          throw csrError("CSR public key is too weak: RSA " + bits + " bits, at least " + policy.minRsaBits()
              + " required");
        }
      } else if (alg.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
        var params = spki.getAlgorithm().getParameters();
        if (!(params instanceof ASN1ObjectIdentifier curve) || !CURVES.contains(curve)) {
          throw csrError("CSR public key uses an unsupported elliptic curve (P-256, P-384 or P-521 required)");
        }
      } else if (!alg.equals(EdECObjectIdentifiers.id_Ed25519)) {
        throw csrError("CSR public key algorithm " + alg.getId() + " is not supported");
      }
    } catch (IOException | RuntimeException e) {
      throw csrError("CSR public key cannot be parsed");
    }
  }

  private void checkRequestedSans(PKCS10CertificationRequest csr, List<String> sans) throws CaException {
    if (!policy.requestedSansMustMatch()) {
      return;
    }
    List<String> requested = requestedSans(csr);
    if (requested.isEmpty()) {
      return;
    }
    if (requested.size() > sans.size()) {
      throw csrError("CSR requests " + requested.size() + " subject alternative names, but " + sans.size()
          + (sans.size() == 1 ? " identity is" : " identities are") + " being issued");
    }
    Set<String> allowed = new HashSet<>(sans);
    for (String r : requested) {
      if (!allowed.contains(r)) {
        throw csrError("CSR requests subject alternative name \"" + r + "\", which is not the authenticated identity");
      }
    }
  }

  /** The SANs the CSR's extension request asks for, as strings; empty if none. */
  static List<String> requestedSans(PKCS10CertificationRequest csr) throws CaException {
    try {
      for (Attribute a : csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
        if (a.getAttrValues().size() == 0) {
          continue;
        }
        Extensions exts = Extensions.getInstance(a.getAttrValues().getObjectAt(0));
        Extension san = exts.getExtension(Extension.subjectAlternativeName);
        if (san != null) {
          return Sans.decode(GeneralNames.getInstance(san.getParsedValue()));
        }
      }
      return List.of();
    } catch (RuntimeException e) {
      throw csrError("CSR extension request cannot be parsed");
    }
  }

  private static boolean hasCommonName(X500Name subject) {
    for (RDN rdn : subject.getRDNs(BCStyle.CN)) {
      if (rdn.getFirst() != null && !rdn.getFirst().getValue().toString().isEmpty()) {
        return true;
      }
    }
    return false;
  }

  private String issue(KeyCertBundle b, SubjectPublicKeyInfo spki, List<String> sans, Duration ttl, boolean dualUse)
      throws CaException {
    Instant now = clock.instant();
    Instant signerNotAfter = b.notAfter();
    if (!now.isBefore(signerNotAfter)) {
      throw new CaException(CaError.CERT_GEN_ERROR, "signing certificate has expired at " + signerNotAfter);
    }
    Instant notAfter;
    try {
      notAfter = now.plus(ttl);
    } catch (ArithmeticException | java.time.DateTimeException e) {
      notAfter = signerNotAfter;
    }
    if (!notAfter.isBefore(signerNotAfter)) {
      notAfter = signerNotAfter;
    }
    X500Name subject = new X500Name(new RDN[0]);
    if (dualUse && !sans.isEmpty()) {
      String cn = sans.get(0);
      if (cn.length() <= 64) {
        subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, cn).build();
      }
    }
    BigInteger serial = serial();
    Instant notBefore = now.minus(CLOCK_SKEW_GRACE);
    try {
      byte[] der = subject.getRDNs().length == 0
          ? b.leafEncoder().encode(serial, notBefore, notAfter, spki.getEncoded(ASN1Encoding.DER),
              Sans.encode(sans).getEncoded(ASN1Encoding.DER))
          : buildWithBouncyCastle(b, serial, notBefore, notAfter, subject, spki, sans);
      return Pem.encode(Pem.CERTIFICATE, der);
    } catch (CertIOException e) {
      throw new CaException(CaError.CERT_GEN_ERROR, "cannot encode the certificate extensions");
    } catch (GeneralSecurityException | IOException | IllegalStateException e) {
      throw new CaException(CaError.CERT_GEN_ERROR, "cannot sign the certificate");
    }
  }

  /**
   * The same leaf through Bouncy Castle's builder: for a subject (a dual-use CN), which the
   * {@link LeafEncoder} does not write, and as the reference the encoder is tested against.
   */
  static byte[] buildWithBouncyCastle(KeyCertBundle b, BigInteger serial, Instant notBefore, Instant notAfter,
      X500Name subject, SubjectPublicKeyInfo spki, List<String> sans) throws GeneralSecurityException, IOException {
    X509v3CertificateBuilder builder = new X509v3CertificateBuilder(b.subject(), serial,
        x509Time(notBefore), x509Time(notAfter), subject, spki);
    builder.addExtension(Extension.keyUsage, true,
        new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
    builder.addExtension(Extension.extendedKeyUsage, false,
        new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    if (b.subjectKeyId() != null) {
      builder.addExtension(Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(b.subjectKeyId()));
    }
    builder.addExtension(Extension.subjectAlternativeName, true, Sans.encode(sans));
    return builder.build(Crypto.signer(b.signingKey())).getEncoded();
  }

  private static final DateTimeFormatter UTC_TIME =
      DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter GENERALIZED_TIME =
      DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

  /**
   * A validity time as Go's x509 encodes it: UTCTime for the years 1950 to 2049, GeneralizedTime
   * otherwise, whole seconds, {@code Z}. Built from its DER bytes: Bouncy Castle's {@code Date}
   * constructors format and re-parse through a new {@code SimpleDateFormat} each time (6 % of
   * the CA's CPU in a profile of bench scenario S5).
   */
  static Time x509Time(Instant t) {
    int year = t.atOffset(ZoneOffset.UTC).getYear();
    boolean utc = year >= 1950 && year <= 2049;
    byte[] text = (utc ? UTC_TIME : GENERALIZED_TIME).format(t).getBytes(StandardCharsets.US_ASCII);
    byte[] der = new byte[2 + text.length];
    der[0] = (byte) (utc ? BERTags.UTC_TIME : BERTags.GENERALIZED_TIME);
    der[1] = (byte) text.length;
    System.arraycopy(text, 0, der, 2, text.length);
    return new Time(utc ? ASN1UTCTime.getInstance(der) : ASN1GeneralizedTime.getInstance(der));
  }

  private static BigInteger serial() {
    return Crypto.serial();
  }

  private static CaException csrError(String message) {
    return new CaException(CaError.CSR_ERROR, message);
  }
}
