package dev.sextant.server.xds;

import java.time.Duration;

/**
 * Tuning of the ADS server.
 *
 * @param pushDelay how long a stream gathers changes before it sends them (latest value wins);
 *     zero sends each change batch at once
 * @param streamsPerSecond how many new streams are admitted per second; over it, RESOURCE_EXHAUSTED
 * @param streamBurst how many new streams may arrive at once before the rate applies
 */
public record XdsOptions(Duration pushDelay, double streamsPerSecond, int streamBurst) {

  /**
   * Defaults that scale with the machine: 100 new streams per second per core (istiod admits
   * min(15+5·cores, 100) a second), or {@code PILOT_MAX_REQUESTS_PER_SECOND} when set; a 10 ms push
   * window.
   */
  public static XdsOptions defaults() {
    double rate = 100.0 * Runtime.getRuntime().availableProcessors();
    String env = System.getenv("PILOT_MAX_REQUESTS_PER_SECOND");
    if (env != null && !env.isEmpty()) {
      try {
        double v = Double.parseDouble(env);
        if (v > 0) {
          rate = v;
        }
      } catch (NumberFormatException ignored) {
        // keep the default; Main reports malformed settings
      }
    }
    return new XdsOptions(Duration.ofMillis(10), rate, (int) Math.max(1, Math.ceil(rate)));
  }

  public XdsOptions withPushDelay(Duration d) {
    return new XdsOptions(d, streamsPerSecond, streamBurst);
  }
}
