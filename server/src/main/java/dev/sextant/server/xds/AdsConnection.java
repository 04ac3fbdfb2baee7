package dev.sextant.server.xds;

import io.envoyproxy.envoy.config.core.v3.Node;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** One connected ADS client, delta or state-of-the-world, as the registry and debug output see it. */
public interface AdsConnection {
  String connectionId();

  Node node();

  String peer();

  Instant connectedAt();

  /** The caller's SPIFFE identity that the node was authorized with; null for anonymous callers. */
  String verifiedIdentity();

  /** Ends the stream cleanly for a server shutdown. */
  void endForShutdown();

  /** Type URL to the subscribed names ({@code *} for wildcard), read on the stream's own context. */
  Map<String, List<String>> watchedResources();

  /** Type URL to what was last sent and acknowledged, read on the stream's own context. */
  Map<String, SyncState> syncStatus();

  /**
   * One type's delivery state, as istiod's syncz reports it.
   *
   * @param sent the last nonce sent
   * @param acked the last nonce acknowledged
   * @param sentTime when it was sent
   * @param lastError the last NACK's message, or empty
   */
  record SyncState(String sent, String acked, Instant sentTime, String lastError) {}
}
