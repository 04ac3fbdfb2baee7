package dev.sextant.server;

import dev.sextant.ca.CaConfig;
import dev.sextant.server.xds.DebugTypes;
import java.util.AbstractMap;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Sextant's command line and environment as a deployment sees them: the flags it accepts, the
 * configuration a container's arguments resolve to, and the environment variables it reads. For
 * checking a deployment against the server (the Helm chart's tests); {@link Main} parses the same
 * way.
 */
public final class CommandLine {
  private CommandLine() {}

  /** Every flag name accepted after the command, without dashes ({@code -n} is {@code namespace}). */
  public static Set<String> flagNames() {
    return Collections.unmodifiableSet(new LinkedHashSet<>(Flags.DEFAULTS.keySet()));
  }

  /**
   * The configuration the {@code discovery} command with {@code args} starts with, resolved as
   * {@link Main} resolves it: flags (log levels checked, not applied), their environment
   * defaults, the mesh config file if present.
   *
   * @param args the container's arguments, the command first
   * @throws IllegalArgumentException with the message Main prints before exiting with code 2
   */
  public static ServerConfig resolve(List<String> args) {
    try {
      Flags flags = Flags.parse(args.toArray(String[]::new));
      if (!flags.command.equals("discovery")) {
        throw new IllegalArgumentException("command \"" + flags.command + "\" does not start the server");
      }
      Logging.parse(flags.get("log_output_level"));
      return Main.config(flags);
    } catch (Flags.UsageException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /**
   * Read with {@code System.getenv} where they are used: the pod's name (leader election identity,
   * {@code LeaderElection}; istioctl's control plane identifier, {@code SextantServer}),
   * {@code ENABLE_LEADER_ELECTION}, the stream admission rate ({@code XdsOptions}), the debug
   * endpoints' access rule ({@code HttpEndpoints}), the kubeconfig ({@code KubernetesSource}) and
   * the CA's signature provider ({@code Crypto}, read once per process).
   * {@code CommandLineTest} fails when an environment variable read in the code is missing from
   * {@link #environment()}.
   */
  private static final List<String> READ_DIRECTLY = List.of("POD_NAME", "ENABLE_LEADER_ELECTION",
      "PILOT_MAX_REQUESTS_PER_SECOND", "DEBUG_ENDPOINT_AUTH_ALLOWED_NAMESPACES", "KUBECONFIG",
      "SEXTANT_CA_CRYPTO");

  /**
   * The environment variables Sextant reads: the flags' defaults ({@code CLUSTER_ID},
   * {@code POD_NAMESPACE}, {@code REVISION}) and the settings read from the whole environment
   * (the CA's {@link CaConfig#fromEnvironment}, the debug types' {@link DebugTypes.Support#fromEnvironment},
   * the gRPC limits' {@link GrpcLimits#fromEnvironment}),
   * both recorded by running the code that reads them, and the few read where they are used.
   */
  public static Set<String> environment() {
    Set<String> names = new LinkedHashSet<>(Flags.ENVIRONMENT);
    Map<String, String> recording = new AbstractMap<>() {
      @Override
      public Set<Entry<String, String>> entrySet() {
        return Set.of();
      }

      @Override
      public boolean containsKey(Object key) {
        names.add((String) key);
        return false;
      }

      @Override
      public String get(Object key) {
        names.add((String) key);
        return null;
      }

      @Override
      public String getOrDefault(Object key, String defaultValue) {
        names.add((String) key);
        return defaultValue;
      }
    };
    CaConfig.fromEnvironment(recording, "istio-system", "Kubernetes", "cluster.local", null, null, "");
    DebugTypes.Support.fromEnvironment(recording, "istio-system", path -> "", "");
    GrpcLimits.fromEnvironment(recording);
    names.addAll(READ_DIRECTLY);
    return Collections.unmodifiableSet(names);
  }
}
