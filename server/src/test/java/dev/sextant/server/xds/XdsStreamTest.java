package dev.sextant.server.xds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import dev.sextant.api.TypeUrls;
import dev.sextant.krt.Krt;
import dev.sextant.krt.StaticCollection;
import dev.sextant.xds.Scope;
import dev.sextant.xds.XdsResource;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The delta stream's transport behaviour over in-process gRPC, with a resource index fed directly:
 * coalescing, backpressure, admission and drain.
 */
class XdsStreamTest {
  private final Krt krt = new Krt("test");
  private final StaticCollection<XdsResource> resources = krt.input("AddressResources", XdsResource::name);
  private XdsServerContext context;
  private Server server;
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    if (server != null) {
      server.shutdownNow();
    }
    if (context != null) {
      context.close();
    }
    krt.close();
  }

  private void start(XdsOptions options) throws Exception {
    resources.markSynced();
    ResourceIndex index = new ResourceIndex().register(TypeUrls.ADDRESS, resources);
    context = new XdsServerContext(index, () -> true, options);
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).addService(new AdsService(context)).build().start();
    channels.add(InProcessChannelBuilder.forName(name).build());
  }

  private static XdsResource resource(String name, String value) {
    return XdsResource.of(TypeUrls.ADDRESS, name, StringValue.of(value), List.of(), List.of(), Scope.global());
  }

  /** A client that ACKs like ztunnel and can hold back flow control. */
  private final class Client {
    final List<DeltaDiscoveryResponse> responses = new ArrayList<>();
    final Map<String, String> held = new HashMap<>();
    final CompletableFuture<Status> closed = new CompletableFuture<>();
    StreamObserver<DeltaDiscoveryRequest> requests;
    ClientCallStreamObserver<DeltaDiscoveryRequest> call;

    Client(boolean manualFlowControl) {
      requests = AggregatedDiscoveryServiceGrpc.newStub(channels.get(0)).deltaAggregatedResources(
          new ClientResponseObserver<DeltaDiscoveryRequest, DeltaDiscoveryResponse>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<DeltaDiscoveryRequest> c) {
              call = c;
              if (manualFlowControl) {
                c.disableAutoRequestWithInitial(1);
              }
            }

            @Override
            public void onNext(DeltaDiscoveryResponse r) {
              synchronized (Client.this) {
                responses.add(r);
                for (Resource res : r.getResourcesList()) {
                  try {
                    held.put(res.getName(), StringValue.parseFrom(res.getResource().getValue()).getValue());
                  } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                    throw new AssertionError(e);
                  }
                }
                r.getRemovedResourcesList().forEach(held::remove);
                requests.onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl(r.getTypeUrl())
                    .setResponseNonce(r.getNonce()).build());
                Client.this.notifyAll();
              }
            }

            @Override
            public void onError(Throwable t) {
              closed.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
              closed.complete(Status.OK);
            }
          });
      requests.onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.ADDRESS)
          .setNode(Node.newBuilder().setId("ztunnel~10.0.0.1~z.istio-system~istio-system.svc.cluster.local")).build());
    }

    synchronized void await(String what, Predicate<Client> p) throws InterruptedException {
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!p.test(this)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("timed out waiting for " + what + "; got " + responses.size() + " responses");
        }
        wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      }
    }

    synchronized int count() {
      return responses.size();
    }
  }

  @Test
  void burstOfChanges_withinThePushWindow_arrivesAsOneResponseWithLatestValues() throws Exception {
    // The window is far longer than the burst takes even on a cold, loaded machine, so the burst
    // falls into at most two windows whatever the timing.
    start(XdsOptions.defaults().withPushDelay(Duration.ofSeconds(3)));
    Client c = new Client(false);
    c.await("initial response", x -> x.count() == 1);
    for (int i = 0; i < 500; i++) {
      resources.upsert(resource("r" + (i % 50), "v" + i));
    }
    c.await("all 50 resources at their last value", x -> x.held.size() == 50 && x.held.get("r49").equals("v499"));
    assertTrue(c.count() <= 3, "500 changes within the window cost " + (c.count() - 1) + " pushes");
  }

  @Test
  void slowConsumer_getsOnlyLatestState_andDoesNotDelayAFastOne() throws Exception {
    start(XdsOptions.defaults().withPushDelay(Duration.ZERO));
    Client slow = new Client(true);
    Client fast = new Client(false);
    slow.await("slow initial", x -> x.count() == 1);
    fast.await("fast initial", x -> x.count() == 1);
    for (int i = 0; i < 300; i++) {
      resources.upsert(resource("hot", "v" + i));
    }
    // The fast client gets to the last value while the slow one has not read anything more.
    fast.await("fast client sees the last value", x -> "v299".equals(x.held.get("hot")));
    assertEquals(1, slow.count());
    // Then the slow one catches up with the latest state: the few responses the transport had
    // buffered before it reported not ready, then one with what was held back; not one per change
    // (300). How many the transport buffers is its business, hence the loose bound.
    slow.call.request(1000);
    slow.await("slow client catches up", x -> "v299".equals(x.held.get("hot")));
    assertTrue(slow.count() < 30, "slow got " + slow.count()
        + " messages for 300 changes: a blocked stream holds the latest state, not a queue of every change");
  }

  @Test
  void newStreams_overTheAdmissionBudget_getResourceExhausted() throws Exception {
    start(new XdsOptions(Duration.ZERO, 0.0001, 2));
    List<Client> clients = List.of(new Client(false), new Client(false), new Client(false));
    // The three streams start concurrently, so which one is over the budget is not fixed: exactly
    // one is refused, and the other two are served.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    List<Client> refused = List.of();
    while (refused.isEmpty() && System.nanoTime() < deadline) {
      refused = clients.stream().filter(c -> c.closed.isDone()).toList();
      Thread.sleep(10);
    }
    assertEquals(1, refused.size(), "one stream over the budget of two");
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.get(0).closed.get().getCode());
    for (Client c : clients) {
      if (c != refused.get(0)) {
        c.await("served", x -> x.count() == 1);
        assertTrue(!c.closed.isDone(), "an admitted stream stays open");
      }
    }
  }

  @Test
  void drain_endsOpenStreamsCleanly_andRefusesNewOnes() throws Exception {
    start(XdsOptions.defaults());
    Client a = new Client(false);
    a.await("served", x -> x.count() == 1);
    context.drain();
    assertEquals(Status.Code.OK, a.closed.get(5, TimeUnit.SECONDS).getCode());
    Client late = new Client(false);
    assertEquals(Status.Code.UNAVAILABLE, late.closed.get(5, TimeUnit.SECONDS).getCode());
  }
}
