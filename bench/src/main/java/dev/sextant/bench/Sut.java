package dev.sextant.bench;

import dev.sextant.api.TypeUrls;
import dev.sextant.server.ServerConfig;
import dev.sextant.server.SextantServer;
import dev.sextant.server.xds.TypeIndex;
import dev.sextant.server.xds.XdsOptions;
import dev.sextant.source.Inputs;
import dev.sextant.xds.XdsResource;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sextant, the system under test, started in this JVM on an empty {@code --configDir} (so the
 * directory source is synced and idle) and loaded by writing its input collections directly, as
 * an informer would after its initial LIST.
 */
final class Sut implements AutoCloseable {
  final SextantServer server;
  private final Path dir;

  private Sut(SextantServer server, Path dir) {
    this.server = server;
    this.dir = dir;
  }

  /** Starts Sextant with its defaults, or another push window when {@code pushDelay} is not null. */
  static Sut start(Duration pushDelay) throws IOException {
    Path dir = Files.createTempDirectory("sextant-bench");
    ServerConfig base = ServerConfig.forTest(dir);
    XdsOptions xds = pushDelay == null ? base.xds() : base.xds().withPushDelay(pushDelay);
    // No admission limit beyond Sextant's own default; the monitoring and HTTP listeners stay off.
    ServerConfig config = new ServerConfig(base.configDir(), base.grpcAddr(), null, null, base.mesh(),
        base.keepalive(), Duration.ofHours(1), base.shutdownDuration(), xds, null, null);
    SextantServer server = SextantServer.start(config);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!server.isReady()) {
      if (System.nanoTime() > deadline) {
        server.close();
        throw new IOException("Sextant did not become ready in 30 s");
      }
      sleep(5);
    }
    return new Sut(server, dir);
  }

  Inputs inputs() {
    return server.inputs();
  }

  InetSocketAddress address() {
    return server.grpcAddress();
  }

  String clusterId() {
    return server.config().mesh().clusterId();
  }

  TypeIndex index(String type) {
    return server.resources().type(type);
  }

  /**
   * Waits until each type holds the expected number of resources and nothing has moved for
   * {@code quiet}: no resource index changed and no collection of the translation graph recomputed
   * anything (a second wave of recomputations can produce equal outputs for a while and then a
   * changed one). Returns the time of the last change of the index (nanoTime), or -1 on timeout.
   */
  long awaitSettled(int addresses, int authorizations, Duration quiet, Duration timeout) {
    TypeIndex a = index(TypeUrls.ADDRESS);
    TypeIndex z = index(TypeUrls.AUTHORIZATION);
    long deadline = System.nanoTime() + timeout.toNanos();
    long lastVersion = -1;
    long lastChange = System.nanoTime();
    long lastWork = -1;
    long lastWorkChange = System.nanoTime();
    while (System.nanoTime() < deadline) {
      long v = a.version() * 1_000_003L + z.version();
      long work = recomputations();
      long now = System.nanoTime();
      if (v != lastVersion) {
        lastVersion = v;
        lastChange = now;
        lastWorkChange = now;
      }
      if (work != lastWork) {
        lastWork = work;
        lastWorkChange = now;
      }
      if (a.size() == addresses && z.size() == authorizations && now - lastWorkChange >= quiet.toNanos()) {
        return lastChange;
      }
      sleep(2);
    }
    return -1;
  }

  /** Recomputations so far, over every collection of the translation graph. */
  long recomputations() {
    long n = 0;
    for (var c : server.krt().collections()) {
      n += c.recomputations();
    }
    return n;
  }

  /** Name to version of every resource of {@code type} now. */
  Map<String, String> versions(String type) {
    Map<String, String> out = new LinkedHashMap<>();
    for (XdsResource r : index(type).all()) {
      out.put(r.name(), r.version());
    }
    return out;
  }

  Map<String, Map<String, String>> versions() {
    Map<String, Map<String, String>> out = new LinkedHashMap<>();
    for (String t : FakeZtunnel.TYPES) {
      out.put(t, versions(t));
    }
    return out;
  }

  /** The resources of {@code type} as they go on the wire, in name order. */
  List<Resource> resources(String type) {
    List<XdsResource> all = new ArrayList<>(index(type).all());
    all.sort(Comparator.comparing(XdsResource::name));
    List<Resource> out = new ArrayList<>(all.size());
    for (XdsResource r : all) {
      out.add(r.resource());
    }
    return out;
  }

  /** The server's own counters ({@code responses|<type>}, {@code bytes|<type>}, ...). */
  Map<String, Long> metrics() {
    return server.xds().metrics().snapshot();
  }

  static long delta(Map<String, Long> after, Map<String, Long> before, String counter) {
    long s = 0;
    for (String t : FakeZtunnel.TYPES) {
      String k = counter + "|" + t;
      s += after.getOrDefault(k, 0L) - before.getOrDefault(k, 0L);
    }
    return s;
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private boolean closed;

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    server.close();
    try {
      Files.deleteIfExists(dir);
    } catch (IOException ignored) {
      // a temp dir left behind is harmless
    }
  }
}
