package dev.sextant.krt;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state and announcement machinery every collection shares.
 *
 * <p>Threading: {@link #apply} may be called from any thread; calls are serialized by the publish
 * lock, which is held across the state update and the delivery of the resulting batch, so batches
 * reach every handler in the order their changes were applied. Reads take the read lock only.
 *
 * <p>Equality: a change whose new value {@code equals} the old one produces no event; this is what
 * stops a recomputation that changed nothing from propagating.
 */
abstract class AbstractCollection<T> implements Collection<T> {
  private static final Logger log = LoggerFactory.getLogger(AbstractCollection.class);

  private final String name;
  private final Function<T, String> keyFunction;
  private final Map<String, T> state = new HashMap<>();
  private final ReentrantReadWriteLock stateLock = new ReentrantReadWriteLock();
  private final ReentrantLock publishLock = new ReentrantLock();
  private final List<Index<?, T>> indexes = new CopyOnWriteArrayList<>();
  private final List<Consumer<List<Event<T>>>> handlers = new CopyOnWriteArrayList<>();

  AbstractCollection(String name, Function<T, String> keyFunction) {
    this.name = Objects.requireNonNull(name, "name");
    this.keyFunction = Objects.requireNonNull(keyFunction, "keyFunction");
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final String keyOf(T value) {
    return keyFunction.apply(value);
  }

  @Override
  public final Optional<T> get(String key) {
    stateLock.readLock().lock();
    try {
      return Optional.ofNullable(state.get(key));
    } finally {
      stateLock.readLock().unlock();
    }
  }

  @Override
  public final List<T> list() {
    stateLock.readLock().lock();
    try {
      return new ArrayList<>(state.values());
    } finally {
      stateLock.readLock().unlock();
    }
  }

  @Override
  public final int size() {
    stateLock.readLock().lock();
    try {
      return state.size();
    } finally {
      stateLock.readLock().unlock();
    }
  }

  @Override
  public final Registration subscribe(Consumer<List<Event<T>>> handler, boolean replayExisting) {
    publishLock.lock();
    try {
      if (replayExisting) {
        List<Event<T>> replay = new ArrayList<>();
        stateLock.readLock().lock();
        try {
          state.forEach((k, v) -> replay.add(Event.added(k, v)));
        } finally {
          stateLock.readLock().unlock();
        }
        deliver(handler, replay);
      }
      handlers.add(handler);
    } finally {
      publishLock.unlock();
    }
    return () -> handlers.remove(handler);
  }

  /**
   * Applies upserts and deletions, as one batch: {@code changes} maps a key to its new value, or
   * to {@code null} to delete it. Returns the events that were announced.
   */
  final List<Event<T>> apply(Map<String, T> changes) {
    if (changes.isEmpty()) {
      return List.of();
    }
    publishLock.lock();
    try {
      List<Event<T>> events = new ArrayList<>(changes.size());
      stateLock.writeLock().lock();
      try {
        for (Map.Entry<String, T> change : changes.entrySet()) {
          String key = change.getKey();
          T next = change.getValue();
          T prev = next == null ? state.remove(key) : state.put(key, next);
          Event<T> event;
          if (prev == null && next == null) {
            continue;
          } else if (prev == null) {
            event = Event.added(key, next);
          } else if (next == null) {
            event = Event.deleted(key, prev);
          } else if (prev.equals(next)) {
            continue;
          } else {
            event = Event.updated(key, prev, next);
          }
          for (Index<?, T> index : indexes) {
            index.update(key, prev, next);
          }
          events.add(event);
        }
      } finally {
        stateLock.writeLock().unlock();
      }
      if (!events.isEmpty()) {
        List<Event<T>> batch = List.copyOf(events);
        for (Consumer<List<Event<T>>> handler : handlers) {
          deliver(handler, batch);
        }
      }
      return events;
    } finally {
      publishLock.unlock();
    }
  }

  private void deliver(Consumer<List<Event<T>>> handler, List<Event<T>> batch) {
    try {
      handler.accept(batch);
    } catch (RuntimeException e) {
      log.error("collection={} handler failed on a batch of {} events", name, batch.size(), e);
    }
  }

  /** Attaches an index and fills it from the current state. */
  final void addIndex(Index<?, T> index) {
    publishLock.lock();
    try {
      stateLock.writeLock().lock();
      try {
        state.forEach((k, v) -> index.update(k, null, v));
        indexes.add(index);
      } finally {
        stateLock.writeLock().unlock();
      }
    } finally {
      publishLock.unlock();
    }
  }

  /** Runs a read of several keys against one consistent state. */
  final List<T> getAll(Iterable<String> keys) {
    stateLock.readLock().lock();
    try {
      List<T> out = new ArrayList<>();
      for (String key : keys) {
        T v = state.get(key);
        if (v != null) {
          out.add(v);
        }
      }
      return out;
    } finally {
      stateLock.readLock().unlock();
    }
  }

  final ReentrantReadWriteLock.ReadLock readLock() {
    return stateLock.readLock();
  }

  List<Index<?, T>> indexes() {
    return indexes;
  }

  @Override
  public String toString() {
    return name;
  }
}
