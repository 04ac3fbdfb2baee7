package dev.sextant.ca.authn;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Validates a Kubernetes service-account token offline, against the issuer's JWKS: the API
 * server's {@code /openid/v1/jwks} (Kubernetes mode) or a file ({@code --jwksFile}, local mode).
 * Beyond istiod, which sends every token to a TokenReview.
 *
 * <p>Decides only what it can: a token from another issuer, or signed by a key not in the set
 * (after one refetch, at most every {@link #REFETCH_INTERVAL}), is {@link Outcome#undecided} and
 * left to the TokenReview. Signature, {@code exp}, {@code nbf}, audience ({@code TOKEN_AUDIENCES})
 * and the {@code sub} / {@code kubernetes.io} claims are checked here; a failure is final.
 *
 * <p>What it cannot see: that the pod or service account behind the token was deleted (the API
 * server checks that in a TokenReview). {@link KubeJwtAuthenticator} closes that gap with a
 * bound-pod check against the pod cache.
 *
 * <p>Threading: safe for concurrent use; the key set is swapped atomically.
 */
public final class JwksTokenVerifier {
  private static final Logger log = LoggerFactory.getLogger(JwksTokenVerifier.class);
  static final Duration REFETCH_INTERVAL = Duration.ofSeconds(30);
  static final Duration CLOCK_SKEW = Duration.ofSeconds(60);
  /** The API server's key set for service-account tokens (a non-resource URL, RBAC verb get). */
  public static final String JWKS_PATH = "/openid/v1/jwks";
  /** The API server's OpenID discovery document, which names the issuer (RBAC verb get). */
  public static final String OPENID_CONFIGURATION_PATH = "/.well-known/openid-configuration";

  /** Where the keys come from. */
  public interface KeySource {
    JWKSet fetch() throws IOException;
  }

  /** The result: verified info with the token's expiry, or undecided with the reason. */
  public record Outcome(KubernetesInfo info, Instant expiry, String undecided) {
    static Outcome verified(KubernetesInfo info, Instant expiry) {
      return new Outcome(info, expiry, null);
    }

    static Outcome undecided(String why) {
      return new Outcome(null, null, why);
    }

    public boolean isVerified() {
      return info != null;
    }
  }

  private final Set<String> issuers;
  private final KeySource keys;
  private final Clock clock;
  private volatile JWKSet current;
  private volatile Instant lastFetch = Instant.EPOCH;

  public JwksTokenVerifier(Set<String> issuers, KeySource keys, Clock clock) {
    this.issuers = Set.copyOf(issuers);
    this.keys = keys;
    this.clock = clock;
  }

  /** Keys from a JWKS file (local mode). */
  public static KeySource fileKeys(Path file) {
    return () -> {
      try {
        return JWKSet.parse(Files.readString(file, StandardCharsets.UTF_8));
      } catch (ParseException e) {
        throw new IOException("cannot parse JWKS file " + file + ": " + e.getMessage(), e);
      }
    };
  }

  /** Keys from the API server's {@code /openid/v1/jwks}. */
  public static KeySource apiServerKeys(KubernetesClient client) {
    return () -> {
      String body;
      try {
        body = client.raw(JWKS_PATH);
      } catch (RuntimeException e) {
        throw new IOException("cannot fetch /openid/v1/jwks: " + e.getMessage(), e);
      }
      if (body == null) {
        throw new IOException("the API server serves no /openid/v1/jwks");
      }
      try {
        return JWKSet.parse(body);
      } catch (ParseException e) {
        throw new IOException("cannot parse /openid/v1/jwks: " + e.getMessage(), e);
      }
    };
  }

  /** The API server's service-account issuer, from {@code /.well-known/openid-configuration}. */
  public static String apiServerIssuer(KubernetesClient client) throws IOException {
    try {
      String body = client.raw(OPENID_CONFIGURATION_PATH);
      if (body == null) {
        throw new IOException("the API server serves no /.well-known/openid-configuration");
      }
      Object iss = JSONObjectUtils.parse(body).get("issuer");
      if (!(iss instanceof String s) || s.isEmpty()) {
        throw new IOException("the OpenID configuration names no issuer");
      }
      return s;
    } catch (ParseException | RuntimeException e) {
      throw new IOException("cannot read the service-account issuer: " + e.getMessage(), e);
    }
  }

  /**
   * Verifies a parsed token; {@code claims} are its (not yet trusted) claims. An exception is a
   * final refusal.
   */
  Outcome verify(SignedJWT jwt, JWTClaimsSet claims, List<String> audiences) throws AuthenticationException {
    if (claims.getIssuer() == null || !issuers.contains(claims.getIssuer())) {
      return Outcome.undecided("token issuer is not trusted for offline validation");
    }
    JWSHeader header = jwt.getHeader();
    List<JWK> candidates = candidates(header, false);
    if (candidates.isEmpty()) {
      candidates = candidates(header, true);
      if (candidates.isEmpty()) {
        return Outcome.undecided("token signing key is not in the issuer's key set");
      }
    }
    boolean valid = false;
    for (JWK jwk : candidates) {
      try {
        Key key = jwk instanceof RSAKey rsa ? rsa.toRSAPublicKey() : ((ECKey) jwk).toECPublicKey();
        JWSVerifier v = new DefaultJWSVerifierFactory().createJWSVerifier(header, key);
        if (jwt.verify(v)) {
          valid = true;
          break;
        }
      } catch (JOSEException | RuntimeException e) {
        // wrong key type for the algorithm: try the next one
      }
    }
    if (!valid) {
      throw new AuthenticationException("bad_signature", "token signature is invalid");
    }
    Instant now = clock.instant();
    if (claims.getExpirationTime() == null) {
      throw new AuthenticationException("malformed_token", "token has no expiry (exp)");
    }
    if (!now.isBefore(claims.getExpirationTime().toInstant())) {
      throw new AuthenticationException("token_expired", "token has expired");
    }
    if (claims.getNotBeforeTime() != null && now.plus(CLOCK_SKEW).isBefore(claims.getNotBeforeTime().toInstant())) {
      throw new AuthenticationException("token_not_yet_valid", "token is not valid yet (nbf)");
    }
    List<String> aud = claims.getAudience();
    if (aud == null || aud.stream().noneMatch(audiences::contains)) {
      throw new AuthenticationException("wrong_audience", "token audience is not one of " + audiences);
    }
    return Outcome.verified(kubernetesInfo(claims), claims.getExpirationTime().toInstant());
  }

  /** The service account and pod from {@code sub} and the {@code kubernetes.io} claim. */
  static KubernetesInfo kubernetesInfo(JWTClaimsSet claims) throws AuthenticationException {
    String sub = claims.getSubject();
    String[] parts = sub == null ? new String[0] : sub.split(":", -1);
    if (parts.length != 4 || !parts[0].equals("system") || !parts[1].equals("serviceaccount")
        || parts[2].isEmpty() || parts[3].isEmpty()) {
      throw new AuthenticationException("not_service_account", "token subject is not a service account");
    }
    String podName = "";
    String podUid = "";
    Object k8s = claims.getClaim("kubernetes.io");
    if (k8s instanceof Map<?, ?> m) {
      Object ns = m.get("namespace");
      if (ns instanceof String s && !s.equals(parts[2])) {
        throw new AuthenticationException("malformed_token", "token namespace claim disagrees with its subject");
      }
      if (m.get("serviceaccount") instanceof Map<?, ?> sa && sa.get("name") instanceof String n
          && !n.equals(parts[3])) {
        throw new AuthenticationException("malformed_token",
            "token service account claim disagrees with its subject");
      }
      if (m.get("pod") instanceof Map<?, ?> pod) {
        podName = pod.get("name") instanceof String s ? s : "";
        podUid = pod.get("uid") instanceof String s ? s : "";
      }
    }
    return new KubernetesInfo(podName, parts[2], podUid, parts[3]);
  }

  private List<JWK> candidates(JWSHeader header, boolean refetch) {
    JWKSet set = current;
    if (set == null || refetch) {
      set = refresh();
      if (set == null) {
        return List.of();
      }
    }
    List<JWK> out = new ArrayList<>();
    for (JWK k : set.getKeys()) {
      if ((header.getKeyID() == null || header.getKeyID().equals(k.getKeyID()))
          && (k instanceof RSAKey || k instanceof ECKey)) {
        out.add(k);
      }
    }
    return out;
  }

  private synchronized JWKSet refresh() {
    Instant now = clock.instant();
    if (now.isBefore(lastFetch.plus(REFETCH_INTERVAL))) {
      return current;
    }
    lastFetch = now;
    try {
      current = keys.fetch();
      log.info("loaded {} token signing keys for issuers {}", current.getKeys().size(), issuers);
    } catch (IOException e) {
      log.warn("cannot load token signing keys: {}", e.getMessage());
    }
    return current;
  }
}
