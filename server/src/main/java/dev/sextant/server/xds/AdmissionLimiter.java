package dev.sextant.server.xds;

/**
 * A token bucket for new streams: {@code burst} tokens, refilled at {@code ratePerSecond}.
 *
 * <p>Threading: {@link #tryAcquire()} is synchronized; it is called once per new stream.
 */
final class AdmissionLimiter {
  private final double ratePerNano;
  private final double burst;
  private double tokens;
  private long last;

  AdmissionLimiter(double ratePerSecond, int burst) {
    this.ratePerNano = ratePerSecond / 1e9;
    this.burst = burst;
    this.tokens = burst;
    this.last = System.nanoTime();
  }

  synchronized boolean tryAcquire() {
    long now = System.nanoTime();
    tokens = Math.min(burst, tokens + (now - last) * ratePerNano);
    last = now;
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }
}
