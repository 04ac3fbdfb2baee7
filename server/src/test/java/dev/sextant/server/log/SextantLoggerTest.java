package dev.sextant.server.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

class SextantLoggerTest {
  private static final Instant T = Instant.parse("2026-11-23T10:22:56.123456Z");

  @AfterEach
  void reset() {
    LogSettings.reset();
  }

  @Test
  void text_isIstiodsTabSeparatedLine_scopeOmittedForDefault() {
    assertEquals("2026-11-23T10:22:56.123456Z\tinfo\tads\tADS: new connection\n",
        SextantLogger.format(T, Level.INFO, "ads", "ADS: new connection", null, false));
    assertEquals("2026-11-23T10:22:56.123456Z\twarn\tstarting\n",
        SextantLogger.format(T, Level.WARN, "default", "starting", null, false));
  }

  @Test
  void json_isOneEscapedObjectPerLine() {
    String line = SextantLogger.format(
        T, Level.ERROR, "ca", "bad \"csr\"\tfrom\nnode", new IllegalStateException("x"), true);
    assertTrue(line.startsWith("{\"level\":\"error\",\"time\":\"2026-11-23T10:22:56.123456Z\","
        + "\"scope\":\"ca\",\"msg\":\"bad \\\"csr\\\"\\tfrom\\nnode\",\"error\":"
        + "\"java.lang.IllegalStateException: x\",\"stack\":\""), line);
    assertTrue(line.endsWith("\"}\n"), line);
    assertEquals(1, line.split("\n", -1).length - 1, "exactly one line");
  }

  @Test
  void scope_isTheLongestPackageMatch_andLevelsFollowLaterSettings() {
    assertEquals("ads", LogSettings.scopeFor("dev.sextant.server.xds.XdsStream"));
    assertEquals("ca", LogSettings.scopeFor("dev.sextant.ca.CaRoots"));
    assertEquals("default", LogSettings.scopeFor("dev.sextant.server.Main"));
    assertEquals("default", LogSettings.scopeFor("dev.sextant.cassandra.X"));
    var log = LoggerFactory.getLogger("dev.sextant.krt.DerivedCollection");
    assertTrue(log.isInfoEnabled());
    assertTrue(!log.isDebugEnabled());
    LogSettings.level("dev.sextant.krt", Level.DEBUG);
    assertTrue(log.isDebugEnabled(), "a level set after the logger exists applies");
    assertTrue(!log.isTraceEnabled());
  }
}
