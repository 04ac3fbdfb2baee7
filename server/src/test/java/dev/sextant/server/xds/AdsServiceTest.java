package dev.sextant.server.xds;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sextant.api.TypeUrls;
import dev.sextant.krt.Krt;
import dev.sextant.krt.StaticCollection;
import dev.sextant.xds.XdsResource;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AdsServiceTest {
  private final Krt krt = new Krt("test");
  private final AtomicBoolean ready = new AtomicBoolean();
  private final StaticCollection<XdsResource> addresses = krt.input("AddressResources", XdsResource::name);
  private ResourceIndex index;
  private XdsServerContext context;
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    addresses.markSynced();
    index = new ResourceIndex().register(TypeUrls.ADDRESS, addresses);
    context = new XdsServerContext(index, ready::get);
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).addService(new AdsService(context)).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
    context.close();
    krt.close();
  }

  private CompletableFuture<Status> openDelta(DeltaDiscoveryRequest first) {
    CompletableFuture<Status> done = new CompletableFuture<>();
    StreamObserver<DeltaDiscoveryRequest> req = AggregatedDiscoveryServiceGrpc.newStub(channel)
        .deltaAggregatedResources(new StreamObserver<>() {
          @Override
          public void onNext(DeltaDiscoveryResponse value) {
            done.complete(Status.OK);
          }

          @Override
          public void onError(Throwable t) {
            done.complete(Status.fromThrowable(t));
          }

          @Override
          public void onCompleted() {
            done.complete(Status.OK);
          }
        });
    req.onNext(first);
    return done;
  }

  @Test
  void deltaStream_beforeReady_isRefusedUnavailable() throws Exception {
    Status s = openDelta(DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.ADDRESS)
        .setNode(Node.newBuilder().setId("ztunnel~10.0.0.1~z.istio-system~istio-system.svc.cluster.local")).build())
        .get(5, TimeUnit.SECONDS);
    assertEquals(Status.Code.UNAVAILABLE, s.getCode());
    assertEquals(AdsService.NOT_READY, s.getDescription());
  }

  @Test
  void deltaStream_afterReady_isAnswered() throws Exception {
    ready.set(true);
    Status s = openDelta(DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.ADDRESS)
        .setNode(Node.newBuilder().setId("ztunnel~10.0.0.1~z.istio-system~istio-system.svc.cluster.local")).build())
        .get(5, TimeUnit.SECONDS);
    assertEquals(Status.Code.OK, s.getCode(), "a response arrived: the empty initial answer");
  }

  @Test
  void stateOfTheWorld_wildcard_getsFullStateThenFullStateOnEveryChange() throws Exception {
    ready.set(true);
    List<DiscoveryResponse> got = new java.util.concurrent.CopyOnWriteArrayList<>();
    StreamObserver<DiscoveryRequest>[] req = new StreamObserver[1];
    req[0] = AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(new StreamObserver<>() {
      @Override
      public void onNext(DiscoveryResponse r) {
        got.add(r);
        req[0].onNext(DiscoveryRequest.newBuilder().setTypeUrl(r.getTypeUrl()).setVersionInfo(r.getVersionInfo())
            .setResponseNonce(r.getNonce()).build());
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    });
    addresses.upsert(res("a"));
    req[0].onNext(DiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.ADDRESS)
        .setNode(Node.newBuilder().setId("sidecar~10.0.0.1~p.ns~ns.svc.cluster.local")).build());
    awaitSize(got, 1);
    assertEquals(1, got.get(0).getResourcesCount());
    addresses.upsert(res("b"));
    awaitSize(got, 2);
    assertEquals(2, got.get(1).getResourcesCount(), "state of the world: every response is complete");
    addresses.delete("a");
    awaitSize(got, 3);
    assertEquals(List.of("b"), got.get(2).getResourcesList().stream().map(a -> {
      try {
        return com.google.protobuf.StringValue.parseFrom(a.getValue()).getValue();
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new AssertionError(e);
      }
    }).toList(), "removal is absence");
    Thread.sleep(50);
    assertEquals(3, got.size(), "ACKs get no response");
  }

  private static XdsResource res(String name) {
    return XdsResource.of(TypeUrls.ADDRESS, name, com.google.protobuf.StringValue.of(name), List.of(), List.of(),
        dev.sextant.xds.Scope.global());
  }

  private static void awaitSize(List<?> list, int n) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (list.size() < n) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("expected " + n + " responses, got " + list.size());
      }
      Thread.sleep(2);
    }
  }
}
