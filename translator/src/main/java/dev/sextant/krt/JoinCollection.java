package dev.sextant.krt;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.stream.Collectors;

/**
 * The union of several collections of one type (istio/istio {@code pkg/kube/krt/join.go}): a key
 * present in more than one source takes the value of the first source in the list.
 *
 * <p>Threading: source events mark keys dirty on the pump; each dirty key is re-read from the
 * sources in order. Synced once every source is synced and their events are processed.
 */
final class JoinCollection<T> extends AbstractCollection<T> {
  private final List<Collection<T>> sources;
  private final Pump pump;
  private final Set<String> dirty = new LinkedHashSet<>();
  private final List<Registration> registrations;
  private volatile boolean synced;

  JoinCollection(String name, List<Collection<T>> sources, Executor executor) {
    super(name, sources.get(0)::keyOf);
    this.sources = List.copyOf(sources);
    this.pump = new Pump(name, executor, this::drain);
    this.registrations = this.sources.stream()
        .map(s -> s.subscribe(batch -> pump.submit(() -> batch.forEach(e -> dirty.add(e.key()))), true))
        .toList();
  }

  private void drain() {
    if (dirty.isEmpty()) {
      return;
    }
    Map<String, T> changes = new LinkedHashMap<>();
    for (String key : dirty) {
      T value = null;
      for (Collection<T> source : sources) {
        Optional<T> v = source.get(key);
        if (v.isPresent()) {
          value = v.get();
          break;
        }
      }
      changes.put(key, value);
    }
    dirty.clear();
    apply(changes);
  }

  @Override
  public boolean hasSynced() {
    if (synced) {
      return true;
    }
    for (Collection<T> s : sources) {
      if (!s.hasSynced()) {
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
    return sources.stream().map(Collection::name).collect(Collectors.toCollection(LinkedHashSet::new));
  }

  void close() {
    registrations.forEach(Registration::close);
  }
}
