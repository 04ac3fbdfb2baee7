package dev.sextant.bench;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every xDS resource name the harness has seen, each with a dense id (so that a fake client keeps
 * its name-to-version map as arrays) and the churn event, if any, whose arrival at a client it
 * marks.
 *
 * <p>Model: the churn driver stamps a name right before it writes the input that will add, remove
 * or change that resource ({@link Name#stampAdd}, {@link Name#stampRemove},
 * {@link Name#stampUpdate}); a client that later receives the name in a response's resources (add,
 * update) or removed names (remove) credits the event when it ACKs that response. A replacement
 * always creates a fresh name, so an add sighting can only reflect its own event.
 *
 * <p>Threading: names are interned from any thread; stamps are volatile.
 */
final class Names {
  private static final int CHUNK = 1 << 12;

  /** One resource name and what its next sighting would mean. */
  static final class Name {
    final int id;
    final String name;
    volatile Event onAdd;
    volatile Event onRemove;
    volatile Event onUpdate;

    Name(int id, String name) {
      this.id = id;
      this.name = name;
    }

    void stampAdd(Event e) {
      onAdd = e;
    }

    void stampRemove(Event e) {
      onRemove = e;
    }

    void stampUpdate(Event e) {
      onUpdate = e;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /**
   * One input write (or group of writes) whose effect clients must receive.
   *
   * @param names how many resource names a client must see before the event counts as delivered
   *     to it (1 for a pod added or removed; many for a policy edit)
   */
  static final class Event {
    final int seq;
    final long writeNanos;
    final int names;
    final AtomicInteger clientsLeft;
    final AtomicLong lastAckNanos = new AtomicLong();

    Event(int seq, long writeNanos, int names, int clients) {
      this.seq = seq;
      this.writeNanos = writeNanos;
      this.names = names;
      this.clientsLeft = new AtomicInteger(clients);
    }

    /** A client ACKed a response completing this event; true when it was the last client. */
    boolean credit(long ackNanos) {
      lastAckNanos.accumulateAndGet(ackNanos, Math::max);
      return clientsLeft.decrementAndGet() == 0;
    }
  }

  private final ConcurrentHashMap<String, Name> byName = new ConcurrentHashMap<>();
  private final AtomicInteger nextId = new AtomicInteger();
  private volatile Name[][] chunks = new Name[16][];

  Name intern(String name) {
    Name n = byName.get(name);
    if (n != null) {
      return n;
    }
    return byName.computeIfAbsent(name, k -> {
      Name created = new Name(nextId.getAndIncrement(), k);
      put(created);
      return created;
    });
  }

  /** The name with {@code id}; every id handed out has one. */
  Name byId(int id) {
    return chunks[id / CHUNK][id % CHUNK];
  }

  /** A name already seen, or null. */
  Name find(String name) {
    return byName.get(name);
  }

  int size() {
    return nextId.get();
  }

  private synchronized void put(Name n) {
    int c = n.id / CHUNK;
    Name[][] cs = chunks;
    if (c >= cs.length) {
      Name[][] grown = java.util.Arrays.copyOf(cs, Math.max(cs.length * 2, c + 1));
      cs = grown;
    }
    if (cs[c] == null) {
      cs[c] = new Name[CHUNK];
    }
    cs[c][n.id % CHUNK] = n;
    chunks = cs; // volatile write publishes the slot
  }

  /** Drops every stamp, between runs. */
  void clearStamps() {
    for (Name n : byName.values()) {
      n.onAdd = null;
      n.onRemove = null;
      n.onUpdate = null;
    }
  }
}
