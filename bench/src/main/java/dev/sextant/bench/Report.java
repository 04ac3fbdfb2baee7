package dev.sextant.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One scenario's results: a title, the conditions, and rows of figures, each printed as an
 * absolute value and, where the scenario has a floor for it, beside the floor measured in the same
 * run and the ratio figure/floor (how many times the floor Sextant spends; 1.0 is the floor).
 * Also carries the sanity facts the smoke test asserts (full pushes, clients converged).
 */
final class Report {
  final String scenario;
  final String title;
  private final List<String> conditions = new ArrayList<>();
  private final List<Row> rows = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private final Map<String, Long> facts = new LinkedHashMap<>();
  private final List<String> problems = new ArrayList<>();

  record Row(String section, String name, String unit, double value, Double floor, String goal) {}

  Report(String scenario, String title) {
    this.scenario = scenario;
    this.title = title;
  }

  Report condition(String fmt, Object... args) {
    conditions.add(String.format(Locale.ROOT, fmt, args));
    return this;
  }

  private String section = "";

  Report section(String s) {
    section = s;
    return this;
  }

  Report row(String name, String unit, double value) {
    rows.add(new Row(section, name, unit, value, null, ""));
    return this;
  }

  Report row(String name, String unit, double value, double floor) {
    rows.add(new Row(section, name, unit, value, floor, ""));
    return this;
  }

  Report row(String name, String unit, double value, Double floor, String goal) {
    rows.add(new Row(section, name, unit, value, floor, goal == null ? "" : goal));
    return this;
  }

  Report note(String fmt, Object... args) {
    notes.add(String.format(Locale.ROOT, fmt, args));
    return this;
  }

  /** A count the smoke test checks (full pushes, clients not converged, ...). */
  Report fact(String name, long value) {
    facts.put(name, value);
    return this;
  }

  /** Something that makes a figure untrustworthy; printed loudly and failing the run. */
  Report problem(String fmt, Object... args) {
    problems.add(String.format(Locale.ROOT, fmt, args));
    return this;
  }

  long fact(String name) {
    Long v = facts.get(name);
    if (v == null) {
      throw new IllegalArgumentException("no fact " + name + " in " + scenario + "; have " + facts.keySet());
    }
    return v;
  }

  Map<String, Long> facts() {
    return Map.copyOf(facts);
  }

  List<String> problems() {
    return List.copyOf(problems);
  }

  List<Row> rows() {
    return List.copyOf(rows);
  }

  void print(PrintStream out) {
    out.println();
    out.println("== " + scenario + " " + title);
    for (String c : conditions) {
      out.println("   " + c);
    }
    String last = null;
    boolean anyFloor = rows.stream().anyMatch(r -> r.floor() != null);
    for (Row r : rows) {
      if (!r.section().equals(last)) {
        last = r.section();
        out.println();
        if (!last.isEmpty()) {
          out.println("   [" + last + "]");
        }
        out.printf(Locale.ROOT, "   %-58s %12s%s  %s%n", "figure", "Sextant",
            anyFloor ? String.format(Locale.ROOT, " %12s %9s", "floor", "ratio") : "", "goal (anchors §6)");
      }
      String floor = "";
      if (anyFloor) {
        floor = r.floor() == null ? String.format(Locale.ROOT, " %12s %9s", "", "")
            : String.format(Locale.ROOT, " %12s %9s", num(r.floor()), ratio(r.value(), r.floor()));
      }
      out.printf(Locale.ROOT, "   %-58s %12s%s  %s%n", r.name() + " (" + r.unit() + ")", num(r.value()), floor, r.goal());
    }
    if (!facts.isEmpty()) {
      out.println();
      StringBuilder sb = new StringBuilder("   checks:");
      facts.forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
      out.println(sb);
    }
    for (String n : notes) {
      out.println("   note: " + n);
    }
    for (String p : problems) {
      out.println("   PROBLEM: " + p);
    }
  }

  static String num(double v) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    double a = Math.abs(v);
    if (a == 0) {
      return "0";
    }
    if (a >= 100_000) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    if (a >= 100) {
      return String.format(Locale.ROOT, "%,.1f", v);
    }
    if (a >= 1) {
      return String.format(Locale.ROOT, "%.2f", v);
    }
    return String.format(Locale.ROOT, "%.3f", v);
  }

  /** 500ms, 2s, 1m30s. */
  static String dur(java.time.Duration d) {
    long ms = d.toMillis();
    if (ms < 1000) {
      return ms + "ms";
    }
    if (ms % 1000 != 0 || ms < 60_000) {
      return ms % 1000 == 0 ? ms / 1000 + "s" : String.format(Locale.ROOT, "%.1fs", ms / 1e3);
    }
    long s = ms / 1000;
    return s % 60 == 0 ? s / 60 + "m" : s / 60 + "m" + s % 60 + "s";
  }

  static String ratio(double v, double floor) {
    if (Double.isNaN(v) || Double.isNaN(floor) || floor == 0) {
      return "n/a";
    }
    return String.format(Locale.ROOT, "%.2fx", v / floor);
  }
}
