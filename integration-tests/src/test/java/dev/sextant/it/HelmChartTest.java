package dev.sextant.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import dev.sextant.ca.CaConfig;
import dev.sextant.ca.authz.NodeAuthorizer;
import dev.sextant.server.CommandLine;
import dev.sextant.server.KubernetesAccess;
import dev.sextant.server.ServerConfig;
import dev.sextant.server.SextantServer;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Helm chart ({@code charts/sextant}) against the server it installs: rendered offline with
 * helm-java, read back with fabric8, and compared with what the code itself says it needs: the
 * flags it accepts ({@link CommandLine}), the environment it reads, the ports it listens on, the
 * path it answers readiness on, and the Kubernetes access it declares ({@link KubernetesAccess},
 * itself checked against real requests by {@link KubernetesAccessIntegrationTest}).
 */
class HelmChartTest {
  static final Path CHART = Path.of("..", "charts", "sextant").toAbsolutePath().normalize();
  static final String NS = "istio-system";
  static final Path ISTIOD_VALUES = Path.of("src/test/resources/helm/istiod-values.yaml").toAbsolutePath();

  /** Set by the chart for the JVM (heap from the memory request), read by the java launcher, not by Sextant. */
  static final Set<String> JVM_ENV = Set.of("JDK_JAVA_OPTIONS", "SEXTANT_MEMORY_REQUEST");
  /** istiod's ambient switch: Sextant serves ambient only and ignores it; kept for whoever reads the pod. */
  static final Set<String> ISTIOD_ONLY_ENV = Set.of("PILOT_ENABLE_AMBIENT");

  @TempDir Path dir;

  /** A rendered chart, as fabric8 reads it. */
  record Rendered(String yaml, List<HasMetadata> objects) {
    <T extends HasMetadata> List<T> all(Class<T> type) {
      return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> T one(Class<T> type) {
      List<T> found = all(type);
      assertEquals(1, found.size(), type.getSimpleName() + " objects: " + found);
      return found.get(0);
    }

    Container container() {
      return one(Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    Map<String, EnvVar> env() {
      Map<String, EnvVar> out = new LinkedHashMap<>();
      container().getEnv().forEach(e -> assertNull(out.put(e.getName(), e), "env " + e.getName() + " set twice"));
      return out;
    }

    Map<String, String> plainEnv() {
      Map<String, String> out = new TreeMap<>();
      env().values().stream().filter(e -> e.getValue() != null).forEach(e -> out.put(e.getName(), e.getValue()));
      return out;
    }
  }

  static Rendered render(Path valuesFile, Object... sets) {
    TemplateCommand t = new Helm(CHART).template().withName("istiod").withNamespace(NS);
    if (valuesFile != null) {
      t = t.withValuesFile(valuesFile);
    }
    for (int i = 0; i < sets.length; i += 2) {
      t = t.set((String) sets[i], sets[i + 1]);
    }
    String yaml = t.call();
    List<HasMetadata> objects = new ArrayList<>();
    for (String doc : yaml.split("(?m)^---\\s*$")) {
      if (doc.lines().anyMatch(l -> l.startsWith("kind:"))) {
        objects.add(MockCluster.SERIALIZATION.unmarshal(doc, HasMetadata.class));
      }
    }
    return new Rendered(yaml, objects);
  }

  static Rendered render(Object... sets) {
    return render(null, sets);
  }

  /** The failure helm reports for values, as the user sees it. */
  static String renderFailure(Object... sets) {
    return assertThrows(IllegalStateException.class, () -> render(sets)).getMessage();
  }

  // ---- the chart as a whole ----

  @Test
  void lint_strict_passes() {
    LintResult lint = new Helm(CHART).lint().strict().call();
    assertFalse(lint.isFailed(), lint.getMessages().toString());
    assertTrue(lint.getMessages().stream().noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]")),
        lint.getMessages().toString());
  }

  @Test
  void template_defaults_istiodsObjectsUnderIstiodsNames() {
    Rendered r = render();
    for (HasMetadata o : r.objects()) {
      assertFalse(o instanceof GenericKubernetesResource, "not a kind fabric8 knows: " + o.getKind());
    }
    Map<String, String> names = new TreeMap<>();
    r.objects().forEach(o -> names.put(o.getKind(), o.getMetadata().getName()));
    assertEquals(new TreeMap<>(Map.of(
        "ServiceAccount", "istiod",
        "ConfigMap", "istio",
        "ClusterRole", "istiod-clusterrole-istio-system",
        "ClusterRoleBinding", "istiod-clusterrole-istio-system",
        "Role", "istiod",
        "RoleBinding", "istiod",
        "Service", "istiod",
        "Deployment", "istiod",
        "HorizontalPodAutoscaler", "istiod")), names);
    assertEquals(r.objects().size(), names.size(), "one object of each kind");
    r.objects().stream().filter(o -> !o.getKind().startsWith("Cluster"))
        .forEach(o -> assertEquals(NS, o.getMetadata().getNamespace(), o.getKind()));

    Deployment d = r.one(Deployment.class);
    assertNull(d.getSpec().getReplicas(), "the HPA owns the replica count");
    assertEquals(Map.of("istio", "pilot"), d.getSpec().getSelector().getMatchLabels());
    Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata().getLabels();
    assertEquals("istiod", podLabels.get("app"));
    assertEquals("default", podLabels.get("istio.io/rev"));
    assertEquals("none", podLabels.get("istio.io/dataplane-mode"), "never captured by ambient");
    assertEquals("sextant:" + System.getProperty("sextant.version"), r.container().getImage(),
        "the image -Pimage builds, tagged with the chart's appVersion");
    assertEquals("500m", r.container().getResources().getRequests().get("cpu").toString());
    assertEquals("2048Mi", r.container().getResources().getRequests().get("memory").toString());

    HorizontalPodAutoscaler hpa = r.one(HorizontalPodAutoscaler.class);
    assertEquals(List.of(1, 5, 80), List.of(hpa.getSpec().getMinReplicas(), hpa.getSpec().getMaxReplicas(),
        hpa.getSpec().getMetrics().get(0).getResource().getTarget().getAverageUtilization()));
    assertEquals("istiod", hpa.getSpec().getScaleTargetRef().getName());
  }

  @Test
  void template_istiodValuesFile_carriesOver() throws Exception {
    Rendered r = render(ISTIOD_VALUES);
    Deployment d = r.one(Deployment.class);
    assertEquals(2, d.getSpec().getReplicas(), "pilot.replicaCount with pilot.autoscaleEnabled=false");
    assertTrue(r.all(HorizontalPodAutoscaler.class).isEmpty());
    assertEquals(1, r.one(PodDisruptionBudget.class).getSpec().getMinAvailable().getIntVal(), "two replicas: a PDB");
    assertEquals("registry.example.com/istio/sextant:1.29.0", r.container().getImage(), "global.hub, global.tag");
    assertEquals("4Gi", r.container().getResources().getRequests().get("memory").toString(), "pilot.resources");
    assertEquals("system-cluster-critical", d.getSpec().getTemplate().getSpec().getPriorityClassName());
    assertEquals(Map.of("kubernetes.io/os", "linux"), d.getSpec().getTemplate().getSpec().getNodeSelector());
    assertEquals("false", d.getSpec().getTemplate().getMetadata().getAnnotations()
        .get("cluster-autoscaler.kubernetes.io/safe-to-evict"));
    assertEquals("regcred", r.one(ServiceAccount.class).getImagePullSecrets().get(0).getName());
    Map<String, String> env = r.plainEnv();
    assertEquals("east", env.get("CLUSTER_ID"), "global.multiCluster.clusterName");
    assertEquals("kube-system/ztunnel", env.get("CA_TRUSTED_NODE_ACCOUNTS"), "trustedZtunnelNamespace");
    assertEquals("true", env.get("PILOT_ENABLE_GATEWAY_API"), "pilot.env, verbatim");

    ServerConfig config = CommandLine.resolve(r.container().getArgs());
    assertEquals("cluster.example", config.mesh().domainSuffix(), "global.proxy.clusterDomain");
    assertEquals(Duration.ofHours(1), config.keepalive().maxConnectionAge(), "keepaliveMaxServerConnectionAge");
    assertTrue(r.container().getArgs().contains("--log_as_json"), "global.logAsJson");

    // the mesh config as Sextant reads it
    String mesh = r.one(ConfigMap.class).getData().get("mesh");
    Path file = Files.writeString(dir.resolve("mesh"), mesh);
    List<String> args = new ArrayList<>(r.container().getArgs());
    args.add("--meshConfig=" + file);
    ServerConfig withMesh = CommandLine.resolve(args);
    assertEquals("example.org", withMesh.mesh().trustDomain());
    assertEquals(NS, withMesh.mesh().rootNamespace());
    assertEquals(Map.of("istio-discovery", "enabled"),
        withMesh.kubernetes().discoverySelectors().get(0).getMatchLabels());
    assertTrue(mesh.contains("accessLogFile: /dev/stdout") && mesh.contains("meshId: mesh1")
        && mesh.contains("discoveryAddress: istiod.istio-system.svc:15012"), mesh);
  }

  @Test
  void template_revision_namesAndSelectsAsIstiod() {
    Rendered r = render("revision", "canary");
    Deployment d = r.one(Deployment.class);
    assertEquals("istiod-canary", d.getMetadata().getName());
    assertEquals(Map.of("app", "istiod", "istio.io/rev", "canary"), d.getSpec().getSelector().getMatchLabels());
    assertEquals("istiod", d.getSpec().getTemplate().getMetadata().getLabels().get("istio"));
    assertEquals("istio-canary", r.one(ConfigMap.class).getMetadata().getName());
    assertEquals(Map.of("app", "istiod", "istio.io/rev", "canary"), r.one(Service.class).getSpec().getSelector());
    assertEquals("canary", r.plainEnv().get("REVISION"));
    assertEquals("istiod-clusterrole-canary-istio-system", r.one(ClusterRole.class).getMetadata().getName());
  }

  // ---- RBAC ----

  @Test
  void rbac_grantsEveryAccessSextantDeclares_andNothingMore() {
    checkRbac(render());
    checkRbac(render(ISTIOD_VALUES));
    checkRbac(render("revision", "canary", "global.trustBundleName", "mesh-root-cert"));
    checkRbac(render("revision", "default"));
  }

  private void checkRbac(Rendered r) {
    String sa = r.one(Deployment.class).getSpec().getTemplate().getSpec().getServiceAccountName();
    assertEquals(r.one(ServiceAccount.class).getMetadata().getName(), sa);
    List<Rbac.Grant> grants = Rbac.grantsFor(r.objects(), sa, NS);

    // what this deployment needs, from its own environment
    Map<String, String> env = r.plainEnv();
    CaConfig ca = CaConfig.fromEnvironment(env, NS, env.get("CLUSTER_ID"), "cluster.local", null, null,
        env.get("REVISION"));
    List<KubernetesAccess.Rule> declared = KubernetesAccess.rules(env.get("REVISION"), ca.rootCertConfigMap());

    // every declared request is allowed
    for (KubernetesAccess.Rule rule : declared) {
      for (Rbac.Request request : Rbac.requestsOf(rule, NS)) {
        assertTrue(Rbac.allowed(grants, request), "not granted: " + request + " (" + rule.usedBy() + ")");
      }
    }
    // non-resource URLs come from Kubernetes' default bindings, not from the chart
    for (KubernetesAccess.NonResourceUrl url : KubernetesAccess.nonResourceUrls()) {
      assertTrue(url.defaultClusterRole().startsWith("system:"), url.toString());
    }

    // nothing more: each granted verb on each resource is one Sextant declares, as narrowly
    List<Rbac.Grant> needed = Rbac.grantsOf(declared, NS);
    for (Rbac.Grant g : grants) {
      PolicyRule rule = g.rule();
      assertTrue(rule.getNonResourceURLs() == null || rule.getNonResourceURLs().isEmpty(), g.toString());
      for (List<String> list : List.of(rule.getApiGroups(), rule.getResources(), rule.getVerbs(),
          rule.getResourceNames() == null ? List.<String>of() : rule.getResourceNames())) {
        assertFalse(list.contains("*"), "wildcard in " + g);
      }
      List<String> names = rule.getResourceNames() == null || rule.getResourceNames().isEmpty()
          ? Collections.singletonList(null) : rule.getResourceNames();
      for (String group : rule.getApiGroups()) {
        for (String resource : rule.getResources()) {
          for (String verb : rule.getVerbs()) {
            for (String name : names) {
              Rbac.Request widest = Rbac.Request.resource(verb, group, resource, g.namespace(), name);
              assertTrue(needed.stream().anyMatch(n -> n.allows(widest) && sameScope(n, g)),
                  "granted but not needed: " + widest + " by " + g.from());
            }
          }
        }
      }
    }
  }

  private static boolean sameScope(Rbac.Grant needed, Rbac.Grant granted) {
    return Objects.equals(needed.namespace(), granted.namespace());
  }

  // ---- the Deployment against the server ----

  @Test
  void deployment_argsAreServerFlags_portsAndProbeAreTheServers() throws Exception {
    Rendered r = render();
    Container c = r.container();
    assertEquals("discovery", c.getArgs().get(0));
    for (String arg : c.getArgs()) {
      if (arg.startsWith("--")) {
        String name = arg.substring(2).split("=", 2)[0];
        assertTrue(CommandLine.flagNames().contains(name), "not a Sextant flag: " + arg);
      }
    }
    ServerConfig config = CommandLine.resolve(c.getArgs());
    assertEquals(Duration.ofMinutes(30), config.keepalive().maxConnectionAge());
    assertEquals("cluster.local", config.mesh().domainSuffix());

    Map<String, Integer> listening = new TreeMap<>(Map.of(
        "http-debug", config.httpAddr().getPort(),
        "grpc-xds", config.grpcAddr().getPort(),
        "tls-xds", config.security().secureGrpcAddr().getPort(),
        "http-monitoring", config.monitoringAddr().getPort()));
    Map<String, Integer> declared = new TreeMap<>(c.getPorts().stream()
        .collect(Collectors.toMap(ContainerPort::getName, ContainerPort::getContainerPort)));
    assertEquals(listening, declared, "container ports = the server's listeners");
    assertEquals(String.valueOf(config.monitoringAddr().getPort()),
        r.one(Deployment.class).getSpec().getTemplate().getMetadata().getAnnotations().get("prometheus.io/port"));

    // Service: istiod's ports, each on a port the server listens on, but the webhook port
    Map<String, Integer> service = new TreeMap<>();
    for (ServicePort p : r.one(Service.class).getSpec().getPorts()) {
      int target = p.getTargetPort() == null ? p.getPort() : p.getTargetPort().getIntVal();
      service.put(p.getName() + " " + p.getPort(), target);
    }
    assertEquals(Map.of("grpc-xds 15010", 15010, "https-dns 15012", 15012, "https-webhook 443", 15017,
        "http-monitoring 15014", 15014), service);
    assertTrue(declared.values().containsAll(List.of(15010, 15012, 15014)));
    assertFalse(declared.containsValue(15017), "no webhooks are served: when they are, declare the port");

    // readiness: the server's own HTTP port and path, answered by a running server
    var probe = c.getReadinessProbe().getHttpGet();
    assertEquals(config.httpAddr().getPort(), probe.getPort().getIntVal());
    assertEquals(List.of(1, 3, 5), List.of(c.getReadinessProbe().getInitialDelaySeconds(),
        c.getReadinessProbe().getPeriodSeconds(), c.getReadinessProbe().getTimeoutSeconds()), "istiod's timings");
    assertNull(c.getLivenessProbe(), "istiod has none");
    Path config0 = Files.createDirectories(dir.resolve("config"));
    try (SextantServer server = SextantServer.start(ServerConfig.forTest(config0))) {
      Await.until("ready", server::isReady);
      HttpResponse<Void> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
          "http://127.0.0.1:" + server.httpAddress().getPort() + probe.getPath())).build(),
          HttpResponse.BodyHandlers.discarding());
      assertEquals(200, response.statusCode(), "GET " + probe.getPath());
    }

    // istiod's relative paths resolve from the working directory: the plugged-in CA mount
    Map<String, String> env = r.plainEnv();
    CaConfig ca = CaConfig.fromEnvironment(env, NS, "Kubernetes", "cluster.local", null, null, "");
    Map<String, String> mounts = c.getVolumeMounts().stream()
        .collect(Collectors.toMap(VolumeMount::getName, VolumeMount::getMountPath));
    assertEquals(Path.of(c.getWorkingDir()).resolve(ca.roots().rootCaDir()).normalize().toString(),
        mounts.get("cacerts"));
    assertEquals("/tmp", mounts.get("tmp"), "the root filesystem is read-only");
    assertEquals(Boolean.TRUE, c.getSecurityContext().getReadOnlyRootFilesystem());
    assertEquals(Boolean.TRUE, c.getSecurityContext().getRunAsNonRoot());
  }

  @Test
  void deployment_envIsWhatTheServerReads() {
    for (Rendered r : List.of(render(), render("global.trustBundleName", "mesh-root-cert"))) {
      Map<String, EnvVar> env = r.env();
      Set<String> unread = new TreeSet<>(env.keySet());
      unread.removeAll(CommandLine.environment());
      unread.removeAll(JVM_ENV);
      unread.removeAll(ISTIOD_ONLY_ENV);
      assertEquals(Set.of(), unread, "set by the chart, read by nothing");

      assertEquals("metadata.namespace", env.get("POD_NAMESPACE").getValueFrom().getFieldRef().getFieldPath());
      assertEquals("metadata.name", env.get("POD_NAME").getValueFrom().getFieldRef().getFieldPath());
      Map<String, String> plain = r.plainEnv();
      assertEquals("default", plain.get("REVISION"));
      assertEquals("Kubernetes", plain.get("CLUSTER_ID"));
      CaConfig ca = CaConfig.fromEnvironment(plain, NS, "Kubernetes", "cluster.local", null, null, "");
      assertEquals(Set.of(new NodeAuthorizer.ServiceAccountRef(NS, "ztunnel")),
          NodeAuthorizer.parseTrusted(ca.auth().trustedNodeAccounts()), "ztunnel may ask for its pods' certificates");

      // the JVM's heap follows the memory request
      var memory = env.get("SEXTANT_MEMORY_REQUEST").getValueFrom().getResourceFieldRef();
      assertEquals("requests.memory", memory.getResource());
      assertEquals(r.container().getName(), memory.getContainerName());
      assertEquals("-XX:MaxRAM=$(SEXTANT_MEMORY_REQUEST)", plain.get("JDK_JAVA_OPTIONS"));
    }
    assertEquals("mesh-root-cert", render("global.trustBundleName", "mesh-root-cert").plainEnv()
        .get("PILOT_CA_CERT_CONFIGMAP"));
    assertFalse(render("resources.requests.memory", "null").env().containsKey("JDK_JAVA_OPTIONS"),
        "no memory request, no heap override");
  }

  // ---- versions ----

  @Test
  void chart_appVersionIsTheMavenVersion() throws Exception {
    String version = System.getProperty("sextant.version");
    assertNotNull(version, "set by integration-tests/pom.xml");
    String chart = Files.readString(CHART.resolve("Chart.yaml"));
    assertTrue(chart.contains("\nappVersion: " + version + "\n"), chart);
  }

  // ---- bad input ----

  @Test
  void badValues_failAtTemplateTimeSayingWhich() {
    assertMessage(renderFailure("replicaCount", -1), "/replicaCount", "minimum");
    assertMessage(renderFailure("pilot.replicaCount", -1), "/pilot/replicaCount", "minimum");
    assertMessage(renderFailure("revision", "Canary_1"), "/revision", "Canary_1");
    assertMessage(renderFailure("revision", "a".repeat(57)), "/revision", "maxLength");
    assertMessage(renderFailure("keepaliveMaxServerConnectionAge", "30 minutes"), "/keepaliveMaxServerConnectionAge");
    assertMessage(renderFailure("autoscaleMin", 6), "autoscaleMin (6) must not be greater than autoscaleMax (5)");
    assertMessage(renderFailure("global.imagePullPolicy", "Sometimes"), "/global/imagePullPolicy");
    // what the schema lets through renders
    assertEquals(3, render("autoscaleEnabled", false, "replicaCount", 3).one(Deployment.class).getSpec().getReplicas());
  }

  private static void assertMessage(String message, String... parts) {
    for (String part : parts) {
      assertTrue(message.contains(part), "\"" + part + "\" not in: " + message);
    }
  }
}
