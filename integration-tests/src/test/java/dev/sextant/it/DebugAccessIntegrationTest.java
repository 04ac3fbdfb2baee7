package dev.sextant.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.sextant.server.ServerConfig;
import dev.sextant.server.SextantServer;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * istiod's debug access rule, over a real non-loopback interface of this machine: loopback callers
 * are free; others need a Kubernetes token; the root namespace sees everything; another namespace
 * only config_dump (and the like) for its own proxies.
 */
class DebugAccessIntegrationTest {
  static final String ISSUER = "https://kubernetes.default.svc.cluster.local";

  @TempDir Path dir;
  SextantServer server;
  RSAKey key;
  final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void offLoopback_tokenRequired_rootNamespaceFull_otherNamespacesLimited() throws Exception {
    InetAddress external = nonLoopbackAddress();
    Assumptions.assumeTrue(external != null, "this machine has no non-loopback IPv4 address");
    key = new RSAKeyGenerator(2048).keyID("k1").generate();
    Path jwks = Files.writeString(dir.resolve("jwks.json"), new JWKSet(key.toPublicJWK()).toString());
    Path config = Files.createDirectories(dir.resolve("config"));
    ServerConfig base = ServerConfig.forTest(config).withSecurity(new ServerConfig.Security(
        new InetSocketAddress("127.0.0.1", 0), dir.resolve("ca"), jwks, dir.resolve("root-cert.pem")));
    ServerConfig wide = new ServerConfig(base.configDir(), base.grpcAddr(), new InetSocketAddress("0.0.0.0", 0),
        base.monitoringAddr(), base.mesh(), base.keepalive(), base.configDirPollInterval(), base.shutdownDuration(),
        base.xds(), base.kubernetes(), base.security());
    server = SextantServer.start(wide);
    Await.until("server ready", server::isReady);
    int port = server.httpAddress().getPort();
    String remote = "http://" + external.getHostAddress() + ":" + port;
    String local = "http://127.0.0.1:" + port;

    assertEquals(200, get(local + "/debug/syncz", null).statusCode(), "loopback is free");
    assertEquals(401, get(remote + "/debug/syncz", null).statusCode(), "no token off loopback");
    assertEquals(401, get(remote + "/debug/syncz", "not-a-jwt").statusCode());
    assertEquals(200, get(remote + "/debug/syncz", token("istio-system", "istiod")).statusCode(),
        "the root namespace sees everything");
    String shop = token("shop", "web");
    assertEquals(403, get(remote + "/debug/syncz", shop).statusCode(), "another namespace: not syncz");
    HttpResponse<String> dump = get(remote + "/debug/config_dump?proxyID=ztunnel-x.istio-system", shop);
    assertEquals(404, dump.statusCode());
    assertTrue(dump.body().contains("Proxy not connected to this Pilot instance"), dump.body());
    assertEquals(200, get(remote + "/ready", null).statusCode(), "readiness needs no token");
  }

  private HttpResponse<String> get(String url, String bearer) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private String token(String ns, String sa) throws Exception {
    Instant exp = Instant.now().plusSeconds(3600);
    JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(ISSUER).audience(List.of("istio-ca"))
        .subject("system:serviceaccount:" + ns + ":" + sa)
        .issueTime(Date.from(exp.minusSeconds(7200))).expirationTime(Date.from(exp))
        .claim("kubernetes.io", Map.of("namespace", ns, "serviceaccount", Map.of("name", sa, "uid", "sa-uid")))
        .build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k1").build(), claims);
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }

  private static InetAddress nonLoopbackAddress() throws Exception {
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!nic.isUp() || nic.isLoopback()) {
        continue;
      }
      for (InetAddress a : Collections.list(nic.getInetAddresses())) {
        if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
          return a;
        }
      }
    }
    return null;
  }
}
