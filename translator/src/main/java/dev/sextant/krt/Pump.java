package dev.sextant.krt;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A serial context on a shared executor: tasks submitted from any thread run one at a time, in
 * submission order; after each run of tasks the owner's {@code drain} hook runs, so that work
 * marked by many tasks (dirty keys) is done once.
 *
 * <p>Threading: everything {@code tasks} and {@code drain} touch is confined to this pump; the
 * {@code scheduled} flag hands that confinement from one executor thread to the next.
 */
final class Pump {
  private static final Logger log = LoggerFactory.getLogger(Pump.class);

  private final String name;
  private final Executor executor;
  private final Runnable drain;
  private final ConcurrentLinkedQueue<Runnable> inbox = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();

  Pump(String name, Executor executor, Runnable drain) {
    this.name = name;
    this.executor = executor;
    this.drain = drain;
  }

  void submit(Runnable task) {
    inbox.add(task);
    if (scheduled.compareAndSet(false, true)) {
      executor.execute(this::run);
    }
  }

  /** True when nothing is queued or running. Read {@code scheduled} last: see the callers. */
  boolean idle() {
    return inbox.isEmpty() && !scheduled.get();
  }

  private void run() {
    try {
      Runnable task;
      do {
        while ((task = inbox.poll()) != null) {
          try {
            task.run();
          } catch (RuntimeException e) {
            log.error("collection={} task failed", name, e);
          }
        }
        try {
          drain.run();
        } catch (RuntimeException e) {
          log.error("collection={} drain failed", name, e);
        }
      } while (!inbox.isEmpty());
    } finally {
      scheduled.set(false);
      if (!inbox.isEmpty() && scheduled.compareAndSet(false, true)) {
        executor.execute(this::run);
      }
    }
  }
}
