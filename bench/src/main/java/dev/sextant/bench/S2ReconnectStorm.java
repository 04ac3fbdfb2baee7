package dev.sextant.bench;

import io.envoyproxy.envoy.service.discovery.v3.Resource;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * S2, reconnect storm (performance-anchors.md §6). (a) warm: every client drops; while they are
 * away a fraction of the pods is replaced; they all come back within the reconnect window
 * reporting {@code initial_resource_versions}, and must get only the differences. (b) cold: some
 * clients restart empty at once and need the whole state. The floor is a bare gRPC server
 * answering the same reconnects with the same precomputed payloads (the difference Sextant sent, or
 * the full snapshot), with no admission control.
 */
final class S2ReconnectStorm {
  private S2ReconnectStorm() {}

  /** What one storm measured. */
  record Storm(int clients, double seconds, long[] syncNanos, double cpuSeconds, long responses, long bytes,
      long refusals, long[] firstResources, long[] warmFull, long peakHeap, List<String> notConverged) {}

  static Report run(BenchOptions.Params p, Meters meters, PrintStream log) throws Exception {
    Report rep = new Report("S2", "reconnect storm");
    int changes = (int) Math.round(p.changedFraction() * p.pods());
    rep.condition("%s; (a) warm: all %,d clients drop, %,d pods replaced meanwhile (%.1f%%), all reconnect within %s "
        + "with initial_resource_versions; (b) cold: %,d clients restart empty at once", p.describe(), p.clients(),
        changes, 100.0 * changes / p.pods(), Report.dur(p.reconnectWindow()), p.coldClients());
    Names names = new Names();
    long heap0 = Meters.liveHeap();
    ClusterModel model = new ClusterModel(p.namespaces(), p.services(), p.pods(), p.clients(), p.policies(),
        "Kubernetes", p.seed());
    Storm warm;
    Storm cold = null;
    Map<String, List<Resource>> before;
    Map<String, List<Resource>> after;
    Map<String, Map<String, String>> expected;
    Map<String, FloorServer.Delta> warmDiff = new HashMap<>();
    long heapLoaded;
    try (Sut sut = Sut.start(p.pushDelay());
        ClientFleet fleet = new ClientFleet(names, p.decode());
        ChurnDriver driver = new ChurnDriver(model, sut.inputs(), names)) {
      log.printf("S2: loading %s%n", p.describe());
      Wds.load(sut, model, driver, false, p.timeout());
      heapLoaded = Meters.liveHeap();
      fleet.target(sut.address());
      List<FakeZtunnel> clients = fleet.create(p.clients(), ClusterModel::nodeName);
      fleet.preIntern(sut.versions());
      Duration connectWindow = Duration.ofMillis(Math.max(0, p.clients() * 1000L / 150));
      log.printf("S2: connecting %,d clients over %s%n", clients.size(), Report.dur(connectWindow));
      Wds.connectCold(fleet, clients, connectWindow, p.timeout());
      before = Wds.snapshot(sut);

      // (a) warm
      log.printf("S2: all clients drop; replacing %,d pods%n", changes);
      fleet.disconnectAll();
      driver.run(changes, Duration.ZERO, 0);
      int addresses = model.podCount() + p.services();
      if (sut.awaitSettled(addresses, p.policies(), Duration.ofMillis(200), p.timeout()) < 0) {
        rep.problem("Sextant did not settle after the changes");
      }
      expected = sut.versions();
      after = Wds.snapshot(sut);
      fleet.resetRun();
      fleet.record(clients.get(0));
      log.printf("S2: warm reconnect of %,d clients over %s%n", clients.size(), Report.dur(p.reconnectWindow()));
      try {
        warm = storm(fleet, clients, p, meters, sut, expected, true);
      } catch (Wds.NotSynced e) {
        rep.problem("warm reconnect failed: %s", e.getMessage());
        return rep;
      }
      fleet.record(null);
      for (ClientFleet.Recorded r : fleet.recorded()) {
        warmDiff.putIfAbsent(r.typeUrl(), new FloorServer.Delta(r.resources(), r.removed()));
      }
      fleet.clearRecording();

      // (b) cold
      if (p.coldClients() > 0) {
        List<FakeZtunnel> restart = new ArrayList<>(clients.subList(0, p.coldClients()));
        restart.forEach(FakeZtunnel::disconnect);
        fleet.resetRun();
        log.printf("S2: cold restart of %,d clients at once%n", restart.size());
        cold = storm(fleet, restart, p, meters, sut, expected, false);
      }
    }

    Storm floorWarm = null;
    Storm floorCold = null;
    if (p.floor()) {
      log.printf("S2: floor: the same reconnects against a bare gRPC server%n");
      Map<String, List<Resource>> snapshotBefore = before;
      Map<String, List<Resource>> snapshotAfter = after;
      boolean[] phaseAfter = {false};
      FloorServer.Responder responder = (type, versions) -> {
        if (!versions.isEmpty()) {
          return warmDiff.getOrDefault(type, new FloorServer.Delta(List.of(), List.of()));
        }
        return new FloorServer.Delta((phaseAfter[0] ? snapshotAfter : snapshotBefore).getOrDefault(type, List.of()),
            List.of());
      };
      names.clearStamps();
      try (FloorServer floor = new FloorServer(responder); ClientFleet fleet = new ClientFleet(names, p.decode())) {
        fleet.target(floor.address());
        List<FakeZtunnel> clients = fleet.create(p.clients(), ClusterModel::nodeName);
        Wds.connectCold(fleet, clients, Duration.ZERO, p.timeout());
        fleet.disconnectAll();
        phaseAfter[0] = true;
        fleet.resetRun();
        floorWarm = storm(fleet, clients, p, meters, null, expected, true, floor);
        if (p.coldClients() > 0) {
          List<FakeZtunnel> restart = new ArrayList<>(clients.subList(0, p.coldClients()));
          restart.forEach(FakeZtunnel::disconnect);
          fleet.resetRun();
          floorCold = storm(fleet, restart, p, meters, null, expected, false, floor);
        }
      }
    }

    Double f = null;
    int policies = p.policies();
    rep.section("(a) warm reconnect, " + p.clients() + " clients");
    rep.row("storm: first reconnect to last client synced", "s", warm.seconds(), floorWarm == null ? f : Double.valueOf(floorWarm.seconds()),
        "≤ 5 s (window " + Report.dur(p.reconnectWindow()) + ")");
    Latencies.Summary ws = Latencies.Summary.of(warm.syncNanos());
    Latencies.Summary fws = floorWarm == null ? null : Latencies.Summary.of(floorWarm.syncNanos());
    rep.row("per client connect→synced p50", "ms", ws.p50(), fws == null ? f : Double.valueOf(fws.p50()), "");
    rep.row("per client connect→synced p99", "ms", ws.p99(), fws == null ? f : Double.valueOf(fws.p99()), "");
    rep.row("per client connect→synced max", "ms", ws.max(), fws == null ? f : Double.valueOf(fws.max()), "");
    rep.row("Sextant CPU per reconnect", "ms", warm.cpuSeconds() * 1000 / p.clients(),
        floorWarm == null ? f : Double.valueOf(floorWarm.cpuSeconds() * 1000 / p.clients()), "≤ 10 ms handling");
    rep.row("CPU over the storm", "s", warm.cpuSeconds(), floorWarm == null ? f : Double.valueOf(floorWarm.cpuSeconds()), "");
    rep.row("Address resources re-sent per client", "count", (double) warm.firstResources()[0] / p.clients(),
        floorWarm == null ? f : Double.valueOf((double) floorWarm.firstResources()[0] / p.clients()),
        "≈ changed: " + changes + " added (+" + changes + " removed)");
    rep.row("Authorization resources re-sent per client", "count", (double) warm.firstResources()[1] / p.clients(),
        floorWarm == null ? f : Double.valueOf((double) floorWarm.firstResources()[1] / p.clients()), "0 changed (" + policies + " exist)");
    rep.row("bytes sent per client", "KB", warm.bytes() / 1e3 / p.clients(),
        floorWarm == null ? f : Double.valueOf(floorWarm.bytes() / 1e3 / p.clients()), "");
    rep.row("streams refused (admission), retried", "count", warm.refusals(), floorWarm == null ? f : Double.valueOf((double) floorWarm.refusals()), "");
    rep.row("full re-sends of Address on reconnect", "count", warm.warmFull()[0], f, "0");
    rep.row("full re-sends of Authorization on reconnect", "count", warm.warmFull()[1], f, "");
    if (cold != null) {
      rep.section("(b) cold restart, " + p.coldClients() + " clients at once");
      rep.row("storm: first connect to last client synced", "s", cold.seconds(), floorCold == null ? f : Double.valueOf(floorCold.seconds()), "");
      double mbps = cold.bytes() / 1e6 / cold.seconds();
      rep.row("throughput", "MB/s", mbps, floorCold == null ? f : Double.valueOf(floorCold.bytes() / 1e6 / floorCold.seconds()),
          "≥ 300 MB/s");
      rep.row("bytes per client (full state)", "MB", cold.bytes() / 1e6 / p.coldClients(),
          floorCold == null ? f : Double.valueOf(floorCold.bytes() / 1e6 / p.coldClients()), "");
      Latencies.Summary cs = Latencies.Summary.of(cold.syncNanos());
      Latencies.Summary fcs = floorCold == null ? null : Latencies.Summary.of(floorCold.syncNanos());
      rep.row("per client connect→synced p50", "ms", cs.p50(), fcs == null ? f : Double.valueOf(fcs.p50()), "");
      rep.row("per client connect→synced max", "ms", cs.max(), fcs == null ? f : Double.valueOf(fcs.max()), "");
      rep.row("CPU over the storm", "s", cold.cpuSeconds(), floorCold == null ? f : Double.valueOf(floorCold.cpuSeconds()), "");
      rep.row("streams refused (admission), retried", "count", cold.refusals(), floorCold == null ? f : Double.valueOf((double) floorCold.refusals()), "");
      rep.row("peak used heap during the storm (garbage included)", "MB", cold.peakHeap() / 1e6,
          floorCold == null ? f : Double.valueOf(floorCold.peakHeap() / 1e6), "≤ 4 GiB");
    }
    rep.section("memory");
    rep.row("live heap after GC: Sextant loaded, no clients", "MB", (heapLoaded - heap0) / 1e6, f, "");
    long notConverged = warm.notConverged().size() + (cold == null ? 0 : cold.notConverged().size());
    rep.fact("warmFullAddressResends", warm.warmFull()[0]);
    rep.fact("clientsNotConverged", notConverged);
    if (floorWarm != null) {
      rep.fact("floorClientsNotConverged", floorWarm.notConverged().size()
          + (floorCold == null ? 0 : floorCold.notConverged().size()));
    }
    if (!warm.notConverged().isEmpty()) {
      rep.problem("after the warm storm: %s", warm.notConverged());
    }
    if (cold != null && !cold.notConverged().isEmpty()) {
      rep.problem("after the cold storm: %s", cold.notConverged());
    }
    if (warm.warmFull()[1] > 0) {
      rep.note("Authorization resources carry no version (istiod sends none, and ztunnel reports \"\"), so every warm "
          + "reconnect re-sends every policy: %,d policies x %,d clients here", policies, p.clients());
    }
    rep.note("the floor has no admission limit; Sextant admits %s new streams/s (100 per core) with an equal burst",
        Report.num(dev.sextant.server.xds.XdsOptions.defaults().streamsPerSecond()));
    return rep;
  }

  private static Storm storm(ClientFleet fleet, List<FakeZtunnel> clients, BenchOptions.Params p, Meters meters, Sut sut,
      Map<String, Map<String, String>> expected, boolean warm) {
    return storm(fleet, clients, p, meters, sut, expected, warm, null);
  }

  /** Reconnects {@code clients} (warm: spread over the window; cold: all at once) and measures until all synced. */
  private static Storm storm(ClientFleet fleet, List<FakeZtunnel> clients, BenchOptions.Params p, Meters meters, Sut sut,
      Map<String, Map<String, String>> expected, boolean warm, FloorServer floor) {
    Map<String, Long> m0 = sut == null ? Map.of() : sut.metrics();
    long floorBytes0 = floor == null ? 0 : floor.bytes.get();
    long floorResponses0 = floor == null ? 0 : floor.responses.get();
    meters.resetPeakHeap();
    Meters.Cpu cpu0 = meters.cpu();
    long start = System.nanoTime();
    List<CompletableFuture<Long>> futures = warm
        ? fleet.reconnectWarm(clients, p.reconnectWindow().toNanos())
        : fleet.connectCold(clients, 0);
    long[] sync = Wds.times(futures, clients, p.timeout());
    long end = 0;
    for (int i = 0; i < sync.length; i++) {
      end = Math.max(end, sync[i]);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    Meters.Cpu cpu1 = meters.cpu();
    long peak = meters.peakHeap();
    Map<String, Long> m1 = sut == null ? Map.of() : sut.metrics();
    List<String> bad = fleet.notConverged(clients, expected);
    long[] first = {fleet.sum(c -> c.firstResponseResources[0]), fleet.sum(c -> c.firstResponseResources[1])};
    long[] full = {fleet.sum(c -> c.warmFullResends[0]), fleet.sum(c -> c.warmFullResends[1])};
    return new Storm(clients.size(), seconds, sync,
        sut == null ? cpu1.seconds(Meters.Owner.FLOOR, cpu0) : cpu1.seconds(Meters.Owner.SUT, cpu0),
        sut == null ? floor.responses.get() - floorResponses0 : Sut.delta(m1, m0, "responses"),
        sut == null ? floor.bytes.get() - floorBytes0 : Sut.delta(m1, m0, "bytes"),
        fleet.sum(c -> c.refusals), first, full, peak, bad);
  }
}
