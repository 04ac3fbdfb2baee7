package dev.sextant.ca.authn;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.sextant.ca.SpiffeId;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Authenticates a Kubernetes service-account token from {@code authorization: Bearer ...}
 * (istio/istio {@code security/pkg/server/ca/authenticate/kubeauth/kube_jwt.go}).
 *
 * <p>Model: the cluster is chosen by the {@code clusterid} header (the local cluster when it
 * equals the local ID, is an alias of it, or is empty; else a remote cluster; unknown is a
 * failure). The identity is {@code spiffe://<trust domain>/ns/<ns>/sa/<sa>} with the trust domain
 * read at each call.
 *
 * <p>Beyond istiod (which sends every token to a TokenReview):
 * <ul>
 *   <li>A token that is not a JWT, has expired or names none of {@code TOKEN_AUDIENCES} is refused
 *       at once (the API server would refuse it too).
 *   <li>For the local cluster, an offline {@link JwksTokenVerifier} decides tokens of the trusted
 *       issuer; the rest go to the TokenReview.
 *   <li>Every accepted token is cached (by SHA-256 of token and cluster) until its {@code exp}, at
 *       most {@link Options#maxCacheTtl()}, so a burst of CSRs costs no API round trip.
 *   <li>A token bound to a pod is accepted, fresh or cached, only while the {@link BoundPodCheck}
 *       (the pod cache) still has that pod with that UID; otherwise the TokenReview decides. This
 *       keeps the TokenReview's "pod deleted, token dead" rule without its round trip.
 * </ul>
 *
 * <p>Threading: safe for concurrent use.
 */
public final class KubeJwtAuthenticator implements Authenticator {

  /**
   * @param clusterId this control plane's cluster ({@code CLUSTER_ID})
   * @param clusterAliases alias to cluster ID
   * @param audiences {@code TOKEN_AUDIENCES}
   * @param maxCacheTtl the longest an accepted token is remembered
   * @param maxCacheEntries bound on remembered tokens
   */
  public record Options(String clusterId, Map<String, String> clusterAliases, List<String> audiences,
      Duration maxCacheTtl, long maxCacheEntries) {
    public Options {
      clusterAliases = Map.copyOf(clusterAliases);
      audiences = List.copyOf(audiences);
    }

    public static Options of(String clusterId, List<String> audiences) {
      return new Options(clusterId, Map.of(), audiences, Duration.ofHours(1), 100_000);
    }
  }

  /** Whether a pod with this namespace, name and UID exists now (the pod cache). */
  @FunctionalInterface
  public interface BoundPodCheck {
    /** True if present; false if absent or its UID differs; null if the namespace is not visible. */
    Boolean exists(String namespace, String name, String uid);
  }

  private record Accepted(KubernetesInfo info, Instant expiry) {}

  private final Options options;
  private final Supplier<String> trustDomain;
  private final TokenReviewer localReviewer;
  private final Function<String, TokenReviewer> remoteReviewers;
  private final JwksTokenVerifier offline;
  private final BoundPodCheck podCheck;
  private final Clock clock;
  private final Cache<String, Accepted> cache;

  /**
   * @param localReviewer TokenReviews on the local cluster; null when there is no API server (local mode)
   * @param remoteReviewers cluster ID to its reviewer, or null; may be null itself
   * @param offline the offline verifier for local tokens, or null
   * @param podCheck the bound-pod check, or null to trust tokens until they expire
   */
  public KubeJwtAuthenticator(Options options, Supplier<String> trustDomain, TokenReviewer localReviewer,
      Function<String, TokenReviewer> remoteReviewers, JwksTokenVerifier offline, BoundPodCheck podCheck,
      Clock clock) {
    this.options = options;
    this.trustDomain = trustDomain;
    this.localReviewer = localReviewer;
    this.remoteReviewers = remoteReviewers;
    this.offline = offline;
    this.podCheck = podCheck;
    this.clock = clock;
    this.cache = Caffeine.newBuilder().maximumSize(options.maxCacheEntries())
        .expireAfter(new Expiry<String, Accepted>() {
          @Override
          public long expireAfterCreate(String key, Accepted value, long currentTime) {
            return ttl(value);
          }

          @Override
          public long expireAfterUpdate(String key, Accepted value, long currentTime, long currentDuration) {
            return ttl(value);
          }

          @Override
          public long expireAfterRead(String key, Accepted value, long currentTime, long currentDuration) {
            return currentDuration;
          }
        }).build();
  }

  private long ttl(Accepted a) {
    Duration left = Duration.between(clock.instant(), a.expiry());
    if (left.compareTo(options.maxCacheTtl()) > 0) {
      left = options.maxCacheTtl();
    }
    return Math.max(0, left.toNanos());
  }

  @Override
  public String name() {
    return "KubeJWTAuthenticator";
  }

  /** How many tokens are remembered now (for tests and debug). */
  public long cachedTokens() {
    cache.cleanUp();
    return cache.estimatedSize();
  }

  @Override
  public Caller authenticate(AuthRequest request) throws AuthenticationException {
    String token = request.bearerToken();
    if (token == null) {
      throw new AuthenticationException("no_bearer_token",
          "target JWT extraction error: no bearer token exists in HTTP authorization header", false);
    }
    String cluster = request.clusterId();
    boolean local = cluster.isEmpty() || cluster.equals(options.clusterId())
        || options.clusterId().equals(options.clusterAliases().get(cluster));
    TokenReviewer reviewer = local ? localReviewer : remote(cluster);
    if (!local && reviewer == null) {
      throw new AuthenticationException("unknown_cluster", "client claims to be in cluster \"" + cluster
          + "\", but we only know about local cluster \"" + options.clusterId() + "\"");
    }
    String key = key(token, local ? options.clusterId() : cluster);
    Instant now = clock.instant();
    Accepted hit = cache.getIfPresent(key);
    if (hit != null && now.isBefore(hit.expiry()) && podStillThere(hit.info())) {
      return caller(hit.info());
    }
    if (hit != null) {
      cache.invalidate(key);
    }

    SignedJWT jwt;
    JWTClaimsSet claims;
    try {
      jwt = SignedJWT.parse(token);
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException | RuntimeException e) {
      throw new AuthenticationException("malformed_token", "token is not a well-formed signed JWT");
    }
    if (claims.getExpirationTime() != null && !now.isBefore(claims.getExpirationTime().toInstant())) {
      throw new AuthenticationException("token_expired", "token has expired");
    }
    if (claims.getAudience() != null && !claims.getAudience().isEmpty()
        && claims.getAudience().stream().noneMatch(options.audiences()::contains)) {
      throw new AuthenticationException("wrong_audience", "token audience is not one of " + options.audiences());
    }

    String undecided = null;
    if (local && offline != null) {
      JwksTokenVerifier.Outcome o = offline.verify(jwt, claims, options.audiences());
      if (o.isVerified()) {
        // a pod that is gone, or outside the visible namespaces, is for the TokenReview to judge
        if (Boolean.TRUE.equals(boundPod(o.info()))) {
          cache.put(key, new Accepted(o.info(), o.expiry()));
          return caller(o.info());
        }
        undecided = "the pod the token is bound to is not in the pod cache";
      } else {
        undecided = o.undecided();
      }
    }
    if (reviewer == null) {
      throw new AuthenticationException(undecided != null && undecided.contains("issuer") ? "wrong_issuer"
          : "unverifiable_token", undecided == null ? "no way to verify the token" : undecided);
    }
    KubernetesInfo info = reviewer.review(token, options.audiences());
    if (info.podServiceAccount().isEmpty()) {
      throw new AuthenticationException("not_service_account", "failed to parse the JWT; service account required");
    }
    if (info.podNamespace().isEmpty()) {
      throw new AuthenticationException("not_service_account", "failed to parse the JWT; namespace required");
    }
    if (claims.getExpirationTime() != null) {
      cache.put(key, new Accepted(info, claims.getExpirationTime().toInstant()));
    }
    return caller(info);
  }

  private TokenReviewer remote(String cluster) {
    if (remoteReviewers == null) {
      return null;
    }
    TokenReviewer r = remoteReviewers.apply(cluster);
    if (r == null && options.clusterAliases().containsKey(cluster)) {
      r = remoteReviewers.apply(options.clusterAliases().get(cluster));
    }
    return r;
  }

  /** A remembered token stays good unless the pod cache says its pod is gone. */
  private boolean podStillThere(KubernetesInfo info) {
    return !Boolean.FALSE.equals(boundPod(info));
  }

  private Boolean boundPod(KubernetesInfo info) {
    if (podCheck == null || !info.boundToPod()) {
      return Boolean.TRUE;
    }
    return podCheck.exists(info.podNamespace(), info.podName(), info.podUid());
  }

  private Caller caller(KubernetesInfo info) {
    return new Caller(Caller.Source.ID_TOKEN,
        List.of(SpiffeId.uri(trustDomain.get(), info.podNamespace(), info.podServiceAccount())), info);
  }

  private static String key(String token, String cluster) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(token.getBytes(StandardCharsets.UTF_8));
      d.update((byte) 0);
      d.update(Objects.requireNonNull(cluster).getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(d.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
