package dev.sextant.bench;

import io.envoyproxy.envoy.service.discovery.v3.Resource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The floor half of a WDS scenario: a {@link FloorServer} holding the snapshot Sextant served when
 * measuring began, as many fresh fake clients synced from it, and replays of what Sextant sent one
 * client during the measured window. Each replayed response goes out the moment the last input it
 * reflects was written in the Sextant run (so the floor has no batching window and no
 * translation), with the same events stamped at the same offsets, so latencies compare one to one.
 */
final class FloorSession implements AutoCloseable {
  /** What one replay measured. */
  record Result(Latencies.Summary perClient, Latencies.Summary perEvent, double cpuSeconds, double wallSeconds,
      long responses, long bytes, long events, long convergedEvents) {}

  private final Names names;
  private final int clients;
  private final Meters meters;
  private final Duration timeout;
  private final FloorServer floor;
  private final ClientFleet fleet;
  private final List<FakeZtunnel> cs;
  final long syncMillis;
  final long syncBytes;

  FloorSession(Names names, int clients, boolean decode, Map<String, List<Resource>> initial, Meters meters,
      Duration timeout) throws Exception {
    this.names = names;
    this.clients = clients;
    this.meters = meters;
    this.timeout = timeout;
    names.clearStamps();
    floor = new FloorServer((type, versions) -> new FloorServer.Delta(initial.getOrDefault(type, List.of()), List.of()));
    fleet = new ClientFleet(names, decode);
    fleet.target(floor.address());
    cs = fleet.create(clients, ClusterModel::nodeName);
    long syncStart = System.nanoTime();
    Wds.connectCold(fleet, cs, Duration.ZERO, timeout);
    syncMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - syncStart);
    syncBytes = floor.bytes.get();
  }

  /** Replays churn: {@code recorded} responses against the stamps of {@code churn}'s timeline. */
  Result replay(List<ClientFleet.Recorded> recorded, ChurnDriver.Result churn) throws InterruptedException {
    Map<String, Long> addedAt = new HashMap<>();
    Map<String, Long> removedAt = new HashMap<>();
    for (ChurnDriver.Stamped s : churn.timeline()) {
      (s.added() ? addedAt : removedAt).put(s.name(), s.offsetNanos());
    }
    record Send(long due, ClientFleet.Recorded response) {}
    List<Send> sends = new ArrayList<>();
    for (ClientFleet.Recorded r : recorded) {
      long due = -1;
      for (Resource res : r.resources()) {
        Long t = addedAt.get(res.getName());
        if (t != null) {
          due = Math.max(due, t);
        }
      }
      for (String n : r.removed()) {
        Long t = removedAt.get(n);
        if (t != null) {
          due = Math.max(due, t);
        }
      }
      sends.add(new Send(due >= 0 ? due : Math.max(0, r.receivedNanos() - churn.startNanos()), r));
    }
    sends.sort(Comparator.comparingLong(Send::due));
    List<ChurnDriver.Stamped> stamps = churn.timeline();
    return measure(churn.events(), () -> {
      long start = System.nanoTime();
      int si = 0;
      int seq = 0;
      for (Send send : sends) {
        while (si < stamps.size() && stamps.get(si).offsetNanos() <= send.due()) {
          ChurnDriver.Stamped st = stamps.get(si++);
          LockSupport.parkNanos(start + st.offsetNanos() - System.nanoTime());
          Names.Event e = new Names.Event(seq++, System.nanoTime(), 1, clients);
          if (st.added()) {
            names.intern(st.name()).stampAdd(e);
          } else {
            names.intern(st.name()).stampRemove(e);
          }
        }
        LockSupport.parkNanos(start + send.due() - System.nanoTime());
        floor.broadcast(send.response().typeUrl(), send.response().resources(), send.response().removed());
      }
    });
  }

  /**
   * Replays one update that touched {@code names} (a policy edit): one event, complete at a client
   * once it has every name, stamped right before the recorded responses are sent back to back.
   */
  Result replayUpdate(List<ClientFleet.Recorded> recorded, List<String> updated) throws InterruptedException {
    names.clearStamps();
    return measure(1, () -> {
      Names.Event e = new Names.Event(0, System.nanoTime(), updated.size(), clients);
      for (String n : updated) {
        names.intern(n).stampUpdate(e);
      }
      for (ClientFleet.Recorded r : recorded) {
        floor.broadcast(r.typeUrl(), r.resources(), r.removed());
      }
    });
  }

  private Result measure(long events, Runnable sender) throws InterruptedException {
    fleet.resetRun();
    long responses0 = floor.responses.get();
    long bytes0 = floor.bytes.get();
    fleet.measuring(true);
    Meters.Cpu cpu0 = meters.cpu();
    Thread driver = new Thread(sender, "bench-floor-driver");
    driver.start();
    driver.join();
    Wds.awaitEvents(fleet, events, timeout);
    Meters.Cpu cpu1 = meters.cpu();
    fleet.measuring(false);
    return new Result(fleet.clientLatencies(), fleet.eventLatencies(), cpu1.seconds(Meters.Owner.FLOOR, cpu0),
        cpu1.wallSeconds(cpu0), floor.responses.get() - responses0, floor.bytes.get() - bytes0, events,
        fleet.convergedEvents());
  }

  /** Live heap per connection to the floor server; see {@link Wds#heapPerConnection}. */
  double heapPerConnection(int n) {
    return Wds.heapPerConnection(floor.address(), n, timeout, floor::streams);
  }

  /** Clients whose state differs from {@code expected}; empty when all converged. */
  List<String> notConverged(Map<String, Map<String, String>> expected) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<String> bad = fleet.notConverged(cs, expected);
    while (!bad.isEmpty() && System.nanoTime() < deadline) {
      Sut.sleep(100);
      bad = fleet.notConverged(cs, expected);
    }
    return bad;
  }

  @Override
  public void close() {
    fleet.close();
    floor.close();
  }
}
