package dev.sextant.server.xds;

import dev.sextant.krt.Collection;
import dev.sextant.krt.Event;
import dev.sextant.krt.Registration;
import dev.sextant.xds.XdsResource;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The current resources of one type URL, as streams read them: by name, by alias
 * ({@code network/ip}) and by related key, plus change notifications carrying only the names that
 * changed. Mirrors one generator's collection (go-control-plane's {@code LinearCache} idea: per
 * resource versions, no per-node snapshot).
 *
 * <p>Threading: updated on the generator collection's publish context; read from any stream.
 * A change is stored before listeners hear of it, so a listener that reads after a notification
 * sees that change or a newer one.
 */
public final class TypeIndex implements AutoCloseable {

  /** Hears the names whose resource was added, changed or removed, in one batch. */
  public interface Listener {
    void onChange(TypeIndex index, Set<String> names);
  }

  private final String typeUrl;
  private final Collection<XdsResource> source;
  private final Map<String, XdsResource> resources = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> namesByLookup = new ConcurrentHashMap<>();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final AtomicLong changes = new AtomicLong();
  private final Registration registration;

  TypeIndex(String typeUrl, Collection<XdsResource> source) {
    this.typeUrl = typeUrl;
    this.source = source;
    this.registration = source.subscribe(this::onBatch, true);
  }

  public String typeUrl() {
    return typeUrl;
  }

  public boolean hasSynced() {
    return source.hasSynced();
  }

  public XdsResource get(String name) {
    return resources.get(name);
  }

  public List<XdsResource> all() {
    return new ArrayList<>(resources.values());
  }

  /**
   * The resources as a live, weakly consistent view (no copy): a resource changed during the
   * iteration may be seen old, new or not at all, and its change notification follows.
   */
  public java.util.Collection<XdsResource> values() {
    return java.util.Collections.unmodifiableCollection(resources.values());
  }

  public int size() {
    return resources.size();
  }

  /** Names of the resources that carry {@code key} as an alias or related key. */
  public Set<String> lookup(String key) {
    Set<String> names = namesByLookup.get(key);
    return names == null ? Set.of() : Set.copyOf(names);
  }

  /** How many change batches this index has applied: its version. */
  public long version() {
    return changes.get();
  }

  public Registration addListener(Listener listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  private void onBatch(List<Event<XdsResource>> batch) {
    Set<String> changed = new LinkedHashSet<>();
    for (Event<XdsResource> e : batch) {
      if (e.old() != null) {
        unindex(e.old());
      }
      if (e.current() != null) {
        resources.put(e.key(), e.current());
        index(e.current());
      } else {
        resources.remove(e.key());
      }
      changed.add(e.key());
    }
    changes.incrementAndGet();
    if (!changed.isEmpty()) {
      Set<String> names = Set.copyOf(changed);
      for (Listener l : listeners) {
        l.onChange(this, names);
      }
    }
  }

  private void index(XdsResource r) {
    for (String k : r.aliases()) {
      namesByLookup.computeIfAbsent(k, x -> ConcurrentHashMap.newKeySet()).add(r.name());
    }
    for (String k : r.related()) {
      namesByLookup.computeIfAbsent(k, x -> ConcurrentHashMap.newKeySet()).add(r.name());
    }
  }

  private void unindex(XdsResource r) {
    for (String k : r.aliases()) {
      remove(k, r.name());
    }
    for (String k : r.related()) {
      remove(k, r.name());
    }
  }

  private void remove(String key, String name) {
    namesByLookup.computeIfPresent(key, (k, set) -> {
      set.remove(name);
      return set.isEmpty() ? null : set;
    });
  }

  @Override
  public void close() {
    registration.close();
  }
}
