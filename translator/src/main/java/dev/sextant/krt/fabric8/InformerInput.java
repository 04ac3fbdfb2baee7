package dev.sextant.krt.fabric8;

import dev.sextant.krt.StaticCollection;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ExceptionHandler;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.net.HttpURLConnection;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds an input {@link StaticCollection} from a fabric8 informer: the Kubernetes edge of the
 * translator, in the role of istio/istio {@code pkg/kube/kclient} and {@code krt.WrapClient}.
 *
 * <p>Model: the informer's item store (a {@link ConvertingItemStore}) holds each object once, already
 * converted to what the translator reads; the collection holds the same instances, for the keys
 * that {@code admit} lets through. Informer events are only hints: each names a key, and the key is
 * reconciled by re-reading the store and re-asking {@code admit}. A change of what {@code admit}
 * answers (a namespace moving into or out of scope) is applied by {@link #reconcileNamespace} or
 * {@link #reconcileAll}, which re-read the same way. So an object is in the collection exactly
 * when the store holds a valid version of it and {@code admit} accepts it, whatever the order in
 * which events and scope changes arrive.
 *
 * <p>Sync: the collection is marked synced once the informer's first list is in the store and has
 * been reconciled in one batch. Relists after a watch expired (410 Gone) or reconnected are
 * reconciled like any other event: unchanged objects produce nothing, removed ones a deletion.
 *
 * <p>Failure: an object the conversion rejects is logged with its kind, namespace and name, counted
 * once per resource version, listed by {@link #rejected()}, and absent from the collection; the
 * informer and every other object go on. List and watch failures (the API server unreachable,
 * forbidden, or a list it cannot serve) never stop the informer: it retries with fabric8's backoff
 * (1s doubling to 32s) while the collection keeps serving the last state it had. With
 * {@code syncWhenNotFound}, a first list answered 404 (the CRD is not installed) marks the
 * collection synced and empty instead of holding readiness back.
 *
 * <p>Threading: informer events arrive on the informer's serial executor; scope changes and
 * {@link #stop} on other threads. Every reconcile and the stop run under this object's monitor, so
 * reading the store and the scope and writing the collection happen as one step.
 */
public final class InformerInput<S extends HasMetadata, T extends HasMetadata> implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(InformerInput.class);

  /** An object skipped because it could not be read: which one, and why. */
  public record Rejection(String kind, String namespace, String name, String reason) {}

  /**
   * How to build an input.
   *
   * @param kind the object kind, for logs and rejections
   * @param convert reads an informer object into what the translator reads; throws to reject it
   * @param asSource turns a converted object back into the informer's type (identity when equal)
   * @param admit whether a converted object belongs in the collection now
   * @param syncWhenNotFound treat a 404 on the first list as "kind not installed": synced and empty
   */
  public record Options<S, T>(
      String kind,
      Function<S, T> convert,
      Function<T, S> asSource,
      Predicate<T> admit,
      boolean syncWhenNotFound) {}

  private final SharedIndexInformer<S> informer;
  private final StaticCollection<T> collection;
  private final Options<S, T> options;
  private final ConvertingItemStore<S, T> store;
  private final Map<String, Rejection> rejected = new ConcurrentHashMap<>();
  private final AtomicLong rejectedTotal = new AtomicLong();
  private final AtomicLong listFailures = new AtomicLong();
  private final AtomicBoolean notFoundReported = new AtomicBoolean();
  private final CompletableFuture<Void> synced = new CompletableFuture<>();
  private boolean stopped;

  /** Wraps an informer that is not started yet; {@link #start()} starts it. */
  public InformerInput(SharedIndexInformer<S> informer, StaticCollection<T> collection, Options<S, T> options) {
    this.informer = informer;
    this.collection = collection;
    this.options = options;
    this.store = new ConvertingItemStore<>(options.convert(), options.asSource(), new ConvertingItemStore.Listener<>() {
      @Override
      public void rejected(String key, S raw, String reason, boolean first) {
        onRejected(key, raw, reason, first);
      }

      @Override
      public void accepted(String key) {
        rejected.remove(key);
      }
    });
    informer.itemStore(store);
    informer.exceptionHandler(this::retryAfter);
    informer.addEventHandler(new ResourceEventHandler<S>() {
      @Override
      public void onAdd(S obj) {
        reconcile(Cache.metaNamespaceKeyFunc(obj));
      }

      @Override
      public void onUpdate(S oldObj, S newObj) {
        reconcile(Cache.metaNamespaceKeyFunc(newObj));
      }

      @Override
      public void onDelete(S obj, boolean deletedFinalStateUnknown) {
        reconcile(Cache.metaNamespaceKeyFunc(obj));
      }
    });
  }

  /** Starts the informer. The future completes when the collection first holds the full list. */
  public CompletableFuture<Void> start() {
    // Off the HTTP client's event loop: the first reconcile can be a large batch.
    informer.start().whenCompleteAsync((ok, error) -> {
      if (error != null) {
        synced.completeExceptionally(error);
        return;
      }
      reconcileAll();
      collection.markSynced();
      synced.complete(null);
    });
    return synced;
  }

  public CompletableFuture<Void> synced() {
    return synced;
  }

  public StaticCollection<T> collection() {
    return collection;
  }

  public String kind() {
    return options.kind();
  }

  /** Re-applies the scope to every object of one namespace. */
  public void reconcileNamespace(String namespace) {
    reconcile(informer.getIndexer().indexKeys(Cache.NAMESPACE_INDEX, namespace));
  }

  /** Re-applies the scope to every object. */
  public void reconcileAll() {
    Set<String> keys = new LinkedHashSet<>();
    store.keySet().forEach(keys::add);
    for (T value : collection.list()) {
      keys.add(collection.keyOf(value));
    }
    reconcile(keys);
  }

  private void reconcile(String key) {
    reconcile(List.of(key));
  }

  private synchronized void reconcile(Collection<String> keys) {
    if (stopped || keys.isEmpty()) {
      return;
    }
    Map<String, T> changes = new LinkedHashMap<>();
    for (String key : keys) {
      T value = store.converted(key);
      changes.put(key, value != null && options.admit().test(value) ? value : null);
    }
    collection.applyBatch(changes);
  }

  /** The objects skipped now because they could not be read. */
  public List<Rejection> rejected() {
    return new ArrayList<>(rejected.values());
  }

  /** Objects skipped since start, counting each resource version of an object once. */
  public long rejectedTotal() {
    return rejectedTotal.get();
  }

  /** Failed list or watch attempts since start (each is retried). */
  public long listFailures() {
    return listFailures.get();
  }

  public boolean isWatching() {
    return informer.isWatching();
  }

  private void onRejected(String key, S raw, String reason, boolean first) {
    String ns = raw.getMetadata() == null ? null : raw.getMetadata().getNamespace();
    String name = raw.getMetadata() == null ? key : raw.getMetadata().getName();
    rejected.put(key, new Rejection(options.kind(), ns, name, reason));
    if (first) {
      rejectedTotal.incrementAndGet();
      log.warn("skipping unreadable object kind={} namespace={} name={} reason={}",
          options.kind(), ns == null ? "" : ns, name, reason);
    }
  }

  private boolean retryAfter(boolean started, Throwable t) {
    listFailures.incrementAndGet();
    if (!started && options.syncWhenNotFound() && notFound(t) && notFoundReported.compareAndSet(false, true)) {
      log.warn("kind={} is not served by the API server (404): its input stays empty until it is; "
          + "readiness does not wait for it", options.kind());
      collection.markSynced();
    }
    if (ExceptionHandler.isDeserializationException(t)) {
      log.warn("kind={} list or watch returned an object that cannot be read; retrying: {}",
          options.kind(), ConvertingItemStore.oneLine(t));
    }
    return true;
  }

  private static boolean notFound(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof KubernetesClientException k && k.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
        return true;
      }
    }
    return false;
  }

  /**
   * Stops the informer. With {@code clear}, every object it contributed is removed from the
   * collection (its kind went away); otherwise the collection keeps the last state.
   */
  public void stop(boolean clear) {
    synchronized (this) {
      if (stopped) {
        return;
      }
      stopped = true;
      if (clear) {
        Map<String, T> changes = new LinkedHashMap<>();
        for (T value : collection.list()) {
          changes.put(collection.keyOf(value), null);
        }
        collection.applyBatch(changes);
      }
    }
    informer.stop();
    synced.completeExceptionally(new IllegalStateException("stopped"));
  }

  @Override
  public void close() {
    stop(false);
  }

  @Override
  public String toString() {
    return "InformerInput[" + collection.name() + "]";
  }
}
