package dev.sextant.server.xds;

import com.google.common.util.concurrent.MoreExecutors;
import dev.sextant.server.metrics.Telemetry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * What every stream shares: the resources, readiness, metrics, the connection registry and the
 * thread pool on which each stream gets its own serial executor.
 */
public final class XdsServerContext implements AutoCloseable {
  private final ResourceIndex resources;
  private final BooleanSupplier ready;
  private final XdsMetrics metrics;
  private final Set<AdsConnection> streams = ConcurrentHashMap.newKeySet();
  private final AtomicLong connectionCounter = new AtomicLong();
  private final ExecutorService pool;
  private final ScheduledExecutorService timer;
  private final XdsOptions options;
  private final AdmissionLimiter admission;
  private volatile boolean draining;
  private volatile DebugTypes.Support debugSupport;

  public XdsServerContext(ResourceIndex resources, BooleanSupplier ready) {
    this(resources, ready, XdsOptions.defaults(), new Telemetry());
  }

  public XdsServerContext(ResourceIndex resources, BooleanSupplier ready, XdsOptions options) {
    this(resources, ready, options, new Telemetry());
  }

  public XdsServerContext(ResourceIndex resources, BooleanSupplier ready, XdsOptions options, Telemetry telemetry) {
    this.resources = resources;
    this.metrics = new XdsMetrics(telemetry);
    this.ready = ready;
    this.options = options;
    this.admission = new AdmissionLimiter(options.streamsPerSecond(), options.streamBurst());
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "xds-timer");
      t.setDaemon(true);
      return t;
    });
    AtomicInteger n = new AtomicInteger();
    // Work arriving after close (a stream's cancel callback during shutdown) is dropped, not thrown.
    this.pool = new java.util.concurrent.ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
        new java.util.concurrent.SynchronousQueue<>(), r -> {
          Thread t = new Thread(r, "xds-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        }, new java.util.concurrent.ThreadPoolExecutor.DiscardPolicy());
  }

  public ResourceIndex resources() {
    return resources;
  }

  public XdsMetrics metrics() {
    return metrics;
  }

  public boolean ready() {
    return ready.getAsBoolean();
  }

  Executor newSerialExecutor() {
    return MoreExecutors.newSequentialExecutor(pool);
  }

  XdsOptions options() {
    return options;
  }

  /** Runs {@code task} after the push window. */
  void afterPushDelay(Runnable task) {
    timer.schedule(task, options.pushDelay().toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Takes an admission token for a new stream; false when over budget. */
  boolean admit() {
    return admission.tryAcquire();
  }

  /** Enables the istio.io/debug types. */
  public void setDebugSupport(DebugTypes.Support support) {
    this.debugSupport = support;
  }

  DebugTypes.Support debugSupport() {
    return debugSupport;
  }

  boolean draining() {
    return draining;
  }

  /**
   * Ends every stream cleanly (ztunnel reconnects at once, to another replica), and refuses new
   * ones; for shutdown.
   */
  public void drain() {
    draining = true;
    for (AdsConnection s : streams) {
      s.endForShutdown();
    }
  }

  /** istiod's connection id: the proxy id ({@code <pod>.<ns>}, from a 4-part node id) and a counter. */
  String connectionId(String nodeId) {
    String[] parts = nodeId.split("~", -1);
    String proxyId = parts.length == 4 ? parts[2] : nodeId;
    return proxyId + "-" + connectionCounter.incrementAndGet();
  }

  void register(AdsConnection s) {
    streams.add(s);
    metrics.connected(istioVersion(s));
  }

  void unregister(AdsConnection s) {
    if (streams.remove(s)) {
      metrics.disconnected(istioVersion(s));
    }
  }

  private static String istioVersion(AdsConnection s) {
    var fields = s.node().getMetadata().getFieldsMap();
    return fields.containsKey("ISTIO_VERSION") ? fields.get("ISTIO_VERSION").getStringValue() : "";
  }

  /** A snapshot of the connected clients, oldest first. */
  public List<Connection> connections() {
    List<Connection> out = new ArrayList<>();
    for (AdsConnection s : streams) {
      out.add(new Connection(s.connectionId(), s.node() == null ? "" : s.node().getId(), s.peer(),
          s.connectedAt().toString()));
    }
    out.sort(Comparator.comparing(Connection::connectedAt));
    return out;
  }

  /** The connected clients (only those that sent a node), oldest first. */
  public List<AdsConnection> clients() {
    List<AdsConnection> out = new ArrayList<>(streams);
    out.sort(Comparator.comparing(AdsConnection::connectedAt));
    return out;
  }

  public int connectionCount() {
    return streams.size();
  }

  /** One connected client, as the debug endpoints show it. */
  public record Connection(String connectionId, String nodeId, String address, String connectedAt) {}

  @Override
  public void close() {
    timer.shutdownNow();
    pool.shutdownNow();
  }
}
