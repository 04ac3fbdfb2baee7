package dev.sextant.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class CommandLineTest {
  /** An upper-case literal read from the environment: getenv("X"), getenv().getOrDefault("X", ..), env lookups. */
  private static final Pattern ENV_READ = Pattern.compile(
      "(?:getenv\\(|getenv\\(\\)\\.getOrDefault\\(|env\\.getOrDefault\\(|\\(env, )\"([A-Z][A-Z0-9_]*)\"");

  @Test
  void environment_coversEveryVariableTheCodeReads() throws IOException {
    Set<String> read = new TreeSet<>();
    for (String module : List.of("../ca", "../translator", ".")) {
      try (Stream<Path> files = Files.walk(Path.of(module, "src/main/java"))) {
        for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
          Matcher m = ENV_READ.matcher(Files.readString(f));
          while (m.find()) {
            read.add(m.group(1));
          }
        }
      }
    }
    assertTrue(read.containsAll(List.of("CA_TRUSTED_NODE_ACCOUNTS", "POD_NAME", "KUBECONFIG")), "scan found " + read);
    read.removeAll(CommandLine.environment());
    assertEquals(Set.of(), read, "read in the code but missing from CommandLine.environment()");
  }

  @Test
  void resolve_istiodChartArgs_giveTheServerConfig() {
    ServerConfig c = CommandLine.resolve(List.of("discovery", "--monitoringAddr=:15014",
        "--log_output_level=default:info", "--log_as_json", "--domain", "example.org",
        "--keepaliveMaxServerConnectionAge", "30m"));
    assertEquals(15014, c.monitoringAddr().getPort());
    assertEquals("example.org", c.mesh().domainSuffix());
    assertEquals(Duration.ofMinutes(30), c.keepalive().maxConnectionAge());
  }

  @Test
  void resolve_unknownFlagOrCommand_refusedWithMainsMessage() {
    assertEquals("unknown flag: --cniNamespace",
        assertThrows(IllegalArgumentException.class, () -> CommandLine.resolve(List.of("discovery", "--cniNamespace=x")))
            .getMessage());
    assertThrows(IllegalArgumentException.class, () -> CommandLine.resolve(List.of("version")));
    assertEquals("invalid log level \"loud\": want debug, info, warn, error or none",
        assertThrows(IllegalArgumentException.class,
            () -> CommandLine.resolve(List.of("discovery", "--log_output_level=default:loud"))).getMessage());
  }
}
