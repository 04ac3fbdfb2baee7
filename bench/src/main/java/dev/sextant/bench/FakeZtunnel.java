package dev.sextant.bench;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.sextant.api.TypeUrls;
import dev.sextant.api.workload.Address;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A lean ztunnel as the control plane sees it (istio/ztunnel {@code src/xds/client.rs}): one delta
 * ADS stream per fake node, node id and metadata as ztunnel sends them, an initial request for
 * Address and then one for Authorization (each carrying the versions already held, on reconnect),
 * an ACK with type and nonce for every response, name-to-version kept per type, and a reconnect
 * with backoff (10 ms doubling to 15 s, as ztunnel) when the server refuses or ends the stream.
 *
 * <p>Besides that it measures: for every stamped churn event it credits the ACK of the response
 * that carried it ({@link Names}); it counts responses, bytes and resources, and full pushes (a
 * response after the first on a stream that re-sends at least every resource the client held, or a
 * first response on a warm reconnect that re-sends everything the client reported holding).
 *
 * <p>Threading: response callbacks run on the fleet's client event loop, one at a time per stream
 * (gRPC serializes them); requests are sent under this object's lock, since the connecting thread
 * sends the initial requests while the first response may already be in.
 */
final class FakeZtunnel {
  static final List<String> TYPES = List.of(TypeUrls.ADDRESS, TypeUrls.AUTHORIZATION);

  /** Delta ADS with requests sent as serialized bytes (see {@link #open()}). */
  static final MethodDescriptor<byte[], DeltaDiscoveryResponse> DELTA =
      AggregatedDiscoveryServiceGrpc.getDeltaAggregatedResourcesMethod().toBuilder(new BytesMarshaller(),
          ProtoUtils.marshaller(DeltaDiscoveryResponse.getDefaultInstance())).build();

  private static final class BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {
    @Override
    public java.io.InputStream stream(byte[] value) {
      return new java.io.ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(java.io.InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }
  private static final long INITIAL_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
  private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(15);

  final int index;
  final String nodeName;
  private final ClientFleet fleet;
  private final Node node;
  private final Map<String, VersionStore> state = new HashMap<>();
  private final Latencies latencies = new Latencies();
  private final BitSet credited = new BitSet();
  private final Map<Names.Event, BitSet> partial = new HashMap<>();

  private ManagedChannel channel;
  private ClientCallStreamObserver<byte[]> requests;
  private final byte[] nodeBytes;
  private int stream;
  private final Map<String, Integer> responsesOnStream = new HashMap<>();
  private final Map<String, Integer> reportedOnStream = new HashMap<>();
  private CompletableFuture<Long> synced = new CompletableFuture<>();
  private long connectStartNanos;
  private long backoffNanos = INITIAL_BACKOFF_NANOS;
  private boolean wantConnected;
  private boolean stateless;

  // counters, read by the fleet after the client is quiet
  long responses;
  long bytes;
  long resourcesReceived;
  long removalsReceived;
  long fullPushes;
  /** By {@link #TYPES} index: first responses on a warm stream that re-sent all the client reported. */
  final long[] warmFullResends = new long[2];
  /** By {@link #TYPES} index: resources in the first response of each stream. */
  final long[] firstResponseResources = new long[2];
  long refusals;
  long streamsOpened;
  String lastError = "";

  FakeZtunnel(ClientFleet fleet, int index, String nodeName) {
    this.fleet = fleet;
    this.index = index;
    this.nodeName = nodeName;
    this.node = node(nodeName, index);
    this.nodeBytes = DeltaDiscoveryRequest.newBuilder().setNode(node).build().toByteArray();
    for (String t : TYPES) {
      state.put(t, new VersionStore());
    }
  }

  /** ztunnel's node: {@code ztunnel~<ip>~<pod>.<ns>~<ns>.svc.cluster.local}, metadata as in ztunnel's config. */
  static Node node(String nodeName, int index) {
    String pod = "ztunnel-" + nodeName;
    String ip = "10.255." + (index / 250) % 250 + "." + (index % 250 + 1);
    Struct meta = Struct.newBuilder()
        .putFields("NAME", str(pod))
        .putFields("NAMESPACE", str("istio-system"))
        .putFields("INSTANCE_IPS", str(ip))
        .putFields("NODE_NAME", str(nodeName))
        .putFields("CLUSTER_ID", str("Kubernetes"))
        .putFields("ISTIO_VERSION", str("1.28.0"))
        .build();
    return Node.newBuilder()
        .setId("ztunnel~" + ip + "~" + pod + ".istio-system~istio-system.svc.cluster.local")
        .setMetadata(meta)
        .build();
  }

  private static Value str(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  /** Opens a new connection and stream reporting what this client holds (nothing, for a new one). */
  private CompletableFuture<Long> connect() {
    wantConnected = true;
    backoffNanos = INITIAL_BACKOFF_NANOS;
    return open();
  }

  /** Opens a new stream reporting what this client holds now (ztunnel's reconnect). */
  synchronized CompletableFuture<Long> reconnectWarm() {
    return connect();
  }

  /** Opens a stream that reports nothing held, after forgetting everything (a restarted ztunnel). */
  synchronized CompletableFuture<Long> connectCold() {
    for (String t : TYPES) {
      state.put(t, new VersionStore());
    }
    return connect();
  }

  /** Keeps nothing of what it receives (still ACKs): a probe for the server's per-connection cost. */
  synchronized FakeZtunnel stateless() {
    stateless = true;
    return this;
  }

  /** Replaces the state with a shared frozen one (thousands of clients that hold the same). */
  synchronized void adopt(Map<String, VersionStore.Frozen> frozen) {
    frozen.forEach((t, f) -> state.put(t, VersionStore.over(f)));
  }

  /**
   * Opens a stream whose initial requests report what each store holds. The requests go out as
   * bytes: the part with the versions is shared by every client holding the same state
   * ({@link ClientFleet#initialBody}), the node is appended (protobuf merges concatenated
   * messages), so thousands of reconnecting clients do not each rebuild a map of every resource.
   */
  private CompletableFuture<Long> open() {
    if (synced.isDone()) {
      synced = new CompletableFuture<>();
    }
    stream++; // before closing: the old stream's end must not look current
    closeChannel();
    channel = fleet.newChannel();
    streamsOpened++;
    responsesOnStream.clear();
    reportedOnStream.clear();
    int myStream = stream;
    connectStartNanos = System.nanoTime();
    ClientCalls.asyncBidiStreamingCall(channel.newCall(DELTA, CallOptions.DEFAULT),
        new ClientResponseObserver<byte[], DeltaDiscoveryResponse>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<byte[]> r) {
            requests = r;
          }

          @Override
          public void onNext(DeltaDiscoveryResponse response) {
            onResponse(myStream, response);
          }

          @Override
          public void onError(Throwable t) {
            onEnd(myStream, Status.fromThrowable(t));
          }

          @Override
          public void onCompleted() {
            onEnd(myStream, Status.OK);
          }
        });
    for (String type : TYPES) {
      VersionStore store = state.get(type);
      reportedOnStream.put(type, store.size());
      byte[] body = fleet.initialBody(type, store);
      byte[] request = java.util.Arrays.copyOf(body, body.length + nodeBytes.length);
      System.arraycopy(nodeBytes, 0, request, body.length, nodeBytes.length);
      requests.onNext(request);
    }
    return synced;
  }

  private void ack(String type, String nonce) {
    requests.onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl(type).setResponseNonce(nonce).build().toByteArray());
  }

  private synchronized void onResponse(int onStream, DeltaDiscoveryResponse response) {
    if (onStream != stream) {
      return;
    }
    long received = System.nanoTime();
    String type = response.getTypeUrl();
    VersionStore store = state.get(type);
    if (store == null) {
      return;
    }
    int nth = responsesOnStream.merge(type, 1, Integer::sum);
    if (stateless) {
      responses++;
      ack(type, response.getNonce());
      if (!synced.isDone() && responsesOnStream.size() == TYPES.size()) {
        synced.complete(System.nanoTime() - connectStartNanos);
      }
      return;
    }
    int heldBefore = store.size();
    int count = response.getResourcesCount();
    responses++;
    bytes += response.getSerializedSize();
    resourcesReceived += count;
    removalsReceived += response.getRemovedResourcesCount();
    if (nth > 1 && heldBefore >= 2 && count >= heldBefore) {
      fullPushes++;
      fleet.fullPush(this, type, count, heldBefore);
    }
    if (nth == 1) {
      int t = TYPES.indexOf(type);
      firstResponseResources[t] += count;
      int reported = reportedOnStream.getOrDefault(type, 0);
      if (reported >= 2 && count >= reported) {
        warmFullResends[t]++;
      }
    }
    List<Names.Event> touched = null;
    boolean measure = fleet.measuring();
    Names names = fleet.names(type);
    for (Resource r : response.getResourcesList()) {
      Names.Name n = names.intern(r.getName());
      store.put(n.id, r.getVersion());
      if (fleet.decode() && type.equals(TypeUrls.ADDRESS)) {
        try {
          Address.parseFrom(r.getResource().getValue());
        } catch (InvalidProtocolBufferException e) {
          lastError = "undecodable " + r.getName();
        }
      }
      if (measure) {
        touched = touch(touched, n.onAdd);
        touched = touch(touched, n.onUpdate);
      }
    }
    for (String removed : response.getRemovedResourcesList()) {
      Names.Name n = names.intern(removed);
      store.remove(n.id);
      if (measure) {
        touched = touch(touched, n.onRemove);
      }
    }
    if (fleet.recording() == this) {
      fleet.record(type, response, received);
    }
    ack(type, response.getNonce());
    long ack = System.nanoTime();
    if (touched != null) {
      for (Names.Event e : touched) {
        credit(e, ack, response);
      }
    }
    if (!synced.isDone() && responsesOnStream.size() == TYPES.size()) {
      backoffNanos = INITIAL_BACKOFF_NANOS;
      synced.complete(ack - connectStartNanos);
    }
  }

  private static List<Names.Event> touch(List<Names.Event> list, Names.Event e) {
    if (e == null) {
      return list;
    }
    if (list == null) {
      list = new ArrayList<>(2);
    }
    list.add(e);
    return list;
  }

  private void credit(Names.Event e, long ack, DeltaDiscoveryResponse response) {
    if (credited.get(e.seq)) {
      return;
    }
    if (e.names > 1) {
      BitSet seen = partial.computeIfAbsent(e, x -> new BitSet());
      Names names = fleet.names(response.getTypeUrl());
      for (Resource r : response.getResourcesList()) {
        Names.Name n = names.find(r.getName());
        if (n != null && n.onUpdate == e) {
          seen.set(n.id);
        }
      }
      if (seen.cardinality() < e.names) {
        return;
      }
      partial.remove(e);
    }
    credited.set(e.seq);
    latencies.add(ack - e.writeNanos);
    if (e.credit(ack)) {
      fleet.converged(e, ack);
    }
  }

  private synchronized void onEnd(int onStream, Status status) {
    if (onStream != stream) {
      return;
    }
    if (!status.isOk()) {
      lastError = status.getCode() + ": " + status.getDescription();
    }
    if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED || status.getCode() == Status.Code.UNAVAILABLE) {
      refusals++;
    }
    if (!wantConnected) {
      return;
    }
    // ztunnel reconnects with exponential backoff and reports what it holds.
    long delay = backoffNanos + ThreadLocalRandom.current().nextLong(Math.max(1, backoffNanos / 10));
    backoffNanos = Math.min(MAX_BACKOFF_NANOS, backoffNanos * 2);
    fleet.schedule(() -> {
      synchronized (this) {
        if (wantConnected && stream == onStream) {
          open();
        }
      }
    }, delay);
  }

  /** Ends the stream as ztunnel does on shutdown, and closes the connection. */
  synchronized void disconnect() {
    wantConnected = false;
    stream++;
    if (requests != null) {
      try {
        requests.onCompleted();
      } catch (RuntimeException ignored) {
        // the call may already be closed
      }
    }
    closeChannel();
  }

  private void closeChannel() {
    if (channel != null) {
      channel.shutdownNow();
      channel = null;
    }
  }

  synchronized CompletableFuture<Long> synced() {
    return synced;
  }

  synchronized VersionStore store(String type) {
    return state.get(type);
  }

  synchronized Map<String, VersionStore.Frozen> freeze() {
    Map<String, VersionStore.Frozen> out = new LinkedHashMap<>();
    state.forEach((t, s) -> out.put(t, s.freeze()));
    return out;
  }

  Latencies latencies() {
    return latencies;
  }

  /** Forgets per-run bookkeeping: latencies, credited events and counters. */
  synchronized void resetRun() {
    latencies.clear();
    credited.clear();
    partial.clear();
    responses = 0;
    bytes = 0;
    resourcesReceived = 0;
    removalsReceived = 0;
    fullPushes = 0;
    java.util.Arrays.fill(warmFullResends, 0);
    java.util.Arrays.fill(firstResponseResources, 0);
    refusals = 0;
    streamsOpened = 0;
  }

  synchronized long ownBytes() {
    long b = 0;
    for (VersionStore s : state.values()) {
      b += s.ownBytes();
    }
    return b + credited.size() / 8;
  }
}
