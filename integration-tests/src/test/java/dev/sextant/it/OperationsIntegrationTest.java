package dev.sextant.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sextant.api.TypeUrls;
import dev.sextant.server.ServerConfig;
import dev.sextant.server.SextantServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP surfaces of a running server: readiness, version, metrics under istiod's names, debug. */
class OperationsIntegrationTest {
  @TempDir Path dir;
  SextantServer server;
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    Bookinfo.copyTo(dir);
    server = SextantServer.start(ServerConfig.forTest(dir).withMonitoring());
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!server.isReady()) {
      assertTrue(System.nanoTime() < deadline);
      Thread.sleep(5);
    }
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private HttpResponse<String> get(java.net.InetSocketAddress addr, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + addr.getPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void metrics_afterAZtunnelSyncs_useIstiodNamesWithoutTotalSuffix() throws Exception {
    try (FakeZtunnel z = new FakeZtunnel(server.grpcAddress(), FakeZtunnel.Identity.onNode("node-1"))) {
      z.connect();
      z.await("ready", FakeZtunnel::ready);
      Files.delete(dir.resolve("legacy.yaml"));
      int before = z.responses(TypeUrls.ADDRESS).size();
      z.await("a push", c -> c.responses(TypeUrls.ADDRESS).size() > before);
      // the push's ACK is what convergence is measured on
      Await.until("convergence observed", () -> {
        try {
          return get(server.monitoringAddress(), "/metrics").body().contains("pilot_proxy_convergence_time_count 1");
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
      String body = get(server.monitoringAddress(), "/metrics").body();
      assertTrue(body.contains("# TYPE pilot_xds_pushes counter"), body);
      assertTrue(body.contains("pilot_xds_pushes{type=\"wds\"}"), body);
      assertTrue(body.contains("pilot_xds_pushes{type=\"wads\"}"), body);
      assertFalse(body.contains("pilot_xds_pushes_total"), "istiod's exporter adds no _total");
      assertTrue(body.contains("pilot_xds{version=\"\"} 1"), body);
      assertTrue(body.contains("pilot_proxy_convergence_time_bucket{le=\"0.001\"}"), "finer buckets below 100 ms");
      assertTrue(body.contains("pilot_xds_config_size_bytes_bucket{type=\"type.googleapis.com/istio.workload.Address\",le=\"10000\"}"), body);
      assertTrue(body.contains("pilot_k8s_reg_events{event=\"add\",type=\"Pod\"} 9"), body);
      assertTrue(body.contains("pilot_k8s_reg_events{event=\"delete\",type=\"Pod\"} 1"), body);
      assertTrue(body.contains("pilot_services 4"), body);
      assertTrue(body.contains("istio_build{component=\"pilot\",tag="), body);
      assertTrue(body.contains("go_goroutines "), body);
      assertTrue(body.contains("jvm_memory_used_bytes{"), body);
    }
  }

  @Test
  void readyVersionAndDebugIndex_answerAsIstiod() throws Exception {
    assertEquals(200, get(server.httpAddress(), "/ready").statusCode());
    assertTrue(get(server.monitoringAddress(), "/version").body().endsWith("-Clean"));
    assertEquals(200, get(server.httpAddress(), "/debug").statusCode());
    HttpResponse<String> missing = get(server.httpAddress(), "/debug/nosuch");
    assertEquals(404, missing.statusCode());
    assertEquals("404 page not found\n", missing.body(), "istioctl matches this text");
  }

  @Test
  void debugEndpoints_showConnectedZtunnelInIstiodShapes() throws Exception {
    try (FakeZtunnel z = new FakeZtunnel(server.grpcAddress(), FakeZtunnel.Identity.onNode("node-1"))) {
      z.connect();
      z.await("ready", FakeZtunnel::ready);
      var json = new com.fasterxml.jackson.databind.ObjectMapper();
      Await.until("acked", () -> {
        try {
          var syncz = json.readTree(get(server.httpAddress(), "/debug/syncz").body());
          var res = syncz.get(0).path("resources").path(TypeUrls.ADDRESS);
          return res.path("sent").asText().equals(res.path("acked").asText()) && !res.path("sent").asText().isEmpty();
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
      var syncz = json.readTree(get(server.httpAddress(), "/debug/syncz").body());
      assertEquals("ztunnel-node-1.istio-system", syncz.get(0).path("proxy").asText());
      assertEquals("ztunnel", syncz.get(0).path("proxy_type").asText());
      assertEquals("Kubernetes", syncz.get(0).path("cluster_id").asText());

      HttpResponse<String> noId = get(server.httpAddress(), "/debug/config_dump");
      assertEquals(400, noId.statusCode());
      assertEquals("You must provide a proxyID in the query string", noId.body());
      HttpResponse<String> unknown = get(server.httpAddress(), "/debug/config_dump?proxyID=nobody");
      assertEquals(404, unknown.statusCode());
      assertEquals("Proxy not connected to this Pilot instance. It may be connected to another instance.", unknown.body());
      var dump = json.readTree(get(server.httpAddress(), "/debug/config_dump?proxyID=ztunnel-node-1").body());
      assertEquals(14, dump.path("configs").size());
      assertEquals("type.googleapis.com/istio.workload.Address", dump.path("configs").get(0).path("@type").asText());

      var adsz = json.readTree(get(server.monitoringAddress(), "/debug/adsz").body());
      assertEquals(1, adsz.path("totalClients").asInt());
      assertEquals("node-1", adsz.path("clients").get(0).path("metadata").path("NODE_NAME").asText());
      var registry = json.readTree(get(server.monitoringAddress(), "/debug/registryz").body());
      assertEquals(5, registry.size());
      var configz = json.readTree(get(server.monitoringAddress(), "/debug/configz").body());
      assertEquals("AuthorizationPolicy", configz.get(0).path("kind").asText());
    }
  }

  @Test
  void authzCheck_andExplain_onTheBundledExample() throws Exception {
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    var allowed = json.readTree(get(server.httpAddress(), "/debug/authz-check?src=bookinfo/reviews-v2-b8c9d6f7e5-h5j8d"
        + "&dst=bookinfo/ratings-v1-7d8f6c5b4a-t8w3r&port=9080").body());
    assertEquals("ALLOW", allowed.path("decision").asText(), allowed.toString());
    assertEquals("bookinfo/ratings-from-reviews", allowed.path("policy").asText());
    assertEquals("spiffe://cluster.local/ns/bookinfo/sa/bookinfo-reviews", allowed.path("source").path("identity").asText());
    var denied = json.readTree(get(server.httpAddress(), "/debug/authz-check?src=bookinfo/productpage-v1-5f9f7b6d4c-x7k2p"
        + "&dst=bookinfo/ratings-v1-7d8f6c5b4a-t8w3r&port=9080").body());
    assertEquals("DENY", denied.path("decision").asText(), denied.toString());
    assertEquals("ALLOW policies apply and none matches", denied.path("reason").asText());
    var open = json.readTree(get(server.httpAddress(), "/debug/authz-check?srcIp=10.9.9.9"
        + "&dst=bookinfo/details-v1-6c8d5b7f9d-m4q9z&port=9080").body());
    assertEquals("ALLOW", open.path("decision").asText(), "no policy selects details");
    assertEquals(400, get(server.httpAddress(), "/debug/authz-check?dst=bookinfo/x").statusCode());

    var explain = json.readTree(get(server.httpAddress(), "/debug/explain?workload=bookinfo/ratings-v1-7d8f6c5b4a-t8w3r").body());
    assertEquals("HBONE", explain.path("fields").path("tunnelProtocol").path("value").asText());
    assertTrue(explain.path("fields").path("tunnelProtocol").path("because").asText().contains("istio-cni"));
    assertTrue(explain.path("fields").path("services").get(0).path("because").asText().contains("selector"));
    assertEquals("bookinfo/ratings-from-reviews",
        explain.path("fields").path("authorizationPolicies").get(0).path("policy").asText());
    var mysql = json.readTree(get(server.httpAddress(), "/debug/explain?workload=legacy/mysql-0").body());
    assertTrue(mysql.path("fields").path("tunnelProtocol").path("because").asText().contains("not captured"), mysql.toString());
    var svc = json.readTree(get(server.httpAddress(), "/debug/explain?service=bookinfo/reviews").body());
    assertEquals(3, svc.path("endpoints").size());
    assertEquals(404, get(server.httpAddress(), "/debug/explain?workload=bookinfo/nope").statusCode());
  }
}
