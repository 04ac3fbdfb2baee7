package dev.sextant.ca.authn;

/**
 * Why a caller could not be authenticated. The message is safe to log and to return: it never
 * holds the token or key material. {@code reason} is a short fixed label for metrics;
 * {@code applicable} is false when the call carried no credential of this authenticator's kind.
 */
public final class AuthenticationException extends Exception {
  private final String reason;
  private final boolean applicable;

  public AuthenticationException(String reason, String message, boolean applicable) {
    super(message, null, false, false);
    this.reason = reason;
    this.applicable = applicable;
  }

  public AuthenticationException(String reason, String message) {
    this(reason, message, true);
  }

  public String reason() {
    return reason;
  }

  public boolean applicable() {
    return applicable;
  }
}
