package dev.sextant.bench;

import dev.sextant.krt.Context;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * S3, rollout storm with policies (performance-anchors.md §6): AuthorizationPolicies, namespace-wide
 * and per service, plus broad root-namespace ones each selecting a tenth of all pods; per-workload
 * policy lookup time; a rollout replacing many pods fast (event→ACK during the storm, backlog drain,
 * peak CPU); then one broad policy's selector edited (every workload it selected, and every one it
 * now selects, must reach every client). The floor replays what Sextant sent through a bare server.
 */
final class S3PolicyStorm {
  private S3PolicyStorm() {}

  // the server and clients are closed before the floor runs, so it has the machine to itself
  @SuppressWarnings("try")
  static Report run(BenchOptions.Params p, Meters meters, PrintStream log) throws Exception {
    Report rep = new Report("S3", "rollout storm with policies");
    double rate = p.rolloutPods() * 1000.0 / p.rolloutDuration().toMillis();
    ClusterModel model = new ClusterModel(p.namespaces(), p.services(), p.pods(), p.clients(), p.policies(),
        "Kubernetes", p.seed());
    rep.condition("%s (%d broad, each selecting ~%,d pods); rollout: %,d pods replaced in %s (%.0f/s); then one broad "
        + "policy's selector moved to another tenth of the pods", p.describe(), model.broadPolicies(),
        p.pods() / ClusterModel.GROUPS, p.rolloutPods(), Report.dur(p.rolloutDuration()), rate);
    Names names = new Names();
    Map<String, List<io.envoyproxy.envoy.service.discovery.v3.Resource>> initial;
    Map<String, Map<String, String>> expectedStorm;
    Map<String, Map<String, String>> expectedEnd;
    List<ClientFleet.Recorded> stormRecorded;
    List<ClientFleet.Recorded> editRecorded;
    List<String> affected;
    ChurnDriver.Result storm;
    double lookupMicros;
    double lookupPolicies;
    try (Sut sut = Sut.start(p.pushDelay());
        ClientFleet fleet = new ClientFleet(names, p.decode());
        ChurnDriver driver = new ChurnDriver(model, sut.inputs(), names)) {
      log.printf("S3: loading %s%n", p.describe());
      Wds.Load load = Wds.load(sut, model, driver, false, p.timeout());
      rep.note("initial load translated in %.2f s", load.seconds());

      // per-workload policy lookup, as the workload builder calls it
      var policies = sut.server.ambient().policies();
      List<ClusterModel.PodRec> pods = new ArrayList<>(model.livePods());
      List<Map<String, String>> podLabels = pods.stream().map(S3PolicyStorm::labels).toList();
      List<String> podNamespaces = pods.stream().map(pod -> model.namespaceOf(pod.service())).toList();
      long found = 0;
      long t0 = 0;
      long warmUntil = System.nanoTime() + 2_000_000_000L; // JIT warm-up, then one measured pass
      boolean measured = false;
      while (!measured) {
        measured = System.nanoTime() > warmUntil;
        found = 0;
        t0 = System.nanoTime();
        for (int i = 0; i < pods.size(); i++) {
          found += policies.forWorkload(Context.untracked(), podNamespaces.get(i), podLabels.get(i)).size();
        }
      }
      lookupMicros = (System.nanoTime() - t0) / 1e3 / pods.size();
      lookupPolicies = (double) found / pods.size();

      fleet.target(sut.address());
      List<FakeZtunnel> clients = fleet.create(p.clients(), ClusterModel::nodeName);
      log.printf("S3: connecting %d clients%n", clients.size());
      Wds.connectCold(fleet, clients, Duration.ZERO, p.timeout());
      // warm-up: a short burst of replacements, unmeasured
      driver.run(Math.min(200, p.rolloutPods()), Duration.ofMillis(Math.min(2000, p.rolloutDuration().toMillis())), 0);
      List<String> bad = Wds.awaitConverged(fleet, clients, sut, p.timeout());
      if (!bad.isEmpty()) {
        rep.problem("clients did not converge before the storm: %s", bad);
      }
      initial = Wds.snapshot(sut);

      // the storm
      fleet.resetRun();
      names.clearStamps();
      driver.resetSequence();
      fleet.record(clients.get(0));
      fleet.measuring(true);
      log.printf("S3: rollout of %,d pods over %s%n", p.rolloutPods(), Report.dur(p.rolloutDuration()));
      Map<String, Long> m0 = sut.metrics();
      Meters.Cpu cpu0 = meters.cpu();
      meters.startSeries();
      storm = driver.run(p.rolloutPods(), p.rolloutDuration(), clients.size());
      boolean drained = Wds.awaitEvents(fleet, storm.events(), p.timeout());
      Meters.Cpu cpu1 = meters.cpu();
      double peakCores = meters.peakCores();
      Map<String, Long> m1 = sut.metrics();
      fleet.measuring(false);
      fleet.record(null);
      stormRecorded = fleet.recorded();
      fleet.clearRecording();
      Latencies.Summary stormClient = fleet.clientLatencies();
      Latencies.Summary stormEvent = fleet.eventLatencies();
      double drain = (fleet.lastConvergedNanos() - storm.lastWriteNanos()) / 1e9;
      long stormFull = fleet.sum(c -> c.fullPushes);
      if (!drained) {
        rep.problem("only %,d of %,d storm events reached every client within %s", fleet.convergedEvents(),
            storm.events(), p.timeout());
      }
      if (storm.fellBehind()) {
        rep.problem("the rollout driver fell behind (max lag %.0f ms, %.0f/s of %.0f/s): figures not valid",
            storm.maxLagNanos() / 1e6, storm.achievedPerSecond(), rate);
      }
      bad = Wds.awaitConverged(fleet, clients, sut, p.timeout());
      if (!bad.isEmpty()) {
        rep.problem("clients did not converge after the storm: %s", bad);
      }
      expectedStorm = sut.versions();

      // the broad policy edit
      String from = model.broadSelector(0);
      String to = "g" + model.broadPolicies();
      LinkedHashSet<String> touched = new LinkedHashSet<>(model.workloadsInGroup(from));
      touched.addAll(model.workloadsInGroup(to));
      affected = List.copyOf(touched);
      fleet.resetRun();
      names.clearStamps();
      fleet.record(clients.get(0));
      fleet.measuring(true);
      log.printf("S3: editing %s at %s: selector group=%s -> group=%s (%,d workloads change)%n", ClusterModel.broadName(0),
          java.time.Instant.now(),
          from, to, affected.size());
      Map<String, String> versionsBefore = before(sut, affected);
      Map<String, Long> e0 = sut.metrics();
      Meters.Cpu ecpu0 = meters.cpu();
      long editStart = System.nanoTime();
      model.setBroadSelector(0, to);
      var edited = model.broadPolicy(0, to);
      driver.write(() -> {
        Names.Event e = new Names.Event(0, System.nanoTime(), affected.size(), clients.size());
        for (String n : affected) {
          names.intern(n).stampUpdate(e);
        }
        sut.inputs().authorizationPolicies().upsert(edited);
      });
      long indexed = awaitChanged(sut, affected, versionsBefore, p.timeout());
      boolean editDone = Wds.awaitEvents(fleet, 1, p.timeout());
      Meters.Cpu ecpu1 = meters.cpu();
      Map<String, Long> e1 = sut.metrics();
      fleet.measuring(false);
      fleet.record(null);
      Sut.sleep(300); // a late, redundant push would still show in the counts
      Map<String, Long> e2 = sut.metrics();
      editRecorded = fleet.recorded();
      Latencies.Summary editClient = fleet.clientLatencies();
      Latencies.Summary editEvent = fleet.eventLatencies();
      if (!editDone) {
        rep.problem("the policy edit did not reach every client within %s", p.timeout());
      }
      bad = Wds.awaitConverged(fleet, clients, sut, p.timeout());
      if (!bad.isEmpty()) {
        rep.problem("clients did not converge after the edit: %s", bad);
      }
      expectedEnd = sut.versions();
      long editFull = fleet.sum(c -> c.fullPushes);
      long editResources = Sut.delta(e2, e0, "resources");

      FloorSession.Result fStorm = null;
      FloorSession.Result fEdit = null;
      List<String> floorBad = List.of();
      if (p.floor()) {
        fleet.close();
        sut.close();
        log.printf("S3: floor: replaying the storm and the edit through a bare gRPC server%n");
        try (FloorSession fs = new FloorSession(names, p.clients(), p.decode(), initial, meters, p.timeout())) {
          fStorm = fs.replay(stormRecorded, storm);
          floorBad = fs.notConverged(expectedStorm);
          fEdit = fs.replayUpdate(editRecorded, affected);
          if (floorBad.isEmpty()) {
            floorBad = fs.notConverged(expectedEnd);
          }
        }
      }

      Double f = null;
      rep.section("policy lookup (Policies.forWorkload, the workload builder's call), " + p.policies() + " policies");
      rep.row("per workload", "µs", lookupMicros, f, "≤ 5 µs");
      rep.row("policies listed per workload (avg)", "count", lookupPolicies, f, "");
      rep.section("rollout storm: event→ACK per (client, event)");
      rep.row("p50", "ms", stormClient.p50(), fStorm == null ? f : Double.valueOf(fStorm.perClient().p50()), "");
      rep.row("p99", "ms", stormClient.p99(), fStorm == null ? f : Double.valueOf(fStorm.perClient().p99()), "p99 ≤ 250 ms");
      rep.row("max", "ms", stormClient.max(), fStorm == null ? f : Double.valueOf(fStorm.perClient().max()), "");
      rep.row("per event (last client) p99", "ms", stormEvent.p99(), fStorm == null ? f : Double.valueOf(fStorm.perEvent().p99()), "");
      rep.row("backlog drain: last write to last ACK", "s", drain, f, "≤ 1 s");
      rep.row("CPU over the storm", "s", cpu1.seconds(Meters.Owner.SUT, cpu0), fStorm == null ? f : Double.valueOf(fStorm.cpuSeconds()), "");
      rep.row("average cores", "cores", cpu1.seconds(Meters.Owner.SUT, cpu0) / cpu1.wallSeconds(cpu0),
          fStorm == null ? f : Double.valueOf(fStorm.cpuSeconds() / fStorm.wallSeconds()), "");
      rep.row("peak cores (1 s)", "cores", peakCores, f, "≤ 1.5 cores");
      rep.row("messages per replacement (all clients)", "msgs", (double) Sut.delta(m1, m0, "responses") / p.rolloutPods(),
          fStorm == null ? f : Double.valueOf((double) fStorm.responses() / p.rolloutPods()), "");
      rep.row("bytes per replacement (all clients)", "B", (double) Sut.delta(m1, m0, "bytes") / p.rolloutPods(),
          fStorm == null ? f : Double.valueOf((double) fStorm.bytes() / p.rolloutPods()), "");
      rep.row("full pushes", "count", stormFull, f, "0");
      rep.section("broad policy edit: " + affected.size() + " workloads change");
      rep.row("edit→ACK of every changed workload, per client p50", "ms", editClient.p50(),
          fEdit == null ? f : Double.valueOf(fEdit.perClient().p50()), "");
      rep.row("edit→ACK, per client max (= last client)", "ms", editEvent.max(),
          fEdit == null ? f : Double.valueOf(fEdit.perEvent().max()), "≤ 200 ms");
      long firstDelta = editRecorded.isEmpty() ? -1 : editRecorded.get(0).receivedNanos() - editStart;
      long lastDelta = editRecorded.isEmpty() ? -1 : editRecorded.get(editRecorded.size() - 1).receivedNanos() - editStart;
      rep.row("edit to every changed workload re-translated, in the index", "ms", (indexed - editStart) / 1e6, f, "");
      rep.row("client 0: responses for the edit", "count", editRecorded.size(), f, "");
      rep.row("client 0: edit to first / last of them", "ms", firstDelta / 1e6, f, String.format(java.util.Locale.ROOT,
          "last at %.1f ms", lastDelta / 1e6));
      rep.row("CPU for the edit", "s", ecpu1.seconds(Meters.Owner.SUT, ecpu0), fEdit == null ? f : Double.valueOf(fEdit.cpuSeconds()), "");
      rep.row("resources sent per client", "count", (double) editResources / p.clients(),
          fEdit == null ? f : Double.valueOf((double) editRecordedResources(editRecorded)), "= " + affected.size() + " changed");
      rep.row("bytes sent (all clients)", "MB", Sut.delta(e1, e0, "bytes") / 1e6, fEdit == null ? f : Double.valueOf(fEdit.bytes() / 1e6), "");
      rep.row("full pushes", "count", editFull, f, "0");
      rep.fact("fullPushes", stormFull + editFull);
      rep.fact("clientsNotConverged", bad.size());
      rep.fact("eventsNotDelivered", storm.events() - (drained ? storm.events() : 0) + (editDone ? 0 : 1));
      rep.fact("floorClientsNotConverged", floorBad.size());
      if (!floorBad.isEmpty()) {
        rep.problem("floor clients did not converge: %s", floorBad);
      }
      for (String fp : fleet.fullPushLog()) {
        rep.problem("full push: %s", fp);
      }
      rep.note("rollout driver achieved %.1f/s (max lag %.1f ms)", storm.achievedPerSecond(), storm.maxLagNanos() / 1e6);
    }
    return rep;
  }

  private static Map<String, String> before(Sut sut, List<String> names) {
    Map<String, String> out = new java.util.HashMap<>();
    var index = sut.index(dev.sextant.api.TypeUrls.ADDRESS);
    for (String n : names) {
      var r = index.get(n);
      out.put(n, r == null ? "" : r.version());
    }
    return out;
  }

  /** Polls the Address index until every name's version differs from {@code before}; returns when (nanoTime). */
  private static long awaitChanged(Sut sut, List<String> names, Map<String, String> before, Duration timeout) {
    var index = sut.index(dev.sextant.api.TypeUrls.ADDRESS);
    long deadline = System.nanoTime() + timeout.toNanos();
    int from = 0;
    while (System.nanoTime() < deadline) {
      while (from < names.size()) {
        var r = index.get(names.get(from));
        if (r == null || r.version().equals(before.get(names.get(from)))) {
          break;
        }
        from++;
      }
      if (from == names.size()) {
        return System.nanoTime();
      }
      java.util.concurrent.locks.LockSupport.parkNanos(200_000);
    }
    return -1;
  }

  static long editRecordedResources(List<ClientFleet.Recorded> recorded) {
    long n = 0;
    for (ClientFleet.Recorded r : recorded) {
      n += r.resources().size();
    }
    return n;
  }

  /** The labels a pod of the model carries (see {@link ClusterModel#podObject}). */
  static Map<String, String> labels(ClusterModel.PodRec p) {
    String svc = ClusterModel.serviceName(p.service());
    return Map.of("app", svc, "version", "v1", "pod-template-hash", ClusterModel.replicaSetHash(p.service()),
        "group", "g" + p.group());
  }
}
