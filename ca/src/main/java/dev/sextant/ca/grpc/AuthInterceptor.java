package dev.sextant.ca.grpc;

import dev.sextant.ca.authn.AuthRequest;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Puts the call's {@link AuthRequest} (headers, TLS peer certificates, remote address) into the
 * gRPC {@link Context}, for any service that authenticates callers: the CA and the ADS server.
 * Register it on the server (or per service) with {@code ServerInterceptors.intercept}.
 */
public final class AuthInterceptor implements ServerInterceptor {
  public static final Context.Key<AuthRequest> AUTH_REQUEST = Context.key("sextant-auth-request");
  private static final AuthInterceptor INSTANCE = new AuthInterceptor();

  private AuthInterceptor() {}

  public static AuthInterceptor instance() {
    return INSTANCE;
  }

  /** The current call's request, or null outside an intercepted call. */
  public static AuthRequest current() {
    return AUTH_REQUEST.get();
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    SSLSession ssl = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    AuthRequest request = new AuthRequest(headers, peerCertificates(ssl), ssl != null, remote);
    return Contexts.interceptCall(Context.current().withValue(AUTH_REQUEST, request), call, headers, next);
  }

  static List<X509Certificate> peerCertificates(SSLSession ssl) {
    if (ssl == null) {
      return List.of();
    }
    try {
      List<X509Certificate> out = new ArrayList<>();
      for (Certificate c : ssl.getPeerCertificates()) {
        if (c instanceof X509Certificate x) {
          out.add(x);
        }
      }
      return out;
    } catch (SSLPeerUnverifiedException e) {
      return List.of();
    }
  }
}
