package dev.sextant.krt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class KrtTest {
  record Item(String key, String ns, int value) implements Keyed {}

  record Doubled(String key, int value) implements Keyed {}

  record Sum(String key, String ns, int total) implements Keyed {}

  private final Krt krt = new Krt("test");

  @AfterEach
  void close() {
    krt.close();
  }

  /** Collects every event a collection announces. */
  static final class Recorder<T> {
    final List<Event<T>> events = Collections.synchronizedList(new ArrayList<>());

    Recorder(Collection<T> c) {
      c.subscribe(events::addAll, false);
    }

    List<String> strings() {
      synchronized (events) {
        return events.stream().map(Event::toString).toList();
      }
    }
  }

  private StaticCollection<Item> items() {
    return krt.input("informer/Items", Item::key);
  }

  @Test
  void map_inputAddedUpdatedDeleted_outputFollows() {
    StaticCollection<Item> items = items();
    Collection<Doubled> doubled = krt.map(items, "Doubled", (ctx, i) -> new Doubled(i.key(), i.value() * 2));
    Recorder<Doubled> rec = new Recorder<>(doubled);
    items.markSynced();

    items.upsert(new Item("a", "ns", 1));
    Await.settled(krt);
    Await.until("a doubled", () -> doubled.get("a").map(Doubled::value), Optional.of(2));
    items.upsert(new Item("a", "ns", 5));
    Await.until("a updated", () -> doubled.get("a").map(Doubled::value), Optional.of(10));
    items.delete("a");
    Await.until("a deleted", () -> doubled.get("a"), Optional.empty());
    assertEquals(List.of("added/a", "updated/a", "deleted/a"), rec.strings());
  }

  @Test
  void map_recomputationEqualToPrevious_emitsNothing() {
    StaticCollection<Item> items = items();
    // The output ignores the namespace, so a namespace-only change recomputes but changes nothing.
    Collection<Doubled> doubled = krt.map(items, "Doubled", (ctx, i) -> new Doubled(i.key(), i.value() * 2));
    Recorder<Doubled> rec = new Recorder<>(doubled);
    items.markSynced();
    items.upsert(new Item("a", "ns1", 1));
    Await.until("added", () -> doubled.size(), 1);
    items.upsert(new Item("a", "ns2", 1));
    Await.until("recomputed twice", doubled::recomputations, 2L);
    Await.settled(krt);
    assertEquals(List.of("added/a"), rec.strings());
  }

  @Test
  void input_equalUpsert_emitsNothingAndRecomputesNothing() {
    StaticCollection<Item> items = items();
    Collection<Doubled> doubled = krt.map(items, "Doubled", (ctx, i) -> new Doubled(i.key(), i.value()));
    items.markSynced();
    items.upsert(new Item("a", "ns", 1));
    Await.until("computed", doubled::recomputations, 1L);
    items.upsert(new Item("a", "ns", 1));
    items.upsert(new Item("b", "ns", 1));
    Await.until("b computed", doubled::size, 2);
    assertEquals(2L, doubled.recomputations());
  }

  @Test
  void fetchOne_dependencyChanges_recomputesOnlyTheReader() {
    StaticCollection<Item> items = items();
    StaticCollection<Item> factors = krt.input("informer/Factors", Item::key);
    // Each item multiplies by the factor whose key equals its namespace.
    Collection<Doubled> scaled = krt.map(items, "Scaled", (ctx, i) -> {
      int f = ctx.fetchOne(factors, i.ns()).map(Item::value).orElse(1);
      return new Doubled(i.key(), i.value() * f);
    });
    factors.upsert(new Item("x", "", 3));
    factors.upsert(new Item("y", "", 7));
    items.upsert(new Item("a", "x", 1));
    items.upsert(new Item("b", "y", 1));
    items.upsert(new Item("c", "y", 2));
    items.markSynced();
    factors.markSynced();
    Await.settled(krt);
    assertEquals(3, scaled.get("a").orElseThrow().value());
    long before = scaled.recomputations();

    factors.upsert(new Item("x", "", 10));
    Await.until("a rescaled", () -> scaled.get("a").map(Doubled::value), Optional.of(10));
    Await.settled(krt);
    assertEquals(before + 1, scaled.recomputations(), "only the item in namespace x is recomputed");
    assertEquals(7, scaled.get("b").orElseThrow().value());

    factors.delete("y");
    Await.until("c unscaled", () -> scaled.get("c").map(Doubled::value), Optional.of(2));
    Await.until("recomputed b and c", scaled::recomputations, before + 3);
  }

  @Test
  void fetchIndex_changeUnderAnotherIndexKey_doesNotRecompute() {
    StaticCollection<Item> items = items();
    Index<String, Item> byNamespace = Index.of(items, "itemsByNamespace", i -> List.of(i.ns()));
    StaticCollection<Item> namespaces = krt.input("informer/Namespaces", Item::key);
    Collection<Sum> sums = krt.map(namespaces, "NamespaceSums", (ctx, n) -> new Sum(n.key(), n.key(),
        ctx.fetch(byNamespace, n.key()).stream().mapToInt(Item::value).sum()));
    namespaces.upsert(new Item("x", "", 0));
    namespaces.upsert(new Item("y", "", 0));
    items.upsert(new Item("a", "x", 1));
    items.markSynced();
    namespaces.markSynced();
    Await.settled(krt);
    assertEquals(1, sums.get("x").orElseThrow().total());
    long before = sums.recomputations();

    items.upsert(new Item("b", "y", 4));
    Await.until("y summed", () -> sums.get("y").map(Sum::total), Optional.of(4));
    Await.settled(krt);
    assertEquals(before + 1, sums.recomputations(), "x does not read index key y");

    // An item moving from y to x recomputes both namespaces.
    items.upsert(new Item("b", "x", 4));
    Await.until("x summed", () -> sums.get("x").map(Sum::total), Optional.of(5));
    Await.until("y emptied", () -> sums.get("y").map(Sum::total), Optional.of(0));
    assertEquals(before + 3, sums.recomputations());
  }

  @Test
  void fetchPredicate_matchingChange_recomputes() {
    StaticCollection<Item> items = items();
    StaticCollection<Item> namespaces = krt.input("informer/Namespaces", Item::key);
    Collection<Sum> bigOnes = krt.map(namespaces, "Big", (ctx, n) -> new Sum(n.key(), n.key(),
        ctx.fetch(items, i -> i.ns().equals(n.key()) && i.value() > 10).size()));
    namespaces.upsert(new Item("x", "", 0));
    items.markSynced();
    namespaces.markSynced();
    Await.settled(krt);
    items.upsert(new Item("a", "x", 50));
    Await.until("counted", () -> bigOnes.get("x").map(Sum::total), Optional.of(1));
    items.upsert(new Item("a", "x", 5)); // old value matched: recompute and drop it
    Await.until("uncounted", () -> bigOnes.get("x").map(Sum::total), Optional.of(0));
    long before = bigOnes.recomputations();
    items.upsert(new Item("b", "z", 99)); // matches neither old nor new
    Await.settled(krt);
    items.upsert(new Item("marker", "x", 11));
    Await.until("marker counted", () -> bigOnes.get("x").map(Sum::total), Optional.of(1));
    assertEquals(before + 1, bigOnes.recomputations());
  }

  @Test
  void flatMap_outputsDropped_areDeleted() {
    StaticCollection<Item> items = items();
    Collection<Doubled> parts = krt.flatMap(items, "Parts", (ctx, i) -> {
      List<Doubled> out = new ArrayList<>();
      for (int n = 0; n < i.value(); n++) {
        out.add(new Doubled(i.key() + "/" + n, n));
      }
      return out;
    });
    Recorder<Doubled> rec = new Recorder<>(parts);
    items.markSynced();
    items.upsert(new Item("a", "", 3));
    Await.until("3 parts", parts::size, 3);
    items.upsert(new Item("a", "", 1));
    Await.until("1 part", parts::size, 1);
    items.delete("a");
    Await.until("no parts", parts::size, 0);
    assertEquals(List.of("a/0", "a/1", "a/2"),
        rec.events.stream().filter(e -> e.type() == Event.Type.DELETED).map(Event::key).sorted().toList());
  }

  @Test
  void transformationThrows_keepsPreviousOutputAndOthersContinue() {
    StaticCollection<Item> items = items();
    Collection<Doubled> out = krt.map(items, "Fragile", (ctx, i) -> {
      if (i.value() < 0) {
        throw new IllegalArgumentException("negative");
      }
      return new Doubled(i.key(), i.value());
    });
    items.markSynced();
    items.upsert(new Item("a", "", 1));
    Await.until("a", () -> out.get("a").map(Doubled::value), Optional.of(1));
    items.upsert(new Item("a", "", -1));
    items.upsert(new Item("b", "", 2));
    Await.until("b", () -> out.get("b").map(Doubled::value), Optional.of(2));
    assertEquals(1, out.get("a").orElseThrow().value());
  }

  @Test
  void sync_waitsForParentAndFetchedCollections() {
    StaticCollection<Item> items = items();
    StaticCollection<Item> factors = krt.input("informer/Factors", Item::key);
    Collection<Doubled> scaled = krt.map(items, "Scaled", (ctx, i) ->
        new Doubled(i.key(), ctx.fetchOne(factors, "f").map(Item::value).orElse(0)));
    items.upsert(new Item("a", "", 1));
    assertFalse(scaled.hasSynced());
    items.markSynced();
    Await.until("a computed", scaled::size, 1);
    assertFalse(scaled.hasSynced(), "a fetched collection has not synced");
    factors.upsert(new Item("f", "", 4));
    factors.markSynced();
    Await.until("synced", scaled::hasSynced);
    assertEquals(4, scaled.get("a").orElseThrow().value());
  }

  @Test
  void join_firstSourceWinsAndFallsBack() {
    StaticCollection<Item> first = krt.input("First", Item::key);
    StaticCollection<Item> second = krt.input("Second", Item::key);
    Collection<Item> joined = krt.join("Joined", first, second);
    first.markSynced();
    second.markSynced();
    second.upsert(new Item("k", "second", 2));
    Await.until("second", () -> joined.get("k").map(Item::ns), Optional.of("second"));
    first.upsert(new Item("k", "first", 1));
    Await.until("first wins", () -> joined.get("k").map(Item::ns), Optional.of("first"));
    first.delete("k");
    Await.until("falls back", () -> joined.get("k").map(Item::ns), Optional.of("second"));
    second.delete("k");
    Await.until("gone", joined::size, 0);
  }

  @Test
  void subscribeWithReplay_deliversStateExactlyOnce() {
    StaticCollection<Item> items = items();
    items.upsert(new Item("a", "", 1));
    List<String> seen = Collections.synchronizedList(new ArrayList<>());
    items.subscribe(b -> b.forEach(e -> seen.add(e.toString())), true);
    items.upsert(new Item("b", "", 1));
    assertEquals(List.of("added/a", "added/b"), seen);
  }

  @Test
  void concurrentWriters_noLostUpdates_finalStateMatchesInputs() throws Exception {
    StaticCollection<Item> items = items();
    StaticCollection<Item> factors = krt.input("informer/Factors", Item::key);
    Index<String, Item> byNs = Index.of(items, "itemsByNamespace", i -> List.of(i.ns()));
    Collection<Doubled> scaled = krt.map(items, "Scaled", (ctx, i) ->
        new Doubled(i.key(), i.value() * ctx.fetchOne(factors, i.ns()).map(Item::value).orElse(1)));
    Collection<Sum> sums = krt.map(factors, "Sums", (ctx, f) -> new Sum(f.key(), f.key(),
        ctx.fetch(byNs, f.key()).stream().mapToInt(Item::value).sum()));
    // A downstream mirror fed only by events: it must end equal to the collection.
    Map<String, Integer> mirror = new java.util.concurrent.ConcurrentHashMap<>();
    scaled.subscribe(b -> b.forEach(e -> {
      if (e.type() == Event.Type.DELETED) {
        mirror.remove(e.key());
      } else {
        mirror.put(e.key(), e.current().value());
      }
    }), true);
    items.markSynced();
    factors.markSynced();

    int writers = 4;
    int perWriter = 2_000;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    CountDownLatch start = new CountDownLatch(1);
    for (int w = 0; w < writers; w++) {
      int id = w;
      pool.execute(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        java.util.Random r = new java.util.Random(id);
        for (int n = 0; n < perWriter; n++) {
          String ns = "ns" + r.nextInt(5);
          if (id == 0 && n % 3 == 0) {
            factors.upsert(new Item(ns, "", r.nextInt(4) + 1));
          } else if (r.nextInt(10) == 0) {
            items.delete("k" + r.nextInt(50));
          } else {
            items.upsert(new Item("k" + r.nextInt(50), ns, r.nextInt(100)));
          }
        }
      });
    }
    start.countDown();
    pool.shutdown();
    assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));

    Map<String, Integer> expectedScaled = new TreeMap<>();
    for (Item i : items.list()) {
      expectedScaled.put(i.key(), i.value() * factors.get(i.ns()).map(Item::value).orElse(1));
    }
    Map<String, Integer> expectedSums = factors.list().stream().collect(Collectors.toMap(Item::key,
        f -> items.list().stream().filter(i -> i.ns().equals(f.key())).mapToInt(Item::value).sum(),
        (a, b) -> a, TreeMap::new));
    Await.until("scaled converges", () -> new TreeMap<>(scaled.list().stream()
        .collect(Collectors.toMap(Doubled::key, Doubled::value))), expectedScaled);
    Await.until("sums converge", () -> new TreeMap<>(sums.list().stream()
        .collect(Collectors.toMap(Sum::key, Sum::total))), expectedSums);
    Await.until("mirror converges", () -> new TreeMap<>(mirror), expectedScaled);
  }

  @Test
  void describe_listsNamesAndDependencies() {
    StaticCollection<Item> items = items();
    StaticCollection<Item> factors = krt.input("informer/Factors", Item::key);
    Collection<Doubled> scaled = krt.map(items, "Scaled", (ctx, i) ->
        new Doubled(i.key(), ctx.fetchOne(factors, "f").map(Item::value).orElse(0)));
    items.upsert(new Item("a", "", 1));
    items.markSynced();
    factors.markSynced();
    Await.settled(krt);
    Map<String, Object> row = krt.describe().stream()
        .filter(m -> m.get("name").equals("Scaled")).findFirst().orElseThrow();
    assertEquals(List.of("informer/Items", "informer/Factors"), row.get("dependencies"));
    assertEquals(1, scaled.size());
  }

  @Test
  void singleton_keyedValue_isFoundUnderItsOwnKey() {
    StaticCollection<Item> items = items();
    Collection<Sum> total = krt.singleton("Total", ctx -> new Sum("total", "",
        ctx.fetchAll(items).stream().mapToInt(Item::value).sum()));
    items.upsert(new Item("a", "", 2));
    items.upsert(new Item("b", "", 3));
    items.markSynced();
    Await.until("total under its key", () -> total.get("total").map(Sum::total), Optional.of(5));
    assertEquals(Optional.empty(), total.get("Total"), "not under the collection name");
  }
}
