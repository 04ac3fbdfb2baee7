package dev.sextant.ambient;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/** Kubernetes timestamps. */
final class Times {
  private Times() {}

  /** {@code metadata.creationTimestamp}, or the epoch when absent or unparsable (Go's zero time sorts first too). */
  static Instant created(ObjectMeta meta) {
    String ts = meta == null ? null : meta.getCreationTimestamp();
    if (ts == null || ts.isEmpty()) {
      return Instant.EPOCH;
    }
    try {
      return Instant.parse(ts);
    } catch (DateTimeParseException e) {
      return Instant.EPOCH;
    }
  }
}
