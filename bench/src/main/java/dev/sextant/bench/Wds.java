package dev.sextant.bench;

import dev.sextant.source.Inputs;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** Steps the WDS scenarios share: the bulk load, waiting for clients, and the floor replay. */
final class Wds {
  private Wds() {}

  /** How long the initial load took to be translated and indexed, and what it produced. */
  record Load(double seconds, int addresses, int authorizations) {}

  /**
   * Writes the whole model as one batch per kind (an informer's initial LIST, in the order sources
   * apply kinds) on the informer thread, and waits until Sextant's resource index holds every
   * expected resource and has been quiet for 200 ms. The time runs from the first write to the
   * last change of the index.
   */
  static Load load(Sut sut, ClusterModel model, ChurnDriver writer, boolean ztunnelPods, Duration timeout) {
    Inputs in = sut.inputs();
    ClusterModel.Objects objects = model.objects(ztunnelPods);
    int expectedAddresses = objects.addresses();
    int expectedAuthorizations = objects.policies().size();
    long start = System.nanoTime();
    writer.write(() -> ClusterModel.write(objects, in));
    long settled = sut.awaitSettled(expectedAddresses, expectedAuthorizations, Duration.ofMillis(500), timeout);
    if (settled < 0) {
      throw new IllegalStateException("Sextant did not translate the initial load within " + timeout + ": has "
          + sut.index(dev.sextant.api.TypeUrls.ADDRESS).size() + "/" + expectedAddresses + " addresses, "
          + sut.index(dev.sextant.api.TypeUrls.AUTHORIZATION).size() + "/" + expectedAuthorizations + " policies");
    }
    return new Load((settled - start) / 1e9, expectedAddresses, expectedAuthorizations);
  }

  /** Waits until every client holds exactly what the server has; returns what still differs. */
  static List<String> awaitConverged(ClientFleet fleet, List<FakeZtunnel> clients, Sut sut, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<String> bad = List.of("not checked");
    while (System.nanoTime() < deadline) {
      bad = fleet.notConverged(clients, sut.versions());
      if (bad.isEmpty()) {
        return bad;
      }
      Sut.sleep(100);
    }
    return bad;
  }

  /** Waits until {@code fleet} has seen {@code events} events through to every client. */
  static boolean awaitEvents(ClientFleet fleet, long events, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (fleet.convergedEvents() < events) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Sut.sleep(2);
    }
    return true;
  }

  /** Connects clients (cold, spread over {@code window}), waits for all; returns the connect times. */
  static long[] connectCold(ClientFleet fleet, List<FakeZtunnel> clients, Duration window, Duration timeout) {
    List<CompletableFuture<Long>> f = fleet.connectCold(clients, window.toNanos());
    return times(f, clients, timeout);
  }

  /** Thrown when clients do not sync in time; the message says how many and what they last heard. */
  static final class NotSynced extends IllegalStateException {
    NotSynced(String message) {
      super(message);
    }
  }

  static long[] times(List<CompletableFuture<Long>> f, List<FakeZtunnel> clients, Duration timeout) {
    int done = ClientFleet.await(f, timeout.toNanos());
    if (done < f.size()) {
      Map<String, Integer> errors = new java.util.TreeMap<>();
      for (int i = 0; i < f.size(); i++) {
        if (!f.get(i).isDone()) {
          String e = clients.get(i).lastError;
          errors.merge(e.isEmpty() ? "no error, no response" : e, 1, Integer::sum);
        }
      }
      throw new NotSynced((f.size() - done) + " of " + f.size() + " clients did not sync within " + timeout
          + "; their last errors: " + errors);
    }
    long[] t = new long[f.size()];
    for (int i = 0; i < t.length; i++) {
      t[i] = f.get(i).join();
    }
    return t;
  }

  /**
   * Live heap per connection: {@code n} probe clients that keep nothing (they ACK and drop what
   * they receive) connect to {@code target}; the heap after GC with them, minus without, over n.
   * Counts both ends of each loopback connection (the server's stream state and connection, the
   * probe's channel); comparing Sextant to the floor server isolates Sextant's per-stream state.
   */
  static double heapPerConnection(java.net.InetSocketAddress target, int n, Duration timeout,
      java.util.function.IntSupplier openStreams) {
    int before = openStreams.getAsInt();
    long heap0 = Meters.liveHeap();
    double perConnection;
    try (ClientFleet probes = new ClientFleet(new Names(), false)) {
      probes.target(target);
      List<FakeZtunnel> cs = probes.create(n, i -> ClusterModel.nodeName(100_000 + i));
      cs.forEach(FakeZtunnel::stateless);
      connectCold(probes, cs, Duration.ZERO, timeout);
      perConnection = (double) (Meters.liveHeap() - heap0) / n;
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (openStreams.getAsInt() > before && System.nanoTime() < deadline) {
      Sut.sleep(10);
    }
    return perConnection;
  }

  static Map<String, List<Resource>> snapshot(Sut sut) {
    Map<String, List<Resource>> out = new HashMap<>();
    for (String t : FakeZtunnel.TYPES) {
      out.put(t, sut.resources(t));
    }
    return out;
  }
}
