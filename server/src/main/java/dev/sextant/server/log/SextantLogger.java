package dev.sextant.server.log;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/**
 * One named logger writing istiod's line format to standard output.
 *
 * <p>Format: text is {@code <time>\t<level>\t[<scope>\t]<message>} (the scope column is left out
 * for the default scope, as istiod does); JSON is one object per line with {@code level},
 * {@code time}, {@code scope} and {@code msg}, plus {@code error}/{@code stack} for a throwable.
 * Time is UTC with microseconds. slf4j's {@code trace} is never printed (istiod has no such level).
 *
 * <p>Threading: any thread; a line is written with one {@code print} call on a shared stream.
 */
final class SextantLogger extends LegacyAbstractLogger {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

  private final String scope;
  private volatile int cachedGeneration = -1;
  private volatile int cachedLevel;

  SextantLogger(String name) {
    this.name = name;
    this.scope = LogSettings.scopeFor(name);
  }

  private boolean enabled(Level level) {
    int gen = LogSettings.generation();
    if (gen != cachedGeneration) {
      cachedLevel = LogSettings.levelFor(name);
      cachedGeneration = gen;
    }
    return level.toInt() >= cachedLevel;
  }

  @Override
  public boolean isTraceEnabled() {
    return false;
  }

  @Override
  public boolean isTraceEnabled(Marker marker) {
    return false;
  }

  @Override
  public boolean isDebugEnabled() {
    return enabled(Level.DEBUG);
  }

  @Override
  public boolean isDebugEnabled(Marker marker) {
    return enabled(Level.DEBUG);
  }

  @Override
  public boolean isInfoEnabled() {
    return enabled(Level.INFO);
  }

  @Override
  public boolean isInfoEnabled(Marker marker) {
    return enabled(Level.INFO);
  }

  @Override
  public boolean isWarnEnabled() {
    return enabled(Level.WARN);
  }

  @Override
  public boolean isWarnEnabled(Marker marker) {
    return enabled(Level.WARN);
  }

  @Override
  public boolean isErrorEnabled() {
    return enabled(Level.ERROR);
  }

  @Override
  public boolean isErrorEnabled(Marker marker) {
    return enabled(Level.ERROR);
  }

  @Override
  protected String getFullyQualifiedCallerName() {
    return null;
  }

  @Override
  protected void handleNormalizedLoggingCall(
      Level level, Marker marker, String pattern, Object[] args, Throwable throwable) {
    String message = MessageFormatter.basicArrayFormat(pattern, args);
    PrintStream out = System.out;
    out.print(format(Instant.now(), level, scope, message, throwable, LogSettings.json()));
    out.flush();
  }

  /** One complete line (or, in text with a throwable, a line and the stack trace). */
  static String format(
      Instant time, Level level, String scope, String message, Throwable t, boolean json) {
    String lvl = switch (level) {
      case ERROR -> "error";
      case WARN -> "warn";
      case INFO -> "info";
      default -> "debug";
    };
    StringBuilder b = new StringBuilder(96 + (message == null ? 0 : message.length()));
    if (json) {
      b.append("{\"level\":\"").append(lvl).append("\",\"time\":\"").append(TIME.format(time))
          .append("\",\"scope\":");
      quote(b, scope);
      b.append(",\"msg\":");
      quote(b, message == null ? "" : message);
      if (t != null) {
        b.append(",\"error\":");
        quote(b, String.valueOf(t));
        b.append(",\"stack\":");
        quote(b, stack(t));
      }
      return b.append("}\n").toString();
    }
    b.append(TIME.format(time)).append('\t').append(lvl).append('\t');
    if (!scope.equals("default")) {
      b.append(scope).append('\t');
    }
    b.append(message).append('\n');
    if (t != null) {
      b.append(stack(t));
    }
    return b.toString();
  }

  private static String stack(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    return w.toString();
  }

  private static void quote(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }
}
