package dev.sextant.bench;

import dev.sextant.ca.CaException;
import dev.sextant.ca.CertificateAuthority;
import dev.sextant.ca.Crypto;
import dev.sextant.ca.KeyCertBundle;
import dev.sextant.ca.Pem;
import dev.sextant.ca.RootStore;
import dev.sextant.ca.SelfSignedRoots;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One issuance inside the CA, without gRPC, TLS or authentication
 * ({@link CertificateAuthority#signWorkload}: parse the CSR, verify it, build and sign the leaf,
 * PEM), beside its raw signature work with the same keys (verify the CSR's ECDSA P-256
 * signature with the key decoded afresh, as from a new CSR; sign with the CA key; Bouncy Castle).
 * S5's end-to-end figure is judged against both.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CaIssueBench {
  @Param({"EC", "RSA"})
  String caKey;

  private CertificateAuthority ca;
  private String csr;
  private List<String> sans;
  private PrivateKey caPrivate;
  private KeyPair csrKey;
  private byte[] msg;
  private byte[] csrSignature;
  private byte[] csrPublic;
  private java.security.KeyFactory keys;
  private Signature verifier;
  private Signature signer;
  private final SecureRandom random = new SecureRandom();

  @Setup(Level.Trial)
  public void setup() throws Exception {
    Crypto.KeyType type = caKey.equals("RSA") ? Crypto.KeyType.RSA : Crypto.KeyType.EC_P256;
    RootStore.StoredRoot root = SelfSignedRoots.generate("cluster.local", Duration.ofDays(3650), type, 2048,
        Clock.systemUTC());
    ca = new CertificateAuthority(KeyCertBundle.verified(root.caCertPem(), root.caKeyPem(), "", root.caCertPem()),
        Duration.ofHours(24), Duration.ofHours(2160), CertificateAuthority.CsrPolicy.defaults(), Clock.systemUTC());
    csrKey = S5CaBurst.ecKey();
    String id = "spiffe://cluster.local/ns/ns-1/sa/sa-1";
    csr = S5CaBurst.csr(csrKey, id);
    sans = List.of(id);
    caPrivate = Pem.privateKey(root.caKeyPem());
    msg = new byte[300];
    Signature s = Signature.getInstance("SHA256withECDSA", Crypto.BC);
    s.initSign(csrKey.getPrivate());
    s.update(msg);
    csrSignature = s.sign();
    csrPublic = csrKey.getPublic().getEncoded();
    keys = java.security.KeyFactory.getInstance("EC", Crypto.BC);
    verifier = Signature.getInstance("SHA256withECDSA", Crypto.BC);
    signer = Signature.getInstance(caPrivate.getAlgorithm().startsWith("RSA") ? "SHA256withRSA" : "SHA256withECDSA",
        Crypto.BC);
  }

  @Benchmark
  public List<String> signWorkload() throws CaException {
    return ca.signWorkload(csr, sans, 86400);
  }

  @Benchmark
  public byte[] rawVerifyAndSign() throws Exception {
    verifier.initVerify(keys.generatePublic(new java.security.spec.X509EncodedKeySpec(csrPublic)));
    verifier.update(msg);
    if (!verifier.verify(csrSignature)) {
      throw new IllegalStateException();
    }
    signer.initSign(caPrivate, random);
    signer.update(msg);
    return signer.sign();
  }
}
