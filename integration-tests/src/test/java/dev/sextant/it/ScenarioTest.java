package dev.sextant.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sextant.api.TypeUrls;
import dev.sextant.server.ServerConfig;
import dev.sextant.server.SextantServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * One test per scenario folder: the folder's {@code input.yaml} served from a config directory,
 * and what a fake ztunnel receives compared with {@code expected.yaml}.
 */
class ScenarioTest {
  @TempDir Path tmp;

  @TestFactory
  Stream<DynamicTest> scenarios_configDir_ztunnelReceivesExpected() throws Exception {
    return Scenarios.all().stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> run(dir)));
  }

  private void run(Path scenario) throws Exception {
    Path config = Files.createDirectories(tmp.resolve(scenario.getFileName()));
    Files.copy(scenario.resolve("input.yaml"), config.resolve("input.yaml"));
    try (SextantServer server = SextantServer.start(ServerConfig.forTest(config))) {
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      while (!server.isReady()) {
        assertTrue(System.nanoTime() < deadline, "server did not become ready");
        Thread.sleep(5);
      }
      try (FakeZtunnel z = new FakeZtunnel(server.grpcAddress(), FakeZtunnel.Identity.onNode("node-1"))) {
        z.connect();
        z.await("ready", FakeZtunnel::ready);
        ObjectNode actual = Scenarios.render(z.held(TypeUrls.ADDRESS));
        Path expectedFile = scenario.resolve("expected.yaml");
        if ((Scenarios.refresh() && Scenarios.refreshable(scenario)) || !Files.exists(expectedFile)) {
          Files.writeString(expectedFile, Scenarios.YAML.writeValueAsString(actual));
          if (!Scenarios.refresh()) {
            throw new AssertionError("wrote missing " + expectedFile + "; review it and run again");
          }
          return;
        }
        JsonNode expected = Scenarios.YAML.readTree(expectedFile.toFile());
        if (!expected.equals(actual)) {
          // Equal trees ignore key order; on a difference, show both as text for the diff.
          assertEquals(Scenarios.YAML.writeValueAsString(expected), Scenarios.YAML.writeValueAsString(actual),
              "scenario " + scenario.getFileName());
        }
      }
    }
  }
}
