package dev.sextant.server.log;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.event.Level;

/**
 * Process-wide log settings: the format (istiod's tab-separated text or {@code --log_as_json}) and
 * the level per logger-name prefix.
 *
 * <p>Model: istiod configures zap per scope; Sextant's scopes are package prefixes (see
 * {@code dev.sextant.server.Logging}). The longest configured prefix of a logger's name decides
 * its level; otherwise the default level (info) does. Levels are read on every call through a
 * generation counter, so settings applied after a logger was created still take effect.
 *
 * <p>Threading: written once at start-up (and by tests); read from any thread.
 */
public final class LogSettings {
  /** Level meaning "print nothing" (istiod's {@code none}). */
  public static final int OFF = Integer.MAX_VALUE;

  /**
   * istiod's scope names and the packages they cover, in the order used to name a package's
   * scope in output (so {@code dev.sextant.ca} prints as {@code ca}, and {@code security} selects
   * it too).
   */
  public static final Map<String, String> SCOPES = scopes();

  private static final Map<String, Integer> LEVELS = new ConcurrentHashMap<>();
  private static volatile int defaultLevel = Level.INFO.toInt();
  private static volatile boolean json;
  private static volatile int generation;

  private LogSettings() {}

  /** Emits one JSON object per line ({@code level}, {@code time}, {@code scope}, {@code msg}). */
  public static void json(boolean on) {
    json = on;
  }

  static boolean json() {
    return json;
  }

  /** Level for loggers no prefix matches; {@code null} means {@link #OFF}. */
  public static void defaultLevel(Level level) {
    defaultLevel = level == null ? OFF : level.toInt();
    generation++;
  }

  /** Level for loggers whose name starts with {@code prefix}; {@code null} means {@link #OFF}. */
  public static void level(String prefix, Level level) {
    LEVELS.put(prefix, level == null ? OFF : level.toInt());
    generation++;
  }

  /** Back to defaults: text, info, no overrides. */
  public static void reset() {
    LEVELS.clear();
    defaultLevel = Level.INFO.toInt();
    json = false;
    generation++;
  }

  static int generation() {
    return generation;
  }

  static int levelFor(String loggerName) {
    String best = null;
    for (String prefix : LEVELS.keySet()) {
      if (matches(loggerName, prefix) && (best == null || prefix.length() > best.length())) {
        best = prefix;
      }
    }
    return best == null ? defaultLevel : LEVELS.get(best);
  }

  static String scopeFor(String loggerName) {
    String best = null;
    String scope = "default";
    for (Map.Entry<String, String> e : SCOPES.entrySet()) {
      String prefix = e.getValue();
      if (matches(loggerName, prefix) && (best == null || prefix.length() > best.length())) {
        best = prefix;
        scope = e.getKey();
      }
    }
    return scope;
  }

  private static Map<String, String> scopes() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("ads", "dev.sextant.server.xds");
    m.put("ambient", "dev.sextant.ambient");
    m.put("krt", "dev.sextant.krt");
    m.put("ca", "dev.sextant.ca");
    m.put("security", "dev.sextant.ca");
    m.put("kube", "dev.sextant.source");
    m.put("status", "dev.sextant.server.status");
    m.put("authorization", "dev.sextant.convert");
    return Collections.unmodifiableMap(m);
  }

  private static boolean matches(String name, String prefix) {
    return name.equals(prefix) || (name.startsWith(prefix) && name.charAt(prefix.length()) == '.');
  }
}
