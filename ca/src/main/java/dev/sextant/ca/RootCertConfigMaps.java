package dev.sextant.ca;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the {@code istio-ca-root-cert} ConfigMap (key {@code root-cert.pem}, label
 * {@code istio.io/config: "true"}) in every namespace istiod writes it to (istio/istio
 * {@code pilot/pkg/serviceregistry/kube/controller/namespacecontroller.go},
 * {@code security/pkg/k8s/configutil.go}).
 *
 * <p>Model: namespaces are every visible namespace except {@code kube-public},
 * {@code kube-node-lease} and {@code local-path-storage} ({@code kube-system} is included, for
 * ztunnel). Reconciling a namespace creates the ConfigMap if missing, or updates
 * {@code root-cert.pem} if it differs, keeping other keys and labels as they are. Triggers: a
 * namespace added or changed, any event on a ConfigMap of that name (so a deletion or an edit is
 * repaired), and every root change (all non-terminating namespaces). AlreadyExists, Forbidden and
 * creates into a deleted or terminating namespace are not errors; other failures are retried up
 * to 5 times with backoff.
 *
 * <p>Threading: informer callbacks only enqueue; every reconcile runs on the one
 * {@code ca-root-configmaps} thread, so a namespace is never reconciled twice at once.
 */
public final class RootCertConfigMaps implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RootCertConfigMaps.class);
  public static final String DATA_KEY = "root-cert.pem";
  static final Map<String, String> LABELS = Map.of("istio.io/config", "true");
  static final Set<String> IGNORED = Set.of("kube-public", "kube-node-lease", "local-path-storage");
  static final int MAX_ATTEMPTS = 5;

  private final KubernetesClient client;
  private final String name;
  private final Supplier<String> rootCert;
  private final Predicate<String> namespaceVisible;
  private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "ca-root-configmaps");
    t.setDaemon(true);
    return t;
  });
  private final Set<String> queued = ConcurrentHashMap.newKeySet();
  private volatile boolean active;
  private SharedIndexInformer<Namespace> namespaces;
  private SharedIndexInformer<ConfigMap> configMaps;

  /**
   * @param name {@code PILOT_CA_CERT_CONFIGMAP}
   * @param rootCert the current root bundle PEM
   * @param namespaceVisible discovery selectors; null for every namespace
   */
  public RootCertConfigMaps(KubernetesClient client, String name, Supplier<String> rootCert,
      Predicate<String> namespaceVisible) {
    this.client = client;
    this.name = name;
    this.rootCert = rootCert;
    this.namespaceVisible = namespaceVisible == null ? ns -> true : namespaceVisible;
  }

  public synchronized void start() {
    if (namespaces != null) {
      return;
    }
    active = true;
    namespaces = client.namespaces().inform(new Handler<>(ns -> ns.getMetadata().getName(), false), 0);
    configMaps = client.configMaps().inAnyNamespace().withField("metadata.name", name)
        .inform(new Handler<>(cm -> cm.getMetadata().getNamespace(), true), 0);
  }

  public boolean hasSynced() {
    return namespaces != null && namespaces.hasSynced() && configMaps.hasSynced();
  }

  /** The root bundle changed: re-queue every namespace that is not terminating. */
  public void rootChanged() {
    if (namespaces == null) {
      return;
    }
    for (Namespace ns : namespaces.getStore().list()) {
      if (ns.getStatus() == null || !"Terminating".equals(ns.getStatus().getPhase())) {
        enqueue(ns.getMetadata().getName(), 1);
      }
    }
  }

  private final class Handler<T> implements ResourceEventHandler<T> {
    private final java.util.function.Function<T, String> namespaceOf;
    private final boolean onDelete;

    Handler(java.util.function.Function<T, String> namespaceOf, boolean onDelete) {
      this.namespaceOf = namespaceOf;
      this.onDelete = onDelete;
    }

    @Override
    public void onAdd(T obj) {
      enqueue(namespaceOf.apply(obj), 1);
    }

    @Override
    public void onUpdate(T oldObj, T newObj) {
      enqueue(namespaceOf.apply(newObj), 1);
    }

    @Override
    public void onDelete(T obj, boolean deletedFinalStateUnknown) {
      if (onDelete) {
        enqueue(namespaceOf.apply(obj), 1);
      }
    }
  }

  private void enqueue(String ns, int attempt) {
    if (ns == null || IGNORED.contains(ns) || !namespaceVisible.test(ns)) {
      return;
    }
    if (attempt == 1 && !queued.add(ns)) {
      return;
    }
    long delay = attempt == 1 ? 0 : 5L << (attempt - 1);
    worker.schedule(() -> run(ns, attempt), delay, TimeUnit.MILLISECONDS);
  }

  private void run(String ns, int attempt) {
    if (attempt == 1) {
      queued.remove(ns);
    }
    if (!active) {
      return; // not the writer any more
    }
    try {
      reconcile(ns);
    } catch (KubernetesClientException e) {
      if (attempt < MAX_ATTEMPTS) {
        enqueue(ns, attempt + 1);
      } else {
        log.error("giving up on ConfigMap {}/{} after {} attempts: {}", ns, name, attempt, e.getMessage());
      }
    }
  }

  /** Creates or updates the ConfigMap in one namespace. */
  void reconcile(String ns) {
    String pem = rootCert.get();
    ConfigMap existing = client.configMaps().inNamespace(ns).withName(name).get();
    if (existing == null) {
      ConfigMap cm = new ConfigMapBuilder().withNewMetadata().withName(name).withNamespace(ns)
          .withLabels(LABELS).endMetadata().withData(Map.of(DATA_KEY, pem)).build();
      try {
        client.configMaps().inNamespace(ns).resource(cm).create();
        log.debug("created ConfigMap {}/{}", ns, name);
      } catch (KubernetesClientException e) {
        if (e.getCode() == 409) {
          enqueue(ns, 2);
          return;
        }
        if (e.getCode() == 403 || e.getCode() == 404 || (e.getMessage() != null
            && e.getMessage().contains("because it is being terminated"))) {
          log.info("skip writing ConfigMap {}/{}: {}", ns, name, e.getCode());
          return;
        }
        throw e;
      }
      return;
    }
    if (pem.equals(existing.getData() == null ? null : existing.getData().get(DATA_KEY))) {
      return;
    }
    Map<String, String> data = new HashMap<>(existing.getData() == null ? Map.of() : existing.getData());
    data.put(DATA_KEY, pem);
    existing.setData(data);
    client.configMaps().inNamespace(ns).resource(existing).update();
    log.debug("updated ConfigMap {}/{}", ns, name);
  }

  /** Stops watching and writing (leadership lost); {@link #start()} may be called again. */
  public synchronized void stop() {
    active = false;
    if (namespaces != null) {
      namespaces.close();
      configMaps.close();
      namespaces = null;
      configMaps = null;
    }
  }

  @Override
  public synchronized void close() {
    active = false;
    if (namespaces != null) {
      namespaces.close();
      configMaps.close();
    }
    worker.shutdownNow();
  }
}
