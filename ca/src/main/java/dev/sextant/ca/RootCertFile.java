package dev.sextant.ca;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Root distribution in {@code --configDir} mode: the root bundle PEM written to a file (what a
 * ztunnel on this machine mounts as {@code root-cert.pem}), replaced atomically on every change.
 */
public final class RootCertFile {
  private static final Logger log = LoggerFactory.getLogger(RootCertFile.class);
  private final Path file;

  public RootCertFile(Path file) {
    this.file = file;
  }

  public Path path() {
    return file;
  }

  /** Writes {@code pem} if it differs from what the file holds. */
  public synchronized void write(String pem) throws IOException {
    if (Files.exists(file) && Files.readString(file, StandardCharsets.US_ASCII).equals(pem)) {
      return;
    }
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = dir.resolve("." + file.getFileName() + ".tmp");
    Files.writeString(tmp, pem, StandardCharsets.US_ASCII);
    try {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
    log.info("wrote root certificate bundle to {}", file);
  }
}
