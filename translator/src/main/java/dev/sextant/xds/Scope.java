package dev.sextant.xds;

/**
 * Who may receive a resource: every client ({@link #global()}), or only the proxies of one node or
 * one waypoint (for the waypoint types to come). Data, not an enum: a new scope needs no switch.
 */
public record Scope(String kind, String value) {
  private static final Scope GLOBAL = new Scope("global", "");

  public static Scope global() {
    return GLOBAL;
  }

  public boolean isGlobal() {
    return this.equals(GLOBAL);
  }
}
