package dev.sextant.server.xds;

import dev.sextant.krt.Registration;
import dev.sextant.xds.AddressGenerator;
import dev.sextant.xds.XdsResource;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One delta ADS stream (istio/istio {@code pilot/pkg/xds/delta.go}, the xDS protocol's incremental
 * variant): the client's subscriptions, the nonces sent, and the changes not yet sent.
 *
 * <p>Model: one {@link Watch} per type URL. A wildcard watch receives every resource of the type;
 * a named (on-demand) watch receives the names it asked for, what they resolved to, and the
 * workloads on the client's own node. The server remembers no per-resource state for wildcard
 * watches: a reconnecting client reports what it holds in {@code initial_resource_versions} and
 * receives only what differs, plus removals for what no longer exists.
 *
 * <p>Ordering: the first request of a type always gets a response, even an empty one (ztunnel
 * stays not-ready until each type has answered). ACKs get no response; a NACK is logged and gets
 * none; a request whose nonce is not the last one sent is stale and ignored; a subscription change
 * always gets a response.
 *
 * <p>Backpressure: a change only adds its name to the watch's pending set; pending names are sent,
 * read from the index at send time (latest value wins), once the transport is ready. A slow client
 * therefore holds at most one entry per resource, and never slows another stream.
 *
 * <p>Failure: a malformed request (no node on the first request, no type URL, an unknown type)
 * ends this stream with INVALID_ARGUMENT and nothing else.
 *
 * <p>Threading: every method below runs on this stream's serial executor.
 */
final class XdsStream implements StreamObserver<DeltaDiscoveryRequest>, AdsConnection {
  private static final Logger log = LoggerFactory.getLogger(XdsStream.class);

  /** Longer than any uid or {@code namespace/hostname} a Kubernetes object can produce. */
  static final int MAX_NAME = 4096;

  private final XdsServerContext server;
  private final ServerCallStreamObserver<DeltaDiscoveryResponse> out;
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
  private String nodeName = "";
  private long responses;
  private boolean closed;
  private boolean flushScheduled;
  /** A flush found the transport not ready: the next onReady sends what is pending. */
  private boolean heldByFlowControl;

  /** One type URL's subscription on this stream. */
  private final class Watch {
    final TypeIndex index;
    final Registration listener;
    final Set<String> names = new HashSet<>();
    final Set<String> pending = new LinkedHashSet<>();
    boolean wildcard;
    String lastNonce = "";
    String ackedNonce = "";
    Instant sentTime;
    String lastError = "";
    long pendingSince;
    String pushNonce;
    long pushSince;

    Watch(TypeIndex index) {
      this.index = index;
      this.listener = index.addListener((i, changed) -> serial.execute(() -> onChange(this, changed)));
    }
  }

  XdsStream(XdsServerContext server, ServerCallStreamObserver<DeltaDiscoveryResponse> out, String peer,
      List<String> identities) {
    this.server = server;
    this.identities = identities;
    this.out = out;
    this.peer = peer;
    this.serial = server.newSerialExecutor();
    // Only what flow control held back goes out when the transport is ready again: a change
    // waiting for its push window stays there (onReady also fires after ordinary sends).
    out.setOnReadyHandler(() -> serial.execute(() -> {
      if (heldByFlowControl) {
        flushAll();
      }
    }));
    out.setOnCancelHandler(() -> serial.execute(() -> close("cancelled")));
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
  public void onNext(DeltaDiscoveryRequest request) {
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

  private void handle(DeltaDiscoveryRequest req) {
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
      var meta = node.getMetadata().getFieldsMap();
      if (meta.containsKey("NODE_NAME")) {
        nodeName = meta.get("NODE_NAME").getStringValue();
      }
      server.register(this);
      log.info("xds connected connection={} peer={} node={}", connectionId, peer, node.getId());
    }
    String typeUrl = req.getTypeUrl();
    if (typeUrl.isEmpty()) {
      fail(Status.INVALID_ARGUMENT.withDescription("missing type_url in DeltaDiscoveryRequest"));
      return;
    }
    if (DebugTypes.isDebug(typeUrl)) {
      debugRequest(req);
      return;
    }
    Watch w = watches.get(typeUrl);
    if (w == null) {
      TypeIndex index = server.resources().type(typeUrl);
      if (index == null) {
        fail(Status.INVALID_ARGUMENT.withDescription("unknown type URL " + typeUrl
            + "; this server serves " + server.resources().typeUrls()));
        return;
      }
      w = new Watch(index);
      watches.put(typeUrl, w);
      firstRequest(w, req);
      return;
    }
    if (req.hasErrorDetail()) {
      w.lastError = req.getErrorDetail().getMessage();
      server.metrics().nack(typeUrl);
      log.warn("xds NACK connection={} type={} nonce={} error={}", connectionId, typeUrl,
          req.getResponseNonce(), req.getErrorDetail().getMessage());
      return;
    }
    if (w.pushNonce != null && w.pushNonce.equals(req.getResponseNonce())) {
      server.metrics().converged(System.nanoTime() - w.pushSince);
      w.pushNonce = null;
    }
    if (!req.getResponseNonce().isEmpty() && !req.getResponseNonce().equals(w.lastNonce)) {
      server.metrics().stale(typeUrl);
      log.debug("xds stale nonce connection={} type={} nonce={} last={}", connectionId, typeUrl,
          req.getResponseNonce(), w.lastNonce);
      return;
    }
    if (!req.getResponseNonce().isEmpty()) {
      w.ackedNonce = req.getResponseNonce();
    }
    if (req.getResourceNamesSubscribeCount() == 0 && req.getResourceNamesUnsubscribeCount() == 0) {
      return; // an ACK
    }
    for (String name : req.getResourceNamesSubscribeList()) {
      if (name.length() > MAX_NAME) {
        fail(io.grpc.Status.INVALID_ARGUMENT.withDescription("resource name of " + name.length()
            + " characters exceeds the limit of " + MAX_NAME));
        return;
      }
    }
    subscriptionChange(w, req);
  }

  /** Debug types answer every request that is not an ACK of the last debug response. */
  private void debugRequest(DeltaDiscoveryRequest req) {
    String typeUrl = req.getTypeUrl();
    if (req.hasErrorDetail() || (!req.getResponseNonce().isEmpty() && req.getResponseNonce().equals(debugNonces.get(typeUrl)))) {
      return;
    }
    List<Resource> resources;
    try {
      resources = DebugTypes.generate(server, typeUrl, req.getResourceNamesSubscribeList(), verifiedIdentity);
    } catch (io.grpc.StatusException e) {
      fail(e.getStatus());
      return;
    }
    String nonce = connectionId + "/" + (++responses);
    debugNonces.put(typeUrl, nonce);
    DeltaDiscoveryResponse.Builder response = DeltaDiscoveryResponse.newBuilder()
        .setTypeUrl(typeUrl)
        .setNonce(nonce)
        .addAllResources(resources);
    if (typeUrl.equals(DebugTypes.SYNCZ) && server.debugSupport() != null) {
      response.setControlPlane(io.envoyproxy.envoy.config.core.v3.ControlPlane.newBuilder()
          .setIdentifier(server.debugSupport().controlPlaneIdentifier()));
    }
    out.onNext(response.build());
  }

  private void firstRequest(Watch w, DeltaDiscoveryRequest req) {
    List<String> subscribe = req.getResourceNamesSubscribeList();
    List<String> unsubscribe = req.getResourceNamesUnsubscribeList();
    // "Subscribe to nothing new" is wildcard; so is "*", unless the same request unsubscribes "*"
    // (ztunnel's on-demand way of saying "subscribed to nothing").
    w.wildcard = subscribe.isEmpty() && unsubscribe.isEmpty()
        || subscribe.contains("*") && !unsubscribe.contains("*");
    Map<String, String> initial = req.getInitialResourceVersionsMap();
    List<Resource> send = new ArrayList<>();
    Set<String> removed = new LinkedHashSet<>();
    if (w.wildcard) {
      // proportional to the index plus what the client reports: no copy of the index, no set of
      // its names (a warm reconnect of a large mesh is mostly this loop)
      for (XdsResource r : w.index.values()) {
        if (!sameVersion(initial.get(r.name()), r)) {
          send.add(r.resource());
        }
      }
      for (String name : initial.keySet()) {
        if (w.index.get(name) == null) {
          removed.add(name);
        }
      }
      for (String name : subscribe) {
        if (!name.equals("*") && w.index.get(name) == null) {
          removed.add(name);
        }
      }
    } else {
      Set<String> requested = new LinkedHashSet<>(initial.keySet());
      subscribe.stream().filter(n -> !n.equals("*")).forEach(requested::add);
      resolve(w, requested, initial, send, removed);
    }
    respond(w, send, removed);
  }

  private void subscriptionChange(Watch w, DeltaDiscoveryRequest req) {
    Set<String> requested = new LinkedHashSet<>();
    for (String name : req.getResourceNamesSubscribeList()) {
      if (name.equals("*")) {
        w.wildcard = true;
      } else {
        requested.add(name);
      }
    }
    for (String name : req.getResourceNamesUnsubscribeList()) {
      if (name.equals("*")) {
        w.wildcard = false;
      } else {
        w.names.remove(name);
      }
    }
    List<Resource> send = new ArrayList<>();
    Set<String> removed = new LinkedHashSet<>();
    resolve(w, requested, Map.of(), send, removed);
    respond(w, send, removed);
  }

  /**
   * On-demand resolution (istio/istio {@code ambientindex.go Lookup}): each key is a resource name,
   * else an alias ({@code network/ip}); a service brings its workloads. Workloads on the client's
   * node are always added. Found names join the subscription; keys that found nothing, and are not
   * aliases of what was found, are reported removed.
   */
  private void resolve(Watch w, Set<String> requested, Map<String, String> initial,
      List<Resource> send, Set<String> removed) {
    Map<String, XdsResource> found = new LinkedHashMap<>();
    Set<String> missing = new LinkedHashSet<>();
    for (String key : requested) {
      List<XdsResource> hits = new ArrayList<>();
      XdsResource exact = w.index.get(key);
      if (exact != null) {
        hits.add(exact);
      } else {
        for (String name : w.index.lookup(key)) {
          XdsResource r = w.index.get(name);
          if (r != null) {
            hits.add(r);
          }
        }
      }
      if (hits.isEmpty()) {
        missing.add(key);
      }
      for (XdsResource r : hits) {
        found.put(r.name(), r);
        if (isAddressType(w)) {
          for (String member : w.index.lookup(AddressGenerator.SERVICE_PREFIX + r.name())) {
            XdsResource m = w.index.get(member);
            if (m != null) {
              found.put(m.name(), m);
            }
          }
        }
      }
    }
    if (!w.wildcard && isAddressType(w) && !nodeName.isEmpty()) {
      for (String name : w.index.lookup(AddressGenerator.NODE_PREFIX + nodeName)) {
        XdsResource r = w.index.get(name);
        if (r != null) {
          found.put(r.name(), r);
        }
      }
    }
    Set<String> foundAliases = new HashSet<>();
    for (XdsResource r : found.values()) {
      foundAliases.addAll(r.aliases());
      if (!w.wildcard) {
        w.names.add(r.name());
      }
      if (!sameVersion(initial.get(r.name()), r)) {
        send.add(w.wildcard ? r.resource() : r.resource().toBuilder().addAllAliases(r.aliases()).build());
      }
    }
    for (String key : missing) {
      if (!foundAliases.contains(key)) {
        removed.add(key);
      }
    }
  }

  private static boolean isAddressType(Watch w) {
    return w.index.typeUrl().equals(AddressGenerator.typeUrl());
  }

  /** A reported version skips a re-send only when it is non-empty and equal. */
  private static boolean sameVersion(String reported, XdsResource r) {
    return reported != null && !reported.isEmpty() && reported.equals(r.version());
  }

  private void onChange(Watch w, Set<String> changed) {
    if (closed) {
      return;
    }
    if (w.pending.isEmpty()) {
      w.pendingSince = System.nanoTime();
    }
    w.pending.addAll(changed);
    if (server.options().pushDelay().isZero()) {
      flush(w);
    } else if (!flushScheduled) {
      // Gather the changes of the push window into one response per type (latest value wins).
      flushScheduled = true;
      server.afterPushDelay(() -> serial.execute(() -> {
        flushScheduled = false;
        flushAll();
      }));
    }
  }

  /** Ends the stream cleanly for a server shutdown; ztunnel reconnects at once. */
  @Override
  public void endForShutdown() {
    serial.execute(() -> {
      if (!closed) {
        close("server shutting down");
        out.onCompleted();
      }
    });
  }

  private void flushAll() {
    heldByFlowControl = false;
    if (!closed) {
      watches.values().forEach(this::flush);
    }
  }

  /** Sends the pending changes of a watch, if the transport can take them. */
  private void flush(Watch w) {
    if (w.pending.isEmpty()) {
      return;
    }
    if (!out.isReady()) {
      heldByFlowControl = true;
      return;
    }
    List<Resource> send = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    for (String name : w.pending) {
      XdsResource r = w.index.get(name);
      boolean wanted = w.wildcard || w.names.contains(name)
          || (r != null && !nodeName.isEmpty() && r.related().contains(AddressGenerator.NODE_PREFIX + nodeName));
      if (!wanted) {
        continue;
      }
      if (r == null) {
        removed.add(name);
      } else {
        if (!w.wildcard) {
          w.names.add(name);
        }
        send.add(r.resource());
      }
    }
    w.pending.clear();
    if (!send.isEmpty() || !removed.isEmpty()) {
      long started = System.nanoTime();
      respond(w, send, removed);
      server.metrics().push(w.index.typeUrl());
      server.metrics().pushTime(w.index.typeUrl(), System.nanoTime() - started);
      w.pushNonce = w.lastNonce;
      w.pushSince = w.pendingSince;
    }
  }

  private void respond(Watch w, List<Resource> resources, java.util.Collection<String> removed) {
    String nonce = connectionId + "/" + (++responses);
    w.lastNonce = nonce;
    w.sentTime = Instant.now();
    DeltaDiscoveryResponse response = DeltaDiscoveryResponse.newBuilder()
        .setTypeUrl(w.index.typeUrl())
        .setSystemVersionInfo(Long.toString(w.index.version()))
        .setNonce(nonce)
        .addAllResources(resources)
        .addAllRemovedResources(removed)
        .build();
    server.metrics().sent(w.index.typeUrl(), resources.size(), removed.size(), response.getSerializedSize());
    out.onNext(response);
  }

  private void fail(Status status) {
    server.metrics().rejected(status.getCode());
    log.warn("xds rejecting stream connection={} peer={} code={} reason={}", connectionId == null ? "-" : connectionId, peer,
        status.getCode(), status.getDescription());
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
  public Map<String, List<String>> watchedResources() {
    java.util.concurrent.CompletableFuture<Map<String, List<String>>> f = new java.util.concurrent.CompletableFuture<>();
    serial.execute(() -> {
      Map<String, List<String>> out = new LinkedHashMap<>();
      watches.forEach((type, w) -> out.put(type, w.wildcard ? List.of("*") : List.copyOf(w.names)));
      f.complete(out);
    });
    try {
      return f.get(5, java.util.concurrent.TimeUnit.SECONDS);
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
