package dev.sextant.krt;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A collection whose state is set from outside: by an input source (a directory of YAML, an
 * informer bridge) or by a test. Writes may come from any thread; each call is one batch.
 */
public final class StaticCollection<T> extends AbstractCollection<T> {
  private volatile boolean synced;

  public StaticCollection(String name, Function<T, String> keyFunction) {
    super(name, keyFunction);
  }

  public void upsert(T value) {
    Map<String, T> change = new HashMap<>(1);
    change.put(keyOf(value), value);
    apply(change);
  }

  public void delete(String key) {
    Map<String, T> change = new HashMap<>(1);
    change.put(key, null);
    apply(change);
  }

  /** Applies upserts ({@code key -> value}) and deletions ({@code key -> null}) as one batch. */
  public void applyBatch(Map<String, T> changes) {
    apply(changes);
  }

  /** Makes the state exactly {@code values}, as one batch. */
  public void replaceAll(List<T> values) {
    Map<String, T> changes = new LinkedHashMap<>();
    for (T existing : list()) {
      changes.put(keyOf(existing), null);
    }
    for (T value : values) {
      changes.put(keyOf(value), value);
    }
    apply(changes);
  }

  /** Declares the initial state complete. */
  public void markSynced() {
    synced = true;
  }

  @Override
  public boolean hasSynced() {
    return synced;
  }
}
