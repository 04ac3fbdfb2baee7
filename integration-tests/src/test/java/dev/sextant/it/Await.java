package dev.sextant.it;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for an asynchronous condition. A correctness wait with a generous deadline, not a timing test. */
final class Await {
  private Await() {}

  static void until(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(5);
    }
  }

  /** {@link #until} for a lambda that may not throw checked exceptions. */
  static void untilQuietly(String what, BooleanSupplier condition) {
    try {
      until(what, condition);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted waiting for " + what, e);
    }
  }
}
