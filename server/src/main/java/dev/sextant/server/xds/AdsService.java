package dev.sextant.server.xds;

import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Grpc;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.net.SocketAddress;
import java.util.List;

/**
 * The gRPC binding of {@code envoy.service.discovery.v3.AggregatedDiscoveryService}: admits a
 * stream once the server is ready and hands it to an {@link XdsStream}.
 */
public final class AdsService extends AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase {
  static final String NOT_READY = "server is not ready to serve discovery information";

  private final XdsServerContext context;
  private final XdsAuth auth;

  public AdsService(XdsServerContext context) {
    this(context, XdsAuth.NONE);
  }

  public AdsService(XdsServerContext context, XdsAuth auth) {
    this.context = context;
    this.auth = auth;
  }

  @Override
  public StreamObserver<DeltaDiscoveryRequest> deltaAggregatedResources(
      StreamObserver<DeltaDiscoveryResponse> responseObserver) {
    Status refused = admit();
    if (refused != null) {
      responseObserver.onError(refused.asRuntimeException());
      return NoopObserver.instance();
    }
    List<String> identities;
    try {
      identities = auth.authenticate();
    } catch (StatusException e) {
      context.metrics().rejected("unauthenticated");
      responseObserver.onError(e);
      return NoopObserver.instance();
    }
    var out = (ServerCallStreamObserver<DeltaDiscoveryResponse>) responseObserver;
    return new XdsStream(context, out, peer(), identities);
  }

  @Override
  public StreamObserver<DiscoveryRequest> streamAggregatedResources(
      StreamObserver<DiscoveryResponse> responseObserver) {
    Status refused = admit();
    if (refused != null) {
      responseObserver.onError(refused.asRuntimeException());
      return NoopObserver.instance();
    }
    List<String> identities;
    try {
      identities = auth.authenticate();
    } catch (StatusException e) {
      context.metrics().rejected("unauthenticated");
      responseObserver.onError(e);
      return NoopObserver.instance();
    }
    return new SotwStream(context, (ServerCallStreamObserver<DiscoveryResponse>) responseObserver, peer(), identities);
  }

  /** Null when a new stream may start; otherwise the status it is refused with. */
  private Status admit() {
    if (!context.ready()) {
      context.metrics().rejected("not-ready");
      return Status.UNAVAILABLE.withDescription(NOT_READY);
    }
    if (context.draining()) {
      context.metrics().rejected("draining");
      return Status.UNAVAILABLE.withDescription("server is shutting down");
    }
    if (!context.admit()) {
      context.metrics().rejected("rate-limit");
      return Status.RESOURCE_EXHAUSTED.withDescription("request rate limit exceeded");
    }
    return null;
  }

  /** Records each call's remote address, for connection bookkeeping. */
  public static io.grpc.ServerInterceptor peerInterceptor() {
    return PeerAddress.INTERCEPTOR;
  }

  private static String peer() {
    SocketAddress a = PeerAddress.current();
    return a == null ? "" : a.toString();
  }

  /** Reads the remote address of the current call, set by {@link PeerAddress#INTERCEPTOR}. */
  static final class PeerAddress {
    static final io.grpc.Context.Key<SocketAddress> KEY = io.grpc.Context.key("sextant-peer");
    static final io.grpc.ServerInterceptor INTERCEPTOR = new io.grpc.ServerInterceptor() {
      @Override
      public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(
          io.grpc.ServerCall<Q, R> call, io.grpc.Metadata headers, io.grpc.ServerCallHandler<Q, R> next) {
        io.grpc.Context ctx = io.grpc.Context.current()
            .withValue(KEY, call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
        return io.grpc.Contexts.interceptCall(ctx, call, headers, next);
      }
    };

    static SocketAddress current() {
      return KEY.get();
    }
  }

  /** Swallows requests of a stream that was already ended. */
  private static final class NoopObserver<T> implements StreamObserver<T> {
    private static final NoopObserver<Object> INSTANCE = new NoopObserver<>();

    @SuppressWarnings("unchecked")
    static <T> StreamObserver<T> instance() {
      return (StreamObserver<T>) INSTANCE;
    }

    @Override
    public void onNext(T value) {}

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }
}
