package dev.sextant.ca.authn;

import java.util.List;

/** Asks a cluster's API server whether a token is valid (a {@code TokenReview}). */
public interface TokenReviewer {
  /** The service account and pod behind the token; an exception if the API server refuses it. */
  KubernetesInfo review(String token, List<String> audiences) throws AuthenticationException;
}
