package dev.sextant.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sextant.api.security.Authorization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Upstream's golden cases for policy conversion ({@code ../shared/conformance/ambient-authz}, read
 * where it exists so new cases are picked up without code changes), and the project's own cases
 * ({@code src/test/resources/authz}). Run with {@code -Dgolden.refresh=true} to rewrite the
 * project's own expected files (never upstream's).
 */
class AuthorizationConformanceTest {
  /** Upstream goldens Sextant deliberately does not reproduce, with the reason. */
  static final Map<String, String> INTENTIONAL_DIVERGENCES = Map.of();

  static Path conformanceDir() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path candidate = p.resolve("shared/conformance/ambient-authz");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  static List<Path> cases(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().endsWith("-in.yaml")).sorted().toList();
    }
  }

  @TestFactory
  Stream<DynamicTest> upstreamGoldens_convertExactlyAsIstiod() throws Exception {
    Path dir = conformanceDir();
    Assumptions.assumeTrue(dir != null, "../shared/conformance/ambient-authz not present: skipped");
    return cases(dir).stream().map(in -> DynamicTest.dynamicTest(name(in), () -> {
      String name = name(in);
      Authorization actual = AuthzGolden.convert(AuthzGolden.inputs(in));
      Authorization expected = AuthzGolden.parse(Files.readString(in.resolveSibling(name + ".yaml")));
      if (INTENTIONAL_DIVERGENCES.containsKey(name)) {
        Assumptions.abort("intentional divergence: " + INTENTIONAL_DIVERGENCES.get(name));
      }
      assertEquals(AuthzGolden.render(expected), AuthzGolden.render(actual), name);
    }));
  }

  @TestFactory
  Stream<DynamicTest> projectGoldens_matchExpected() throws Exception {
    Path dir = Path.of("src/test/resources/authz");
    return cases(dir).stream().map(in -> DynamicTest.dynamicTest(name(in), () -> {
      String name = name(in);
      Authorization actual = AuthzGolden.convert(AuthzGolden.inputs(in));
      Path expectedFile = in.resolveSibling(name + ".yaml");
      if (Boolean.getBoolean("golden.refresh")) {
        Files.writeString(expectedFile, AuthzGolden.render(actual));
        return;
      }
      Authorization expected = AuthzGolden.parse(Files.readString(expectedFile));
      assertEquals(AuthzGolden.render(expected), AuthzGolden.render(actual), name);
    }));
  }

  private static String name(Path in) {
    String f = in.getFileName().toString();
    return f.substring(0, f.length() - "-in.yaml".length());
  }
}
