package dev.sextant.api;

import com.google.protobuf.Descriptors.Descriptor;

/**
 * The xDS type URLs Sextant serves, as plain strings.
 *
 * <p>A type URL names the payload of a discovery response and is {@link #PREFIX} followed by the
 * full proto name of the message. Type URLs are open-ended data, not an enum: a new resource type
 * needs only a new constant (or a call to {@link #of(Descriptor)}). The Istio names depend on the
 * proto packages {@code istio.workload} and {@code istio.security}, which is why our copies of
 * those files keep upstream's package names.
 */
public final class TypeUrls {

  /** Prefix shared by every type URL, and by the {@code type_url} of a packed {@code Any}. */
  public static final String PREFIX = "type.googleapis.com/";

  /** ztunnel's main type: {@code istio.workload.Address}, a workload or a service. */
  public static final String ADDRESS = PREFIX + "istio.workload.Address";

  /** Bare {@code istio.workload.Workload}; for legacy clients, never carries services. */
  public static final String WORKLOAD = PREFIX + "istio.workload.Workload";

  /** {@code istio.security.Authorization} policies for ztunnel. */
  public static final String AUTHORIZATION = PREFIX + "istio.security.Authorization";

  /** Envoy listeners (LDS), used by waypoints. */
  public static final String LISTENER = PREFIX + "envoy.config.listener.v3.Listener";

  /** Envoy clusters (CDS). */
  public static final String CLUSTER = PREFIX + "envoy.config.cluster.v3.Cluster";

  /** Envoy route configurations (RDS). */
  public static final String ROUTE = PREFIX + "envoy.config.route.v3.RouteConfiguration";

  /** Envoy endpoints (EDS), carried as {@code ClusterLoadAssignment}. */
  public static final String ENDPOINT = PREFIX + "envoy.config.endpoint.v3.ClusterLoadAssignment";

  /** Envoy secrets (SDS). */
  public static final String SECRET = PREFIX + "envoy.extensions.transport_sockets.tls.v3.Secret";

  private TypeUrls() {}

  /** Returns the type URL of the given message type: {@link #PREFIX} plus its full name. */
  public static String of(Descriptor descriptor) {
    return PREFIX + descriptor.getFullName();
  }
}
