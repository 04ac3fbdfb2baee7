package dev.sextant.ca;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * The root in a directory ({@code --caDir}), with the file names of the {@code istio-ca-secret}
 * keys. Files are written to a temporary name and moved into place, the key with mode 0600;
 * {@code ca-cert.pem} is written last, so its presence means the set is complete.
 */
public final class DirectoryRootStore implements RootStore {
  private final Path dir;

  public DirectoryRootStore(Path dir) {
    this.dir = dir;
  }

  @Override
  public Optional<StoredRoot> load() throws IOException {
    Path cert = dir.resolve(CA_CERT);
    if (!Files.exists(cert)) {
      return Optional.empty();
    }
    Path key = dir.resolve(CA_KEY);
    if (!Files.exists(key)) {
      throw new IOException(dir + " holds " + CA_CERT + " but no " + CA_KEY);
    }
    return Optional.of(new StoredRoot(Files.readString(cert, StandardCharsets.US_ASCII),
        Files.readString(key, StandardCharsets.US_ASCII)));
  }

  @Override
  public synchronized boolean create(StoredRoot root) throws IOException {
    Files.createDirectories(dir);
    if (Files.exists(dir.resolve(CA_CERT))) {
      return false;
    }
    write(CERT_CHAIN, "", false);
    write(KEY, "", true);
    write(ROOT_CERT, root.caCertPem(), false);
    write(CA_KEY, root.caKeyPem(), true);
    write(CA_CERT, root.caCertPem(), false);
    return true;
  }

  @Override
  public synchronized void update(StoredRoot root) throws IOException {
    write(CA_KEY, root.caKeyPem(), true);
    write(CA_CERT, root.caCertPem(), false);
  }

  private void write(String name, String content, boolean secret) throws IOException {
    Path tmp = dir.resolve("." + name + ".tmp");
    Files.deleteIfExists(tmp);
    try {
      if (secret) {
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      }
    } catch (UnsupportedOperationException | FileAlreadyExistsException e) {
      // not a POSIX file system: plain file
    }
    Files.writeString(tmp, content, StandardCharsets.US_ASCII);
    try {
      Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  @Override
  public String describe() {
    return "directory " + dir;
  }
}
