package dev.sextant.it;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.rpc.Status;
import dev.sextant.api.TypeUrls;
import dev.sextant.api.workload.Address;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A ztunnel as Sextant sees it (istio/ztunnel {@code src/xds/client.rs}): one delta ADS stream; an
 * initial request for Address, then one for Authorization, each with the node and the versions it
 * already holds; an ACK (type and nonce only) for every response, or a NACK for a payload it cannot
 * decode; resources kept by name with their versions, removals applied.
 */
final class FakeZtunnel implements AutoCloseable {
  static final List<String> TYPES = List.of(TypeUrls.ADDRESS, TypeUrls.AUTHORIZATION);

  /** How a ztunnel is configured: its pod and node, and whether it looks addresses up on demand. */
  record Identity(String podName, String podNamespace, String podIp, String nodeName, boolean onDemand) {
    static Identity onNode(String nodeName) {
      return new Identity("ztunnel-" + nodeName, "istio-system", "10.244.0.2", nodeName, false);
    }

    Identity withOnDemand() {
      return new Identity(podName, podNamespace, podIp, nodeName, true);
    }

    Node node() {
      Struct.Builder meta = Struct.newBuilder()
          .putFields("NAME", str(podName))
          .putFields("NAMESPACE", str(podNamespace))
          .putFields("INSTANCE_IPS", str(podIp))
          .putFields("NODE_NAME", str(nodeName))
          .putFields("CLUSTER_ID", str("Kubernetes"));
      return Node.newBuilder()
          .setId("ztunnel~" + podIp + "~" + podName + "." + podNamespace + "~" + podNamespace + ".svc.cluster.local")
          .setMetadata(meta)
          .build();
    }

    private static Value str(String s) {
      return Value.newBuilder().setStringValue(s).build();
    }
  }

  private final ManagedChannel channel;
  private final Identity identity;
  private final Map<String, Map<String, Resource>> state = new HashMap<>();
  private final List<DeltaDiscoveryResponse> responses = new ArrayList<>();
  private final CompletableFuture<io.grpc.Status> closed = new CompletableFuture<>();
  private StreamObserver<DeltaDiscoveryRequest> requests;
  private Predicate<Resource> reject = r -> false;

  FakeZtunnel(InetSocketAddress server, Identity identity) {
    this.channel = NettyChannelBuilder.forAddress(server.getHostString(), server.getPort()).usePlaintext().build();
    this.identity = identity;
  }

  /** Opens the stream and sends both initial requests, claiming {@code held} (type to name to version). */
  synchronized FakeZtunnel connect(Map<String, Map<String, String>> held) {
    connect0();
    for (String type : TYPES) {
      DeltaDiscoveryRequest.Builder req = DeltaDiscoveryRequest.newBuilder()
          .setTypeUrl(type)
          .setNode(identity.node())
          .putAllInitialResourceVersions(held.getOrDefault(type, Map.of()));
      if (identity.onDemand() && type.equals(TypeUrls.ADDRESS)) {
        req.addResourceNamesSubscribe("*").addResourceNamesUnsubscribe("*");
      }
      requests.onNext(req.build());
    }
    return this;
  }

  private void connect0() {
    requests = AggregatedDiscoveryServiceGrpc.newStub(channel).deltaAggregatedResources(new StreamObserver<>() {
      @Override
      public void onNext(DeltaDiscoveryResponse response) {
        onResponse(response);
      }

      @Override
      public void onError(Throwable t) {
        closed.complete(io.grpc.Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        closed.complete(io.grpc.Status.OK);
      }
    });
  }

  FakeZtunnel connect() {
    return connect(Map.of());
  }

  /** Opens the stream with one hand-made first request (for protocol-error tests). */
  synchronized FakeZtunnel connectRaw(DeltaDiscoveryRequest first) {
    connect0();
    requests.onNext(first);
    return this;
  }

  /** Makes the client NACK resources matching {@code p}, as ztunnel does for what it cannot apply. */
  synchronized void rejectWhere(Predicate<Resource> p) {
    this.reject = p;
  }

  private synchronized void onResponse(DeltaDiscoveryResponse response) {
    responses.add(response);
    Map<String, Resource> held = state.computeIfAbsent(response.getTypeUrl(), t -> new LinkedHashMap<>());
    List<String> failures = new ArrayList<>();
    for (Resource r : response.getResourcesList()) {
      if (!r.hasResource()) {
        failures.add(r.getName() + ": XDS payload without resource");
        continue;
      }
      if (response.getTypeUrl().equals(TypeUrls.ADDRESS)) {
        try {
          Address.parseFrom(r.getResource().getValue());
        } catch (InvalidProtocolBufferException e) {
          failures.add(r.getName() + ": " + e.getMessage());
          continue;
        }
      }
      if (reject.test(r)) {
        failures.add(r.getName() + ": rejected by test");
        continue;
      }
      held.put(r.getName(), r);
    }
    response.getRemovedResourcesList().forEach(held::remove);
    DeltaDiscoveryRequest.Builder reply = DeltaDiscoveryRequest.newBuilder()
        .setTypeUrl(response.getTypeUrl())
        .setResponseNonce(response.getNonce());
    if (!failures.isEmpty()) {
      reply.setErrorDetail(Status.newBuilder().setMessage(String.join("; ", failures)));
    }
    requests.onNext(reply.build());
    notifyAll();
  }

  /** Sends a raw request on the stream (for on-demand lookups and protocol-error tests). */
  synchronized void send(DeltaDiscoveryRequest request) {
    requests.onNext(request);
  }

  synchronized Map<String, Resource> held(String type) {
    return new LinkedHashMap<>(state.getOrDefault(type, Map.of()));
  }

  /** Name to version of what the client holds, as it would report on reconnect. */
  synchronized Map<String, Map<String, String>> versions() {
    Map<String, Map<String, String>> out = new HashMap<>();
    state.forEach((type, held) -> {
      Map<String, String> v = new LinkedHashMap<>();
      held.forEach((name, r) -> v.put(name, r.getVersion()));
      out.put(type, v);
    });
    return out;
  }

  synchronized List<DeltaDiscoveryResponse> responses() {
    return new ArrayList<>(responses);
  }

  synchronized List<DeltaDiscoveryResponse> responses(String type) {
    return responses.stream().filter(r -> r.getTypeUrl().equals(type)).toList();
  }

  /** Waits until {@code condition} holds on this client; fails with what was received otherwise. */
  synchronized void await(String what, Predicate<FakeZtunnel> condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!condition.test(this)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("timed out waiting for " + what + "; responses: " + summary());
      }
      wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
    }
  }

  /** True once every type has had a response: when a real ztunnel would turn ready. */
  boolean ready() {
    return TYPES.stream().allMatch(t -> !responses(t).isEmpty());
  }

  io.grpc.Status awaitClosed() throws Exception {
    return closed.get(15, TimeUnit.SECONDS);
  }

  boolean isClosed() {
    return closed.isDone();
  }

  private String summary() {
    List<String> out = new ArrayList<>();
    for (DeltaDiscoveryResponse r : responses) {
      out.add(r.getTypeUrl().substring(r.getTypeUrl().lastIndexOf('.') + 1) + "(+"
          + r.getResourcesCount() + ",-" + r.getRemovedResourcesCount() + ")");
    }
    return out + (closed.isDone() ? " closed=" + closed.getNow(null) : "");
  }

  /** Ends the stream as ztunnel does on shutdown. */
  void disconnect() {
    synchronized (this) {
      if (requests != null) {
        requests.onCompleted();
      }
    }
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
