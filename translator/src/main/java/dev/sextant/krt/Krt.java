package dev.sextant.krt;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The owner of a graph of collections: creates them, runs their serial contexts on one shared
 * pool, lists them for debug output and readiness, and stops them all on {@link #close()}.
 *
 * <pre>{@code
 * try (Krt krt = new Krt("ambient")) {
 *   StaticCollection<Pod> pods = krt.input("informer/Pods", Pod::key);
 *   Collection<WorkloadInfo> workloads = krt.map(pods, "PodWorkloads", new PodWorkloadBuilder(...));
 * }
 * }</pre>
 */
public final class Krt implements AutoCloseable {
  private final String name;
  private final ExecutorService executor;
  private final List<Collection<?>> collections = new CopyOnWriteArrayList<>();

  public Krt(String name) {
    this.name = name;
    AtomicInteger n = new AtomicInteger();
    ThreadFactory threads = r -> {
      Thread t = new Thread(r, "krt-" + name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    this.executor = Executors.newCachedThreadPool(threads);
  }

  public String name() {
    return name;
  }

  /** An input collection, written by a source or a test. */
  public <T> StaticCollection<T> input(String name, Function<T, String> keyFunction) {
    return register(new StaticCollection<>(name, keyFunction));
  }

  /** One output (or none, when the transformation returns null) per input. */
  public <I, O extends Keyed> Collection<O> map(
      Collection<I> parent, String name, MapTransformation<I, O> fn) {
    return flatMap(parent, name, (ctx, in) -> {
      O out = fn.apply(ctx, in);
      return out == null ? List.of() : List.of(out);
    });
  }

  /** Any number of outputs per input. */
  public <I, O extends Keyed> Collection<O> flatMap(
      Collection<I> parent, String name, Transformation<I, O> fn) {
    return flatMap(parent, name, fn, Keyed::key);
  }

  public <I, O> Collection<O> flatMap(
      Collection<I> parent, String name, Transformation<I, O> fn, Function<O, String> keyFunction) {
    return register(new DerivedCollection<>(name, parent, fn, keyFunction, executor));
  }

  /**
   * A single value computed from fetches only: under its own {@link Keyed#key()} when it has one,
   * else under the key {@code name}.
   */
  public <O> Collection<O> singleton(String name, Function<Context, O> fn) {
    StaticCollection<String> seed = new StaticCollection<>(name + "/seed", s -> s);
    seed.upsert(name);
    seed.markSynced();
    return register(new DerivedCollection<String, O>(name, seed, (ctx, s) -> {
      O out = fn.apply(ctx);
      return out == null ? List.of() : List.of(out);
    }, o -> o instanceof Keyed k ? k.key() : name, executor));
  }

  /** The union of sources of one type; on a key conflict the earlier source wins. */
  @SafeVarargs
  public final <T> Collection<T> join(String name, Collection<T>... sources) {
    return register(new JoinCollection<>(name, List.of(sources), executor));
  }

  public List<Collection<?>> collections() {
    return List.copyOf(collections);
  }

  /** True once every collection of this graph has synced. */
  public boolean hasSynced() {
    for (Collection<?> c : collections) {
      if (!c.hasSynced()) {
        return false;
      }
    }
    return true;
  }

  /** The collections not yet synced, by name, for the log and readiness output. */
  public List<String> notSynced() {
    List<String> out = new ArrayList<>();
    for (Collection<?> c : collections) {
      if (!c.hasSynced()) {
        out.add(c.name());
      }
    }
    return out;
  }

  /** Waits until {@link #hasSynced()}, polling; returns false on timeout. */
  public boolean awaitSynced(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!hasSynced()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(5);
    }
    return true;
  }

  /** Name, size, synced flag, recomputations and dependencies of every collection. */
  public List<Map<String, Object>> describe() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Collection<?> c : collections) {
      out.add(Map.of(
          "name", c.name(),
          "size", c.size(),
          "synced", c.hasSynced(),
          "recomputations", c.recomputations(),
          "dependencies", List.copyOf(c.dependencies())));
    }
    return out;
  }

  private <C extends Collection<?>> C register(C collection) {
    collections.add(collection);
    return collection;
  }

  @Override
  public void close() {
    for (Collection<?> c : collections) {
      if (c instanceof DerivedCollection<?, ?> d) {
        d.close();
      } else if (c instanceof JoinCollection<?> j) {
        j.close();
      }
    }
    executor.shutdownNow();
  }

  /** A transformation with at most one output. */
  @FunctionalInterface
  public interface MapTransformation<I, O> {
    O apply(Context ctx, I input);
  }
}
