package dev.sextant.ca.authn;

import io.grpc.Metadata;
import java.net.SocketAddress;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * What an {@link Authenticator} may look at: the call's headers and its transport.
 *
 * @param headers the gRPC request headers ({@code authorization}, {@code clusterid}, ...)
 * @param peerCertificates the client's certificate chain, leaf first, as verified by the TLS layer
 *     (empty without TLS or when the client presented none)
 * @param secure whether the call arrived over TLS
 * @param remoteAddress the peer's address, for logs; may be null
 */
public record AuthRequest(Metadata headers, List<X509Certificate> peerCertificates, boolean secure,
    SocketAddress remoteAddress) {
  public AuthRequest {
    peerCertificates = List.copyOf(peerCertificates);
  }

  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> CLUSTER_ID = Metadata.Key.of("clusterid", Metadata.ASCII_STRING_MARSHALLER);
  static final String BEARER = "Bearer ";

  /**
   * istiod's {@code ExtractBearerToken}: the first {@code authorization} value that starts with
   * exactly {@code "Bearer "}; null if none does.
   */
  public String bearerToken() {
    Iterable<String> values = headers.getAll(AUTHORIZATION);
    if (values == null) {
      return null;
    }
    for (String v : values) {
      if (v.startsWith(BEARER)) {
        return v.substring(BEARER.length());
      }
    }
    return null;
  }

  /** istiod's {@code ExtractClusterID}: the {@code clusterid} header if it has exactly one value, else "". */
  public String clusterId() {
    Iterable<String> values = headers.getAll(CLUSTER_ID);
    if (values == null) {
      return "";
    }
    String first = null;
    int n = 0;
    for (String v : values) {
      if (n++ == 0) {
        first = v;
      }
    }
    return n == 1 ? first : "";
  }
}
