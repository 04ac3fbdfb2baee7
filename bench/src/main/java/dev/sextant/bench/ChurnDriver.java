package dev.sextant.bench;

import dev.sextant.source.Inputs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Writes churn into Sextant's inputs on a fixed schedule, as an informer delivers watch events:
 * each pod replacement is built by the driver (harness time, not measured), stamped (its removed
 * and added workload names, see {@link Names}), then written on the {@code sextant-informer}
 * thread (Sextant's time: in production the informer's handler does this write), so a backlog on
 * the write side counts in the latency.
 *
 * <p>The driver checks it keeps its own schedule; when building events falls more than 500 ms
 * behind, the run is marked {@link Result#fellBehind()} and its figures are not reported as valid.
 */
final class ChurnDriver implements AutoCloseable {
  /** One stamped name of the timeline: when (from the run start), what, and which way. */
  record Stamped(long offsetNanos, String name, boolean added) {}

  record Result(int replacements, int events, long startNanos, long lastWriteNanos, double achievedPerSecond,
      long maxLagNanos, boolean fellBehind, List<Stamped> timeline) {}

  private final ClusterModel model;
  private final Inputs inputs;
  private final Names names;
  private final ExecutorService informer;
  private final AtomicInteger seq = new AtomicInteger();

  ChurnDriver(ClusterModel model, Inputs inputs, Names names) {
    this.model = model;
    this.inputs = inputs;
    this.names = names;
    this.informer = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "sextant-informer");
      t.setDaemon(true);
      return t;
    });
  }

  /** Event sequence numbers restart (per-client bookkeeping is per run). */
  void resetSequence() {
    seq.set(0);
  }

  int nextSeq() {
    return seq.getAndIncrement();
  }

  /**
   * Replaces {@code count} random pods, evenly over {@code over}; with {@code clients} above zero
   * each replacement's two names are stamped as events every one of that many clients must ACK.
   */
  Result run(int count, Duration over, int clients) {
    List<Stamped> timeline = new ArrayList<>(clients > 0 ? count * 2 : 0);
    long start = System.nanoTime();
    long interval = count <= 1 ? 0 : over.toNanos() / count;
    long maxLag = 0;
    int late = 0;
    long last = start;
    for (int i = 0; i < count; i++) {
      long due = start + interval * i;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      ClusterModel.Replacement r = model.replaceRandomPod();
      long now = System.nanoTime();
      long lag = now - due;
      maxLag = Math.max(maxLag, lag);
      if (lag > TimeUnit.MILLISECONDS.toNanos(500)) {
        late++;
      }
      if (clients > 0) {
        String removed = model.workloadUid(r.removed());
        String added = model.workloadUid(r.added());
        names.intern(removed).stampRemove(new Names.Event(nextSeq(), now, 1, clients));
        names.intern(added).stampAdd(new Names.Event(nextSeq(), now, 1, clients));
        timeline.add(new Stamped(now - start, removed, false));
        timeline.add(new Stamped(now - start, added, true));
      }
      informer.execute(() -> {
        inputs.pods().delete(r.removedKey());
        inputs.pods().upsert(r.addedObject());
        inputs.endpointSlices().upsert(r.slice());
      });
      last = now;
    }
    awaitWrites();
    double seconds = Math.max(1e-9, (last - start) / 1e9);
    double achieved = count <= 1 ? count : (count - 1) / seconds;
    boolean behind = late > Math.max(1, count / 10);
    return new Result(count, clients > 0 ? count * 2 : 0, start, last, achieved, maxLag, behind, timeline);
  }

  /** Runs {@code write} on the informer thread, in order with the churn. */
  void write(Runnable write) {
    informer.execute(write);
  }

  /** Waits until every write handed to the informer thread has been applied. */
  void awaitWrites() {
    try {
      informer.submit(() -> { }).get(5, TimeUnit.MINUTES);
    } catch (Exception e) {
      throw new IllegalStateException("informer writes did not finish", e);
    }
  }

  @Override
  public void close() {
    informer.shutdownNow();
  }
}
