package dev.sextant.server;

import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * istiod's gRPC server limits, from the same environment variables (istio/istio
 * {@code pilot/pkg/features/tuning.go}): {@code ISTIO_GPRC_MAXRECVMSGSIZE} (bytes a request may
 * have, 4 MiB) and {@code ISTIO_GPRC_MAXSTREAMS} (concurrent streams per connection, 100,000).
 *
 * <p>The receive limit matters for ambient: a reconnecting ztunnel reports the name and version of
 * every resource it holds, about 1 MiB per 10,000 workloads and services, so a mesh past roughly
 * 40,000 of them needs it raised (the Istio 1.31 upgrade notes say the same to istiod's operators).
 * A value that is not a positive integer is reported and the default kept, as istiod does.
 */
public record GrpcLimits(int maxRecvMsgSize, int maxStreams) {
  private static final Logger log = LoggerFactory.getLogger(GrpcLimits.class);
  static final int DEFAULT_MAX_RECV_MSG_SIZE = 4 * 1024 * 1024;
  static final int DEFAULT_MAX_STREAMS = 100_000;

  public static GrpcLimits fromEnvironment(Map<String, String> env) {
    return new GrpcLimits(positive(env, "ISTIO_GPRC_MAXRECVMSGSIZE", DEFAULT_MAX_RECV_MSG_SIZE),
        positive(env, "ISTIO_GPRC_MAXSTREAMS", DEFAULT_MAX_STREAMS));
  }

  private static int positive(Map<String, String> env, String name, int def) {
    String v = env.getOrDefault(name, "").trim();
    if (v.isEmpty()) {
      return def;
    }
    try {
      int n = Integer.parseInt(v);
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    log.warn("invalid environment variable value {}={}, defaulting to {}", name, v, def);
    return def;
  }
}
