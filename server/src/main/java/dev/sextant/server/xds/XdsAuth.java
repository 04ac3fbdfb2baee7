package dev.sextant.server.xds;

import io.grpc.StatusException;
import java.util.List;

/**
 * How a port authenticates ADS callers. Called on the gRPC thread when a stream starts, where the
 * call's context (headers, TLS peer) is current.
 */
@FunctionalInterface
public interface XdsAuth {
  /**
   * The caller's identities (SPIFFE URIs); empty for an anonymous caller a port lets in (the
   * plaintext port, as istiod). Throws UNAUTHENTICATED when credentials were required and failed.
   */
  List<String> authenticate() throws StatusException;

  /** No authentication: istiod's plaintext port 15010. */
  XdsAuth NONE = List::of;
}
