package dev.sextant.bench;

import dev.sextant.api.TypeUrls;
import dev.sextant.krt.Krt;
import dev.sextant.krt.StaticCollection;
import dev.sextant.model.WorkloadInfo;
import dev.sextant.server.xds.AdsService;
import dev.sextant.server.xds.ResourceIndex;
import dev.sextant.server.xds.XdsOptions;
import dev.sextant.server.xds.XdsServerContext;
import dev.sextant.xds.XdsResource;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Delta computation per stream, through Sextant's real ADS server ({@link AdsService},
 * {@link XdsServerContext}, the resource index) over in-process gRPC (no serialization, no
 * sockets), with the push window at zero and no admission limit:
 * <ul>
 *   <li>{@code warmReconnect}: a stream opens reporting {@code initial_resource_versions} for every
 *       resource, 1 % of them stale; the server diffs against its index and answers both types;
 *   <li>{@code pushOneChange}: one resource changes while {@code streams} streams are open; the
 *       op ends when every stream has received (and ACKed) its delta. Divide by {@code streams}
 *       for the per-stream cost.
 * </ul>
 * Resources are real workloads serialized by AddressGenerator.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class StreamDeltaBench {
  @Param({"10000"})
  int resources;

  @Param({"1", "100"})
  int streams;

  private Krt krt;
  private StaticCollection<XdsResource> addresses;
  private ResourceIndex index;
  private XdsServerContext context;
  private Server server;
  private ManagedChannel channel;
  private Map<String, String> reported;
  private List<XdsResource> all;
  private XdsResource changing;
  private XdsResource changingAlt;
  private boolean flip;
  private final List<Watcher> watchers = new ArrayList<>();
  private volatile CountDownLatch pushed;

  @Setup(Level.Trial)
  public void setup() throws Exception {
    List<WorkloadInfo> workloads;
    try (BenchGraph graph = new BenchGraph(resources, resources / 10, resources / 100, 100, 0)) {
      workloads = graph.ambient.workloads().list();
    }
    krt = new Krt("bench-xds");
    addresses = krt.input("bench/Addresses", XdsResource::name);
    StaticCollection<XdsResource> authorizations = krt.input("bench/Authorizations", XdsResource::name);
    Map<String, XdsResource> batch = new HashMap<>();
    all = new ArrayList<>();
    for (WorkloadInfo w : workloads) {
      XdsResource r = AddressSerializationBenchAccess.workloadResource(w);
      batch.put(r.name(), r);
      all.add(r);
    }
    addresses.applyBatch(batch);
    addresses.markSynced();
    authorizations.markSynced();
    index = new ResourceIndex().register(TypeUrls.ADDRESS, addresses).register(TypeUrls.AUTHORIZATION, authorizations);
    context = new XdsServerContext(index, () -> true, new XdsOptions(Duration.ZERO, 1e9, 1_000_000));
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).addService(new AdsService(context)).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    reported = new HashMap<>();
    for (int i = 0; i < all.size(); i++) {
      XdsResource r = all.get(i);
      reported.put(r.name(), i % 100 == 0 ? "stale" : r.version());
    }
    changing = all.get(0);
    WorkloadInfo w0 = workloads.get(0);
    changingAlt = AddressSerializationBenchAccess.workloadResource(new WorkloadInfo(
        w0.workload().toBuilder().setCanonicalRevision("v2").build(), w0.labels()));
    if (!changingAlt.name().equals(changing.name())) {
      throw new IllegalStateException("changed resource renamed");
    }
    for (int i = 0; i < streams; i++) {
      Watcher w = new Watcher(i, Map.of());
      w.synced.await(30, TimeUnit.SECONDS);
      watchers.add(w);
    }
  }

  @TearDown(Level.Trial)
  public void close() throws Exception {
    for (Watcher w : watchers) {
      w.requests.cancel("done", null);
    }
    channel.shutdownNow();
    server.shutdownNow();
    context.close();
    index.close();
    krt.close();
  }

  /** One wildcard stream that ACKs everything and counts down the current push latch. */
  private final class Watcher implements ClientResponseObserver<DeltaDiscoveryRequest, DeltaDiscoveryResponse> {
    final CountDownLatch synced = new CountDownLatch(2);
    ClientCallStreamObserver<DeltaDiscoveryRequest> requests;
    private int responses;

    Watcher(int i, Map<String, String> held) {
      AggregatedDiscoveryServiceGrpc.newStub(channel).deltaAggregatedResources(this);
      Node node = FakeZtunnel.node(ClusterModel.nodeName(i), i);
      synchronized (this) {
        requests.onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.ADDRESS).setNode(node)
            .putAllInitialResourceVersions(held).build());
        requests.onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.AUTHORIZATION).setNode(node).build());
      }
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<DeltaDiscoveryRequest> r) {
      requests = r;
    }

    @Override
    public synchronized void onNext(DeltaDiscoveryResponse value) {
      requests.onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl(value.getTypeUrl())
          .setResponseNonce(value.getNonce()).build());
      if (++responses <= 2) {
        synced.countDown();
      } else {
        CountDownLatch l = pushed;
        if (l != null) {
          l.countDown();
        }
      }
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }

  @Benchmark
  public int warmReconnect() throws Exception {
    return open(reported);
  }

  /** A stream that reports nothing held: the server sends every resource. */
  @Benchmark
  public int coldSync() throws Exception {
    return open(Map.of());
  }

  private int open(Map<String, String> held) throws Exception {
    CountDownLatch both = new CountDownLatch(2);
    AtomicReference<Integer> sent = new AtomicReference<>(0);
    AtomicReference<ClientCallStreamObserver<DeltaDiscoveryRequest>> req = new AtomicReference<>();
    AggregatedDiscoveryServiceGrpc.newStub(channel).deltaAggregatedResources(
        new ClientResponseObserver<DeltaDiscoveryRequest, DeltaDiscoveryResponse>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<DeltaDiscoveryRequest> r) {
            req.set(r);
          }

          @Override
          public void onNext(DeltaDiscoveryResponse value) {
            sent.accumulateAndGet(value.getResourcesCount(), Integer::sum);
            both.countDown();
          }

          @Override
          public void onError(Throwable t) {
            both.countDown();
            both.countDown();
          }

          @Override
          public void onCompleted() {}
        });
    Node node = FakeZtunnel.node("node-reconnect", 0);
    synchronized (req) {
      req.get().onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.ADDRESS).setNode(node)
          .putAllInitialResourceVersions(held).build());
      req.get().onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.AUTHORIZATION).setNode(node).build());
    }
    if (!both.await(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("no answer");
    }
    req.get().cancel("done", null);
    return sent.get();
  }

  @Benchmark
  public void pushOneChange() throws Exception {
    CountDownLatch l = new CountDownLatch(streams);
    pushed = l;
    flip = !flip;
    addresses.upsert(flip ? changingAlt : changing);
    if (!l.await(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("push did not reach every stream");
    }
  }
}
