package dev.sextant.krt;

import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/** Reads without recording dependencies. */
enum UntrackedContext implements Context {
  INSTANCE;

  @Override
  public <T> Optional<T> fetchOne(Collection<T> collection, String key) {
    return collection.get(key);
  }

  @Override
  public <K, T> List<T> fetch(Index<K, T> index, K indexKey) {
    return index.lookup(indexKey);
  }

  @Override
  public <T> List<T> fetch(Collection<T> collection, Predicate<? super T> filter) {
    return collection.list().stream().filter(filter).map(t -> (T) t).toList();
  }
}
