package dev.sextant.ca.authn;

/**
 * Decides who is calling, from the call's headers and transport (istiod's
 * {@code security.Authenticator}). Shared by the CA and the ADS server.
 */
public interface Authenticator {
  /** A short name for logs ({@code ClientCertAuthenticator}, {@code KubeJWTAuthenticator}). */
  String name();

  /** The caller, with at least one identity; an exception saying why not otherwise. */
  Caller authenticate(AuthRequest request) throws AuthenticationException;
}
