package dev.sextant.server;

import dev.sextant.server.log.LogSettings;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.event.Level;

/**
 * istiod's {@code --log_output_level scope:level,...} and {@code --log_as_json}, applied to the
 * server's slf4j binding ({@link dev.sextant.server.log.SextantLogProvider}). istiod's scopes map
 * to packages ({@link LogSettings#SCOPES}); levels are {@code debug}, {@code info}, {@code warn},
 * {@code error} and {@code none}; {@code default} (or {@code all}) sets every other logger.
 */
final class Logging {
  private Logging() {}

  /** Applies the flags; an unknown level or a part without a colon is a usage error. */
  static void configure(String outputLevels, boolean asJson) throws Flags.UsageException {
    List<Map.Entry<String, Level>> levels = parse(outputLevels);
    LogSettings.json(asJson);
    for (Map.Entry<String, Level> e : levels) {
      if (e.getKey().equals("default") || e.getKey().equals("all")) {
        LogSettings.defaultLevel(e.getValue());
      } else if (LogSettings.SCOPES.containsKey(e.getKey())) {
        LogSettings.level(LogSettings.SCOPES.get(e.getKey()), e.getValue());
      }
      // other istiod scopes (e.g. "model", "validation") have no counterpart here: accepted, no effect
    }
  }

  /** {@code --log_output_level} as scope and level (null for {@code none}) pairs, in order; applies nothing. */
  static List<Map.Entry<String, Level>> parse(String outputLevels) throws Flags.UsageException {
    List<Map.Entry<String, Level>> out = new ArrayList<>();
    if (outputLevels == null || outputLevels.isBlank()) {
      return out;
    }
    for (String part : outputLevels.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      int colon = p.indexOf(':');
      if (colon < 0) {
        throw new Flags.UsageException("invalid --log_output_level \"" + p + "\": want scope:level");
      }
      out.add(new AbstractMap.SimpleImmutableEntry<>(p.substring(0, colon), level(p.substring(colon + 1))));
    }
    return out;
  }

  /** {@code null} for {@code none}. */
  private static Level level(String istioLevel) throws Flags.UsageException {
    return switch (istioLevel.toLowerCase(Locale.ROOT)) {
      case "debug" -> Level.DEBUG;
      case "info" -> Level.INFO;
      case "warn", "warning" -> Level.WARN;
      case "error", "fatal" -> Level.ERROR;
      case "none" -> null;
      default -> throw new Flags.UsageException("invalid log level \"" + istioLevel
          + "\": want debug, info, warn, error or none");
    };
  }
}
