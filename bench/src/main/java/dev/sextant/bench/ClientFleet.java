package dev.sextant.bench;

import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NegotiationType;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The fake ztunnels of one run and what they measured together: their shared event loop (threads
 * {@code bench-client-*}, so their CPU is never counted as the server's), the name table, the
 * per-event convergence times, and an optional recording of what one client received (the payloads
 * the floor server replays).
 *
 * <p>Threading: clients call back from their event loop; the harness thread reads aggregates only
 * after the clients have gone quiet.
 */
final class ClientFleet implements AutoCloseable {
  private final Names names;
  private final Names authorizationNames = new Names();
  private final EventLoopGroup loop;
  private final Class<? extends io.grpc.netty.shaded.io.netty.channel.Channel> channelType;
  private final ScheduledExecutorService scheduler;
  private final ExecutorService offload;
  private final boolean decode;
  private volatile InetSocketAddress target;
  private final List<FakeZtunnel> clients = new ArrayList<>();
  private final Latencies eventLatencies = new Latencies();
  private final AtomicLong convergedEvents = new AtomicLong();
  private final AtomicLong lastConvergedNanos = new AtomicLong();
  private final List<String> fullPushLog = new ArrayList<>();
  private volatile boolean measuring;
  private volatile FakeZtunnel recorder;
  private final List<Recorded> recording = new ArrayList<>();

  /** One response as the recording client received it. */
  record Recorded(String typeUrl, List<Resource> resources, List<String> removed, long receivedNanos) {}

  ClientFleet(Names names, boolean decode) {
    this.names = names;
    this.decode = decode;
    if (Epoll.isAvailable()) {
      loop = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("bench-client-loop", true), EpollIoHandler.newFactory());
      channelType = EpollSocketChannel.class;
    } else {
      loop = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("bench-client-loop", true), NioIoHandler.newFactory());
      channelType = NioSocketChannel.class;
    }
    scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "bench-client-scheduler");
      t.setDaemon(true);
      return t;
    });
    offload = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "bench-client-offload");
      t.setDaemon(true);
      return t;
    });
  }

  /** Points every later (re)connection at {@code address}. */
  void target(InetSocketAddress address) {
    this.target = address;
  }

  /** Creates {@code n} clients, one per node {@code node-<i>}. */
  List<FakeZtunnel> create(int n, java.util.function.IntFunction<String> nodeName) {
    List<FakeZtunnel> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      FakeZtunnel c = new FakeZtunnel(this, clients.size(), nodeName.apply(i));
      clients.add(c);
      out.add(c);
    }
    return out;
  }

  List<FakeZtunnel> clients() {
    return clients;
  }

  ManagedChannel newChannel() {
    return NettyChannelBuilder.forAddress(target)
        .negotiationType(NegotiationType.PLAINTEXT)
        .eventLoopGroup(loop)
        .channelType(channelType)
        .directExecutor()
        .offloadExecutor(offload)
        .maxInboundMessageSize(Integer.MAX_VALUE)
        .build();
  }

  private final Map<String, byte[]> initialBodies = new java.util.LinkedHashMap<>(8, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
      return size() > 4;
    }
  };

  /**
   * The serialized initial request of {@code type} (no node) reporting what {@code store} holds;
   * shared by every client holding the same (same size and digest), built once.
   */
  byte[] initialBody(String type, VersionStore store) {
    if (store.size() == 0) {
      return io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest.newBuilder().setTypeUrl(type).build()
          .toByteArray();
    }
    String key = type + "|" + store.size() + "|" + store.digest();
    synchronized (initialBodies) {
      byte[] b = initialBodies.get(key);
      if (b == null) {
        b = io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest.newBuilder().setTypeUrl(type)
            .putAllInitialResourceVersions(store.versions(names(type))).build().toByteArray();
        initialBodies.put(key, b);
      }
      return b;
    }
  }

  /**
   * Gives every name of {@code state} its id before a measured sync, so the first client to see
   * a name does not pay the table insert inside the window (the floor run finds them interned).
   */
  void preIntern(Map<String, Map<String, String>> state) {
    state.forEach((type, m) -> m.keySet().forEach(names(type)::intern));
  }

  /** The Address names (shared with the churn driver's stamps). */
  Names names() {
    return names;
  }

  /** Each type has its own name ids, so a client's arrays are as long as that type's names. */
  Names names(String type) {
    return type.equals(dev.sextant.api.TypeUrls.AUTHORIZATION) ? authorizationNames : names;
  }

  boolean decode() {
    return decode;
  }

  boolean measuring() {
    return measuring;
  }

  void measuring(boolean on) {
    measuring = on;
  }

  FakeZtunnel recording() {
    return recorder;
  }

  /** Starts recording what {@code client} receives (null stops). */
  synchronized void record(FakeZtunnel client) {
    recorder = client;
  }

  synchronized void record(String type, DeltaDiscoveryResponse r, long nanos) {
    recording.add(new Recorded(type, List.copyOf(r.getResourcesList()), List.copyOf(r.getRemovedResourcesList()), nanos));
  }

  synchronized List<Recorded> recorded() {
    return List.copyOf(recording);
  }

  synchronized void clearRecording() {
    recording.clear();
  }

  void schedule(Runnable task, long delayNanos) {
    scheduler.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
  }

  /** Connects each client cold, spread evenly over {@code window}; returns each one's sync future. */
  List<CompletableFuture<Long>> connectCold(List<FakeZtunnel> which, long windowNanos) {
    return spread(which, windowNanos, FakeZtunnel::connectCold);
  }

  /** Reconnects each client reporting what it holds, spread evenly over {@code window}. */
  List<CompletableFuture<Long>> reconnectWarm(List<FakeZtunnel> which, long windowNanos) {
    return spread(which, windowNanos, FakeZtunnel::reconnectWarm);
  }

  private List<CompletableFuture<Long>> spread(List<FakeZtunnel> which, long windowNanos,
      java.util.function.Function<FakeZtunnel, CompletableFuture<Long>> how) {
    List<CompletableFuture<Long>> out = new ArrayList<>();
    long start = System.nanoTime();
    for (int i = 0; i < which.size(); i++) {
      long due = start + (which.size() <= 1 ? 0 : windowNanos * i / (which.size() - 1));
      long wait = due - System.nanoTime();
      if (wait > 0) {
        java.util.concurrent.locks.LockSupport.parkNanos(wait);
      }
      out.add(how.apply(which.get(i)));
    }
    return out;
  }

  /**
   * Waits for every future; returns how many completed in time. Sync futures complete with the
   * client's connect-to-synced time.
   */
  static int await(List<CompletableFuture<Long>> futures, long timeoutNanos) {
    long deadline = System.nanoTime() + timeoutNanos;
    int done = 0;
    for (CompletableFuture<Long> f : futures) {
      try {
        f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        done++;
      } catch (java.util.concurrent.TimeoutException e) {
        // counted as not done
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return done;
      } catch (java.util.concurrent.ExecutionException e) {
        // not done
      }
    }
    return done;
  }

  void converged(Names.Event e, long ackNanos) {
    eventLatencies.add(ackNanos - e.writeNanos);
    convergedEvents.incrementAndGet();
    lastConvergedNanos.accumulateAndGet(ackNanos, Math::max);
  }

  long convergedEvents() {
    return convergedEvents.get();
  }

  long lastConvergedNanos() {
    return lastConvergedNanos.get();
  }

  synchronized void fullPush(FakeZtunnel c, String type, int count, int held) {
    if (fullPushLog.size() < 20) {
      fullPushLog.add("client=" + c.index + " type=" + type.substring(type.lastIndexOf('.') + 1)
          + " resent=" + count + " held=" + held);
    }
  }

  synchronized List<String> fullPushLog() {
    return List.copyOf(fullPushLog);
  }

  /** Per-(client, event) latency: from the input write to that client's ACK. */
  Latencies.Summary clientLatencies() {
    List<Latencies> parts = new ArrayList<>();
    for (FakeZtunnel c : clients) {
      parts.add(c.latencies());
    }
    return Latencies.Summary.merge(parts);
  }

  /** Per-event latency: from the input write to the ACK of the last client. */
  Latencies.Summary eventLatencies() {
    return Latencies.Summary.of(eventLatencies.toArray());
  }

  /** Forgets every per-run measurement of the fleet and its clients. */
  void resetRun() {
    eventLatencies.clear();
    convergedEvents.set(0);
    lastConvergedNanos.set(0);
    synchronized (this) {
      fullPushLog.clear();
    }
    for (FakeZtunnel c : clients) {
      c.resetRun();
    }
  }

  /** Sum of a counter over every client. */
  long sum(java.util.function.ToLongFunction<FakeZtunnel> counter) {
    long s = 0;
    for (FakeZtunnel c : clients) {
      synchronized (c) {
        s += counter.applyAsLong(c);
      }
    }
    return s;
  }

  /** Heap held by the fake clients' own state stores (not their gRPC channels). */
  long clientStateBytes() {
    return sum(FakeZtunnel::ownBytes);
  }

  /**
   * Clients whose state differs from {@code expected} (type to name to version): name count or
   * digest. Returns a description of at most a few, empty when every client converged.
   */
  List<String> notConverged(List<FakeZtunnel> which, Map<String, Map<String, String>> expected) {
    Map<String, long[]> want = new HashMap<>();
    expected.forEach((type, m) -> {
      long digest = 0;
      Names ids = names(type);
      for (Map.Entry<String, String> e : m.entrySet()) {
        digest += VersionStore.mix(ids.intern(e.getKey()).id, e.getValue());
      }
      want.put(type, new long[] {m.size(), digest});
    });
    List<String> bad = new ArrayList<>();
    int badCount = 0;
    for (FakeZtunnel c : which) {
      for (Map.Entry<String, long[]> w : want.entrySet()) {
        VersionStore s = c.store(w.getKey());
        if (s.size() != w.getValue()[0] || s.digest() != w.getValue()[1]) {
          if (badCount++ < 5) {
            bad.add("client " + c.index + " " + w.getKey().substring(w.getKey().lastIndexOf('.') + 1)
                + ": holds " + s.size() + ", server has " + w.getValue()[0]
                + (s.size() == w.getValue()[0] ? " (versions differ)" : "") + "; last error: " + c.lastError);
          }
        }
      }
    }
    if (badCount > 5) {
      bad.add("... " + (badCount - 5) + " more");
    }
    return bad;
  }

  void disconnectAll() {
    for (FakeZtunnel c : clients) {
      c.disconnect();
    }
  }

  private boolean closed;

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    disconnectAll();
    scheduler.shutdownNow();
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    offload.shutdownNow();
  }
}
