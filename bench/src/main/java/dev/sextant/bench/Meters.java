package dev.sextant.bench;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * CPU and heap, attributed to the system under test.
 *
 * <p>CPU: thread CPU time from {@link ThreadMXBean}, summed by owner. Every thread the harness
 * creates is named {@code bench-*} (fake clients' event loops and callback executors, the churn
 * driver, the floor server, the raw-crypto workers); the floor server's are {@code bench-floor-*}.
 * Everything else that runs Java code in this JVM belongs to the system under test: Sextant's
 * {@code krt-*}, {@code xds-*}, {@code configdir-watch}, {@code readiness} threads and its gRPC
 * server's shared {@code grpc-*} event loops and executor. Excluded from both: the JVM's own
 * threads (GC, JIT, which {@link ThreadMXBean} does not show, and {@code main}, Reference Handler,
 * Finalizer, Signal Dispatcher, Common-Cleaner, Notification Thread). GC time is reported apart,
 * for the whole JVM. A sampler reads every thread once a second, so a pool thread that ends between
 * two reads loses at most one second of CPU (Sextant's pools keep idle threads for 60 s).
 *
 * <p>Heap: used heap right after two {@code System.gc()} calls, i.e. live objects.
 */
final class Meters implements AutoCloseable {
  enum Owner { SUT, FLOOR, HARNESS, JVM }

  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private final Map<Long, Long> lastCpu = new HashMap<>();
  private final Map<Long, Owner> owners = new HashMap<>();
  private final long[] totals = new long[Owner.values().length];
  private final Map<String, Long> byGroup = new java.util.TreeMap<>();
  private final ScheduledExecutorService sampler;
  private volatile long peakHeap;
  private List<long[]> series;

  Meters() {
    if (threads.isThreadCpuTimeSupported() && !threads.isThreadCpuTimeEnabled()) {
      threads.setThreadCpuTimeEnabled(true);
    }
    sampler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "bench-meter");
      t.setDaemon(true);
      return t;
    });
    sampler.scheduleAtFixedRate(this::sample, 1, 1, TimeUnit.SECONDS);
    sampler.scheduleAtFixedRate(this::sampleHeap, 50, 50, TimeUnit.MILLISECONDS);
  }

  static Owner ownerOf(String name) {
    if (name.startsWith("bench-floor")) {
      return Owner.FLOOR;
    }
    if (name.startsWith("bench-")) {
      return Owner.HARNESS;
    }
    switch (name) {
      case "main", "Reference Handler", "Finalizer", "Signal Dispatcher", "Common-Cleaner",
          "Notification Thread", "Attach Listener", "process reaper", "JFR Recorder Thread",
          "JFR Periodic Tasks" -> {
        return Owner.JVM;
      }
      default -> {
        return Owner.SUT;
      }
    }
  }

  /** Reads every live thread's CPU time and adds what it used since the last read. */
  synchronized void sample() {
    long[] ids = threads.getAllThreadIds();
    ThreadInfo[] infos = threads.getThreadInfo(ids);
    for (int i = 0; i < ids.length; i++) {
      if (infos[i] == null) {
        continue;
      }
      long cpu = threads.getThreadCpuTime(ids[i]);
      if (cpu < 0) {
        continue;
      }
      String threadName = infos[i].getThreadName();
      Owner owner = owners.computeIfAbsent(ids[i], id -> ownerOf(threadName));
      Long prev = lastCpu.put(ids[i], cpu);
      long used = cpu - (prev == null ? 0 : prev);
      totals[owner.ordinal()] += used;
      if (used > 0) {
        byGroup.merge(group(threadName), used, Long::sum);
      }
    }
    if (series != null) {
      series.add(new long[] {System.nanoTime(), totals[Owner.SUT.ordinal()]});
    }
  }

  /** Starts keeping the system under test's CPU once a second, for {@link #peakCores()}. */
  synchronized void startSeries() {
    series = new ArrayList<>();
    sample();
  }

  /**
   * The highest CPU use of the system under test over any one-second interval since
   * {@link #startSeries()}, in cores; stops the series.
   */
  synchronized double peakCores() {
    sample();
    double peak = 0;
    List<long[]> s = series;
    series = null;
    if (s == null) {
      return Double.NaN;
    }
    for (int i = 1; i < s.size(); i++) {
      int j = i - 1;
      while (j > 0 && s.get(i)[0] - s.get(j)[0] < 900_000_000L) {
        j--;
      }
      long dt = s.get(i)[0] - s.get(j)[0];
      if (dt >= 500_000_000L) {
        peak = Math.max(peak, (double) (s.get(i)[1] - s.get(j)[1]) / dt);
      }
    }
    return peak;
  }

  /** A thread's group: its name without the trailing numbers ({@code xds-12} is {@code xds}). */
  static String group(String name) {
    return name.replaceAll("[-#]?\\d+", "").replaceAll("-+$", "");
  }

  /** CPU nanoseconds by thread group since this meter started, read now. */
  synchronized Map<String, Long> cpuByGroup() {
    sample();
    return new java.util.TreeMap<>(byGroup);
  }

  /** The CPU of each group between two {@link #cpuByGroup()} readings, in seconds, largest first. */
  static String describe(Map<String, Long> before, Map<String, Long> after, double minSeconds) {
    List<Map.Entry<String, Long>> d = new ArrayList<>();
    after.forEach((k, v) -> d.add(Map.entry(k, v - before.getOrDefault(k, 0L))));
    d.sort((x, y) -> Long.compare(y.getValue(), x.getValue()));
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, Long> e : d) {
      if (e.getValue() / 1e9 >= minSeconds) {
        sb.append(sb.length() == 0 ? "" : ", ").append(e.getKey()).append(' ')
            .append(String.format(java.util.Locale.ROOT, "%.2fs", e.getValue() / 1e9));
      }
    }
    return sb.toString();
  }

  /** CPU nanoseconds used by each owner since this meter started, read now. */
  synchronized long[] cpuNow() {
    sample();
    return totals.clone();
  }

  /** A CPU reading to subtract from a later one. */
  record Cpu(long[] nanos, long gcMillis, long processNanos, long wallNanos) {
    double seconds(Owner o, Cpu since) {
      return (nanos[o.ordinal()] - since.nanos[o.ordinal()]) / 1e9;
    }

    double gcSeconds(Cpu since) {
      return (gcMillis - since.gcMillis) / 1e3;
    }

    double processSeconds(Cpu since) {
      return (processNanos - since.processNanos) / 1e9;
    }

    double wallSeconds(Cpu since) {
      return (wallNanos - since.wallNanos) / 1e9;
    }
  }

  Cpu cpu() {
    return new Cpu(cpuNow(), gcMillis(), processCpuNanos(), System.nanoTime());
  }

  static long gcMillis() {
    long t = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      t += Math.max(0, gc.getCollectionTime());
    }
    return t;
  }

  static long processCpuNanos() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getProcessCpuTime();
    }
    return 0;
  }

  /** Live heap: used bytes after full collections. */
  static long liveHeap() {
    MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      used = Math.min(used, mem.getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  static long maxHeap() {
    return Runtime.getRuntime().maxMemory();
  }

  private void sampleHeap() {
    long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    if (used > peakHeap) {
      peakHeap = used;
    }
  }

  /** Highest used heap (garbage included) seen by the 50 ms sampler since the last reset. */
  long peakHeap() {
    sampleHeap();
    return peakHeap;
  }

  void resetPeakHeap() {
    peakHeap = 0;
  }

  @Override
  public void close() {
    sampler.shutdownNow();
  }
}
