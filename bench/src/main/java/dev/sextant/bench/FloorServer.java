package dev.sextant.bench;

import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The floor for WDS: a bare delta ADS server with no translation, no index and no batching window,
 * that sends precomputed resources (the very {@link Resource} payloads Sextant sent) to the same
 * fake clients over the same transport (Netty, epoll when available, plaintext, loopback). What it
 * costs is the least any server must spend to encode and deliver the same deltas; every Sextant
 * figure is printed as a ratio to it.
 *
 * <p>Model: a stream's first request of a type is answered by {@link Responder} (a full snapshot
 * for a cold client, a precomputed difference for a warm one); {@link #broadcast} sends one delta
 * to every open stream, each with its own nonce. ACKs are read and dropped.
 *
 * <p>Threading: its gRPC threads are named {@code bench-floor-*} so {@link Meters} counts them as
 * the floor's; a stream's sends are serialized on the stream.
 */
final class FloorServer implements AutoCloseable {

  /** The answer to a stream's first request of a type. */
  interface Responder {
    Delta initial(String typeUrl, Map<String, String> initialVersions);
  }

  /** Resources and removed names of one response. */
  record Delta(List<Resource> resources, List<String> removed) {}

  private final Server server;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final ExecutorService executor;
  private final Set<FloorStream> streams = ConcurrentHashMap.newKeySet();
  private final Responder responder;
  final AtomicLong responses = new AtomicLong();
  final AtomicLong bytes = new AtomicLong();

  FloorServer(Responder responder) throws IOException {
    this.responder = responder;
    DefaultThreadFactory bossThreads = new DefaultThreadFactory("bench-floor-boss", true);
    DefaultThreadFactory workerThreads = new DefaultThreadFactory("bench-floor-loop", true);
    NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    if (Epoll.isAvailable()) {
      boss = new MultiThreadIoEventLoopGroup(1, bossThreads, EpollIoHandler.newFactory());
      workers = new MultiThreadIoEventLoopGroup(0, workerThreads, EpollIoHandler.newFactory());
      b.channelType(EpollServerSocketChannel.class);
    } else {
      boss = new MultiThreadIoEventLoopGroup(1, bossThreads, NioIoHandler.newFactory());
      workers = new MultiThreadIoEventLoopGroup(0, workerThreads, NioIoHandler.newFactory());
      b.channelType(NioServerSocketChannel.class);
    }
    executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "bench-floor-exec");
      t.setDaemon(true);
      return t;
    });
    server = b.bossEventLoopGroup(boss).workerEventLoopGroup(workers).executor(executor)
        .maxInboundMessageSize(Integer.MAX_VALUE)
        .addService(new Ads())
        .build()
        .start();
  }

  InetSocketAddress address() {
    return (InetSocketAddress) server.getListenSockets().get(0);
  }

  int streams() {
    return streams.size();
  }

  /** Sends one delta to every open stream (each encoded with its own nonce). */
  void broadcast(String typeUrl, List<Resource> resources, List<String> removed) {
    for (FloorStream s : streams) {
      s.send(typeUrl, resources, removed);
    }
  }

  private final class Ads extends AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase {
    @Override
    public StreamObserver<DeltaDiscoveryRequest> deltaAggregatedResources(
        StreamObserver<DeltaDiscoveryResponse> out) {
      FloorStream s = new FloorStream((ServerCallStreamObserver<DeltaDiscoveryResponse>) out);
      streams.add(s);
      return s;
    }
  }

  private final class FloorStream implements StreamObserver<DeltaDiscoveryRequest> {
    private final ServerCallStreamObserver<DeltaDiscoveryResponse> out;
    private final Set<String> answered = ConcurrentHashMap.newKeySet();
    private long nonce;
    private boolean closed;

    FloorStream(ServerCallStreamObserver<DeltaDiscoveryResponse> out) {
      this.out = out;
      out.setOnCancelHandler(this::end);
    }

    @Override
    public void onNext(DeltaDiscoveryRequest req) {
      if (!req.getResponseNonce().isEmpty() || !answered.add(req.getTypeUrl())) {
        return; // an ACK
      }
      Delta d = responder.initial(req.getTypeUrl(), req.getInitialResourceVersionsMap());
      send(req.getTypeUrl(), d.resources(), d.removed());
    }

    synchronized void send(String typeUrl, List<Resource> resources, List<String> removed) {
      if (closed) {
        return;
      }
      DeltaDiscoveryResponse r = DeltaDiscoveryResponse.newBuilder()
          .setTypeUrl(typeUrl)
          .setNonce(Long.toString(++nonce))
          .addAllResources(resources)
          .addAllRemovedResources(removed)
          .build();
      responses.incrementAndGet();
      bytes.addAndGet(r.getSerializedSize());
      try {
        out.onNext(r);
      } catch (RuntimeException e) {
        end();
      }
    }

    private synchronized void end() {
      closed = true;
      streams.remove(this);
    }

    @Override
    public void onError(Throwable t) {
      end();
    }

    @Override
    public void onCompleted() {
      end();
      try {
        out.onCompleted();
      } catch (RuntimeException ignored) {
        // already closed
      }
    }
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    executor.shutdownNow();
  }
}
