package dev.sextant.ca;

/**
 * Runs a singleton writer only while this replica holds a named lock (istiod's leader elections).
 * {@link #ALWAYS} runs it unconditionally (one replica, or {@code ENABLE_LEADER_ELECTION=false}).
 */
@FunctionalInterface
public interface LeaderGate {
  /** Calls {@code onStart} when leadership of {@code lockName} is gained and {@code onStop} when lost. */
  void whileLeader(String lockName, Runnable onStart, Runnable onStop);

  LeaderGate ALWAYS = (name, start, stop) -> start.run();

  /** istiod's lock for the writer of {@code istio-ca-root-cert} ConfigMaps. */
  String NAMESPACE_CONTROLLER = "istio-namespace-controller-election";
}
