package dev.sextant.server;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The command line, with istiod's ({@code pilot-discovery discovery}) flag names and defaults.
 * Flags take {@code --name value} or {@code --name=value}; {@code -n} is {@code --namespace}; a
 * boolean flag given alone ({@code --log_as_json}, as istiod's Helm chart passes it) means true.
 * An unknown or malformed flag is a {@link UsageException} (exit code 2).
 */
final class Flags {

  /** A command line that cannot be run: the message says why. */
  static final class UsageException extends Exception {
    UsageException(String message) {
      super(message);
    }
  }

  /** Flag name to default value ({@code null}: no default), in help order. */
  static final Map<String, String> DEFAULTS = new LinkedHashMap<>();
  private static final Map<String, String> HELP = new LinkedHashMap<>();
  /** Flags that take no value when given alone. */
  private static final Set<String> BOOLEANS = new LinkedHashSet<>();
  /** Environment variables that supply defaults, in the order they are read. */
  static final Set<String> ENVIRONMENT = new LinkedHashSet<>();

  static {
    flag("configDir", "", "directory of Kubernetes YAML/JSON to serve instead of a cluster (watched); "
        + "without it Sextant watches the cluster (Kubernetes mode)");
    flag("grpcAddr", ":15010", "plaintext gRPC (ADS) address");
    flag("secureGRPCAddr", ":15012", "TLS gRPC address: ADS with caller authentication, and the CA; empty to disable");
    flag("caDir", ".sextant/ca", "where the self-signed root CA is kept in --configDir mode (istiod's istio-ca-secret layout)");
    flag("tlsCertFile", "", "serving certificate chain for the secure port, instead of one from the CA "
        + "(with --tlsKeyFile and --caCertFile; reloaded when the files change)");
    flag("tlsKeyFile", "", "private key of --tlsCertFile");
    flag("caCertFile", "", "CA bundle of --tlsCertFile, also trusted for client certificates");
    flag("jwksFile", "", "JSON Web Key Set to validate Kubernetes service-account tokens offline");
    flag("httpAddr", ":8080", "HTTP address for /ready and /debug");
    flag("monitoringAddr", ":15014", "HTTP address for /version and /debug; empty to disable");
    flag("meshConfig", "./etc/istio/config/mesh", "mesh config file (trustDomain, rootNamespace, "
        + "discoverySelectors); if absent, Kubernetes mode reads the istio ConfigMap");
    flag("domain", "cluster.local", "DNS domain suffix of services");
    flag("clusterID", envOr("CLUSTER_ID", "Kubernetes"), "the ID of this cluster");
    flag("namespace", envOr("POD_NAMESPACE", "istio-system"), "the namespace Sextant runs in (-n)");
    flag("kubeconfig", "", "kubeconfig file (Kubernetes mode); default KUBECONFIG, ~/.kube/config or in-cluster");
    flag("revision", envOr("REVISION", ""), "the Istio revision served (env REVISION): istio.io/rev-labelled "
        + "policies of other revisions are ignored");
    flag("keepaliveInterval", "30s", "gRPC keepalive ping interval");
    flag("keepaliveTimeout", "10s", "gRPC keepalive ping timeout");
    flag("keepaliveMaxServerConnectionAge", "", "maximum age of a gRPC connection (e.g. 30m); unset = infinite");
    flag("shutdownDuration", "10s", "time allowed for a graceful shutdown");
    flag("configDirPollInterval", "250ms", "how often --configDir is checked for changes");
    flag("log_output_level", "", "log levels as istiod: scope:level,... (scopes default, ads, ambient, krt, ca, kube, "
        + "status, authorization; levels debug, info, warn, error, none)");
    flag("log_as_json", "false", "one JSON object per log line");
    BOOLEANS.add("log_as_json");
  }

  private static void flag(String name, String def, String help) {
    DEFAULTS.put(name, def);
    HELP.put(name, help);
  }

  private static String envOr(String name, String fallback) {
    ENVIRONMENT.add(name);
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? fallback : v;
  }

  final String command;
  private final Map<String, String> values;

  private Flags(String command, Map<String, String> values) {
    this.command = command;
    this.values = values;
  }

  static Flags parse(String[] args) throws UsageException {
    List<String> list = new ArrayList<>(List.of(args));
    String command = "discovery";
    if (!list.isEmpty() && !list.get(0).startsWith("-")) {
      command = list.remove(0);
      if (!command.equals("discovery") && !command.equals("version") && !command.equals("help")) {
        throw new UsageException("unknown command \"" + command + "\"; commands: discovery, version, help");
      }
    }
    Map<String, String> values = new LinkedHashMap<>(DEFAULTS);
    for (int i = 0; i < list.size(); i++) {
      String arg = list.get(i);
      String name;
      String value = null;
      if (arg.equals("-h") || arg.equals("--help")) {
        return new Flags("help", values);
      } else if (arg.startsWith("--")) {
        name = arg.substring(2);
      } else if (arg.startsWith("-") && arg.length() > 1) {
        name = arg.substring(1);
      } else {
        throw new UsageException("unexpected argument \"" + arg + "\"");
      }
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      if (name.equals("n")) {
        name = "namespace";
      }
      if (!DEFAULTS.containsKey(name)) {
        throw new UsageException("unknown flag: --" + name);
      }
      if (value == null && BOOLEANS.contains(name)) {
        value = "true";
      } else if (value == null) {
        if (i + 1 >= list.size()) {
          throw new UsageException("flag needs an argument: --" + name);
        }
        value = list.get(++i);
      }
      values.put(name, value);
    }
    return new Flags(command, values);
  }

  String get(String name) {
    if (!values.containsKey(name)) {
      throw new IllegalArgumentException("no such flag " + name);
    }
    return values.get(name);
  }

  /** {@code host:port}, {@code :port} (every interface) or {@code [v6]:port}; empty means off. */
  InetSocketAddress address(String name) throws UsageException {
    String v = get(name);
    if (v.isEmpty()) {
      return null;
    }
    int colon = v.lastIndexOf(':');
    if (colon < 0) {
      throw new UsageException("invalid --" + name + " \"" + v + "\": want HOST:PORT or :PORT");
    }
    String host = v.substring(0, colon);
    int port;
    try {
      port = Integer.parseInt(v.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new UsageException("invalid --" + name + " \"" + v + "\": port is not a number");
    }
    if (port < 0 || port > 65535) {
      throw new UsageException("invalid --" + name + " \"" + v + "\": port out of range");
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
  }

  private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|ms|s|m|h)");

  /** A Go-style duration ({@code 250ms}, {@code 30s}, {@code 1h30m}); empty means null. */
  Duration duration(String name) throws UsageException {
    String v = get(name).trim();
    if (v.isEmpty()) {
      return null;
    }
    Matcher m = DURATION.matcher(v);
    long nanos = 0;
    int end = 0;
    while (m.find()) {
      if (m.start() != end) {
        break;
      }
      end = m.end();
      double n = Double.parseDouble(m.group(1));
      long unit = switch (m.group(2)) {
        case "ns" -> 1L;
        case "us" -> 1_000L;
        case "ms" -> 1_000_000L;
        case "s" -> 1_000_000_000L;
        case "m" -> 60_000_000_000L;
        default -> 3_600_000_000_000L;
      };
      nanos += (long) (n * unit);
    }
    if (end != v.length() || end == 0) {
      throw new UsageException("invalid --" + name + " \"" + v + "\": want a duration such as 10s or 250ms");
    }
    return Duration.ofNanos(nanos);
  }

  static String usage() {
    StringBuilder sb = new StringBuilder(
        "Usage: java -jar sextant.jar [discovery|version] [flags]\n\nFlags:\n");
    HELP.forEach((name, help) -> {
      String def = DEFAULTS.get(name);
      sb.append(String.format(Locale.ROOT, "  --%-34s %s%s%n", name, help,
          def == null || def.isEmpty() ? "" : " (default \"" + def + "\")"));
    });
    return sb.toString();
  }
}
