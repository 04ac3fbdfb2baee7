package dev.sextant.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sextant.server.SextantServer;
import dev.sextant.xds.XdsResource;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/** Checks that a change reaches a fake ztunnel as a delta of exactly the resources that changed. */
final class Deltas {
  private Deltas() {}

  /**
   * Runs {@code change}, waits until the ztunnel sees {@code visible} and holds what the server
   * serves, then checks that the responses since the change carried every resource whose payload
   * changed and no resource that did not change (one that went may have been updated on its way out,
   * when the inputs it depends on change in separate batches), and removed exactly those that went:
   * deltas, no resends. A change that makes the server resend an unchanged resource (a relist, a
   * reconnect) fails it.
   */
  static void step(SextantServer server, FakeZtunnel z, String name, Runnable change,
      Predicate<FakeZtunnel> visible) throws Exception {
    Map<String, Map<String, Resource>> before = held(z);
    Map<String, Integer> counts = new HashMap<>();
    for (String type : FakeZtunnel.TYPES) {
      counts.put(type, z.responses(type).size());
    }
    change.run();
    Await.until(name, () -> visible.test(z));
    Await.until(name + ": ztunnel holds what the server serves", () -> converged(server, z));
    Map<String, Map<String, Resource>> after = held(z);
    for (String type : FakeZtunnel.TYPES) {
      Map<String, Resource> b = before.get(type);
      Map<String, Resource> a = after.get(type);
      Set<String> changed = new TreeSet<>();
      a.forEach((n, r) -> {
        if (!r.equals(b.get(n))) {
          changed.add(n);
        }
      });
      Set<String> removed = new TreeSet<>(b.keySet());
      removed.removeAll(a.keySet());
      List<DeltaDiscoveryResponse> responses = z.responses(type);
      Set<String> sent = new TreeSet<>();
      Set<String> sentRemoved = new TreeSet<>();
      for (DeltaDiscoveryResponse r : responses.subList(counts.get(type), responses.size())) {
        r.getResourcesList().forEach(res -> sent.add(res.getName()));
        sentRemoved.addAll(r.getRemovedResourcesList());
      }
      String t = type.substring(type.lastIndexOf('.') + 1);
      assertTrue(sent.containsAll(changed), name + ": " + t + " every changed resource was sent: " + changed
          + " sent " + sent);
      Set<String> resent = new TreeSet<>(sent);
      resent.removeAll(changed);
      resent.removeAll(removed);
      assertEquals(Set.of(), resent, name + ": " + t + " resources sent that did not change");
      assertEquals(removed, sentRemoved, name + ": " + t + " removals are exactly those that went");
    }
  }

  static Map<String, Map<String, Resource>> held(FakeZtunnel z) {
    Map<String, Map<String, Resource>> out = new HashMap<>();
    for (String type : FakeZtunnel.TYPES) {
      out.put(type, z.held(type));
    }
    return out;
  }

  /** True when the ztunnel holds exactly the resources the server serves, payloads included. */
  static boolean converged(SextantServer server, FakeZtunnel z) {
    for (String type : FakeZtunnel.TYPES) {
      Map<String, Resource> served = new LinkedHashMap<>();
      for (XdsResource r : server.resources().type(type).all()) {
        served.put(r.name(), r.resource());
      }
      if (!served.equals(z.held(type))) {
        return false;
      }
    }
    return true;
  }

}
