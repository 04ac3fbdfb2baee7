package dev.sextant.bench;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * S1, WDS steady churn (performance-anchors.md §6): a mesh of pods behind services, one fake
 * ztunnel per node, pods replaced at a steady rate; event→ACK at every client, Sextant's CPU,
 * live heap, bytes and messages per event, full pushes. The floor is the same deltas replayed
 * through a bare gRPC server to as many clients.
 */
final class S1SteadyChurn {
  private S1SteadyChurn() {}

  // the server and clients are closed before the floor runs, so it has the machine to itself
  @SuppressWarnings("try")
  static Report run(BenchOptions.Params p, Meters meters, PrintStream log) throws Exception {
    Report rep = new Report("S1", "WDS steady churn");
    int count = (int) Math.round(p.churnPerSecond() * p.duration().toMillis() / 1000.0);
    rep.condition("%s; churn %s/s for %s (%,d pod replacements = %,d events: each a workload removed and one added)%s",
        p.describe(), Report.num(p.churnPerSecond()), Report.dur(p.duration()), count, count * 2,
        p.withCsr() ? String.format(java.util.Locale.ROOT, "; beside it, CSR bursts of %,d (%,d nodes x %,d service "
            + "accounts, %d in flight per node) back to back", p.csrNodes() * p.csrAccounts(), p.csrNodes(),
            p.csrAccounts(), p.csrConcurrency()) : "");
    Names names = new Names();
    long heap0 = Meters.liveHeap();
    ClusterModel model = new ClusterModel(p.namespaces(), p.services(), p.pods(), p.clients(), p.policies(),
        "Kubernetes", p.seed());
    Map<String, List<io.envoyproxy.envoy.service.discovery.v3.Resource>> initial;
    Map<String, Map<String, String>> expectedEnd;
    List<ClientFleet.Recorded> recorded;
    ChurnDriver.Result churn;
    try (Sut sut = Sut.start(p.pushDelay());
        ClientFleet fleet = new ClientFleet(names, p.decode());
        ChurnDriver driver = new ChurnDriver(model, sut.inputs(), names)) {
      log.printf("S1: loading %s%n", p.describe());
      Wds.Load load = Wds.load(sut, model, driver, false, p.timeout());
      long heapLoaded = Meters.liveHeap();

      fleet.target(sut.address());
      List<FakeZtunnel> clients = fleet.create(p.clients(), ClusterModel::nodeName);
      fleet.preIntern(sut.versions());
      log.printf("S1: connecting %d clients%n", clients.size());
      long syncStart = System.nanoTime();
      Map<String, Long> m0 = sut.metrics();
      long[] syncTimes = Wds.connectCold(fleet, clients, Duration.ZERO, p.timeout());
      double syncSeconds = (System.nanoTime() - syncStart) / 1e9;
      long syncBytes = Sut.delta(sut.metrics(), m0, "bytes");
      long clientState = fleet.clientStateBytes();
      double perConnection = Wds.heapPerConnection(sut.address(), p.clients(), p.timeout(),
          () -> sut.server.xds().connectionCount());

      if (!p.warmup().isZero()) {
        log.printf("S1: warm-up churn %s%n", Report.dur(p.warmup()));
        int warm = Math.max(1, (int) Math.round(p.churnPerSecond() * p.warmup().toMillis() / 1000.0));
        driver.run(warm, p.warmup(), 0);
      }
      List<String> notConverged = Wds.awaitConverged(fleet, clients, sut, p.timeout());
      if (!notConverged.isEmpty()) {
        rep.problem("clients did not converge after the warm-up: %s", notConverged);
      }
      initial = Wds.snapshot(sut);

      S5CaBurst.Rig rig = null;
      CsrLoad csrLoad = null;
      if (p.withCsr()) {
        log.printf("S1: starting the CA and warming it for the CSR bursts beside the churn%n");
        rig = S5CaBurst.Rig.start(p, "EC", log);
        rig.warm();
        csrLoad = new CsrLoad(rig);
      }

      fleet.resetRun();
      names.clearStamps();
      driver.resetSequence();
      fleet.record(clients.get(0));
      fleet.measuring(true);
      log.printf("S1: measuring %,d replacements over %s%n", count, Report.dur(p.duration()));
      Map<String, Long> before = sut.metrics();
      Meters.Cpu cpu0 = meters.cpu();
      if (csrLoad != null) {
        csrLoad.start();
      }
      churn = driver.run(count, p.duration(), clients.size());
      boolean drained = Wds.awaitEvents(fleet, churn.events(), p.timeout());
      if (csrLoad != null) {
        csrLoad.stop();
        rig.close();
      }
      Meters.Cpu cpu1 = meters.cpu();
      Map<String, Long> after = sut.metrics();
      fleet.measuring(false);
      fleet.record(null);
      recorded = fleet.recorded();
      expectedEnd = sut.versions();
      notConverged = Wds.awaitConverged(fleet, clients, sut, p.timeout());
      long heapEnd = Meters.liveHeap();

      if (!drained) {
        rep.problem("only %,d of %,d events reached every client within %s", fleet.convergedEvents(), churn.events(),
            p.timeout());
      }
      if (churn.fellBehind()) {
        rep.problem("the churn driver fell behind its schedule (max lag %.0f ms, achieved %.1f/s of %.1f/s): "
            + "this machine cannot generate this rate; the figures are not valid", churn.maxLagNanos() / 1e6,
            churn.achievedPerSecond(), p.churnPerSecond());
      }
      Latencies.Summary perClient = fleet.clientLatencies();
      Latencies.Summary perEvent = fleet.eventLatencies();
      double sutCpu = cpu1.seconds(Meters.Owner.SUT, cpu0);
      double wall = cpu1.wallSeconds(cpu0);
      long responses = Sut.delta(after, before, "responses");
      long bytes = Sut.delta(after, before, "bytes");
      long fullPushes = fleet.sum(c -> c.fullPushes);

      FloorSession.Result floor = null;
      List<String> floorNotConverged = List.of();
      long floorSyncMillis = 0;
      long floorSyncBytes = 0;
      double floorPerConnection = Double.NaN;
      if (p.floor()) {
        fleet.close();
        sut.close();
        log.printf("S1: floor: replaying %,d recorded responses to %d clients through a bare gRPC server%n",
            recorded.size(), p.clients());
        try (FloorSession fs = new FloorSession(names, p.clients(), p.decode(), initial, meters, p.timeout())) {
          floor = fs.replay(recorded, churn);
          floorNotConverged = fs.notConverged(expectedEnd);
          floorSyncMillis = fs.syncMillis;
          floorSyncBytes = fs.syncBytes;
          floorPerConnection = fs.heapPerConnection(p.clients());
        }
      }
      Double f = null;
      if (csrLoad != null) {
        rep.section("CSR bursts beside the churn (S5's CA and fake ztunnels, EC; Sextant's CPU below includes them)");
        rep.row("CSRs issued while the churn was measured", "count", csrLoad.issued(), f, "");
        rep.row("issuance rate over the bursts", "certs/s", csrLoad.rate(), f, "");
        rep.row("CSR errors", "count", csrLoad.errors(), f, "0");
        rep.fact("csrErrors", csrLoad.errors());
        if (csrLoad.errors() > 0) {
          rep.problem("%d CSRs failed beside the churn, first: %s", csrLoad.errors(), csrLoad.firstError());
        }
      }
      rep.section("event→ACK, per (client, event): input write to that client's ACK"
          + (csrLoad != null ? ", with CSR bursts running (goal: p99 ≤ 100 ms)" : ""));
      rep.row("p50", "ms", perClient.p50(), floor == null ? f : Double.valueOf(floor.perClient().p50()), "p50 ≤ 25 ms");
      rep.row("p99", "ms", perClient.p99(), floor == null ? f : Double.valueOf(floor.perClient().p99()), "p99 ≤ 100 ms");
      rep.row("max", "ms", perClient.max(), floor == null ? f : Double.valueOf(floor.perClient().max()), "");
      rep.row("samples", "count", perClient.count(), floor == null ? f : Double.valueOf((double) floor.perClient().count()), "");
      rep.section("event→ACK, per event: input write to the last client's ACK");
      rep.row("p50", "ms", perEvent.p50(), floor == null ? f : Double.valueOf(floor.perEvent().p50()), "");
      rep.row("p99", "ms", perEvent.p99(), floor == null ? f : Double.valueOf(floor.perEvent().p99()), "");
      rep.row("max", "ms", perEvent.max(), floor == null ? f : Double.valueOf(floor.perEvent().max()), "");
      rep.section("CPU (Sextant's threads; floor: the bare server's and its sender's)");
      rep.row("CPU over the measured window", "s", sutCpu, floor == null ? f : Double.valueOf(floor.cpuSeconds()), "");
      rep.row("average cores", "cores", sutCpu / wall, floor == null ? f : Double.valueOf(floor.cpuSeconds() / floor.wallSeconds()),
          "≤ 0.25 core");
      rep.row("CPU per 1,000 replacements", "s", sutCpu * 1000 / count,
          floor == null ? f : Double.valueOf(floor.cpuSeconds() * 1000 / count), "");
      rep.row("JVM GC time in window (whole JVM)", "s", cpu1.gcSeconds(cpu0), f, "");
      rep.row("harness CPU in window (clients, driver)", "s", cpu1.seconds(Meters.Owner.HARNESS, cpu0), f, "");
      rep.section("traffic (server-side counters; floor: the bare server's)");
      rep.row("messages per replacement (all clients)", "msgs", (double) responses / count,
          floor == null ? f : Double.valueOf((double) floor.responses() / count), "");
      rep.row("bytes per replacement (all clients)", "B", (double) bytes / count,
          floor == null ? f : Double.valueOf((double) floor.bytes() / count), "");
      rep.row("messages per replacement per client", "msgs", (double) responses / count / p.clients(),
          floor == null ? f : Double.valueOf((double) floor.responses() / count / p.clients()), "");
      rep.row("full pushes", "count", fullPushes, f, "0");
      rep.section("start and memory");
      rep.row("initial load translated (pods+services+policies)", "s", load.seconds(), f, "");
      rep.row("initial cold sync of every client", "s", syncSeconds,
          floor == null ? f : Double.valueOf(floorSyncMillis / 1e3), "");
      rep.row("initial sync bytes (all clients)", "MB", syncBytes / 1e6, floor == null ? f : Double.valueOf(floorSyncBytes / 1e6), "");
      rep.row("slowest client's connect-to-synced", "ms", max(syncTimes) / 1e6, f, "");
      rep.row("live heap after GC: Sextant loaded, no clients", "MB", (heapLoaded - heap0) / 1e6, f, "≤ 1 GiB");
      rep.row("per pod (Sextant loaded / pods)", "KB", (heapLoaded - heap0) / 1e3 / p.pods(), f, "≤ 35 KB");
      rep.row("heap per connection (both ends, probe clients keep nothing)", "KB", perConnection / 1e3,
          floor == null ? f : Double.valueOf(floorPerConnection / 1e3), "≤ 64 KB");
      rep.row("live heap after GC at the end (Sextant + fake clients)", "MB", (heapEnd - heap0) / 1e6, f, "");
      rep.fact("fullPushes", fullPushes);
      rep.fact("clientsNotConverged", notConverged.size());
      rep.fact("eventsNotDelivered", churn.events() - fleet.convergedEvents());
      if (floor != null) {
        rep.fact("floorClientsNotConverged", floorNotConverged.size());
        if (!floorNotConverged.isEmpty()) {
          rep.problem("floor clients did not converge: %s", floorNotConverged);
        }
      }
      if (!notConverged.isEmpty()) {
        rep.problem("clients did not converge: %s", notConverged);
      }
      for (String fp : fleet.fullPushLog()) {
        rep.problem("full push: %s", fp);
      }
      rep.note("churn driver achieved %.1f/s (max lag %.1f ms)", churn.achievedPerSecond(), churn.maxLagNanos() / 1e6);
      rep.note("heap per connection counts both ends of each loopback connection (the server's stream and connection, "
          + "the probe's channel); Sextant minus floor is Sextant's own per-stream state. The fake clients' version "
          + "arrays (%.1f MB) are never counted", clientState / 1e6);
    }
    return rep;
  }

  /** S5 bursts back to back on a thread of their own until stopped: the CA load beside the churn. */
  private static final class CsrLoad {
    private final S5CaBurst.Rig rig;
    private final Thread thread;
    private volatile boolean stopping;
    private long issued;
    private long errors;
    private double seconds;
    private String firstError;
    private Exception failure;

    CsrLoad(S5CaBurst.Rig rig) {
      this.rig = rig;
      this.thread = new Thread(this::loop, "bench-csr-load");
      thread.setDaemon(true);
    }

    private void loop() {
      try {
        while (!stopping) {
          S5CaBurst.Burst b = rig.burst(rig.total);
          issued += b.count() - b.errors();
          errors += b.errors();
          seconds += b.seconds();
          if (firstError == null) {
            firstError = b.firstError();
          }
        }
      } catch (Exception e) {
        failure = e;
      }
    }

    void start() {
      thread.start();
    }

    /** Lets the burst under way finish, then returns. */
    void stop() throws Exception {
      stopping = true;
      thread.join();
      if (failure != null) {
        throw failure;
      }
    }

    long issued() {
      return issued;
    }

    long errors() {
      return errors;
    }

    double rate() {
      return seconds == 0 ? 0 : issued / seconds;
    }

    String firstError() {
      return firstError;
    }
  }

  static long max(long[] a) {
    long m = 0;
    for (long v : a) {
      m = Math.max(m, v);
    }
    return m;
  }
}
