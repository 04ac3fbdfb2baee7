package dev.sextant.krt;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A collection computed from a parent by a {@link Transformation}, kept current incrementally.
 * Follows istio/istio {@code pkg/kube/krt/collection.go}.
 *
 * <p>Model: each parent key (an input) maps to the output keys its last run produced and to the
 * dependencies (fetches) it recorded. Outputs of all inputs share one keyspace; an output key
 * claimed by two inputs stays with the first and the conflict is logged.
 *
 * <p>Dependency tracking: a fetch by key or through an index is entered in a reverse map
 * (fetched collection and key, or index and index key, to input keys), so a change in a
 * secondary collection finds the inputs to recompute without scanning. A predicate fetch is
 * checked against the old and new value of every change of that collection.
 *
 * <p>Ordering: parent and secondary events only mark input keys dirty; the pump then recomputes
 * each dirty input once, re-reading it from the parent (events are hints, state is truth), and
 * publishes all resulting output changes as one batch. A change that arrives while an input is
 * being recomputed marks it dirty again, so no change is lost.
 *
 * <p>Sync: synced once the parent and every fetched collection are synced and every event they
 * had announced by then has been processed.
 *
 * <p>Failure: a transformation that throws keeps that input's previous outputs and dependencies,
 * is logged with the input key, and is retried when the input or a dependency changes.
 *
 * <p>Threading: all fields below {@code pump} are confined to the pump.
 */
final class DerivedCollection<I, O> extends AbstractCollection<O> {
  private static final Logger log = LoggerFactory.getLogger(DerivedCollection.class);

  private final Collection<I> parent;
  private final Transformation<I, O> transformation;
  private final Pump pump;
  private final Map<Collection<?>, Registration> secondaries = new ConcurrentHashMap<>();
  private final AtomicLong recomputations = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final Registration parentRegistration;
  private volatile boolean synced;

  private final Set<String> dirty = new LinkedHashSet<>();
  private final Map<String, Set<String>> outputsByInput = new HashMap<>();
  private final Map<String, String> inputByOutput = new HashMap<>();
  private final Map<String, List<Dependency>> dependenciesByInput = new HashMap<>();
  private final Map<Object, Set<String>> inputsByDependencyKey = new HashMap<>();
  private final Map<Collection<?>, Map<String, List<Predicate<Object>>>> scansByCollection = new HashMap<>();
  private final Map<Collection<?>, Set<Index<?, ?>>> indexesReadByCollection = new HashMap<>();

  DerivedCollection(
      String name,
      Collection<I> parent,
      Transformation<I, O> transformation,
      Function<O, String> keyFunction,
      Executor executor) {
    super(name, keyFunction);
    this.parent = parent;
    this.transformation = transformation;
    this.pump = new Pump(name, executor, this::recomputeDirty);
    this.parentRegistration = parent.subscribe(
        batch -> pump.submit(() -> batch.forEach(e -> dirty.add(e.key()))), true);
  }

  @Override
  public boolean hasSynced() {
    if (synced) {
      return true;
    }
    // Read the upstream flags before the pump state: events announced before an upstream
    // flipped to synced are already in our inbox, or being processed, at that point.
    if (!parent.hasSynced()) {
      return false;
    }
    for (Collection<?> c : secondaries.keySet()) {
      if (!c.hasSynced()) {
        return false;
      }
    }
    if (pump.idle()) {
      synced = true;
    }
    return synced;
  }

  @Override
  public Set<String> dependencies() {
    Set<String> names = new LinkedHashSet<>();
    names.add(parent.name());
    secondaries.keySet().forEach(c -> names.add(c.name()));
    return names;
  }

  @Override
  public long recomputations() {
    return recomputations.get();
  }

  long failures() {
    return failures.get();
  }

  void close() {
    parentRegistration.close();
    secondaries.values().forEach(Registration::close);
    secondaries.clear();
  }

  // ---- on the pump ----

  private void recomputeDirty() {
    if (dirty.isEmpty()) {
      return;
    }
    List<String> inputs = new ArrayList<>(dirty);
    dirty.clear();
    Map<String, O> changes = new LinkedHashMap<>();
    for (String inputKey : inputs) {
      Optional<I> input = parent.get(inputKey);
      if (input.isEmpty()) {
        removeInput(inputKey, changes);
      } else {
        recompute(inputKey, input.get(), changes);
      }
    }
    apply(changes);
  }

  private void removeInput(String inputKey, Map<String, O> changes) {
    Set<String> old = outputsByInput.remove(inputKey);
    if (old != null) {
      for (String outKey : old) {
        inputByOutput.remove(outKey);
        changes.put(outKey, null);
      }
    }
    setDependencies(inputKey, List.of());
  }

  private void recompute(String inputKey, I input, Map<String, O> changes) {
    recomputations.incrementAndGet();
    TrackingContext ctx = new TrackingContext();
    List<O> outputs;
    try {
      outputs = transformation.apply(ctx, input);
    } catch (RuntimeException e) {
      failures.incrementAndGet();
      log.error("collection={} input={} transformation failed; keeping its previous outputs",
          name(), inputKey, e);
      List<Dependency> merged = new ArrayList<>(dependenciesByInput.getOrDefault(inputKey, List.of()));
      merged.addAll(ctx.dependencies);
      setDependencies(inputKey, merged);
      return;
    }
    setDependencies(inputKey, ctx.dependencies);

    Map<String, O> fresh = new LinkedHashMap<>();
    if (outputs != null) {
      for (O out : outputs) {
        if (out != null) {
          fresh.put(keyOf(out), out);
        }
      }
    }
    Set<String> old = outputsByInput.getOrDefault(inputKey, Set.of());
    for (String outKey : old) {
      if (!fresh.containsKey(outKey)) {
        inputByOutput.remove(outKey);
        changes.put(outKey, null);
      }
    }
    Set<String> owned = new LinkedHashSet<>();
    for (Map.Entry<String, O> e : fresh.entrySet()) {
      String owner = inputByOutput.putIfAbsent(e.getKey(), inputKey);
      if (owner != null && !owner.equals(inputKey)) {
        log.warn("collection={} output={} produced by both input={} and input={}; keeping the first",
            name(), e.getKey(), owner, inputKey);
        continue;
      }
      owned.add(e.getKey());
      changes.put(e.getKey(), e.getValue());
    }
    if (owned.isEmpty()) {
      outputsByInput.remove(inputKey);
    } else {
      outputsByInput.put(inputKey, owned);
    }
  }

  private void setDependencies(String inputKey, List<Dependency> next) {
    List<Dependency> prev = next.isEmpty()
        ? dependenciesByInput.remove(inputKey)
        : dependenciesByInput.put(inputKey, next);
    if (prev != null) {
      for (Dependency d : prev) {
        if (d instanceof ScanDependency s) {
          Map<String, List<Predicate<Object>>> scans = scansByCollection.get(s.collection());
          if (scans != null) {
            scans.remove(inputKey);
          }
        } else {
          Set<String> inputs = inputsByDependencyKey.get(d);
          if (inputs != null && inputs.remove(inputKey) && inputs.isEmpty()) {
            inputsByDependencyKey.remove(d);
          }
        }
      }
    }
    for (Dependency d : next) {
      if (d instanceof ScanDependency s) {
        scansByCollection.computeIfAbsent(s.collection(), c -> new HashMap<>())
            .computeIfAbsent(inputKey, k -> new ArrayList<>())
            .add(s.filter());
      } else {
        inputsByDependencyKey.computeIfAbsent(d, k -> new HashSet<>(2)).add(inputKey);
        if (d instanceof IndexDependency i) {
          indexesReadByCollection.computeIfAbsent(i.index().collection(), c -> new HashSet<>())
              .add(i.index());
        }
      }
    }
  }

  /** A batch from a fetched collection: mark the inputs that read what changed. */
  private <T> void onSecondary(Collection<T> source, List<Event<T>> batch) {
    Map<String, List<Predicate<Object>>> scans = scansByCollection.getOrDefault(source, Map.of());
    Set<Index<?, ?>> indexes = indexesReadByCollection.getOrDefault(source, Set.of());
    for (Event<T> e : batch) {
      markDirty(new KeyDependency(source, e.key()));
      for (Index<?, ?> index : indexes) {
        markIndexed(index, e.old());
        markIndexed(index, e.current());
      }
      for (Map.Entry<String, List<Predicate<Object>>> scan : scans.entrySet()) {
        for (Predicate<Object> p : scan.getValue()) {
          if ((e.old() != null && p.test(e.old())) || (e.current() != null && p.test(e.current()))) {
            dirty.add(scan.getKey());
            break;
          }
        }
      }
    }
  }

  @SuppressWarnings("unchecked")
  private <K, T> void markIndexed(Index<K, T> index, Object value) {
    if (value == null) {
      return;
    }
    for (K k : index.extract((T) value)) {
      markDirty(new IndexDependency(index, k));
    }
  }

  private void markDirty(Dependency d) {
    Set<String> inputs = inputsByDependencyKey.get(d);
    if (inputs != null) {
      dirty.addAll(inputs);
    }
  }

  private <T> void watch(Collection<T> c) {
    if (c == this) {
      throw new IllegalStateException("collection " + name() + " cannot fetch from itself");
    }
    // Register before reading, so no change between the read and the registration is missed.
    secondaries.computeIfAbsent(c, x ->
        c.subscribe(batch -> pump.submit(() -> onSecondary(c, batch)), false));
  }

  // ---- dependencies ----

  private sealed interface Dependency permits KeyDependency, IndexDependency, ScanDependency {}

  private record KeyDependency(Collection<?> collection, String key) implements Dependency {}

  private record IndexDependency(Index<?, ?> index, Object indexKey) implements Dependency {}

  private record ScanDependency(Collection<?> collection, Predicate<Object> filter) implements Dependency {
    @Override
    public boolean equals(Object o) {
      return this == o;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(this);
    }
  }

  /** Records every fetch of one run of the transformation. */
  private final class TrackingContext implements Context {
    final List<Dependency> dependencies = new ArrayList<>(4);

    @Override
    public <T> Optional<T> fetchOne(Collection<T> collection, String key) {
      watch(collection);
      dependencies.add(new KeyDependency(collection, key));
      return collection.get(key);
    }

    @Override
    public <K, T> List<T> fetch(Index<K, T> index, K indexKey) {
      watch(index.collection());
      dependencies.add(new IndexDependency(index, indexKey));
      return index.lookup(indexKey);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> List<T> fetch(Collection<T> collection, Predicate<? super T> filter) {
      watch(collection);
      dependencies.add(new ScanDependency(collection, (Predicate<Object>) filter));
      List<T> out = new ArrayList<>();
      for (T t : collection.list()) {
        if (filter.test(t)) {
          out.add(t);
        }
      }
      return out;
    }
  }
}
