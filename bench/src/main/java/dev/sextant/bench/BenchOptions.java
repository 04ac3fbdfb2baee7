package dev.sextant.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The harness's flags: which scenarios, at which size, with which overrides. Each scenario starts
 * from a size preset ({@code smoke}, {@code medium} (default), {@code spec}: the sizes of
 * performance-anchors.md §6) and flags override single parameters. Parameters that make no sense
 * are refused with a message naming the flag, before anything starts.
 */
final class BenchOptions {
  static final List<String> SCENARIOS = List.of("S1", "S2", "S3", "S5", "S6");
  static final List<String> SIZES = List.of("smoke", "medium", "spec");

  /** Thrown for parameters that make no sense; the message says which and why. */
  static final class Refused extends RuntimeException {
    Refused(String message) {
      super(message);
    }
  }

  /** One scenario's resolved parameters. */
  record Params(
      String scenario,
      String size,
      int pods,
      int services,
      int namespaces,
      int clients,
      int policies,
      double churnPerSecond,
      Duration duration,
      Duration warmup,
      double changedFraction,
      Duration reconnectWindow,
      int coldClients,
      int rolloutPods,
      Duration rolloutDuration,
      int csrNodes,
      int csrAccounts,
      int csrConcurrency,
      List<String> caKeys,
      Duration pushDelay,
      boolean floor,
      boolean decode,
      long seed,
      Duration timeout,
      boolean withCsr) {

    String describe() {
      return String.format(Locale.ROOT, "%,d pods, %,d services, %,d namespaces, %,d nodes/clients, %,d policies",
          pods, services, namespaces, clients, policies);
    }
  }

  final List<String> scenarios;
  final String size;
  final Map<String, String> overrides;
  final boolean help;
  final org.slf4j.event.Level logLevel;

  private BenchOptions(List<String> scenarios, String size, Map<String, String> overrides, boolean help,
      org.slf4j.event.Level logLevel) {
    this.scenarios = scenarios;
    this.size = size;
    this.overrides = overrides;
    this.help = help;
    this.logLevel = logLevel;
  }

  private static final Set<String> VALUE_FLAGS = Set.of("pods", "services", "namespaces", "clients", "policies",
      "churn", "duration", "warmup", "changed", "reconnect-window", "cold-clients", "rollout-pods",
      "rollout-duration", "csr-nodes", "csr-accounts", "csr-concurrency", "ca-key", "push-delay", "seed", "timeout");
  private static final Set<String> BOOLEAN_FLAGS = Set.of("no-floor", "decode", "with-csr");

  static BenchOptions parse(String... args) {
    List<String> scenarios = new ArrayList<>();
    String size = "medium";
    Map<String, String> overrides = new LinkedHashMap<>();
    boolean help = false;
    org.slf4j.event.Level logLevel = org.slf4j.event.Level.WARN;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        throw new Refused("unexpected argument '" + a + "'; flags start with --, see --help");
      }
      String flag = a.substring(2);
      String value = null;
      int eq = flag.indexOf('=');
      if (eq >= 0) {
        value = flag.substring(eq + 1);
        flag = flag.substring(0, eq);
      }
      switch (flag) {
        case "help", "h" -> help = true;
        case "smoke" -> size = "smoke";
        case "log" -> {
          value = value != null ? value : next(args, ++i, flag);
          try {
            logLevel = org.slf4j.event.Level.valueOf(value.toUpperCase(Locale.ROOT));
          } catch (IllegalArgumentException e) {
            throw new Refused("--log " + value + ": error, warn, info or debug");
          }
        }
        case "size" -> {
          value = value != null ? value : next(args, ++i, flag);
          if (!SIZES.contains(value)) {
            throw new Refused("--size " + value + ": must be one of " + SIZES);
          }
          size = value;
        }
        case "scenario" -> {
          value = value != null ? value : next(args, ++i, flag);
          for (String s : value.split(",")) {
            String up = s.trim().toUpperCase(Locale.ROOT);
            if (up.equals("ALL")) {
              scenarios.addAll(SCENARIOS);
            } else if (SCENARIOS.contains(up)) {
              scenarios.add(up);
            } else if (up.equals("S4")) {
              throw new Refused("--scenario S4: waypoint xDS (Envoy types) is not served by Sextant yet, so it has no scenario");
            } else {
              throw new Refused("--scenario " + s + ": must be one of " + SCENARIOS + " or all");
            }
          }
        }
        default -> {
          if (BOOLEAN_FLAGS.contains(flag)) {
            overrides.put(flag, "true");
          } else if (VALUE_FLAGS.contains(flag)) {
            overrides.put(flag, value != null ? value : next(args, ++i, flag));
          } else {
            throw new Refused("unknown flag --" + flag + "; see --help");
          }
        }
      }
    }
    if (scenarios.isEmpty()) {
      scenarios.addAll(SCENARIOS);
    }
    BenchOptions o = new BenchOptions(List.copyOf(new java.util.LinkedHashSet<>(scenarios)), size, overrides, help,
        logLevel);
    if (!help) {
      for (String s : o.scenarios) {
        o.params(s); // refuse bad values before anything runs
      }
    }
    return o;
  }

  private static String next(String[] args, int i, String flag) {
    if (i >= args.length || args[i].startsWith("--")) {
      throw new Refused("--" + flag + " needs a value");
    }
    return args[i];
  }

  /** The scenario's preset at this size, with the flags applied, checked. */
  Params params(String scenario) {
    Map<String, Object> p = preset(scenario, size);
    overrides.forEach((k, v) -> p.put(k, v));
    Params r = new Params(
        scenario, size,
        integer(p, "pods"), integer(p, "services"), integer(p, "namespaces"), integer(p, "clients"),
        integer(p, "policies"),
        rate(p, "churn"), duration(p, "duration"), duration(p, "warmup"),
        fraction(p, "changed"), duration(p, "reconnect-window"), integer(p, "cold-clients"),
        integer(p, "rollout-pods"), duration(p, "rollout-duration"),
        integer(p, "csr-nodes"), integer(p, "csr-accounts"), integer(p, "csr-concurrency"),
        caKeys(String.valueOf(p.get("ca-key"))),
        p.get("push-delay") == null ? null : duration(p, "push-delay"),
        !"true".equals(String.valueOf(p.get("no-floor"))),
        "true".equals(String.valueOf(p.get("decode"))),
        (long) integer(p, "seed"),
        duration(p, "timeout"),
        "true".equals(String.valueOf(p.get("with-csr"))));
    validate(r);
    return r;
  }

  /** performance-anchors.md §6 sizes (spec), a laptop-friendly medium, and a seconds-long smoke. */
  static Map<String, Object> preset(String scenario, String size) {
    Map<String, Object> p = new LinkedHashMap<>();
    // defaults shared by every scenario
    p.put("policies", 0);
    p.put("churn", "20/s");
    p.put("duration", "60s");
    p.put("warmup", "5s");
    p.put("changed", "0.01");
    p.put("reconnect-window", "5s");
    p.put("cold-clients", 0);
    p.put("rollout-pods", 0);
    p.put("rollout-duration", "60s");
    p.put("csr-nodes", 1);
    p.put("csr-accounts", 1);
    p.put("csr-concurrency", 8);
    p.put("ca-key", "EC,RSA");
    p.put("seed", 42);
    p.put("timeout", "120s");
    int[] shape; // pods, services, namespaces, clients, policies
    switch (size) {
      case "smoke" -> {
        p.put("duration", "2s");
        p.put("warmup", "500ms");
        p.put("reconnect-window", "300ms");
        p.put("timeout", "30s");
        p.put("ca-key", "EC");
        switch (scenario) {
          case "S1" -> shape = new int[] {400, 40, 4, 4, 10};
          case "S2" -> {
            shape = new int[] {400, 40, 4, 8, 10};
            p.put("changed", "0.02");
            p.put("cold-clients", 4);
          }
          case "S3" -> {
            shape = new int[] {600, 60, 6, 4, 40};
            p.put("rollout-pods", 100);
            p.put("rollout-duration", "1s");
          }
          case "S5" -> {
            shape = new int[] {40, 4, 2, 4, 0};
            p.put("csr-nodes", 4);
            p.put("csr-accounts", 10);
          }
          default -> {
            shape = new int[] {1000, 100, 10, 10, 50};
            p.put("cold-clients", 2);
          }
        }
      }
      case "spec" -> {
        p.put("timeout", "600s");
        switch (scenario) {
          case "S1" -> {
            shape = new int[] {20_000, 2_000, 200, 200, 200};
            p.put("duration", "30m");
            p.put("warmup", "30s");
          }
          case "S2" -> {
            shape = new int[] {100_000, 10_000, 1_000, 1_000, 500};
            p.put("cold-clients", 100);
          }
          case "S3" -> {
            shape = new int[] {50_000, 5_000, 500, 200, 2_000};
            p.put("rollout-pods", 10_000);
            p.put("rollout-duration", "60s");
          }
          case "S5" -> {
            shape = new int[] {200, 20, 2, 200, 0};
            p.put("csr-nodes", 200);
            p.put("csr-accounts", 100);
          }
          default -> {
            shape = new int[] {200_000, 13_000, 1_300, 2_000, 5_000};
            p.put("cold-clients", 50);
          }
        }
      }
      default -> { // medium
        switch (scenario) {
          case "S1" -> shape = new int[] {10_000, 1_000, 100, 100, 100};
          case "S2" -> {
            shape = new int[] {20_000, 2_000, 200, 200, 100};
            p.put("cold-clients", 50);
          }
          case "S3" -> {
            shape = new int[] {10_000, 1_000, 100, 100, 400};
            p.put("rollout-pods", 2_000);
            p.put("rollout-duration", "20s");
          }
          case "S5" -> {
            shape = new int[] {100, 10, 2, 100, 0};
            p.put("csr-nodes", 100);
            p.put("csr-accounts", 50);
          }
          default -> {
            shape = new int[] {50_000, 5_000, 500, 500, 1_000};
            p.put("cold-clients", 25);
          }
        }
      }
    }
    p.put("pods", shape[0]);
    p.put("services", shape[1]);
    p.put("namespaces", shape[2]);
    p.put("clients", shape[3]);
    p.put("policies", shape[4]);
    return p;
  }

  static void validate(Params p) {
    String s = p.scenario();
    if (p.clients() < 1) {
      throw new Refused("--clients " + p.clients() + ": at least one fake ztunnel is needed; with none there is no "
          + "event->ACK latency, no bytes per client and no convergence to report");
    }
    if (p.clients() > 20_000) {
      throw new Refused("--clients " + p.clients() + ": more than 20,000 fake ztunnels in one JVM would measure the "
          + "harness, not Sextant");
    }
    if (p.withCsr()) {
      if (!s.equals("S1")) {
        throw new Refused("--with-csr runs S5's CSR bursts beside S1's churn; it applies to --scenario S1 only");
      }
      if ((long) p.csrNodes() * p.csrAccounts() < 100) {
        throw new Refused("--with-csr with --csr-nodes " + p.csrNodes() + " --csr-accounts " + p.csrAccounts()
            + ": fewer than 100 CSRs per burst is no load; S5's size is --csr-nodes 200 --csr-accounts 100");
      }
    }
    if (!s.equals("S5")) {
      if (p.pods() < 1) {
        throw new Refused("--pods " + p.pods() + ": must be at least 1");
      }
      if (p.services() < 1 || p.services() > p.pods()) {
        throw new Refused("--services " + p.services() + ": must be between 1 and --pods (" + p.pods()
            + "); every service is backed by at least one pod");
      }
      if (p.namespaces() < 1 || p.namespaces() > p.services()) {
        throw new Refused("--namespaces " + p.namespaces() + ": must be between 1 and --services (" + p.services() + ")");
      }
      if (p.policies() < 0) {
        throw new Refused("--policies " + p.policies() + ": cannot be negative");
      }
    }
    if (p.timeout().compareTo(Duration.ofSeconds(1)) < 0) {
      throw new Refused("--timeout " + p.timeout() + ": must be at least 1s");
    }
    switch (s) {
      case "S1" -> {
        if (p.churnPerSecond() <= 0) {
          throw new Refused("--churn " + p.churnPerSecond() + "/s: S1 measures churn, so the rate must be above zero");
        }
        if (p.duration().toMillis() < 500) {
          throw new Refused("--duration " + p.duration() + ": at least 500ms");
        }
        if (p.churnPerSecond() * p.duration().toMillis() / 1000.0 < 1) {
          throw new Refused(String.format(Locale.ROOT, "--churn %s/s over --duration %s is less than one event: nothing "
              + "would be measured", Report.num(p.churnPerSecond()), p.duration()));
        }
        checkRate("--churn", p.churnPerSecond());
      }
      case "S2" -> {
        if (p.changedFraction() <= 0 || p.changedFraction() > 1) {
          throw new Refused("--changed " + p.changedFraction() + ": a fraction of the pods, in (0, 1]");
        }
        if (Math.round(p.changedFraction() * p.pods()) < 1) {
          throw new Refused("--changed " + p.changedFraction() + " of " + p.pods() + " pods is no pod at all");
        }
        if (p.coldClients() < 0 || p.coldClients() > p.clients()) {
          throw new Refused("--cold-clients " + p.coldClients() + ": between 0 and --clients (" + p.clients() + ")");
        }
      }
      case "S3" -> {
        if (p.rolloutPods() < 1 || p.rolloutPods() > p.pods()) {
          throw new Refused("--rollout-pods " + p.rolloutPods() + ": between 1 and --pods (" + p.pods() + ")");
        }
        if (p.rolloutDuration().toMillis() < 100) {
          throw new Refused("--rollout-duration " + p.rolloutDuration() + ": at least 100ms");
        }
        if (p.policies() < 1) {
          throw new Refused("--policies 0: S3 is the policy scenario; it needs at least one (a broad one)");
        }
        checkRate("--rollout-pods/--rollout-duration", p.rolloutPods() * 1000.0 / p.rolloutDuration().toMillis());
      }
      case "S5" -> {
        if (p.csrNodes() < 1 || p.csrAccounts() < 1) {
          throw new Refused("--csr-nodes " + p.csrNodes() + " --csr-accounts " + p.csrAccounts()
              + ": both at least 1; the burst is nodes x accounts CSRs");
        }
        if (p.csrConcurrency() < 1 || p.csrConcurrency() > 1000) {
          throw new Refused("--csr-concurrency " + p.csrConcurrency() + ": between 1 and 1000 in flight per node");
        }
      }
      case "S6" -> {
        if (p.coldClients() < 1 || p.coldClients() > p.clients()) {
          throw new Refused("--cold-clients " + p.coldClients() + ": between 1 and --clients (" + p.clients()
              + "); the warm clients take their versions from a cold one");
        }
      }
      default -> throw new Refused("unknown scenario " + s);
    }
    long need = heapEstimate(p);
    long max = Meters.maxHeap();
    if (need > max * 0.85) {
      throw new Refused(String.format(Locale.ROOT, "%s at this size needs about %,d MB of heap and the JVM has %,d MB: "
          + "set BENCH_JAVA_OPTS=-Xmx%dg or lower the size", s, need >> 20, max >> 20, (need * 3 / 2 >> 30) + 1));
    }
  }

  /**
   * A static ceiling on event rates: a pod replacement cannot be built, reduced and written in much
   * under 50 µs on any machine this runs on, so a rate over 20,000/s would only measure a driver
   * falling behind. The driver also checks, while it runs, that it keeps its schedule.
   */
  static final double MAX_RATE = 20_000;

  private static void checkRate(String flag, double perSecond) {
    if (perSecond > MAX_RATE) {
      throw new Refused(String.format(Locale.ROOT, "%s %s/s: faster than one machine can generate pod replacements "
          + "(ceiling %,.0f/s); the figure would measure the driver falling behind, not Sextant", flag,
          Report.num(perSecond), MAX_RATE));
    }
  }

  /** Rough heap need: Sextant's state (~12 KB per pod all in) plus the fake clients' version arrays. */
  static long heapEstimate(Params p) {
    long resources = (long) p.pods() + p.services() + p.policies();
    long sextant = 12_000L * p.pods() + 8_000L * p.services() + 10_000L * p.policies() + (64L << 20);
    long clients = switch (p.scenario()) {
      case "S6" -> (long) p.coldClients() * resources * 10 + (long) p.clients() * 64_000;
      case "S5" -> 0;
      default -> (long) p.clients() * (resources * 10 + 64_000);
    };
    return sextant + clients;
  }

  static int integer(Map<String, Object> p, String k) {
    Object v = p.get(k);
    try {
      return v instanceof Integer i ? i : Integer.parseInt(String.valueOf(v).replace("_", "").replace(",", ""));
    } catch (NumberFormatException e) {
      throw new Refused("--" + k + " " + v + ": not a whole number");
    }
  }

  static double fraction(Map<String, Object> p, String k) {
    String v = String.valueOf(p.get(k));
    try {
      return v.endsWith("%") ? Double.parseDouble(v.substring(0, v.length() - 1)) / 100 : Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new Refused("--" + k + " " + v + ": not a number or a percentage");
    }
  }

  /** {@code 20/s}, {@code 20}, {@code 1200/m}. */
  static double rate(Map<String, Object> p, String k) {
    String v = String.valueOf(p.get(k)).trim();
    double per = 1;
    if (v.endsWith("/s")) {
      v = v.substring(0, v.length() - 2);
    } else if (v.endsWith("/m")) {
      v = v.substring(0, v.length() - 2);
      per = 60;
    }
    try {
      double r = Double.parseDouble(v) / per;
      if (Double.isNaN(r) || Double.isInfinite(r)) {
        throw new NumberFormatException();
      }
      return r;
    } catch (NumberFormatException e) {
      throw new Refused("--" + k + " " + p.get(k) + ": a rate such as 20/s");
    }
  }

  /** {@code 500ms}, {@code 60s}, {@code 30m}, {@code 1h}. */
  static Duration duration(Map<String, Object> p, String k) {
    String v = String.valueOf(p.get(k)).trim();
    try {
      if (v.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      }
      long n = Long.parseLong(v.substring(0, v.length() - 1));
      Duration d = switch (v.charAt(v.length() - 1)) {
        case 's' -> Duration.ofSeconds(n);
        case 'm' -> Duration.ofMinutes(n);
        case 'h' -> Duration.ofHours(n);
        default -> throw new NumberFormatException();
      };
      if (d.isNegative()) {
        throw new NumberFormatException();
      }
      return d;
    } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
      throw new Refused("--" + k + " " + v + ": a duration such as 500ms, 60s, 30m");
    }
  }

  static List<String> caKeys(String v) {
    List<String> out = new ArrayList<>();
    for (String s : v.split(",")) {
      String up = s.trim().toUpperCase(Locale.ROOT);
      if (!up.equals("EC") && !up.equals("RSA")) {
        throw new Refused("--ca-key " + v + ": EC, RSA or EC,RSA");
      }
      out.add(up);
    }
    return List.copyOf(out);
  }

  static String usage() {
    return """
        Sextant load harness: scenarios S1, S2, S3, S5, S6 of performance-anchors.md §6, each figure
        beside a floor measured in the same run.

        usage: bench/run [--scenario S1,S2,S3,S5,S6|all] [--size smoke|medium|spec | --smoke] [overrides]

          --scenario LIST        scenarios to run, in order (default: all)
          --size SIZE            smoke (seconds), medium (default, a few minutes in all), spec (§6 sizes, by hand)
          --pods N --services N --namespaces N --clients N --policies N
                                 cluster shape; one fake ztunnel per fake node (--clients = nodes)
          --churn RATE           S1: pod replacements per second (20/s)
          --duration D           S1: measured churn time (60s); --warmup D: unmeasured churn first (5s)
          --changed F            S2: fraction of pods replaced while clients are away (0.01 or 1%)
          --reconnect-window D   S2: the warm reconnects are spread over D (5s)
          --cold-clients N       S2: clients that restart empty at once; S6: clients that sync cold
          --rollout-pods N --rollout-duration D
                                 S3: pods replaced in the storm, and over how long
          --csr-nodes N --csr-accounts N --csr-concurrency N --ca-key EC|RSA|EC,RSA
                                 S5: nodes x accounts CSRs, N in flight per node, the CA key types
          --push-delay D         Sextant's push window (default: Sextant's own, 10ms)
          --no-floor             skip the floor runs (figures without ratios)
          --decode               fake clients also parse every Address payload
          --with-csr             S1 only: S5's CSR bursts (EC CA, --csr-nodes x --csr-accounts each)
                                 run back to back beside the measured churn
          --seed N --timeout D   randomness; how long to wait for convergence (120s)
          --log LEVEL            Sextant's log level (warn; info logs every connection)
        """;
  }
}
