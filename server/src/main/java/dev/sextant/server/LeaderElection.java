package dev.sextant.server;

import dev.sextant.ca.LeaderGate;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader elections on Kubernetes Leases (fabric8's {@code LeaderElector}), as istiod holds them
 * (istio/istio {@code pilot/pkg/leaderelection}): one Lease per singleton writer in the system
 * namespace, identity {@code POD_NAME}, lease 30 s, renew deadline 15 s, retry 6 s (istiod retries
 * every 7.5 s; fabric8 requires renew deadline > 2.2 x retry period), released on
 * shutdown. A replica that loses a lock keeps competing for it.
 *
 * <p>Threading: callbacks run on fabric8's elector threads; each writer's start and stop must be
 * safe to call from there.
 */
final class LeaderElection implements LeaderGate, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaderElection.class);
  static final String STATUS = "istio-status-leader";

  private final KubernetesClient client;
  private final String namespace;
  private final String identity;
  private final List<CompletableFuture<?>> running = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  LeaderElection(KubernetesClient client, String namespace, String identity) {
    this.client = client;
    this.namespace = namespace;
    this.identity = identity;
  }

  /** istiod's rule: {@code ENABLE_LEADER_ELECTION=false} runs every writer unconditionally. */
  static LeaderGate fromEnvironment(KubernetesClient client, String namespace) {
    if ("false".equalsIgnoreCase(System.getenv().getOrDefault("ENABLE_LEADER_ELECTION", "true"))) {
      return LeaderGate.ALWAYS;
    }
    String pod = System.getenv().getOrDefault("POD_NAME", "");
    if (pod.isEmpty()) {
      try {
        pod = java.net.InetAddress.getLocalHost().getHostName();
      } catch (java.net.UnknownHostException e) {
        pod = "sextant-" + ProcessHandle.current().pid();
      }
    }
    return new LeaderElection(client, namespace, pod);
  }

  @Override
  public void whileLeader(String lockName, Runnable onStart, Runnable onStop) {
    if (closed) {
      return;
    }
    var config = new LeaderElectionConfigBuilder()
        .withName(lockName)
        .withLock(new LeaseLock(namespace, lockName, identity))
        .withLeaseDuration(Duration.ofSeconds(30))
        .withRenewDeadline(Duration.ofSeconds(15))
        .withRetryPeriod(Duration.ofSeconds(6))
        .withReleaseOnCancel(true)
        .withLeaderCallbacks(new LeaderCallbacks(
            () -> {
              log.info("leading lock={} identity={}", lockName, identity);
              run(onStart, lockName);
            },
            () -> {
              log.info("stopped leading lock={} identity={}", lockName, identity);
              run(onStop, lockName);
            },
            leader -> log.debug("leader lock={} holder={}", lockName, leader)))
        .build();
    CompletableFuture<?> f = client.leaderElector().withConfig(config).build().start();
    running.add(f);
    f.whenComplete((ok, error) -> {
      running.remove(f);
      if (!closed) {
        whileLeader(lockName, onStart, onStop); // keep competing
      }
    });
  }

  private static void run(Runnable r, String lockName) {
    try {
      r.run();
    } catch (RuntimeException e) {
      log.error("leader callback failed lock={}", lockName, e);
    }
  }

  @Override
  public void close() {
    closed = true;
    running.forEach(f -> f.cancel(true));
  }
}
