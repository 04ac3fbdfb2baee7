package dev.sextant.krt;

import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * What a transformation may read besides its primary input. Every read is recorded as a
 * dependency of the input being transformed, so that a later change to what was read recomputes
 * exactly that input. There is no other way to read a collection inside a transformation.
 *
 * <p>Prefer {@link #fetchOne} and {@link #fetch(Index, Object)}: they are found through a reverse
 * index when the fetched collection changes. {@link #fetch(Collection, Predicate)} makes the input
 * depend on every change of the whole collection, each checked against the predicate (the cost
 * istio#60366 warns about).
 */
public interface Context {

  <T> Optional<T> fetchOne(Collection<T> collection, String key);

  <K, T> List<T> fetch(Index<K, T> index, K indexKey);

  <T> List<T> fetch(Collection<T> collection, Predicate<? super T> filter);

  default <T> List<T> fetchAll(Collection<T> collection) {
    return fetch(collection, t -> true);
  }

  /** A context that records nothing: for tests that call a transformation directly. */
  static Context untracked() {
    return UntrackedContext.INSTANCE;
  }
}
