package dev.sextant.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintStream;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every scenario of the harness at its smoke size, so that the harness cannot rot: it must run
 * end to end against the real server and report sane facts (every client converged, no full push,
 * no failed request). Timing is printed, never asserted (STYLE.md: timing belongs in the harness).
 */
class HarnessSmokeTest {

  private static Report smoke(String scenario) throws Exception {
    BenchOptions options = BenchOptions.parse("--smoke", "--scenario", scenario);
    List<Report> reports = Harness.run(options, new PrintStream(System.out, true));
    assertEquals(1, reports.size());
    Report r = reports.get(0);
    assertTrue(r.problems().isEmpty(), () -> scenario + " reported problems: " + r.problems());
    assertTrue(!r.rows().isEmpty(), scenario + " reported no figures");
    return r;
  }

  @ParameterizedTest
  @ValueSource(strings = {"S1", "S3"})
  void churnScenario_smokeSize_everyEventReachesEveryClientWithoutFullPush(String scenario) throws Exception {
    Report r = smoke(scenario);
    assertEquals(0, r.fact("fullPushes"));
    assertEquals(0, r.fact("clientsNotConverged"));
    assertEquals(0, r.fact("eventsNotDelivered"));
    assertEquals(0, r.fact("floorClientsNotConverged"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"S2", "S6"})
  void reconnectScenario_smokeSize_warmClientsGetOnlyDifferencesAndConverge(String scenario) throws Exception {
    Report r = smoke(scenario);
    assertEquals(0, r.fact("warmFullAddressResends"));
    assertEquals(0, r.fact("clientsNotConverged"));
    assertEquals(0, r.fact("floorClientsNotConverged"));
  }

  @org.junit.jupiter.api.Test
  void caBurst_smokeSize_everyCsrIssued() throws Exception {
    Report r = smoke("S5");
    assertEquals(0, r.fact("ECErrors"));
    assertEquals(40, r.fact("ECIssued"));
  }
}
