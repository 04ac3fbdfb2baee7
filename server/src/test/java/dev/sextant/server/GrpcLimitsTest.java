package dev.sextant.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class GrpcLimitsTest {
  @Test
  void istiodDefaults_overriddenByItsVariables_badValuesKeepTheDefault() {
    assertEquals(new GrpcLimits(4 * 1024 * 1024, 100_000), GrpcLimits.fromEnvironment(Map.of()));
    assertEquals(new GrpcLimits(33_554_432, 150_000), GrpcLimits.fromEnvironment(
        Map.of("ISTIO_GPRC_MAXRECVMSGSIZE", "33554432", "ISTIO_GPRC_MAXSTREAMS", " 150000 ")));
    assertEquals(new GrpcLimits(4 * 1024 * 1024, 100_000), GrpcLimits.fromEnvironment(
        Map.of("ISTIO_GPRC_MAXRECVMSGSIZE", "32MiB", "ISTIO_GPRC_MAXSTREAMS", "-1")));
  }
}
