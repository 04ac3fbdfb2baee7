package dev.sextant.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sextant.api.TypeUrls;
import dev.sextant.server.ServerConfig;
import dev.sextant.server.SextantServer;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ADS protocol against the bundled example: many clients at once, unsubscribe, abuse. */
class AdsProtocolIntegrationTest {
  static final String RATINGS = "Kubernetes//Pod/bookinfo/ratings-v1-7d8f6c5b4a-t8w3r";

  @TempDir Path dir;
  SextantServer server;
  final List<FakeZtunnel> clients = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    Bookinfo.copyTo(dir);
    server = SextantServer.start(ServerConfig.forTest(dir));
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!server.isReady()) {
      assertTrue(System.nanoTime() < deadline);
      Thread.sleep(5);
    }
  }

  @AfterEach
  void stop() {
    clients.forEach(FakeZtunnel::close);
    server.close();
  }

  @Test
  void manyZtunnelsConnectingAtOnce_allTurnReadyWithTheFullState() throws Exception {
    int n = 50;
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<FakeZtunnel>> futures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String node = "node-" + (i % 2 + 1);
      futures.add(pool.submit(() -> {
        FakeZtunnel z = new FakeZtunnel(server.grpcAddress(), FakeZtunnel.Identity.onNode(node));
        synchronized (clients) {
          clients.add(z);
        }
        return z.connect();
      }));
    }
    for (Future<FakeZtunnel> f : futures) {
      FakeZtunnel z = f.get();
      z.await("ready", FakeZtunnel::ready);
      assertEquals(14, z.held(TypeUrls.ADDRESS).size());
    }
    pool.shutdown();
    assertEquals(n, server.xds().connectionCount());
    // a change reaches every one of them
    Files.delete(dir.resolve("legacy.yaml"));
    for (FakeZtunnel z : clients) {
      z.await("removal", c -> c.held(TypeUrls.ADDRESS).size() == 12);
    }
  }

  @Test
  void onDemand_unsubscribe_stopsPushesForThatName() throws Exception {
    FakeZtunnel z = new FakeZtunnel(server.grpcAddress(), FakeZtunnel.Identity.onNode("node-1").withOnDemand());
    clients.add(z);
    z.connect();
    z.await("ready", FakeZtunnel::ready);
    int before = z.responses(TypeUrls.ADDRESS).size();
    z.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.ADDRESS).addResourceNamesSubscribe(RATINGS).build());
    z.await("ratings", c -> c.held(TypeUrls.ADDRESS).containsKey(RATINGS));
    z.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.ADDRESS).addResourceNamesUnsubscribe(RATINGS).build());
    z.await("unsubscribe answered", c -> c.responses(TypeUrls.ADDRESS).size() >= before + 2);
    int afterUnsubscribe = z.responses(TypeUrls.ADDRESS).size();
    // ratings changes: not pushed to this client any more; a node-1 workload change still is
    Path file = dir.resolve("bookinfo.yaml");
    String text = Files.readString(file);
    Bookinfo.write(file, text.replace("podIP: 10.244.2.11", "podIP: 10.244.2.99")
        .replace("- ip: 10.244.2.11", "- ip: 10.244.2.99")
        .replace("podIP: 10.244.1.10", "podIP: 10.244.1.98").replace("- ip: 10.244.1.10", "- ip: 10.244.1.98"));
    z.await("productpage (on node-1) pushed", c -> c.responses(TypeUrls.ADDRESS).size() > afterUnsubscribe);
    Thread.sleep(100);
    for (var r : z.responses(TypeUrls.ADDRESS).subList(afterUnsubscribe, z.responses(TypeUrls.ADDRESS).size())) {
      assertTrue(r.getResourcesList().stream().noneMatch(res -> res.getName().equals(RATINGS)),
          "ratings was unsubscribed");
    }
  }

  @Test
  void megabyteResourceName_invalidArgumentForThatStreamOnly() throws Exception {
    FakeZtunnel good = new FakeZtunnel(server.grpcAddress(), FakeZtunnel.Identity.onNode("node-1"));
    FakeZtunnel bad = new FakeZtunnel(server.grpcAddress(), FakeZtunnel.Identity.onNode("node-2"));
    clients.add(good);
    clients.add(bad);
    good.connect();
    bad.connect();
    bad.await("ready", FakeZtunnel::ready);
    bad.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.ADDRESS)
        .addResourceNamesSubscribe("x".repeat(1_000_000)).build());
    Status s = bad.awaitClosed();
    assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode());
    good.await("ready", FakeZtunnel::ready);
    assertEquals(Set.of(1), Set.of(server.xds().connectionCount()));
    String metrics = server.telemetry().scrape();
    assertTrue(metrics.contains("sextant_xds_rejected_streams{reason=\"invalid-argument\"} 1"),
        metrics.lines().filter(l -> l.contains("rejected")).toList().toString());
  }
}
