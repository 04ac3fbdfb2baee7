package dev.sextant.krt;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits for an asynchronous condition; fails with the last observed value. Not a timing test. */
final class Await {
  private Await() {}

  static void until(String what, BooleanSupplier condition) {
    until(what, () -> condition.getAsBoolean() ? "yes" : "no", "yes");
  }

  static <T> void until(String what, Supplier<T> observed, T expected) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    T last = observed.get();
    while (!expected.equals(last)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + ": expected <" + expected + "> but was <" + last + ">");
      }
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
      last = observed.get();
    }
  }

  /** Waits until every collection of the graph has processed everything announced so far. */
  static void settled(Krt krt) {
    until("graph synced " + krt.notSynced(), krt::hasSynced);
  }
}
