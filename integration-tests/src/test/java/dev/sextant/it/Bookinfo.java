package dev.sextant.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/** The bundled example directory, copied so a test may edit it. */
final class Bookinfo {
  private Bookinfo() {}

  static Path example() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path candidate = p.resolve("examples/bookinfo");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException("examples/bookinfo not found above " + Path.of("").toAbsolutePath());
  }

  static Path copyTo(Path dir) throws IOException {
    Path src = example();
    try (Stream<Path> files = Files.list(src)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, dir.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    return dir;
  }

  /** Writes a file by rename, as editors and kubectl-style tools do, so it is never seen half-written. */
  static void write(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.writeString(tmp, text);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
