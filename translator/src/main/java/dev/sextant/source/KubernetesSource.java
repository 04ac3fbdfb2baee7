package dev.sextant.source;

import dev.sextant.krt.Registration;
import dev.sextant.krt.StaticCollection;
import dev.sextant.krt.fabric8.InformerInput;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionNames;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionSpec;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.VersionInfo;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes mode: one informer per input kind ({@link Inputs#KINDS}), writing the same input
 * collections {@link DirectorySource} writes, so the translator cannot tell the sources apart.
 *
 * <p>Model: each kind is an {@link InformerInput}. Core kinds (Namespace, Node, ServiceAccount,
 * Service, EndpointSlice, Pod) are informed as their fabric8 classes and reduced at ingest
 * ({@link ObjectReducer}). Custom resources (Istio and Gateway API kinds) are informed as
 * {@link GenericKubernetesResource} and read into their fabric8 classes one object at a time: a
 * typed informer reads a whole list in one piece, so one object with a bad field type or an enum
 * value the model does not know fails the list, and fabric8 then stops or loops that informer for
 * every object of the kind. Read one by one, the bad object is reported and skipped alone.
 *
 * <p>Ordering: the Namespace informer starts first and the others once it has synced, so the
 * discovery selectors are decided on real namespace labels from the first list on (as istiod's
 * {@code NewDiscoveryNamespacesFilter} waits for its namespace informer). Custom resource kinds
 * start when a watch on CustomResourceDefinitions shows their CRD installed and serving the version
 * we read (istiod's {@code kclient.NewDelayedInformer}); a kind whose CRD is absent has its input
 * marked synced and empty with one warning, and starts when the CRD appears; a CRD that is deleted
 * stops its informer and empties its input.
 *
 * <p>Scope: {@link DiscoveryScope} decides what each input admits. When a namespace's labels move
 * it into or out of the selection, every input re-decides that namespace's objects, on one serial
 * "control" thread; CRD appearances and disappearances are handled on the same thread.
 *
 * <p>Failure: see {@link InformerInput}: unreadable objects are skipped and counted
 * ({@link #skippedObjects()}); lost watches, 410 Gone and an unreachable API server are retried
 * forever while the inputs keep their last state, and readiness, once reached, stays.
 */
public final class KubernetesSource implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KubernetesSource.class);
  private static final Set<String> BUILT_IN_GROUPS = Set.of("", "discovery.k8s.io");

  /** What is in scope: the mesh config's discovery selectors and our revision. */
  public record Options(List<LabelSelector> discoverySelectors, String revision) {
    public Options {
      discoverySelectors = List.copyOf(discoverySelectors == null ? List.of() : discoverySelectors);
      revision = revision == null ? "" : revision;
    }

    public static Options defaults() {
      return new Options(List.of(), "");
    }
  }

  private final KubernetesClient client;
  private final Inputs inputs;
  private final DiscoveryScope scope;
  private final CustomResourceReader reader = new CustomResourceReader();
  private final ExecutorService control;
  private final Map<InputKind<?>, InformerInput<?, ?>> running = new ConcurrentHashMap<>();
  private final Map<InputKind<?>, String> absentCrds = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> skippedByStopped = new ConcurrentHashMap<>();
  private volatile InformerInput<CustomResourceDefinition, CustomResourceDefinition> crdWatch;
  private volatile StaticCollection<CustomResourceDefinition> crds;
  private volatile Registration namespaceWatch;
  private volatile boolean closed;

  public KubernetesSource(KubernetesClient client, Inputs inputs, Options options) {
    this.client = client;
    this.inputs = inputs;
    this.scope = new DiscoveryScope(inputs.namespaces(), options.discoverySelectors(), options.revision());
    this.control = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "kube-source-control");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * A client for {@code kubeconfig}, or, when empty, as kubectl finds one: {@code KUBECONFIG},
   * {@code ~/.kube/config}, or the in-cluster service account. Does not contact the server.
   */
  public static KubernetesClient connect(String kubeconfig) {
    Config config;
    if (kubeconfig != null && !kubeconfig.isEmpty()) {
      String text;
      try {
        text = Files.readString(Path.of(kubeconfig));
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read --kubeconfig " + kubeconfig + ": " + e.getMessage(), e);
      }
      config = Config.fromKubeconfig(null, text, kubeconfig);
    } else {
      if (!anyClusterConfigured()) {
        throw new IllegalStateException("no Kubernetes cluster configured: not running in a cluster, no KUBECONFIG, "
            + "no ~/.kube/config; pass --kubeconfig FILE, or --configDir DIR to serve files instead");
      }
      config = Config.autoConfigure(null);
    }
    // A failed request is retried by the informers with their own backoff; keep single requests short.
    config.setRequestRetryBackoffLimit(1);
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  private static boolean anyClusterConfigured() {
    String env = System.getenv("KUBECONFIG");
    String inCluster = System.getenv(Config.KUBERNETES_SERVICE_HOST_PROPERTY);
    return (env != null && !env.isEmpty())
        || (inCluster != null && !inCluster.isEmpty())
        || Files.isRegularFile(Path.of(System.getProperty("user.home"), ".kube", "config"));
  }

  /** Asks the API server for its version: fails, saying where it tried, if none answers. */
  public static VersionInfo checkReachable(KubernetesClient client) {
    try {
      return client.getKubernetesVersion();
    } catch (RuntimeException e) {
      throw new IllegalStateException("cannot reach the Kubernetes API server at " + client.getMasterUrl() + ": "
          + rootMessage(e), e);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t == e ? String.valueOf(e.getMessage()) : t.toString();
  }

  public DiscoveryScope scope() {
    return scope;
  }

  /** Starts every informer; returns at once. Each input is marked synced when its first list is in. */
  public void start() {
    namespaceWatch = inputs.namespaces().subscribe(batch -> batch.forEach(e -> {
      boolean before = e.old() != null && scope.selected(e.old());
      boolean after = e.current() != null && scope.selected(e.current());
      if (before != after) {
        onControl(() -> rescopeNamespace(e.key()));
      }
    }), false);
    InformerInput<?, ?> namespaces = startKind(kind(Namespace.class));
    namespaces.synced().thenRun(() -> onControl(() -> {
      for (InputKind<?> kind : Inputs.KINDS) {
        if (kind.type() != Namespace.class && isBuiltIn(kind)) {
          startKind(kind);
        }
      }
      startCrdWatch();
    }));
  }

  /** Replaces the discovery selectors (a mesh config change) and re-decides every object. */
  public void setDiscoverySelectors(List<LabelSelector> selectors) {
    if (scope.setSelectors(selectors)) {
      log.info("discoverySelectors changed: re-deciding every input's scope");
      onControl(() -> running.values().forEach(InformerInput::reconcileAll));
    }
  }

  private void rescopeNamespace(String namespace) {
    log.info("namespace={} {} the discovery selection", namespace,
        scope.namespaceSelected(namespace) ? "entered" : "left");
    for (Map.Entry<InputKind<?>, InformerInput<?, ?>> e : running.entrySet()) {
      if (e.getKey().namespaced()) {
        e.getValue().reconcileNamespace(namespace);
      }
    }
  }

  static boolean isBuiltIn(InputKind<?> kind) {
    return BUILT_IN_GROUPS.contains(kind.group());
  }

  private static InputKind<?> kind(Class<?> type) {
    return Inputs.KINDS.stream().filter(k -> k.type() == type).findFirst().orElseThrow();
  }

  // ---- custom resource definitions ----

  private void startCrdWatch() {
    if (!mayListCrds()) {
      log.warn("cannot list CustomResourceDefinitions (forbidden): starting every custom resource informer; "
          + "a kind whose CRD is missing is marked synced when its list answers 404");
      Inputs.KINDS.stream().filter(k -> !isBuiltIn(k)).forEach(this::startKind);
      return;
    }
    crds = new StaticCollection<>("crds", c -> c.getMetadata().getName());
    crds.subscribe(batch -> onControl(this::reconcileCrdKinds), false);
    SharedIndexInformer<CustomResourceDefinition> informer =
        client.apiextensions().v1().customResourceDefinitions().runnableInformer(0);
    crdWatch = new InformerInput<>(informer, crds, new InformerInput.Options<CustomResourceDefinition,
        CustomResourceDefinition>("CustomResourceDefinition", KubernetesSource::reduceCrd, c -> c, c -> true, false));
    crdWatch.start().thenRun(() -> onControl(this::reconcileCrdKinds));
  }

  private boolean mayListCrds() {
    try {
      client.apiextensions().v1().customResourceDefinitions().list(new ListOptionsBuilder().withLimit(1L).build());
      return true;
    } catch (KubernetesClientException e) {
      return e.getCode() != HttpURLConnection.HTTP_FORBIDDEN;
    }
  }

  /** On the control thread: starts kinds whose CRD serves our version, stops kinds whose CRD went. */
  private void reconcileCrdKinds() {
    if (closed || crdWatch == null || !crdWatch.synced().isDone()) {
      return;
    }
    for (InputKind<?> kind : Inputs.KINDS) {
      if (isBuiltIn(kind)) {
        continue;
      }
      String crdName = HasMetadata.getPlural(kind.type()) + "." + kind.group();
      String version = HasMetadata.getVersion(kind.type());
      boolean served = crds.get(crdName).map(c -> serves(c, version)).orElse(false);
      InformerInput<?, ?> current = running.get(kind);
      if (served && current == null) {
        if (absentCrds.remove(kind) != null) {
          log.info("CRD {} ({}/{}) installed: starting its informer", crdName, kind.group(), version);
        }
        startKind(kind);
      } else if (!served && current != null) {
        log.warn("CRD {} ({}/{}) removed or no longer served: {} emptied until it is back",
            crdName, kind.group(), version, kind.collection().apply(inputs).name());
        running.remove(kind);
        skippedByStopped.computeIfAbsent(kind.kind(), k -> new AtomicLong()).addAndGet(current.rejectedTotal());
        current.stop(true);
        absentCrds.put(kind, crdName);
      } else if (!served && absentCrds.putIfAbsent(kind, crdName) == null) {
        log.warn("CRD {} ({}/{}) is not installed: {} stays empty until it is; readiness does not wait for it",
            crdName, kind.group(), version, kind.collection().apply(inputs).name());
        kind.collection().apply(inputs).markSynced();
      }
    }
  }

  private static boolean serves(CustomResourceDefinition crd, String version) {
    return crd.getSpec() != null && crd.getSpec().getVersions() != null && crd.getSpec().getVersions().stream()
        .anyMatch(v -> version.equals(v.getName()) && !Boolean.FALSE.equals(v.getServed()));
  }

  /** A CRD as this source reads it: name, group, names and which versions are served. */
  static CustomResourceDefinition reduceCrd(CustomResourceDefinition in) {
    CustomResourceDefinition out = new CustomResourceDefinition();
    ObjectMeta meta = new ObjectMeta();
    meta.setName(in.getMetadata().getName());
    meta.setResourceVersion(in.getMetadata().getResourceVersion());
    meta.setUid(in.getMetadata().getUid());
    out.setMetadata(meta);
    if (in.getSpec() != null) {
      CustomResourceDefinitionSpec spec = new CustomResourceDefinitionSpec();
      spec.setGroup(in.getSpec().getGroup());
      spec.setScope(in.getSpec().getScope());
      if (in.getSpec().getNames() != null) {
        CustomResourceDefinitionNames names = new CustomResourceDefinitionNames();
        names.setKind(in.getSpec().getNames().getKind());
        names.setPlural(in.getSpec().getNames().getPlural());
        spec.setNames(names);
      }
      List<CustomResourceDefinitionVersion> versions = new ArrayList<>();
      if (in.getSpec().getVersions() != null) {
        for (CustomResourceDefinitionVersion v : in.getSpec().getVersions()) {
          CustomResourceDefinitionVersion r = new CustomResourceDefinitionVersion();
          r.setName(v.getName());
          r.setServed(v.getServed());
          r.setStorage(v.getStorage());
          versions.add(r);
        }
      }
      spec.setVersions(versions);
      out.setSpec(spec);
    }
    return out;
  }

  // ---- informers ----

  private InformerInput<?, ?> startKind(InputKind<?> kind) {
    if (closed) {
      throw new IllegalStateException("closed");
    }
    InformerInput<?, ?> input = isBuiltIn(kind) ? typed(kind) : generic(kind);
    running.put(kind, input);
    input.start().whenComplete((ok, error) -> {
      if (error == null) {
        log.info("input synced kind={} objects={}", kind.kind(), input.collection().size());
      }
    });
    return input;
  }

  @SuppressWarnings("unchecked")
  private <T extends HasMetadata> InformerInput<T, T> typed(InputKind<T> kind) {
    SharedIndexInformer<T> informer;
    if (kind.type() == Pod.class) {
      // As istiod: a Failed pod is never a workload, and there can be very many of them.
      informer = (SharedIndexInformer<T>) client.pods().inAnyNamespace()
          .withoutField("status.phase", "Failed").runnableInformer(0);
    } else if (kind.namespaced()) {
      informer = client.resources(kind.type()).inAnyNamespace().runnableInformer(0);
    } else {
      informer = client.resources(kind.type()).runnableInformer(0);
    }
    return new InformerInput<>(informer, kind.collection().apply(inputs), new InformerInput.Options<T, T>(
        kind.kind(), ObjectReducer::reduce, Function.identity(), obj -> scope.admits(kind, obj), false));
  }

  private <T extends HasMetadata> InformerInput<GenericKubernetesResource, T> generic(InputKind<T> kind) {
    ResourceDefinitionContext context = ResourceDefinitionContext.fromResourceType(kind.type());
    var resources = client.genericKubernetesResources(context);
    SharedIndexInformer<GenericKubernetesResource> informer = kind.namespaced()
        ? resources.inAnyNamespace().runnableInformer(0)
        : resources.runnableInformer(0);
    return new InformerInput<>(informer, kind.collection().apply(inputs), new InformerInput.Options<>(
        kind.kind(), g -> readCustomResource(g, kind.type()), KubernetesSource::stub,
        obj -> scope.admits(kind, obj), true));
  }

  /** Reads one custom resource into its fabric8 class, then reduces it; throws if it cannot be read. */
  <T extends HasMetadata> T readCustomResource(GenericKubernetesResource g, Class<T> type) {
    if (g.getMetadata() != null) {
      g.getMetadata().setManagedFields(null);
      if (g.getMetadata().getAnnotations() != null) {
        g.getMetadata().getAnnotations().remove(ObjectReducer.LAST_APPLIED);
      }
    }
    return ObjectReducer.reduce(reader.read(g, type));
  }

  /** What the informer is told it holds for a custom resource: its kind and (shared) metadata. */
  private static GenericKubernetesResource stub(HasMetadata typed) {
    GenericKubernetesResource g = new GenericKubernetesResource();
    g.setApiVersion(typed.getApiVersion());
    g.setKind(typed.getKind());
    g.setMetadata(typed.getMetadata());
    return g;
  }

  private void onControl(Runnable task) {
    if (closed) {
      return;
    }
    control.execute(() -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        log.error("kubernetes source control task failed", e);
      }
    });
  }

  // ---- debug and metrics ----

  /** Objects skipped as unreadable since start (each resource version of an object counted once). */
  public long skippedObjects() {
    return Inputs.KINDS.stream().mapToLong(k -> skippedObjects(k.kind())).sum();
  }

  /** {@link #skippedObjects()} of one kind ({@code Pod}, {@code AuthorizationPolicy}...). */
  public long skippedObjects(String kind) {
    AtomicLong stopped = skippedByStopped.get(kind);
    long n = stopped == null ? 0 : stopped.get();
    for (InformerInput<?, ?> input : running.values()) {
      if (input.kind().equals(kind)) {
        n += input.rejectedTotal();
      }
    }
    return n;
  }

  /** The objects skipped now, with kind, namespace, name and reason. */
  public List<InformerInput.Rejection> skipped() {
    List<InformerInput.Rejection> out = new ArrayList<>();
    running.values().forEach(i -> out.addAll(i.rejected()));
    return out;
  }

  /** Per input: whether its informer runs, has synced, is watching, and how many lists failed. */
  public Map<String, Map<String, Object>> describe() {
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    for (InputKind<?> kind : Inputs.KINDS) {
      Map<String, Object> d = new LinkedHashMap<>();
      InformerInput<?, ?> input = running.get(kind);
      if (input != null) {
        d.put("state", input.synced().isDone() ? "synced" : "listing");
        d.put("watching", input.isWatching());
        d.put("listFailures", input.listFailures());
        d.put("skipped", input.rejected().size());
      } else {
        d.put("state", absentCrds.containsKey(kind) ? "crd-not-installed" : "not-started");
      }
      out.put(kind.collection().apply(inputs).name(), d);
    }
    return out;
  }

  @Override
  public void close() {
    closed = true;
    if (namespaceWatch != null) {
      namespaceWatch.close();
    }
    control.shutdownNow();
    if (crdWatch != null) {
      crdWatch.close();
    }
    running.values().forEach(InformerInput::close);
  }
}
