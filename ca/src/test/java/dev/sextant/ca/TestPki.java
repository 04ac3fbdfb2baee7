package dev.sextant.ca;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * Test material made independently of the code under test: CSRs the way ztunnel makes them, CA
 * certificates the way a Go istiod or an operator's {@code cacerts} would hold them.
 */
public final class TestPki {
  private TestPki() {}

  public static KeyPair ec() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", Crypto.BC);
    g.initialize(256);
    return g.generateKeyPair();
  }

  public static KeyPair rsa(int bits) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA", Crypto.BC);
    g.initialize(bits);
    return g.generateKeyPair();
  }

  /** ztunnel's CSR: empty subject, one critical URI SAN per entry, SHA256withECDSA (or RSA). */
  public static String csr(KeyPair key, List<String> uriSans, String cn) throws Exception {
    X500Name subject = cn == null ? new X500Name(new RDN[0])
        : new X500Name(new RDN[] {new RDN(BCStyle.CN, new DERPrintableString(cn))});
    var b = new JcaPKCS10CertificationRequestBuilder(subject, key.getPublic());
    if (!uriSans.isEmpty()) {
      GeneralName[] names = uriSans.stream()
          .map(s -> new GeneralName(GeneralName.uniformResourceIdentifier, s)).toArray(GeneralName[]::new);
      ExtensionsGenerator ext = new ExtensionsGenerator();
      ext.addExtension(Extension.subjectAlternativeName, true, new GeneralNames(names));
      b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
    }
    String alg = key.getPrivate().getAlgorithm().startsWith("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
    byte[] der = b.build(new JcaContentSignerBuilder(alg).setProvider(Crypto.BC).build(key.getPrivate())).getEncoded();
    return Pem.encode("CERTIFICATE REQUEST", der);
  }

  public static String csr(KeyPair key, String uriSan) throws Exception {
    return csr(key, uriSan == null ? List.of() : List.of(uriSan), null);
  }

  /** A CA certificate: self-signed when {@code issuer} is null. Subject {@code O=<org>} as a Go istiod writes it. */
  public static X509Certificate caCert(String org, KeyPair key, X509Certificate issuer, PrivateKey issuerKey,
      Instant notBefore, Duration ttl) throws Exception {
    X500Name subject = new X500Name(new RDN[] {new RDN(BCStyle.O, new DERPrintableString(org))});
    X500Name issuerName = issuer == null ? subject : X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded());
    var b = new X509v3CertificateBuilder(issuerName, BigInteger.valueOf(System.nanoTime()), Date.from(notBefore),
        Date.from(notBefore.plus(ttl)), subject, SubjectPublicKeyInfo.getInstance(key.getPublic().getEncoded()));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign));
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    b.addExtension(Extension.subjectKeyIdentifier, false, new SubjectKeyIdentifier(skid(key.getPublic())));
    if (issuer != null) {
      b.addExtension(Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(skid(issuer.getPublicKey())));
    }
    PrivateKey signWith = issuerKey == null ? key.getPrivate() : issuerKey;
    String alg = signWith.getAlgorithm().startsWith("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
    return new JcaX509CertificateConverter().getCertificate(
        b.build(new JcaContentSignerBuilder(alg).setProvider(Crypto.BC).build(signWith)));
  }

  static byte[] skid(PublicKey pub) throws Exception {
    byte[] bits = SubjectPublicKeyInfo.getInstance(pub.getEncoded()).getPublicKeyData().getBytes();
    return MessageDigest.getInstance("SHA-1").digest(bits);
  }

  public static String pem(X509Certificate c) {
    return Pem.encodeCertificate(c);
  }

  /** A private key in PKCS#1 ({@code RSA PRIVATE KEY}) or SEC1 ({@code EC PRIVATE KEY}), as Go writes them. */
  public static String keyPem(KeyPair k) throws Exception {
    java.io.StringWriter w = new java.io.StringWriter();
    try (var pw = new org.bouncycastle.openssl.jcajce.JcaPEMWriter(w)) {
      pw.writeObject(k.getPrivate());
    }
    return w.toString().replace("\r\n", "\n");
  }

  /** The same key as unencrypted PKCS#8 ({@code PRIVATE KEY}). */
  public static String pkcs8Pem(KeyPair k) {
    return Pem.encode("PRIVATE KEY", k.getPrivate().getEncoded());
  }
}
