package dev.sextant.server;

import dev.sextant.ca.SextantCa;
import dev.sextant.ca.authn.AuthenticationException;
import dev.sextant.ca.authn.Caller;
import dev.sextant.ca.grpc.AuthInterceptor;
import dev.sextant.server.xds.AdsService;
import dev.sextant.server.xds.XdsAuth;
import dev.sextant.server.xds.XdsServerContext;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The secure gRPC port ({@code --secureGRPCAddr}, istiod's 15012): TLS with the CA-issued serving
 * certificate (renewed in place, open connections kept), client certificates requested but
 * optional and verified against the mesh roots as they are now (followed through rotation); ADS with every caller authenticated (mesh client
 * certificate, then Kubernetes JWT) and identity-checked against its node; the CA's
 * {@code IstioCertificateService}; gRPC reflection.
 */
final class SecurePort {
  private SecurePort() {}

  static Server start(InetSocketAddress address, ServerConfig config, XdsServerContext xds, SextantCa ca)
      throws IOException {
    ServerConfig.TlsFiles files = config.security().tlsFiles();
    SslContextBuilder tls;
    if (files == null) {
      tls = SslContextBuilder.forServer(ca.servingCertificate().keyManager())
          .trustManager(new RootTrustManager(ca::rootCertPem));
    } else {
      // istiod: the files' CA bundle is trusted for client certificates besides the mesh roots
      FileServingCertificate fromFiles;
      try {
        fromFiles = new FileServingCertificate(files);
      } catch (java.security.GeneralSecurityException e) {
        throw new IOException("--tlsCertFile/--tlsKeyFile/--caCertFile: " + e.getMessage(), e);
      }
      tls = SslContextBuilder.forServer(fromFiles)
          .trustManager(new RootTrustManager(() -> ca.rootCertPem() + "\n" + fromFiles.caBundlePem()));
    }
    tls = tls
        .clientAuth(ClientAuth.OPTIONAL)
        .protocols("TLSv1.3", "TLSv1.2");
    SslContext ssl = GrpcSslContexts.configure(tls).build();
    XdsAuth auth = () -> {
      try {
        return ca.authenticators().authenticate(AuthInterceptor.current()).map(Caller::identities).orElse(List.of());
      } catch (AuthenticationException e) {
        throw Status.UNAUTHENTICATED.withDescription(e.getMessage()).asException();
      }
    };
    NettyServerBuilder builder = NettyServerBuilder.forAddress(address)
        .sslContext(ssl)
        .addService(ServerInterceptors.intercept(new AdsService(xds, auth), AuthInterceptor.instance(),
            AdsService.peerInterceptor()))
        .addService(ca.interceptedService())
        .executor(ca.executor())
        .addService(ProtoReflectionServiceV1.newInstance())
        .permitKeepAliveTime(config.keepalive().interval().toMillis() / 2, TimeUnit.MILLISECONDS)
        .permitKeepAliveWithoutCalls(true)
        .keepAliveTime(config.keepalive().interval().toMillis(), TimeUnit.MILLISECONDS)
        .keepAliveTimeout(config.keepalive().timeout().toMillis(), TimeUnit.MILLISECONDS)
        .maxInboundMessageSize(config.grpcLimits().maxRecvMsgSize())
        .maxConcurrentCallsPerConnection(config.grpcLimits().maxStreams());
    if (config.keepalive().maxConnectionAge() != null) {
      builder.maxConnectionAge(config.keepalive().maxConnectionAge().toMillis(), TimeUnit.MILLISECONDS)
          .maxConnectionAgeGrace(10, TimeUnit.SECONDS);
    }
    return builder.build().start();
  }
}
