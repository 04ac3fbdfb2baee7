package dev.sextant.bench;

import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a fake ztunnel holds of one type: resource name to version, as ztunnel keeps it, stored by
 * name id so that hundreds of clients of a large mesh fit in one JVM (8 bytes and a bit per
 * resource per client; names are shared through {@link Names}).
 *
 * <p>Two forms: dense (the client's own arrays) and overlay (a frozen, shared base plus this
 * client's differences), so that thousands of clients that reconnect holding the same state
 * share one copy of it.
 *
 * <p>Versions are Sextant's content hashes ({@code Long.toUnsignedString(hash, 16)}) and are kept
 * as longs; any other non-empty string is kept as it is.
 *
 * <p>A multiset digest (sum of a mix of id and version) is kept current, so that convergence of a
 * client against the server is an O(1) comparison.
 *
 * <p>Threading: confined to the owning client's response callbacks.
 */
final class VersionStore {
  static final long EMPTY = 0L;

  private final Frozen base;
  private final HashMap<Integer, Long> overlay;
  private long[] versions;
  private BitSet present;
  private final Map<Integer, String> odd = new HashMap<>();
  private int size;
  private long digest;

  /** An immutable copy of a store, shareable by many clients. */
  record Frozen(long[] versions, BitSet present, Map<Integer, String> odd, int size, long digest) {}

  VersionStore() {
    this.base = null;
    this.overlay = null;
    this.versions = new long[1024];
    this.present = new BitSet();
  }

  private VersionStore(Frozen base) {
    this.base = base;
    this.overlay = new HashMap<>();
    this.size = base.size();
    this.digest = base.digest();
  }

  static VersionStore over(Frozen base) {
    return new VersionStore(base);
  }

  /** Encodes a version string; non-hex strings go to the side map by id. */
  private long encode(int id, String version) {
    if (version.isEmpty()) {
      odd.remove(id);
      return EMPTY;
    }
    if (version.length() <= 16) {
      try {
        long v = Long.parseUnsignedLong(version, 16);
        if (Long.toUnsignedString(v, 16).equals(version)) {
          odd.remove(id);
          return v;
        }
      } catch (NumberFormatException ignored) {
        // kept as a string below
      }
    }
    odd.put(id, version);
    return version.hashCode() | 1L << 63;
  }

  private String decode(int id, long v) {
    String s = odd.get(id);
    if (s == null && base != null) {
      s = base.odd().get(id);
    }
    if (s != null) {
      return s;
    }
    return v == EMPTY ? "" : Long.toUnsignedString(v, 16);
  }

  static long mix(int id, long version) {
    long h = id * 0x9E3779B97F4A7C15L ^ version;
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    return h ^ h >>> 33;
  }

  /** Digest of a (name id, version string) pair as {@link #put} adds it. */
  static long mix(int id, String version) {
    long v;
    if (version.isEmpty()) {
      v = EMPTY;
    } else {
      long parsed;
      try {
        parsed = version.length() <= 16 ? Long.parseUnsignedLong(version, 16) : 0;
        v = Long.toUnsignedString(parsed, 16).equals(version) ? parsed : version.hashCode() | 1L << 63;
      } catch (NumberFormatException e) {
        v = version.hashCode() | 1L << 63;
      }
    }
    return mix(id, v);
  }

  /** Sets a resource's version; returns true when it replaced one. */
  boolean put(int id, String version) {
    long v = encode(id, version);
    Long old = get(id);
    if (old != null) {
      digest -= mix(id, old);
    } else {
      size++;
    }
    digest += mix(id, v);
    if (base == null) {
      ensure(id);
      versions[id] = v;
      present.set(id);
    } else {
      overlay.put(id, v);
    }
    return old != null;
  }

  /** Removes a resource; returns true when it was held. */
  boolean remove(int id) {
    Long old = get(id);
    if (old == null) {
      return false;
    }
    digest -= mix(id, old);
    size--;
    odd.remove(id);
    if (base == null) {
      present.clear(id);
    } else {
      overlay.put(id, null);
    }
    return true;
  }

  /** The encoded version held for {@code id}, or null. */
  Long get(int id) {
    if (base == null) {
      return present.get(id) ? versions[id] : null;
    }
    if (overlay.containsKey(id)) {
      return overlay.get(id);
    }
    return base.present().get(id) ? base.versions()[id] : null;
  }

  int size() {
    return size;
  }

  long digest() {
    return digest;
  }

  void clear() {
    if (base != null) {
      throw new IllegalStateException("an overlay store is not cleared; make a new one");
    }
    present.clear();
    odd.clear();
    size = 0;
    digest = 0;
  }

  /** Name to version, as sent in {@code initial_resource_versions}. */
  Map<String, String> versions(Names names) {
    Map<String, String> out = new LinkedHashMap<>(size * 2);
    forEach((id, v) -> out.put(names.byId(id).name, decode(id, v)));
    return out;
  }

  Frozen freeze() {
    if (base != null) {
      throw new IllegalStateException("freeze a dense store");
    }
    return new Frozen(versions.clone(), (BitSet) present.clone(), Map.copyOf(odd), size, digest);
  }

  /** Heap held by this store alone (arrays and side maps; a shared base is not counted). */
  long ownBytes() {
    long b = 64;
    if (versions != null) {
      b += 16 + 8L * versions.length + 16 + present.size() / 8;
    }
    if (overlay != null) {
      b += 48L * overlay.size() + 64;
    }
    return b + 64L * odd.size();
  }

  interface Visitor {
    void visit(int id, long version);
  }

  void forEach(Visitor v) {
    if (base == null) {
      for (int id = present.nextSetBit(0); id >= 0; id = present.nextSetBit(id + 1)) {
        v.visit(id, versions[id]);
      }
      return;
    }
    BitSet bp = base.present();
    for (int id = bp.nextSetBit(0); id >= 0; id = bp.nextSetBit(id + 1)) {
      if (!overlay.containsKey(id)) {
        v.visit(id, base.versions()[id]);
      }
    }
    overlay.forEach((id, ver) -> {
      if (ver != null) {
        v.visit(id, ver);
      }
    });
  }

  private void ensure(int id) {
    if (id >= versions.length) {
      versions = java.util.Arrays.copyOf(versions, Math.max(versions.length * 2, id + 1));
    }
  }
}
