package dev.sextant.bench;

import java.util.Arrays;

/**
 * Latency samples in nanoseconds, kept whole (a run holds at most a few million) so percentiles
 * are exact. Appends are synchronized; one instance per client keeps contention away.
 */
final class Latencies {
  private long[] samples = new long[256];
  private int n;

  synchronized void add(long nanos) {
    if (n == samples.length) {
      samples = Arrays.copyOf(samples, n * 2);
    }
    samples[n++] = nanos;
  }

  synchronized int count() {
    return n;
  }

  synchronized long[] toArray() {
    return Arrays.copyOf(samples, n);
  }

  synchronized void clear() {
    n = 0;
  }

  /** p50, p99 and max of samples, in milliseconds. */
  record Summary(int count, double p50, double p99, double max) {
    static Summary of(long[] nanos) {
      if (nanos.length == 0) {
        return new Summary(0, Double.NaN, Double.NaN, Double.NaN);
      }
      long[] s = nanos.clone();
      Arrays.sort(s);
      return new Summary(s.length, ms(percentile(s, 0.50)), ms(percentile(s, 0.99)), ms(s[s.length - 1]));
    }

    static Summary merge(Iterable<Latencies> parts) {
      int total = 0;
      for (Latencies l : parts) {
        total += l.count();
      }
      long[] all = new long[total];
      int at = 0;
      for (Latencies l : parts) {
        long[] a = l.toArray();
        System.arraycopy(a, 0, all, at, Math.min(a.length, all.length - at));
        at += a.length;
      }
      return of(Arrays.copyOf(all, Math.min(at, total)));
    }

    private static long percentile(long[] sorted, double p) {
      int i = (int) Math.ceil(p * sorted.length) - 1;
      return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    private static double ms(long nanos) {
      return nanos / 1e6;
    }
  }
}
