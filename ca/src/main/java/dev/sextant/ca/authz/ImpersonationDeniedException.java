package dev.sextant.ca.authz;

/**
 * Why an impersonation was refused. The message is for the log only: the caller gets istiod's
 * deliberately vague {@code request impersonation authentication failure}. {@code reason} is a
 * short fixed label for metrics.
 */
public final class ImpersonationDeniedException extends Exception {
  private final String reason;

  public ImpersonationDeniedException(String reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  public String reason() {
    return reason;
  }
}
