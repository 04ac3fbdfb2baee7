package dev.sextant.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sextant.api.TypeUrls;
import dev.sextant.server.ServerConfig;
import dev.sextant.server.SextantServer;
import dev.sextant.source.InputKind;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The scenario folders of {@link ScenarioTest} once more, with the objects put in fabric8's mock API
 * server (CRUD mode) and Sextant in Kubernetes mode: whatever the informers list, reduce and scope
 * must translate to exactly the same {@code expected.yaml} as the files do.
 *
 * <p>Scenarios whose input sets {@code uid}, {@code creationTimestamp} or {@code deletionTimestamp}
 * are skipped: an API server assigns those itself, so their expectations cannot hold there.
 */
class KubernetesScenarioTest {

  @TestFactory
  Stream<DynamicTest> scenarios_kubernetesMode_ztunnelReceivesSameAsFromFiles() throws Exception {
    return Scenarios.all().stream()
        .filter(dir -> Files.exists(dir.resolve("expected.yaml")))
        .map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> run(dir)));
  }

  private void run(Path scenario) throws Exception {
    String input = Files.readString(scenario.resolve("input.yaml"));
    assumeFalse(input.contains("uid:") || input.contains("creationTimestamp:") || input.contains("deletionTimestamp:"),
        "the API server assigns uid, creationTimestamp and deletionTimestamp");
    List<GenericKubernetesResource> objects = MockCluster.parse(input);
    KubernetesMockServer mock = MockCluster.crudServer();
    try (KubernetesClient client = mock.createClient()) {
      MockCluster.installCrds(client);
      for (GenericKubernetesResource g : objects) {
        InputKind<?> kind = MockCluster.kindOf(g);
        if (kind != null) {
          MockCluster.create(client, g);
        }
      }
      try (SextantServer server = SextantServer.start(ServerConfig.forTest(client))) {
        Await.until("server ready", server::isReady);
        try (FakeZtunnel z = new FakeZtunnel(server.grpcAddress(), FakeZtunnel.Identity.onNode("node-1"))) {
          z.connect();
          z.await("ready", FakeZtunnel::ready);
          ObjectNode actual = Scenarios.render(z.held(TypeUrls.ADDRESS));
          JsonNode expected = Scenarios.YAML.readTree(scenario.resolve("expected.yaml").toFile());
          if (!expected.equals(actual)) {
            assertEquals(Scenarios.YAML.writeValueAsString(expected), Scenarios.YAML.writeValueAsString(actual),
                "scenario " + scenario.getFileName() + " in Kubernetes mode");
          }
        }
      }
    } finally {
      mock.destroy();
    }
  }
}
