package dev.sextant.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import dev.sextant.api.TypeUrls;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * The fake ztunnel's measurements, against the bare floor server: a full re-send is counted as a
 * full push, a stamped name is credited when its response is ACKed, and a reconnect reports the
 * versions held. These are what the smoke test's sanity facts rest on.
 */
class FakeZtunnelTest {
  private static Resource resource(String name, String version) {
    return Resource.newBuilder().setName(name).setVersion(version)
        .setResource(Any.newBuilder().setTypeUrl(TypeUrls.ADDRESS).setValue(ByteString.copyFromUtf8(name))).build();
  }

  private static List<Resource> snapshot(int n) {
    List<Resource> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(resource("Kubernetes//Pod/ns/p" + i, Long.toHexString(1000 + i)));
    }
    return out;
  }

  @Test
  void fullResend_afterInitialSync_countedAsFullPush() throws Exception {
    List<Resource> all = snapshot(10);
    Names names = new Names();
    try (FloorServer floor = new FloorServer((t, v) -> new FloorServer.Delta(t.equals(TypeUrls.ADDRESS) ? all : List.of(), List.of()));
        ClientFleet fleet = new ClientFleet(names, false)) {
      fleet.target(floor.address());
      List<FakeZtunnel> c = fleet.create(1, ClusterModel::nodeName);
      Wds.connectCold(fleet, c, Duration.ZERO, Duration.ofSeconds(10));
      floor.broadcast(TypeUrls.ADDRESS, List.of(all.get(3)), List.of());
      floor.broadcast(TypeUrls.ADDRESS, all, List.of());
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (fleet.sum(x -> x.responses) < 4 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertEquals(1, fleet.sum(x -> x.fullPushes), "the full re-send, not the single-resource delta");
      assertEquals(10, c.get(0).store(TypeUrls.ADDRESS).size());
    }
  }

  @Test
  void stampedName_creditedOnceAtAck_byEveryClient() throws Exception {
    Names names = new Names();
    try (FloorServer floor = new FloorServer((t, v) -> new FloorServer.Delta(List.of(), List.of()));
        ClientFleet fleet = new ClientFleet(names, false)) {
      fleet.target(floor.address());
      List<FakeZtunnel> cs = fleet.create(3, ClusterModel::nodeName);
      Wds.connectCold(fleet, cs, Duration.ZERO, Duration.ofSeconds(10));
      fleet.measuring(true);
      Resource added = resource("Kubernetes//Pod/ns/new", "abc");
      Names.Event e = new Names.Event(0, System.nanoTime(), 1, 3);
      names.intern(added.getName()).stampAdd(e);
      floor.broadcast(TypeUrls.ADDRESS, List.of(added), List.of());
      floor.broadcast(TypeUrls.ADDRESS, List.of(added), List.of()); // seen again: not credited twice
      Names.Event removal = new Names.Event(1, System.nanoTime(), 1, 3);
      names.intern(added.getName()).stampRemove(removal);
      floor.broadcast(TypeUrls.ADDRESS, List.of(), List.of(added.getName()));
      assertTrue(Wds.awaitEvents(fleet, 2, Duration.ofSeconds(10)));
      Thread.sleep(100);
      assertEquals(6, fleet.clientLatencies().count());
      assertEquals(2, fleet.eventLatencies().count());
      assertEquals(0, cs.get(0).store(TypeUrls.ADDRESS).size());
    }
  }

  @Test
  void reconnectWarm_reportsHeldVersions() throws Exception {
    List<Resource> all = snapshot(5);
    Map<String, Map<String, String>> reported = new ConcurrentHashMap<>();
    Names names = new Names();
    try (FloorServer floor = new FloorServer((t, v) -> {
          reported.put(t, Map.copyOf(v));
          return new FloorServer.Delta(t.equals(TypeUrls.ADDRESS) && v.isEmpty() ? all : List.of(), List.of());
        });
        ClientFleet fleet = new ClientFleet(names, false)) {
      fleet.target(floor.address());
      List<FakeZtunnel> c = fleet.create(1, ClusterModel::nodeName);
      Wds.connectCold(fleet, c, Duration.ZERO, Duration.ofSeconds(10));
      c.get(0).disconnect();
      Wds.times(fleet.reconnectWarm(c, 0), c, Duration.ofSeconds(10));
      Map<String, String> held = reported.get(TypeUrls.ADDRESS);
      assertEquals(5, held.size());
      assertEquals(Long.toHexString(1002), held.get("Kubernetes//Pod/ns/p2"));
      assertEquals(0, fleet.sum(x -> x.warmFullResends[0]));
    }
  }
}
