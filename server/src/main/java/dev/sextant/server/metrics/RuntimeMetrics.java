package dev.sextant.server.metrics;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.OperatingSystemMXBean;
import java.lang.management.ThreadMXBean;

/**
 * JVM metrics (Micrometer's binders), plus the process and Go-runtime series the Istio control-plane
 * dashboard reads from istiod, filled from the JVM's nearest equivalents: {@code go_goroutines} is
 * the live thread count, {@code go_memstats_heap_alloc_bytes} the used heap,
 * {@code go_memstats_heap_inuse_bytes} the committed heap, {@code go_memstats_alloc_bytes_total}
 * the bytes allocated by all threads.
 */
public final class RuntimeMetrics {
  private RuntimeMetrics() {}

  @SuppressWarnings("resource") // JvmGcMetrics lives as long as the registry
  public static void register(Telemetry t) {
    var registry = t.registry();
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    t.gauge("go_goroutines", threads::getThreadCount);
    t.gauge("go_memstats_heap_alloc_bytes", () -> memory.getHeapMemoryUsage().getUsed());
    t.gauge("go_memstats_heap_inuse_bytes", () -> memory.getHeapMemoryUsage().getCommitted());
    if (threads instanceof com.sun.management.ThreadMXBean sun && sun.isThreadAllocatedMemorySupported()) {
      t.gauge("go_memstats_alloc_bytes_total", () -> {
        long sum = 0;
        for (long id : sun.getAllThreadIds()) {
          long b = sun.getThreadAllocatedBytes(id);
          if (b > 0) {
            sum += b;
          }
        }
        return sum;
      });
    }
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sunOs) {
      t.gauge("process_cpu_seconds_total", () -> sunOs.getProcessCpuTime() / 1e9);
    }
    if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      t.gauge("process_open_fds", unix::getOpenFileDescriptorCount);
      t.gauge("process_max_fds", unix::getMaxFileDescriptorCount);
    }
    long start = ManagementFactory.getRuntimeMXBean().getStartTime();
    t.gauge("process_start_time_seconds", () -> start / 1000.0);
    t.gauge("istiod_uptime_seconds", () -> (System.currentTimeMillis() - start) / 1000.0);
  }
}
