package dev.sextant.ca.authn;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.api.model.authentication.UserInfo;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Map;

/**
 * A {@code authentication.k8s.io/v1} TokenReview through fabric8, read as istiod reads it
 * (istio/istio {@code security/pkg/k8s/tokenreview/k8sauthn.go}): no {@code status.error},
 * authenticated, in group {@code system:serviceaccounts}, username
 * {@code system:serviceaccount:<ns>:<sa>} in exactly four parts; pod name and UID from the extras
 * {@code authentication.kubernetes.io/pod-name} and {@code .../pod-uid}.
 */
public final class Fabric8TokenReviewer implements TokenReviewer {
  static final String POD_NAME = "authentication.kubernetes.io/pod-name";
  static final String POD_UID = "authentication.kubernetes.io/pod-uid";

  private final KubernetesClient client;

  public Fabric8TokenReviewer(KubernetesClient client) {
    this.client = client;
  }

  @Override
  public KubernetesInfo review(String token, List<String> audiences) throws AuthenticationException {
    TokenReview request = new TokenReviewBuilder().withNewSpec().withToken(token)
        .withAudiences(audiences.isEmpty() ? null : audiences).endSpec().build();
    TokenReview reviewed;
    try {
      reviewed = client.authentication().v1().tokenReviews().create(request);
    } catch (KubernetesClientException e) {
      throw new AuthenticationException("token_review_error",
          "token review request failed: HTTP " + e.getCode());
    }
    return read(reviewed.getStatus());
  }

  static KubernetesInfo read(TokenReviewStatus status) throws AuthenticationException {
    if (status == null) {
      throw rejected("the token is not authenticated");
    }
    if (status.getError() != null && !status.getError().isEmpty()) {
      throw rejected("the service account authentication returns an error: " + status.getError());
    }
    if (!Boolean.TRUE.equals(status.getAuthenticated())) {
      throw rejected("the token is not authenticated");
    }
    UserInfo user = status.getUser();
    if (user == null || user.getGroups() == null || !user.getGroups().contains("system:serviceaccounts")) {
      throw rejected("the token is not a service account");
    }
    String[] parts = user.getUsername() == null ? new String[0] : user.getUsername().split(":", -1);
    if (parts.length != 4) {
      throw rejected("invalid username field in the token review result");
    }
    Map<String, List<String>> extra = user.getExtra() == null ? Map.of() : user.getExtra();
    return new KubernetesInfo(first(extra, POD_NAME), parts[2], first(extra, POD_UID), parts[3]);
  }

  private static String first(Map<String, List<String>> extra, String key) {
    List<String> v = extra.get(key);
    return v == null || v.isEmpty() || v.get(0) == null ? "" : v.get(0);
  }

  private static AuthenticationException rejected(String message) {
    return new AuthenticationException("token_review_rejected", "token review: " + message);
  }
}
