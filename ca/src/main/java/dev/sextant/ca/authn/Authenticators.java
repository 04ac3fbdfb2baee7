package dev.sextant.ca.authn;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The authenticator chain with istiod's transport gate (istio/istio
 * {@code pkg/security/authentication.go}).
 *
 * <p>With {@code XDS_AUTH=false}, or on a plaintext connection without
 * {@code XDS_AUTH_PLAINTEXT=true}, no authenticator runs and the result is empty: "no caller, no
 * error" (ADS lets such a stream in anonymously; the CA refuses it). Otherwise the authenticators
 * run in order (istiod's: client certificate, then JWT) and the first that returns a caller with an
 * identity wins; if none does, the failure carries the first reason from an authenticator whose
 * kind of credential was present, and every message is logged together.
 *
 * <p>Threading: immutable; call from any thread.
 */
public final class Authenticators {
  private static final Logger log = LoggerFactory.getLogger(Authenticators.class);

  private final List<Authenticator> chain;
  private final boolean xdsAuth;
  private final boolean authPlaintext;

  public Authenticators(List<Authenticator> chain, boolean xdsAuth, boolean authPlaintext) {
    this.chain = List.copyOf(chain);
    this.xdsAuth = xdsAuth;
    this.authPlaintext = authPlaintext;
  }

  public List<Authenticator> chain() {
    return chain;
  }

  /** The caller; empty when the gate skips authentication; an exception when every authenticator failed. */
  public Optional<Caller> authenticate(AuthRequest request) throws AuthenticationException {
    if (!xdsAuth || (!request.secure() && !authPlaintext)) {
      return Optional.empty();
    }
    List<String> messages = new ArrayList<>();
    AuthenticationException first = null;
    for (Authenticator a : chain) {
      try {
        Caller c = a.authenticate(request);
        if (c != null && !c.identities().isEmpty()) {
          return Optional.of(c);
        }
        messages.add(a.name() + ": no identity");
      } catch (AuthenticationException e) {
        messages.add(a.name() + ": " + e.getMessage());
        if (first == null && e.applicable()) {
          first = e;
        }
      }
    }
    log.warn("Failed to authenticate client from {}: {}", request.remoteAddress(), String.join("; ", messages));
    if (first != null) {
      throw first;
    }
    throw new AuthenticationException("no_credentials", "no client certificate or bearer token", false);
  }
}
