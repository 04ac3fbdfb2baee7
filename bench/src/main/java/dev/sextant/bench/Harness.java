package dev.sextant.bench;

import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The load harness: runs the scenarios of performance-anchors.md §6 (S1, S2, S3, S5, S6) against
 * Sextant started in this JVM, each figure printed beside its floor measured in the same run.
 * {@code bench/run --help} lists the flags; BENCHMARKS.md has the commands and recorded figures.
 *
 * <p>Exit codes: 0 all scenarios ran cleanly; 2 refused parameters; 3 a scenario reported a
 * problem (a client did not converge, a full push, a driver that fell behind).
 */
public final class Harness {
  private Harness() {}

  public static void main(String[] args) throws Exception {
    BenchOptions options;
    try {
      options = BenchOptions.parse(args);
    } catch (BenchOptions.Refused e) {
      System.err.println("refused: " + e.getMessage());
      System.exit(2);
      return;
    }
    if (options.help) {
      System.out.print(BenchOptions.usage());
      return;
    }
    List<Report> reports = run(options, System.out);
    boolean problems = reports.stream().anyMatch(r -> !r.problems().isEmpty());
    System.exit(problems ? 3 : 0);
  }

  /** Runs every selected scenario, printing each report as it completes. */
  static List<Report> run(BenchOptions options, PrintStream out) throws Exception {
    // Sextant logs every connection at info; thousands of fake clients would measure the logger.
    dev.sextant.server.log.LogSettings.defaultLevel(options.logLevel);
    out.printf(Locale.ROOT, "Sextant harness %s: Sextant %s, JDK %s (%s), %d cores, max heap %,d MB, size %s%n",
        Instant.now(), System.getProperty("bench.revision", "(revision unknown)"), System.getProperty("java.version"),
        System.getProperty("java.vm.name"), Runtime.getRuntime().availableProcessors(), Meters.maxHeap() >> 20,
        options.size);
    List<Report> reports = new ArrayList<>();
    try (Meters meters = new Meters()) {
      for (String s : options.scenarios) {
        BenchOptions.Params p = options.params(s);
        long start = System.nanoTime();
        Report r = switch (s) {
          case "S1" -> S1SteadyChurn.run(p, meters, out);
          case "S2" -> S2ReconnectStorm.run(p, meters, out);
          case "S3" -> S3PolicyStorm.run(p, meters, out);
          case "S5" -> S5CaBurst.run(p, meters, out);
          case "S6" -> S6ColdStart.run(p, meters, out);
          default -> throw new IllegalArgumentException(s);
        };
        r.note("scenario wall time %.1f s", (System.nanoTime() - start) / 1e9);
        r.print(out);
        out.flush();
        reports.add(r);
      }
    }
    return reports;
  }
}
