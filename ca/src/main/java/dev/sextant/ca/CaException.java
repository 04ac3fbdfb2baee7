package dev.sextant.ca;

/**
 * A signing failure of one {@link CaError} kind. The message is safe to return to the caller: it
 * never holds key material or a stack trace, only what was wrong with the request or the CA state.
 */
public final class CaException extends Exception {
  private final CaError error;

  public CaException(CaError error, String message) {
    super(message, null, false, false);
    this.error = error;
  }

  public CaError error() {
    return error;
  }
}
