package dev.sextant.ca.authn;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;

/** A test service-account issuer: a JWKS and projected tokens shaped like the API server's. */
public final class TestTokens {
  public static final String ISSUER = "https://kubernetes.default.svc.cluster.local";
  public final RSAKey key;

  public TestTokens(String kid) throws Exception {
    key = new RSAKeyGenerator(2048).keyID(kid).generate();
  }

  public JWKSet jwks() {
    return new JWKSet(key.toPublicJWK());
  }

  /** A pod-bound token for {@code ns/sa}, audience {@code aud}, expiring at {@code exp}. */
  public String token(String iss, List<String> aud, String ns, String sa, String pod, String uid, Instant exp)
      throws Exception {
    JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(iss).audience(aud)
        .subject("system:serviceaccount:" + ns + ":" + sa)
        .issueTime(Date.from(exp.minusSeconds(43200))).notBeforeTime(Date.from(exp.minusSeconds(43200)))
        .expirationTime(Date.from(exp))
        .claim("kubernetes.io", Map.of("namespace", ns,
            "pod", Map.of("name", pod, "uid", uid),
            "serviceaccount", Map.of("name", sa, "uid", "sa-uid")))
        .build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), claims);
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }

  public String ztunnel(Instant exp) throws Exception {
    return token(ISSUER, List.of("istio-ca"), "istio-system", "ztunnel", "ztunnel-abc", "uid-z", exp);
  }
}
