package dev.sextant.convert;

/** Go's {@code strconv.ParseBool}: 1/t/T/TRUE/true/True and 0/f/F/FALSE/false/False; anything else is false. */
public final class GoBool {
  private GoBool() {}

  public static boolean parse(String v) {
    return switch (v) {
      case "1", "t", "T", "TRUE", "true", "True" -> true;
      default -> false;
    };
  }
}
