package dev.sextant.krt;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * A secondary key over a collection ({@code workloadsByAddress}, {@code servicesByNamespace}):
 * maps each index key to the collection keys whose values produce it. Kept current in the same
 * critical section that updates the collection, so a lookup never sees the two disagree.
 *
 * <p>A transformation reads an index through {@link Context#fetch(Index, Object)}, which records
 * the dependency precisely: only a change that adds or removes a value under that index key
 * recomputes the reader.
 */
public final class Index<K, T> {
  private final String name;
  private final AbstractCollection<T> collection;
  private final Function<T, ? extends Iterable<K>> extractor;
  private final Map<K, Set<String>> keysByIndexKey = new HashMap<>();

  private Index(String name, AbstractCollection<T> collection, Function<T, ? extends Iterable<K>> extractor) {
    this.name = Objects.requireNonNull(name, "name");
    this.collection = collection;
    this.extractor = extractor;
  }

  /** Creates an index over a collection built by {@link Krt} or a {@link StaticCollection}. */
  public static <K, T> Index<K, T> of(
      Collection<T> collection, String name, Function<T, ? extends Iterable<K>> extractor) {
    if (!(collection instanceof AbstractCollection<T> c)) {
      throw new IllegalArgumentException("cannot index " + collection.name() + ": not a krt collection");
    }
    Index<K, T> index = new Index<>(name, c, extractor);
    c.addIndex(index);
    return index;
  }

  public String name() {
    return name;
  }

  public Collection<T> collection() {
    return collection;
  }

  /** The index keys a value produces. */
  Iterable<K> extract(T value) {
    Iterable<K> keys = extractor.apply(value);
    return keys == null ? List.of() : keys;
  }

  /** Called under the collection's write lock. */
  void update(String key, T prev, T next) {
    if (prev != null) {
      for (K k : extract(prev)) {
        Set<String> keys = keysByIndexKey.get(k);
        if (keys != null && keys.remove(key) && keys.isEmpty()) {
          keysByIndexKey.remove(k);
        }
      }
    }
    if (next != null) {
      for (K k : extract(next)) {
        keysByIndexKey.computeIfAbsent(k, x -> new LinkedHashSet<>(2)).add(key);
      }
    }
  }

  /** The values currently under {@code indexKey}, untracked. */
  public List<T> lookup(K indexKey) {
    collection.readLock().lock();
    try {
      Set<String> keys = keysByIndexKey.get(indexKey);
      if (keys == null) {
        return List.of();
      }
      List<T> out = new ArrayList<>(keys.size());
      for (String key : keys) {
        collection.get(key).ifPresent(out::add);
      }
      return out;
    } finally {
      collection.readLock().unlock();
    }
  }

  /** The index keys present, for debug output. */
  public Set<K> indexKeys() {
    collection.readLock().lock();
    try {
      return Collections.unmodifiableSet(new LinkedHashSet<>(keysByIndexKey.keySet()));
    } finally {
      collection.readLock().unlock();
    }
  }

  @Override
  public String toString() {
    return collection.name() + "#" + name;
  }
}
