package dev.sextant.server.xds;

import com.google.protobuf.Any;
import dev.sextant.krt.Registration;
import dev.sextant.xds.XdsResource;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One state-of-the-world ADS stream ({@code StreamAggregatedResources}; istio/istio
 * {@code pilot/pkg/xds/ads.go}), for the same types as the delta stream.
 *
 * <p>Model: one watch per type URL: wildcard when the request names no resource, else the named
 * resources. Every response carries the complete current set the watch selects, at a version that
 * is the type's change counter; removal is expressed by absence.
 *
 * <p>Ordering: the first request of a type always gets a response. A request whose nonce is not
 * the last sent is stale and ignored; a NACK is logged and gets none; an ACK whose resource names
 * are unchanged gets none; changed names get a fresh response. Changes are gathered over the push
 * window and sent once the transport is ready, so a slow client never queues more than one pending
 * response per type.
 *
 * <p>Threading: everything below runs on this stream's serial executor.
 */
final class SotwStream implements StreamObserver<DiscoveryRequest>, AdsConnection {
  private static final Logger log = LoggerFactory.getLogger(SotwStream.class);

  private final XdsServerContext server;
  private final ServerCallStreamObserver<DiscoveryResponse> out;
  private final Executor serial;
  private final String peer;
  private final Instant connectedAt = Instant.now();
  private final Map<String, Watch> watches = new LinkedHashMap<>();
  private final Map<String, String> debugNonces = new java.util.HashMap<>();
  private final List<String> identities;
  private Node node;
  private ProxyNode proxy;
  private String verifiedIdentity;
  private String connectionId;
  private long responses;
  private boolean closed;
  private boolean flushScheduled;
  /** A flush found the transport not ready: the next onReady sends what is pending. */
  private boolean heldByFlowControl;

  private final class Watch {
    final TypeIndex index;
    final Registration listener;
    Set<String> names = Set.of();
    String lastNonce = "";
    String ackedNonce = "";
    Instant sentTime;
    String lastError = "";
    boolean dirty;

    Watch(TypeIndex index) {
      this.index = index;
      this.listener = index.addListener((i, changed) -> serial.execute(() -> onChange(this, changed)));
    }

    boolean wildcard() {
      return names.isEmpty();
    }
  }

  SotwStream(XdsServerContext server, ServerCallStreamObserver<DiscoveryResponse> out, String peer,
      List<String> identities) {
    this.server = server;
    this.identities = identities;
    this.out = out;
    this.peer = peer;
    this.serial = server.newSerialExecutor();
    // Only what flow control held back goes out when the transport is ready again (see XdsStream).
    out.setOnReadyHandler(() -> serial.execute(() -> {
      if (heldByFlowControl) {
        flushAll();
      }
    }));
    out.setOnCancelHandler(() -> serial.execute(() -> close("cancelled")));
  }

  @Override
  public void onNext(DiscoveryRequest request) {
    serial.execute(() -> {
      if (closed) {
        return;
      }
      try {
        handle(request);
      } catch (RuntimeException e) {
        log.error("xds connection={} failed on a request type={}", connectionId, request.getTypeUrl(), e);
        fail(Status.INTERNAL.withDescription("internal error processing the request"));
      }
    });
  }

  @Override
  public void onError(Throwable t) {
    serial.execute(() -> close("client error: " + Status.fromThrowable(t).getCode()));
  }

  @Override
  public void onCompleted() {
    serial.execute(() -> {
      if (!closed) {
        close("client closed");
        out.onCompleted();
      }
    });
  }

  private void handle(DiscoveryRequest req) {
    if (node == null) {
      if (!req.hasNode() || req.getNode().getId().isEmpty()) {
        fail(Status.INVALID_ARGUMENT.withDescription("missing node information"));
        return;
      }
      try {
        proxy = ProxyNode.parse(req.getNode());
        if (!identities.isEmpty()) {
          verifiedIdentity = proxy.authorize(identities);
        }
      } catch (io.grpc.StatusException e) {
        fail(e.getStatus());
        return;
      }
      node = req.getNode();
      connectionId = server.connectionId(node.getId());
      server.register(this);
      log.info("xds connected connection={} peer={} node={} protocol=sotw", connectionId, peer, node.getId());
    }
    String typeUrl = req.getTypeUrl();
    if (typeUrl.isEmpty()) {
      fail(Status.INVALID_ARGUMENT.withDescription("missing type_url in DiscoveryRequest"));
      return;
    }
    if (DebugTypes.isDebug(typeUrl)) {
      debugRequest(req);
      return;
    }
    Watch w = watches.get(typeUrl);
    Set<String> names = Set.copyOf(req.getResourceNamesList());
    if (w == null) {
      TypeIndex index = server.resources().type(typeUrl);
      if (index == null) {
        fail(Status.INVALID_ARGUMENT.withDescription("unknown type URL " + typeUrl
            + "; this server serves " + server.resources().typeUrls()));
        return;
      }
      w = new Watch(index);
      w.names = names;
      watches.put(typeUrl, w);
      respond(w);
      return;
    }
    if (req.hasErrorDetail()) {
      w.lastError = req.getErrorDetail().getMessage();
      server.metrics().nack(typeUrl);
      log.warn("xds NACK connection={} type={} nonce={} error={}", connectionId, typeUrl, req.getResponseNonce(),
          req.getErrorDetail().getMessage());
      return;
    }
    if (!req.getResponseNonce().isEmpty() && !req.getResponseNonce().equals(w.lastNonce)) {
      server.metrics().stale(typeUrl);
      return;
    }
    if (!req.getResponseNonce().isEmpty()) {
      w.ackedNonce = req.getResponseNonce();
    }
    if (names.equals(w.names) && !req.getResponseNonce().isEmpty()) {
      return; // an ACK
    }
    w.names = names;
    respond(w);
  }

  /** Debug types answer every request that is not an ACK of the last debug response. */
  private void debugRequest(DiscoveryRequest req) {
    String typeUrl = req.getTypeUrl();
    if (req.hasErrorDetail() || (!req.getResponseNonce().isEmpty() && req.getResponseNonce().equals(debugNonces.get(typeUrl)))) {
      return;
    }
    List<io.envoyproxy.envoy.service.discovery.v3.Resource> resources;
    try {
      resources = DebugTypes.generate(server, typeUrl, req.getResourceNamesList(), verifiedIdentity);
    } catch (io.grpc.StatusException e) {
      fail(e.getStatus());
      return;
    }
    String nonce = connectionId + "/" + (++responses);
    debugNonces.put(typeUrl, nonce);
    DiscoveryResponse.Builder response = DiscoveryResponse.newBuilder()
        .setTypeUrl(typeUrl)
        .setVersionInfo(java.time.Instant.now().toString())
        .setNonce(nonce);
    resources.forEach(r -> response.addResources(r.getResource()));
    if (typeUrl.equals(DebugTypes.SYNCZ) && server.debugSupport() != null) {
      response.setControlPlane(io.envoyproxy.envoy.config.core.v3.ControlPlane.newBuilder()
          .setIdentifier(server.debugSupport().controlPlaneIdentifier()));
    }
    out.onNext(response.build());
  }

  private void onChange(Watch w, Set<String> changed) {
    if (closed) {
      return;
    }
    if (!w.wildcard() && changed.stream().noneMatch(w.names::contains)) {
      return;
    }
    w.dirty = true;
    if (server.options().pushDelay().isZero()) {
      flushAll();
    } else if (!flushScheduled) {
      flushScheduled = true;
      server.afterPushDelay(() -> serial.execute(() -> {
        flushScheduled = false;
        flushAll();
      }));
    }
  }

  private void flushAll() {
    heldByFlowControl = false;
    if (closed) {
      return;
    }
    if (!out.isReady()) {
      heldByFlowControl = watches.values().stream().anyMatch(w -> w.dirty);
      return;
    }
    for (Watch w : watches.values()) {
      if (w.dirty) {
        respond(w);
        server.metrics().push(w.index.typeUrl());
      }
    }
  }

  private void respond(Watch w) {
    w.dirty = false;
    List<XdsResource> selected = new ArrayList<>();
    if (w.wildcard()) {
      selected.addAll(w.index.all());
    } else {
      for (String name : new LinkedHashSet<>(w.names)) {
        XdsResource r = w.index.get(name);
        if (r != null) {
          selected.add(r);
        }
      }
    }
    selected.sort(Comparator.comparing(XdsResource::name));
    List<Any> resources = new ArrayList<>(selected.size());
    for (XdsResource r : selected) {
      resources.add(r.resource().getResource());
    }
    String nonce = connectionId + "/" + (++responses);
    w.lastNonce = nonce;
    w.sentTime = Instant.now();
    DiscoveryResponse response = DiscoveryResponse.newBuilder()
        .setTypeUrl(w.index.typeUrl())
        .setVersionInfo(Long.toString(w.index.version()))
        .setNonce(nonce)
        .addAllResources(resources)
        .build();
    server.metrics().sent(w.index.typeUrl(), resources.size(), 0, response.getSerializedSize());
    out.onNext(response);
  }

  private void fail(Status status) {
    server.metrics().rejected(status.getCode());
    log.warn("xds rejecting stream connection={} peer={} code={} reason={}",
        connectionId == null ? "-" : connectionId, peer, status.getCode(), status.getDescription());
    close(status.getDescription());
    out.onError(status.asRuntimeException());
  }

  private void close(String why) {
    if (closed) {
      return;
    }
    closed = true;
    watches.values().forEach(w -> w.listener.close());
    if (connectionId != null) {
      server.unregister(this);
      log.info("xds disconnected connection={} reason={}", connectionId, why);
    }
  }

  @Override
  public String connectionId() {
    return connectionId;
  }

  @Override
  public Node node() {
    return node;
  }

  @Override
  public String peer() {
    return peer;
  }

  @Override
  public Instant connectedAt() {
    return connectedAt;
  }

  @Override
  public void endForShutdown() {
    serial.execute(() -> {
      if (!closed) {
        close("server shutting down");
        out.onCompleted();
      }
    });
  }

  @Override
  public Map<String, List<String>> watchedResources() {
    CompletableFuture<Map<String, List<String>>> f = new CompletableFuture<>();
    serial.execute(() -> {
      Map<String, List<String>> m = new LinkedHashMap<>();
      watches.forEach((type, w) -> m.put(type, w.wildcard() ? List.of("*") : List.copyOf(w.names)));
      f.complete(m);
    });
    try {
      return f.get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      return Map.of();
    }
  }

  @Override
  public Map<String, SyncState> syncStatus() {
    java.util.concurrent.CompletableFuture<Map<String, SyncState>> f = new java.util.concurrent.CompletableFuture<>();
    serial.execute(() -> {
      Map<String, SyncState> m = new LinkedHashMap<>();
      watches.forEach((type, w) -> m.put(type, new SyncState(w.lastNonce, w.ackedNonce, w.sentTime, w.lastError)));
      f.complete(m);
    });
    try {
      return f.get(5, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      return Map.of();
    }
  }

  @Override
  public String verifiedIdentity() {
    return verifiedIdentity;
  }
}
