package dev.sextant.bench;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * S6, cold start and memory ceiling (performance-anchors.md §6): the whole cluster written at once
 * (an informer's initial LIST) until Sextant has translated and indexed all of it ("ready"); live
 * heap; then a sample of clients syncing cold (the full state each) and every other client
 * connecting warm with {@code initial_resource_versions} of that same state, as after a control
 * plane restart. The floor serves the same snapshot (cold) and the same empty difference (warm)
 * from a bare gRPC server.
 */
final class S6ColdStart {
  private S6ColdStart() {}

  // the server and clients are closed before the floor runs, so it has the machine to itself
  @SuppressWarnings("try")
  static Report run(BenchOptions.Params p, Meters meters, PrintStream log) throws Exception {
    Report rep = new Report("S6", "cold start and memory ceiling");
    int warmCount = p.clients() - p.coldClients();
    rep.condition("%s; %,d clients sync cold, then %,d connect warm (initial_resource_versions) at once",
        p.describe(), p.coldClients(), warmCount);
    Names names = new Names();
    long heap0 = Meters.liveHeap();
    ClusterModel model = new ClusterModel(p.namespaces(), p.services(), p.pods(), p.clients(), p.policies(),
        "Kubernetes", p.seed());
    Double f = null;
    try (Sut sut = Sut.start(p.pushDelay());
        ClientFleet fleet = new ClientFleet(names, p.decode());
        ChurnDriver driver = new ChurnDriver(model, sut.inputs(), names)) {
      log.printf("S6: loading %s%n", p.describe());
      meters.resetPeakHeap();
      Meters.Cpu cpu0 = meters.cpu();
      Wds.Load load = Wds.load(sut, model, driver, false, p.timeout());
      Meters.Cpu cpu1 = meters.cpu();
      long peakLoad = meters.peakHeap();
      long heapLoaded = Meters.liveHeap();
      long readyAt = System.nanoTime();
      Map<String, Map<String, String>> expected = sut.versions();
      Map<String, List<io.envoyproxy.envoy.service.discovery.v3.Resource>> snapshot = Wds.snapshot(sut);

      fleet.target(sut.address());
      List<FakeZtunnel> cold = fleet.create(p.coldClients(), ClusterModel::nodeName);
      fleet.preIntern(expected);
      log.printf("S6: %d clients sync cold, from %s%n", cold.size(), java.time.Instant.now());
      Map<String, Long> m0 = sut.metrics();
      Meters.Cpu ccpu0 = meters.cpu();
      Map<String, Long> g0 = meters.cpuByGroup();
      long coldStart = System.nanoTime();
      long[] coldTimes = Wds.times(fleet.connectCold(cold, 0), cold, p.timeout());
      double coldSeconds = (System.nanoTime() - coldStart) / 1e9;
      Meters.Cpu ccpu1 = meters.cpu();
      rep.note("cold sync CPU by thread: %s", Meters.describe(g0, meters.cpuByGroup(), 0.05));
      Map<String, Long> m1 = sut.metrics();
      long coldBytes = Sut.delta(m1, m0, "bytes");
      long coldResponses = Sut.delta(m1, m0, "responses");

      Map<String, VersionStore.Frozen> base = cold.get(0).freeze();
      List<FakeZtunnel> warm = fleet.create(warmCount, i -> ClusterModel.nodeName(p.coldClients() + i));
      for (FakeZtunnel c : warm) {
        c.adopt(base);
      }
      log.printf("S6: %,d clients connect warm, from %s%n", warm.size(), java.time.Instant.now());
      Map<String, Long> w0 = sut.metrics();
      Meters.Cpu wcpu0 = meters.cpu();
      long warmStart = System.nanoTime();
      long[] warmTimes;
      try {
        warmTimes = warm.isEmpty() ? new long[0] : Wds.times(fleet.reconnectWarm(warm, 0), warm, p.timeout());
      } catch (Wds.NotSynced e) {
        rep.row("initial load written to ready (all translated, indexed)", "s", load.seconds(), f, "≤ 30 s");
        rep.row("live heap after GC: Sextant loaded, no clients", "MB", (heapLoaded - heap0) / 1e6, f, "");
        rep.row(p.coldClients() + " cold syncs, first connect to last synced", "s", coldSeconds, f, "");
        rep.problem("warm connects failed: %s", e.getMessage());
        return rep;
      }
      long warmEnd = System.nanoTime();
      Meters.Cpu wcpu1 = meters.cpu();
      long warmBytes = Sut.delta(sut.metrics(), w0, "bytes");
      long warmRefusals = fleet.sum(c -> c.refusals);
      long warmAddressResent = fleet.sum(c -> c.index >= p.coldClients() ? c.firstResponseResources[0] : 0);
      List<String> bad = fleet.notConverged(fleet.clients(), expected);
      long heapAll = Meters.liveHeap();
      long clientState = fleet.clientStateBytes();

      double floorCold = Double.NaN;
      double floorWarm = Double.NaN;
      double floorColdCpu = Double.NaN;
      double floorWarmCpu = Double.NaN;
      List<String> floorBad = List.of();
      if (p.floor()) {
        fleet.close();
        sut.close();
        log.printf("S6: floor: the same syncs from a bare gRPC server%n");
        try (FloorServer floor = new FloorServer((type, versions) -> versions.isEmpty()
                ? new FloorServer.Delta(snapshot.getOrDefault(type, List.of()), List.of())
                : new FloorServer.Delta(List.of(), List.of()));
            ClientFleet ff = new ClientFleet(names, p.decode())) {
          ff.target(floor.address());
          List<FakeZtunnel> fc = ff.create(p.coldClients(), ClusterModel::nodeName);
          Meters.Cpu a = meters.cpu();
          Map<String, Long> fg0 = meters.cpuByGroup();
          long t = System.nanoTime();
          Wds.times(ff.connectCold(fc, 0), fc, p.timeout());
          floorCold = (System.nanoTime() - t) / 1e9;
          Meters.Cpu b = meters.cpu();
          rep.note("floor cold sync CPU by thread: %s", Meters.describe(fg0, meters.cpuByGroup(), 0.05));
          floorColdCpu = b.seconds(Meters.Owner.FLOOR, a);
          List<FakeZtunnel> fw = ff.create(warmCount, i -> ClusterModel.nodeName(p.coldClients() + i));
          for (FakeZtunnel c : fw) {
            c.adopt(base);
          }
          t = System.nanoTime();
          if (!fw.isEmpty()) {
            Wds.times(ff.reconnectWarm(fw, 0), fw, p.timeout());
          }
          floorWarm = (System.nanoTime() - t) / 1e9;
          floorWarmCpu = meters.cpu().seconds(Meters.Owner.FLOOR, b);
          floorBad = ff.notConverged(ff.clients(), expected);
        }
      }

      rep.section("cold start");
      rep.row("initial load written to ready (all translated, indexed)", "s", load.seconds(), f, "≤ 30 s");
      rep.row("Sextant CPU for the load", "s", cpu1.seconds(Meters.Owner.SUT, cpu0), f, "");
      rep.row("resources (addresses + policies)", "count", load.addresses() + load.authorizations(), f, "");
      rep.section("memory");
      rep.row("live heap after GC: Sextant loaded, no clients", "MB", (heapLoaded - heap0) / 1e6, f, "");
      rep.row("per pod (loaded / pods)", "KB", (heapLoaded - heap0) / 1e3 / p.pods(), f, "≤ 35 KB");
      rep.row("peak used heap during the load (JVM, garbage included)", "MB", peakLoad / 1e6, f, "");
      rep.row("live heap after GC, all connected (Sextant + fake clients)", "MB", (heapAll - heap0) / 1e6, f, "≤ 8 GiB at spec size");
      rep.row("per connection, estimate (both ends, minus client state)", "KB",
          (heapAll - heapLoaded - clientState) / 1e3 / p.clients(), f, "≤ 64 KB");
      rep.section("clients");
      rep.row(p.coldClients() + " cold syncs, first connect to last synced", "s", coldSeconds, floorCold,
          "≤ 15 s at spec size");
      rep.row("cold sync throughput", "MB/s", coldBytes / 1e6 / coldSeconds,
          p.floor() ? coldBytes / 1e6 / floorCold : Double.NaN, "");
      rep.row("cold sync CPU", "s", ccpu1.seconds(Meters.Owner.SUT, ccpu0), floorColdCpu, "");
      rep.row("bytes per cold client", "MB", coldBytes / 1e6 / p.coldClients(), f, "");
      rep.row("responses per cold client", "count", (double) coldResponses / p.coldClients(), f, "2 (one per type)");
      rep.row(warmCount + " warm connects, first to last synced", "s", (warmEnd - warmStart) / 1e9, floorWarm, "");
      rep.row("warm connect CPU", "s", wcpu1.seconds(Meters.Owner.SUT, wcpu0), floorWarmCpu, "");
      rep.row("warm: Address resources re-sent per client", "count",
          warmCount == 0 ? 0 : (double) warmAddressResent / warmCount, f, "0");
      rep.row("warm: bytes per client", "KB", warmCount == 0 ? 0 : warmBytes / 1e3 / warmCount, f, "");
      rep.row("warm: streams refused (admission), retried", "count", warmRefusals, f, "");
      rep.row("ready to every client synced", "s", (warmEnd - readyAt) / 1e9, f, "≤ 60 s");
      Latencies.Summary cs = Latencies.Summary.of(coldTimes);
      Latencies.Summary ws = Latencies.Summary.of(warmTimes);
      rep.row("cold client connect→synced max", "ms", cs.max(), f, "");
      rep.row("warm client connect→synced p99", "ms", ws.p99(), f, "");
      rep.fact("clientsNotConverged", bad.size());
      rep.fact("warmFullAddressResends", fleet.sum(c -> c.warmFullResends[0]));
      rep.fact("floorClientsNotConverged", floorBad.size());
      if (!bad.isEmpty()) {
        rep.problem("clients did not converge: %s", bad);
      }
      if (!floorBad.isEmpty()) {
        rep.problem("floor clients did not converge: %s", floorBad);
      }
      rep.note("warm clients share one frozen copy of the cold client's versions, and one serialized "
          + "initial_resource_versions (%,d entries) to which each appends its node", load.addresses() + load.authorizations());
    }
    return rep;
  }
}
