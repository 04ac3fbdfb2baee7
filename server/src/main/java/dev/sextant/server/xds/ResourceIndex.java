package dev.sextant.server.xds;

import dev.sextant.krt.Collection;
import dev.sextant.xds.XdsResource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Every type URL Sextant serves, each backed by its generator's collection. Type URLs are open
 * strings: registering a generator is all a new type needs.
 */
public final class ResourceIndex implements AutoCloseable {
  private final Map<String, TypeIndex> types = new LinkedHashMap<>();

  /** Registers a type; call before serving. */
  public synchronized ResourceIndex register(String typeUrl, Collection<XdsResource> generator) {
    if (types.containsKey(typeUrl)) {
      throw new IllegalStateException("type already registered: " + typeUrl);
    }
    types.put(typeUrl, new TypeIndex(typeUrl, generator));
    return this;
  }

  public synchronized TypeIndex type(String typeUrl) {
    return types.get(typeUrl);
  }

  public synchronized Set<String> typeUrls() {
    return Set.copyOf(types.keySet());
  }

  public synchronized boolean hasSynced() {
    return types.values().stream().allMatch(TypeIndex::hasSynced);
  }

  @Override
  public synchronized void close() {
    types.values().forEach(TypeIndex::close);
  }
}
