package dev.sextant.krt.fabric8;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * An informer's item store that keeps every object only in the form the translator reads: each
 * object the informer lists or watches is converted on its way in ({@code S -> T}: reduced, and for
 * custom resources read from their generic form), and only the result is kept.
 *
 * <p>Model: key to entry, where an entry is the converted {@code T}, or, for an object the
 * conversion rejected, the raw {@code S} and the reason. The informer itself only needs keys,
 * namespaces and resource versions from what {@link #get} answers, so for {@code S != T} it gets a
 * stub {@code S} built on the converted object's metadata (see {@code asSource}).
 *
 * <p>Relists: an object put again with the resource version it is stored with is not converted
 * again, so a relist or a watch restart costs a map lookup per unchanged object.
 *
 * <p>Threading: written by the informer under its cache lock; read from any thread.
 */
final class ConvertingItemStore<S extends HasMetadata, T extends HasMetadata> implements ItemStore<S> {

  /** An object the conversion refused: kept raw so the informer still tracks its key. */
  record Rejected<S>(S raw, String reason) {}

  /** Told about each rejection (once per resource version) and about each key that stops being rejected. */
  interface Listener<S> {
    void rejected(String key, S raw, String reason, boolean firstForThisVersion);

    void accepted(String key);
  }

  private final ConcurrentHashMap<String, Object> items = new ConcurrentHashMap<>();
  private final Function<S, T> convert;
  private final Function<T, S> asSource;
  private final Listener<S> listener;

  ConvertingItemStore(Function<S, T> convert, Function<T, S> asSource, Listener<S> listener) {
    this.convert = convert;
    this.asSource = asSource;
    this.listener = listener;
  }

  @Override
  public String getKey(S obj) {
    return Cache.metaNamespaceKeyFunc(obj);
  }

  @Override
  public S put(String key, S obj) {
    Object prev = items.get(key);
    String version = obj.getMetadata() == null ? null : obj.getMetadata().getResourceVersion();
    if (prev != null && version != null && version.equals(versionOf(prev))) {
      return source(prev); // unchanged: a relist or a restarted watch replaying what we hold
    }
    Object next;
    try {
      T converted = Objects.requireNonNull(convert.apply(obj), "conversion returned null");
      next = converted;
    } catch (RuntimeException e) {
      String reason = oneLine(e);
      boolean first = !(prev instanceof Rejected<?>) || !Objects.equals(version, versionOf(prev));
      next = new Rejected<>(obj, reason);
      items.put(key, next);
      listener.rejected(key, obj, reason, first);
      return source(prev);
    }
    items.put(key, next);
    if (prev instanceof Rejected<?>) {
      listener.accepted(key);
    }
    return source(prev);
  }

  @Override
  public S remove(String key) {
    Object prev = items.remove(key);
    if (prev instanceof Rejected<?>) {
      listener.accepted(key);
    }
    return source(prev);
  }

  @Override
  public Stream<String> keySet() {
    return items.keySet().stream();
  }

  @Override
  public Stream<S> values() {
    return items.values().stream().map(this::source);
  }

  @Override
  public int size() {
    return items.size();
  }

  @Override
  public S get(String key) {
    return source(items.get(key));
  }

  /** The converted object under {@code key}; null if absent or rejected. */
  @SuppressWarnings("unchecked")
  T converted(String key) {
    Object v = items.get(key);
    return v instanceof Rejected<?> ? null : (T) v;
  }

  @SuppressWarnings("unchecked")
  private S source(Object entry) {
    if (entry == null) {
      return null;
    }
    if (entry instanceof Rejected<?> r) {
      return (S) r.raw();
    }
    return asSource.apply((T) entry);
  }

  private static String versionOf(Object entry) {
    HasMetadata m = entry instanceof Rejected<?> r ? (HasMetadata) r.raw() : (HasMetadata) entry;
    return m.getMetadata() == null ? null : m.getMetadata().getResourceVersion();
  }

  static String oneLine(Throwable e) {
    StringBuilder sb = new StringBuilder();
    for (Throwable t = e; t != null && sb.length() < 300; t = t.getCause() == t ? null : t.getCause()) {
      String m = t.getMessage();
      if (m != null && !m.isBlank()) {
        String first = m.split("\n", 2)[0];
        if (sb.indexOf(first) < 0) {
          sb.append(sb.length() == 0 ? "" : ": ").append(first);
        }
      }
    }
    if (sb.length() == 0) {
      sb.append(e.getClass().getSimpleName());
    }
    return sb.length() > 300 ? sb.substring(0, 300) + "..." : sb.toString();
  }
}
