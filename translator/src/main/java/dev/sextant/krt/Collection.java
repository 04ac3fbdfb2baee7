package dev.sextant.krt;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A named, keyed set of immutable values that announces its changes: the unit of state in the
 * translator, in the style of Istio's {@code krt.Collection} (istio/istio {@code pkg/kube/krt/core.go}).
 *
 * <p>Model: every value has a unique string key ({@link #keyOf}); {@link #get} and {@link #list}
 * read the current state; {@link #subscribe} delivers batches of {@link Event}s describing how the
 * state moved. Events are hints and state is truth: a consumer that re-reads {@link #get} after an
 * event always sees a state at least as new as the event.
 *
 * <p>Ordering: a collection applies a change to its state before it announces it, and announces
 * batches in the order it applied them. Handlers run on the collection's own serial context and
 * must not block (enqueue and return).
 *
 * <p>Sync: {@link #hasSynced()} turns true, and stays true, once the collection reflects the
 * complete initial state of its inputs.
 */
public interface Collection<T> {

  /** The debug name, e.g. {@code informer/Pods} or {@code PodWorkloads}. */
  String name();

  /** The key of a value of this collection. */
  String keyOf(T value);

  Optional<T> get(String key);

  /** A snapshot of every value, in no particular order. */
  List<T> list();

  int size();

  /**
   * Registers a handler for change batches. With {@code replayExisting}, the current state is
   * delivered first as one batch of ADDED events (possibly empty), atomically with the
   * registration, so nothing is missed or seen twice.
   */
  Registration subscribe(Consumer<List<Event<T>>> handler, boolean replayExisting);

  boolean hasSynced();

  /** Names of the collections this one reads, for debug output. Empty for inputs. */
  default Set<String> dependencies() {
    return Set.of();
  }

  /** How many times a transformation ran for this collection (0 for inputs). */
  default long recomputations() {
    return 0;
  }
}
