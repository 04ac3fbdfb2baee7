package dev.sextant.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sextant.server.log.LogSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

class FlagsTest {
  @TempDir Path dir;

  @Test
  void parse_istiodStyleFlags_bothForms() throws Exception {
    Flags f = Flags.parse(new String[] {"discovery", "--configDir", dir.toString(), "--grpcAddr=127.0.0.1:0",
        "-n", "mesh-system", "--keepaliveMaxServerConnectionAge", "30m"});
    assertEquals("discovery", f.command);
    assertEquals(dir.toString(), f.get("configDir"));
    assertEquals(0, f.address("grpcAddr").getPort());
    assertEquals("mesh-system", f.get("namespace"));
    assertEquals(Duration.ofMinutes(30), f.duration("keepaliveMaxServerConnectionAge"));
    assertEquals(15010, Flags.parse(new String[0]).address("grpcAddr").getPort());
  }

  @Test
  void parse_bareBooleanFlag_meansTrueAndTakesNoValue() throws Exception {
    // istiod's chart passes --log_as_json alone, followed by other flags
    Flags f = Flags.parse(new String[] {"discovery", "--log_as_json", "--domain", "example.org"});
    assertEquals("true", f.get("log_as_json"));
    assertEquals("example.org", f.get("domain"));
    assertEquals("false", Flags.parse(new String[] {"--log_as_json=false"}).get("log_as_json"));
  }

  @Test
  void duration_goSyntax_parsed() throws Exception {
    assertEquals(Duration.ofMillis(1500), Flags.parse(new String[] {"--shutdownDuration", "1s500ms"})
        .duration("shutdownDuration"));
    assertEquals(Duration.ofMinutes(90), Flags.parse(new String[] {"--shutdownDuration", "1h30m"})
        .duration("shutdownDuration"));
    assertNull(Flags.parse(new String[0]).duration("keepaliveMaxServerConnectionAge"));
    assertThrows(Flags.UsageException.class,
        () -> Flags.parse(new String[] {"--shutdownDuration", "10 seconds"}).duration("shutdownDuration"));
  }

  @Test
  void run_unknownFlag_exitsWith2() {
    assertEquals(2, Main.run(new String[] {"discovery", "--no-such-flag", "x"}));
  }

  @Test
  void run_malformedAddressOrMissingValue_exitsWith2() {
    assertEquals(2, Main.run(new String[] {"--configDir", dir.toString(), "--grpcAddr", "localhost"}));
    assertEquals(2, Main.run(new String[] {"--configDir", dir.toString(), "--grpcAddr", ":99999"}));
    assertEquals(2, Main.run(new String[] {"--configDir"}));
    assertEquals(2, Main.run(new String[] {"frobnicate"}));
  }

  @Test
  void run_configDirNotADirectoryOrKubeconfigNotAFile_exitsWith2() {
    assertEquals(2, Main.run(new String[] {"--configDir", dir.resolve("nope").toString()}));
    assertEquals(2, Main.run(new String[] {"--kubeconfig", dir.resolve("nope").toString()}));
  }

  @Test
  void run_noConfigDirAndNoApiServerReachable_failsAtOnceWith1() throws Exception {
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, """
        apiVersion: v1
        kind: Config
        clusters:
        - name: nowhere
          cluster:
            server: https://127.0.0.1:1
        contexts:
        - name: nowhere
          context:
            cluster: nowhere
            user: nobody
        current-context: nowhere
        users:
        - name: nobody
          user:
            token: x
        """);
    assertEquals(1, Main.run(new String[] {"--kubeconfig", kubeconfig.toString(), "--httpAddr", "127.0.0.1:0",
        "--grpcAddr", "127.0.0.1:0", "--monitoringAddr", ""}));
  }

  @Test
  void config_noConfigDir_isKubernetesModeWithRevisionAndSelectors() throws Exception {
    Path mesh = dir.resolve("mesh");
    Files.writeString(mesh, """
        discoverySelectors:
        - matchLabels:
            istio-discovery: enabled
        - matchExpressions:
          - key: env
            operator: In
            values: [prod, staging]
        """);
    ServerConfig c = Main.config(Flags.parse(new String[] {"--meshConfig", mesh.toString(), "--revision", "canary"}));
    assertNull(c.configDir());
    assertEquals("canary", c.kubernetes().revision());
    assertEquals("", c.kubernetes().kubeconfig());
    assertEquals(2, c.kubernetes().discoverySelectors().size());
    assertEquals("enabled", c.kubernetes().discoverySelectors().get(0).getMatchLabels().get("istio-discovery"));
    assertEquals(List.of("prod", "staging"),
        c.kubernetes().discoverySelectors().get(1).getMatchExpressions().get(0).getValues());
    assertFalse(c.kubernetes().meshConfigFromCluster(), "the file exists: no ConfigMap");

    ServerConfig noFile = Main.config(Flags.parse(new String[] {"--meshConfig", dir.resolve("absent").toString()}));
    assertTrue(noFile.kubernetes().meshConfigFromCluster());
  }

  @Test
  void config_discoverySelectorWithBadOperator_isAUsageError() throws Exception {
    Path mesh = dir.resolve("mesh");
    Files.writeString(mesh, "discoverySelectors:\n- matchExpressions:\n  - {key: env, operator: Equals, values: [x]}\n");
    Flags.UsageException e = assertThrows(Flags.UsageException.class,
        () -> Main.config(Flags.parse(new String[] {"--meshConfig", mesh.toString()})));
    assertTrue(e.getMessage().contains("discoverySelectors[0]"), e.getMessage());
  }

  @Test
  void meshConfigMapName_followsRevision() {
    assertEquals("istio", MeshConfigFile.configMapName(""));
    assertEquals("istio", MeshConfigFile.configMapName("default"));
    assertEquals("istio-canary", MeshConfigFile.configMapName("canary"));
  }

  @Test
  void config_meshConfigFile_setsTrustDomainAndRootNamespace() throws Exception {
    Path mesh = dir.resolve("mesh");
    Files.writeString(mesh, "trustDomain: example.org\nrootNamespace: mesh-root\n");
    ServerConfig c = Main.config(Flags.parse(new String[] {"--configDir", dir.toString(), "--meshConfig",
        mesh.toString(), "--clusterID", "east", "--domain", "corp.local"}));
    assertEquals("example.org", c.mesh().trustDomain());
    assertEquals("example.org", c.mesh().wireTrustDomain());
    assertEquals("mesh-root", c.mesh().rootNamespace());
    assertEquals("east", c.mesh().clusterId());
    assertEquals("corp.local", c.mesh().domainSuffix());
  }

  @Test
  void config_meshConfigNotYaml_isAUsageError() throws Exception {
    Path mesh = dir.resolve("mesh");
    Files.writeString(mesh, "- just\n- a list\n");
    Flags.UsageException e = assertThrows(Flags.UsageException.class, () -> Main.config(
        Flags.parse(new String[] {"--configDir", dir.toString(), "--meshConfig", mesh.toString()})));
    assertTrue(e.getMessage().contains("not a YAML mapping"));
  }

  @Test
  void tlsFiles_usedOnlyAllThreeTogether_andMustBeFiles() throws Exception {
    Path cert = Files.writeString(dir.resolve("tls.crt"), "x");
    Path key = Files.writeString(dir.resolve("tls.key"), "x");
    Path ca = Files.writeString(dir.resolve("ca.crt"), "x");
    assertNull(Main.tlsFiles(Flags.parse(new String[] {"--tlsCertFile", cert.toString()})));
    ServerConfig.TlsFiles all = Main.tlsFiles(Flags.parse(new String[] {"--tlsCertFile", cert.toString(),
        "--tlsKeyFile", key.toString(), "--caCertFile", ca.toString()}));
    assertEquals(new ServerConfig.TlsFiles(cert, key, ca), all);
    Flags.UsageException e = assertThrows(Flags.UsageException.class, () -> Main.tlsFiles(Flags.parse(
        new String[] {"--tlsCertFile", cert.toString(), "--tlsKeyFile", dir.toString(), "--caCertFile",
            ca.toString()})));
    assertTrue(e.getMessage().contains("not a readable file"));
  }

  @Test
  void tlsFiles_withoutFlags_istiodsWellKnownMount() throws Exception {
    Flags none = Flags.parse(new String[] {});
    assertNull(Main.tlsFiles(none, dir));
    Path tls = Files.createDirectories(dir.resolve("var/run/secrets/istiod/tls"));
    Path cert = Files.writeString(tls.resolve("tls.crt"), "x");
    Path key = Files.writeString(tls.resolve("tls.key"), "x");
    assertNull(Main.tlsFiles(none, dir), "no CA bundle beside them");
    Path alt = Files.writeString(Files.createDirectories(dir.resolve("var/run/secrets/istiod/ca"))
        .resolve("root-cert.pem"), "x");
    assertEquals(new ServerConfig.TlsFiles(cert, key, alt), Main.tlsFiles(none, dir));
    Path ca = Files.writeString(tls.resolve("ca.crt"), "x");
    assertEquals(new ServerConfig.TlsFiles(cert, key, ca), Main.tlsFiles(none, dir), "tls/ca.crt first");
  }

  @Test
  void logOutputLevel_istiodSyntax_setsLevelsAndRejectsUnknownLevels() throws Exception {
    try {
      Logging.configure("default:warn,ads:debug,model:info,ca:none", false);
      assertTrue(LoggerFactory.getLogger("dev.sextant.server.xds.AdsService").isDebugEnabled());
      Logger other = LoggerFactory.getLogger("dev.sextant.ambient.Waypoints");
      assertFalse(other.isInfoEnabled());
      assertTrue(other.isWarnEnabled());
      assertFalse(LoggerFactory.getLogger("dev.sextant.ca.SextantCa").isErrorEnabled());
      assertThrows(Flags.UsageException.class, () -> Logging.configure("ads:loud", false));
      assertThrows(Flags.UsageException.class, () -> Logging.configure("ads", false));
    } finally {
      LogSettings.reset();
    }
  }
}
