package dev.sextant.ca;

import java.time.Duration;

/** Formats durations as Go's {@code time.Duration.String()} does, so messages read like istiod's. */
final class GoDuration {
  private GoDuration() {}

  private static final java.util.regex.Pattern PART =
      java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

  /** Parses {@code 24h}, {@code 1h30m}, {@code 250ms}, {@code 0}; an error for anything else. */
  static Duration parse(String v) {
    if (v.equals("0")) {
      return Duration.ZERO;
    }
    boolean negative = v.startsWith("-");
    String s = negative ? v.substring(1) : v;
    java.util.regex.Matcher m = PART.matcher(s);
    long nanos = 0;
    int end = 0;
    while (m.find() && m.start() == end) {
      end = m.end();
      double n = Double.parseDouble(m.group(1));
      long unit = switch (m.group(2)) {
        case "ns" -> 1L;
        case "us", "µs" -> 1_000L;
        case "ms" -> 1_000_000L;
        case "s" -> 1_000_000_000L;
        case "m" -> 60_000_000_000L;
        default -> 3_600_000_000_000L;
      };
      nanos += Math.round(n * unit);
    }
    if (end == 0 || end != s.length()) {
      throw new IllegalArgumentException("want a duration such as 24h or 30m");
    }
    return Duration.ofNanos(negative ? -nanos : nanos);
  }

  static String format(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    StringBuilder sb = new StringBuilder();
    if (d.isNegative()) {
      sb.append('-');
      d = d.negated();
    }
    long hours = d.toHours();
    int minutes = d.toMinutesPart();
    int seconds = d.toSecondsPart();
    int nanos = d.toNanosPart();
    if (hours == 0 && minutes == 0 && seconds == 0) {
      return sb.append(nanos / 1_000_000).append("ms").toString();
    }
    if (hours > 0) {
      sb.append(hours).append('h');
    }
    if (hours > 0 || minutes > 0) {
      sb.append(minutes).append('m');
    }
    sb.append(seconds);
    if (nanos > 0) {
      String frac = String.format("%09d", nanos).replaceAll("0+$", "");
      sb.append('.').append(frac);
    }
    return sb.append('s').toString();
  }
}
