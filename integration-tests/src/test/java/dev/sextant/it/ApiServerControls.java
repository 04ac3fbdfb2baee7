package dev.sextant.it;

import io.fabric8.mockwebserver.http.ByteString;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Puts in front of the mock API server's CRUD dispatcher what a real API server does to watches:
 * a watch can be closed under its client ({@link #dropWatches}), expire with 410 Gone mid-stream
 * ({@link #expireWatches}), or be refused with 410 when it resumes from a resource version older
 * than the server still holds ({@link #expireVersionsBelow}, as after an etcd compaction). It can
 * also hold back the lists of one resource ({@link #failLists}), and counts lists and watches.
 *
 * <p>Threading: called by the mock server's threads and the test's; state is concurrent.
 */
final class ApiServerControls extends Dispatcher {
  private static final Pattern RESOURCE_VERSION = Pattern.compile("[?&]resourceVersion=(\\d+)");
  static final String GONE = "{\"type\":\"ERROR\",\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Status\","
      + "\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old resource version\",\"reason\":\"Expired\","
      + "\"code\":410}}";

  private final Dispatcher delegate;
  private final Set<WebSocket> openWatches = ConcurrentHashMap.newKeySet();
  private final Map<String, AtomicInteger> lists = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> watches = new ConcurrentHashMap<>();
  private final AtomicLong expireBelow = new AtomicLong();
  private volatile String failingLists;

  ApiServerControls(Dispatcher delegate) {
    this.delegate = delegate;
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    String path = request.getPath();
    String resource = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
    boolean watch = path.contains("watch=true");
    if (!request.getMethod().equals("GET")) {
      return delegate.dispatch(request);
    }
    if (!watch) {
      lists.computeIfAbsent(resource, k -> new AtomicInteger()).incrementAndGet();
      if (resource.equals(failingLists)) {
        return new MockResponse().setResponseCode(503).setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\","
            + "\"status\":\"Failure\",\"reason\":\"ServiceUnavailable\",\"code\":503}");
      }
      return delegate.dispatch(request);
    }
    watches.computeIfAbsent(resource, k -> new AtomicInteger()).incrementAndGet();
    Matcher m = RESOURCE_VERSION.matcher(path);
    if (m.find() && Long.parseLong(m.group(1)) < expireBelow.get()) {
      return new MockResponse().withWebSocketUpgrade(new WebSocketListener() {
        @Override
        public void onOpen(WebSocket webSocket, Response response) {
          webSocket.send(GONE);
          webSocket.close(1000, "expired");
        }
      });
    }
    MockResponse response = delegate.dispatch(request);
    WebSocketListener listener = response.getWebSocketListener();
    if (listener != null) {
      response.withWebSocketUpgrade(new Tracking(listener));
    }
    return response;
  }

  /** Closes every open watch, as an API server restart or a load balancer timeout does. */
  void dropWatches() {
    Set<WebSocket> dropped = Set.copyOf(openWatches);
    for (WebSocket ws : dropped) {
      ws.close(1000, "dropped");
    }
    // Returns once every dropped socket has finished closing: a write that the CRUD dispatcher
    // sends to a watch while its close is under way can stall that write (and the request that
    // caused it) in the mock server, which a real API server does not do.
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    while (dropped.stream().anyMatch(openWatches::contains) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Ends every open watch with 410 Gone, as when its resource version was compacted away. */
  void expireWatches() {
    for (WebSocket ws : openWatches) {
      ws.send(GONE);
      ws.close(1000, "expired");
    }
  }

  /** From now on, a watch resuming from a resource version below {@code version} gets 410 Gone. */
  void expireVersionsBelow(long version) {
    expireBelow.set(version);
  }

  /** Answers lists of {@code resource} (a path such as {@code /api/v1/services}) with 503; null stops. */
  void failLists(String resource) {
    failingLists = resource;
  }

  int lists(String resource) {
    AtomicInteger n = lists.get(resource);
    return n == null ? 0 : n.get();
  }

  int watches(String resource) {
    AtomicInteger n = watches.get(resource);
    return n == null ? 0 : n.get();
  }

  int openWatches() {
    return openWatches.size();
  }

  @Override
  public void shutdown() {
    delegate.shutdown();
  }

  /** Delegates a watch's websocket callbacks and keeps the socket while it is open. */
  private final class Tracking extends WebSocketListener {
    private final WebSocketListener target;

    Tracking(WebSocketListener target) {
      this.target = target;
    }

    @Override
    public void onBeforeAccept(WebSocket webSocket, Response response) {
      target.onBeforeAccept(webSocket, response);
    }

    @Override
    public void onOpen(WebSocket webSocket, Response response) {
      openWatches.add(webSocket);
      target.onOpen(webSocket, response);
    }

    @Override
    public void onMessage(WebSocket webSocket, String text) {
      target.onMessage(webSocket, text);
    }

    @Override
    public void onMessage(WebSocket webSocket, ByteString bytes) {
      target.onMessage(webSocket, bytes);
    }

    @Override
    public void onMessage(WebSocket webSocket, byte[] bytes) {
      target.onMessage(webSocket, bytes);
    }

    @Override
    public void onClosing(WebSocket webSocket, int code, String reason) {
      openWatches.remove(webSocket);
      target.onClosing(webSocket, code, reason);
    }

    @Override
    public void onClosed(WebSocket webSocket, int code, String reason) {
      openWatches.remove(webSocket);
      target.onClosed(webSocket, code, reason);
    }

    @Override
    public void onFailure(WebSocket webSocket, Throwable error, Response response) {
      openWatches.remove(webSocket);
      target.onFailure(webSocket, error, response);
    }
  }
}
