package dev.sextant.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Harness parameters that make no sense are refused, naming the flag and why, before anything runs. */
class BenchOptionsTest {

  private static String refused(String... args) {
    return assertThrows(BenchOptions.Refused.class, () -> BenchOptions.parse(args)).getMessage();
  }

  @Test
  void clients_zero_refusedBecauseNothingWouldBeMeasured() {
    String m = refused("--scenario", "S1", "--clients", "0");
    assertTrue(m.startsWith("--clients 0:"), m);
    assertTrue(m.contains("at least one fake ztunnel"), m);
  }

  @Test
  void withCsr_onlyBesideS1_andOnlyWithARealBurst() {
    assertTrue(refused("--scenario", "S2", "--with-csr").contains("applies to --scenario S1 only"));
    assertTrue(refused("--scenario", "S1", "--with-csr").contains("fewer than 100 CSRs per burst"));
    assertTrue(BenchOptions.parse("--scenario", "S1", "--with-csr", "--csr-nodes", "200", "--csr-accounts", "100")
        .params("S1").withCsr());
  }

  @Test
  void churn_fasterThanTheMachineCanGenerate_refused() {
    String m = refused("--scenario", "S1", "--churn", "1000000/s");
    assertTrue(m.contains("faster than one machine can generate"), m);
  }

  @Test
  void churn_zero_refusedForS1() {
    assertTrue(refused("--scenario", "S1", "--churn", "0").contains("above zero"));
  }

  @Test
  void churn_lessThanOneEventInTheWindow_refused() {
    assertTrue(refused("--scenario", "S1", "--churn", "1/m", "--duration", "10s").contains("less than one event"));
  }

  @Test
  void rollout_fasterThanTheMachineCanGenerate_refused() {
    String m = refused("--scenario", "S3", "--rollout-pods", "10000", "--rollout-duration", "100ms");
    assertTrue(m.contains("faster than one machine can generate"), m);
  }

  @Test
  void services_morePodsThanServices_refused() {
    assertTrue(refused("--scenario", "S1", "--pods", "10", "--services", "20").startsWith("--services 20:"));
  }

  @Test
  void changedFraction_outOfRange_refused() {
    assertTrue(refused("--scenario", "S2", "--changed", "0").startsWith("--changed"));
    assertTrue(refused("--scenario", "S2", "--changed", "150%").startsWith("--changed"));
  }

  @Test
  void coldClients_moreThanClients_refused() {
    assertTrue(refused("--scenario", "S6", "--clients", "10", "--cold-clients", "11").startsWith("--cold-clients 11"));
  }

  @Test
  void heap_tooSmallForTheSize_refusedWithTheSettingToChange() {
    String m = refused("--scenario", "S6", "--pods", "2000000", "--services", "20000", "--namespaces", "100");
    assertTrue(m.contains("BENCH_JAVA_OPTS=-Xmx"), m);
  }

  @Test
  void unknownFlagsAndScenarios_refused() {
    assertTrue(refused("--podz", "3").contains("unknown flag --podz"));
    assertTrue(refused("--scenario", "S9").contains("must be one of"));
    assertTrue(refused("--scenario", "S4").contains("not served"));
    assertTrue(refused("--duration", "soon").contains("a duration"));
  }

  @Test
  void flags_overrideThePreset_ofEveryScenario() {
    BenchOptions o = BenchOptions.parse("--scenario", "S1,S3", "--pods", "2000", "--churn", "50/s", "--duration", "2m");
    assertEquals(2000, o.params("S1").pods());
    assertEquals(2000, o.params("S3").pods());
    assertEquals(50.0, o.params("S1").churnPerSecond());
    assertEquals(Duration.ofMinutes(2), o.params("S1").duration());
    assertEquals(1000, o.params("S1").services(), "services keep the medium preset");
  }

  @Test
  void defaults_mediumSizeAllScenarios() {
    BenchOptions o = BenchOptions.parse();
    assertEquals(BenchOptions.SCENARIOS, o.scenarios);
    assertEquals("medium", o.size);
    assertEquals(10_000, o.params("S1").pods());
  }
}
