package dev.sextant.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default source ({@code --configDir DIR}): every {@code .yaml}, {@code .yml} and
 * {@code .json} file under DIR, multi-document allowed, is cluster state.
 *
 * <p>Model: each file contributes a set of objects. An object defined in several files takes the
 * definition of the last file in path order. A file that changes is re-read whole and its objects
 * are applied together: per kind, one batch holding that file's additions, updates and removals.
 *
 * <p>Failure: a document that does not parse, or lacks {@code kind} or {@code metadata.name}, is
 * logged with its file and document index, counted, listed in {@link #problems()}, and skipped;
 * every other document of every file is still served. Unknown kinds are ignored.
 *
 * <p>Threading: the initial scan runs on the caller of {@link #start()}; later scans run on one
 * watcher thread, which polls file sizes and modification times every {@code pollInterval}.
 */
public final class DirectorySource implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DirectorySource.class);
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final CustomResourceReader READER = new CustomResourceReader();

  /** A skipped document: which file, which document (0-based), and why. */
  public record Problem(String file, int document, String reason) {}

  private record Stamp(long modifiedNanos, long size, Object fileKey) {}

  private record Parsed(InputKind<?> kind, String key, HasMetadata object) {}

  private record FileState(Stamp stamp, List<Parsed> objects, List<Problem> problems) {}

  private final Path root;
  private final Inputs inputs;
  private final Duration pollInterval;
  private final Map<Path, FileState> files = new TreeMap<>();
  private final List<Problem> problems = new CopyOnWriteArrayList<>();
  private final AtomicLong rejectedDocuments = new AtomicLong();
  private ScheduledExecutorService watcher;

  public DirectorySource(Path root, Inputs inputs, Duration pollInterval) {
    this.root = root.toAbsolutePath().normalize();
    this.inputs = inputs;
    this.pollInterval = pollInterval;
  }

  /** Reads the directory once, marks every input synced, then watches for changes. */
  public void start() {
    if (!Files.isDirectory(root)) {
      throw new IllegalArgumentException("--configDir " + root + " is not a directory");
    }
    scan();
    inputs.markAllSynced();
    int count = files.values().stream().mapToInt(f -> f.objects().size()).sum();
    log.info("configDir loaded dir={} files={} objects={} skippedDocuments={}",
        root, files.size(), count, problems.size());
    watcher = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "configdir-watch");
      t.setDaemon(true);
      return t;
    });
    long millis = Math.max(10, pollInterval.toMillis());
    watcher.scheduleWithFixedDelay(this::scanQuietly, millis, millis, TimeUnit.MILLISECONDS);
  }

  public List<Problem> problems() {
    return List.copyOf(problems);
  }

  /** Documents skipped since start, counting each re-read of a bad document. */
  public long rejectedDocuments() {
    return rejectedDocuments.get();
  }

  private void scanQuietly() {
    try {
      scan();
    } catch (RuntimeException e) {
      log.error("configDir scan failed dir={}", root, e);
    }
  }

  /** One pass: re-read changed files and apply what they changed. Confined to one thread. */
  synchronized void scan() {
    Map<Path, Stamp> seen = listFiles();
    Map<Path, FileState> changed = new LinkedHashMap<>();
    Set<Path> removed = new TreeSet<>(files.keySet());
    removed.removeAll(seen.keySet());
    for (Map.Entry<Path, Stamp> e : seen.entrySet()) {
      FileState prev = files.get(e.getKey());
      if (prev == null || !prev.stamp().equals(e.getValue())) {
        FileState next = read(e.getKey(), e.getValue());
        if (next != null) {
          changed.put(e.getKey(), next);
        } else if (prev != null) {
          removed.add(e.getKey());
        }
      }
    }
    if (changed.isEmpty() && removed.isEmpty()) {
      return;
    }
    // Every (kind, key) a changed or removed file held before or holds now.
    Map<InputKind<?>, Set<String>> touched = new LinkedHashMap<>();
    for (Path p : removed) {
      touch(touched, files.remove(p));
    }
    for (Map.Entry<Path, FileState> e : changed.entrySet()) {
      touch(touched, files.put(e.getKey(), e.getValue()));
      touch(touched, e.getValue());
    }
    problems.clear();
    files.values().forEach(f -> problems.addAll(f.problems()));
    for (InputKind<?> kind : Inputs.KINDS) {
      Set<String> keys = touched.get(kind);
      if (keys != null) {
        applyKind(kind, keys);
      }
    }
    if (watcher != null) {
      log.info("configDir changed files={} removed={}", changed.keySet().stream().map(root::relativize).toList(),
          removed.stream().map(root::relativize).toList());
    }
  }

  private static void touch(Map<InputKind<?>, Set<String>> touched, FileState state) {
    if (state != null) {
      for (Parsed p : state.objects()) {
        touched.computeIfAbsent(p.kind(), k -> new TreeSet<>()).add(p.key());
      }
    }
  }

  @SuppressWarnings("unchecked")
  private <T extends HasMetadata> void applyKind(InputKind<T> kind, Set<String> keys) {
    Map<String, T> changes = new LinkedHashMap<>();
    for (String key : keys) {
      changes.put(key, null);
    }
    for (FileState f : files.values()) { // path order: a later file overrides an earlier one
      for (Parsed p : f.objects()) {
        if (p.kind() == kind && keys.contains(p.key())) {
          changes.put(p.key(), (T) p.object());
        }
      }
    }
    kind.collection().apply(inputs).applyBatch(changes);
  }

  private Map<Path, Stamp> listFiles() {
    Map<Path, Stamp> out = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      walk.filter(DirectorySource::isConfigFile).forEach(p -> {
        try {
          BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
          if (a.isRegularFile()) {
            out.put(p, new Stamp(a.lastModifiedTime().to(TimeUnit.NANOSECONDS), a.size(), a.fileKey()));
          }
        } catch (NoSuchFileException gone) {
          // deleted between the listing and the stat: the next scan sees it gone
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException | UncheckedIOException e) {
      log.warn("configDir listing failed dir={} error={}", root, e.getMessage());
      return new TreeMap<>(Map.copyOf(files).entrySet().stream()
          .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, x -> x.getValue().stamp())));
    }
    return out;
  }

  static boolean isConfigFile(Path p) {
    String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
    return !name.startsWith(".") && (name.endsWith(".yaml") || name.endsWith(".yml") || name.endsWith(".json"));
  }

  /** Reads one file; null if it vanished meanwhile. */
  private FileState read(Path file, Stamp stamp) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException gone) {
      return null;
    } catch (IOException e) {
      String rel = root.relativize(file).toString();
      log.warn("configDir file unreadable file={} error={}", rel, e.getMessage());
      rejectedDocuments.incrementAndGet();
      return new FileState(stamp, List.of(), List.of(new Problem(rel, 0, "unreadable: " + e.getMessage())));
    }
    FileState state = parse(root.relativize(file).toString(), text, stamp);
    rejectedDocuments.addAndGet(state.problems().size());
    return state;
  }

  static FileState parse(String file, String text, Stamp stamp) {
    List<Parsed> objects = new ArrayList<>();
    List<Problem> bad = new ArrayList<>();
    boolean json = file.toLowerCase(Locale.ROOT).endsWith(".json");
    // JSON is read as JSON: the YAML parser refuses tab indentation, which JSON allows.
    ObjectMapper mapper = json ? JSON : YAML;
    List<String> docs = json ? List.of(text) : splitDocuments(text);
    Map<String, Integer> seenKeys = new HashMap<>();
    for (int i = 0; i < docs.size(); i++) {
      String doc = docs.get(i);
      if (isBlank(doc)) {
        continue;
      }
      try {
        JsonNode node = mapper.readTree(doc);
        if (node == null || node.isMissingNode() || node.isNull()) {
          continue;
        }
        for (JsonNode item : expandLists(node)) {
          Parsed p = toObject(item);
          if (p != null) {
            Integer earlier = seenKeys.put(p.kind().id() + " " + p.key(), i);
            if (earlier != null) {
              log.warn("configDir duplicate object file={} document={} object={} {} (also document {}); the later wins",
                  file, i, p.kind().kind(), p.key(), earlier);
            }
            objects.add(p);
          }
        }
      } catch (IOException | IllegalArgumentException e) {
        String reason = oneLine(e.getMessage());
        log.warn("configDir document skipped file={} document={} reason={}", file, i, reason);
        bad.add(new Problem(file, i, reason));
      }
    }
    return new FileState(stamp, List.copyOf(objects), List.copyOf(bad));
  }

  private static List<JsonNode> expandLists(JsonNode node) {
    if (!node.isObject()) {
      throw new IllegalArgumentException("document is not a mapping");
    }
    String kind = node.path("kind").asText("");
    if (kind.endsWith("List") && node.path("items").isArray()) {
      List<JsonNode> items = new ArrayList<>();
      node.path("items").forEach(items::add);
      return items;
    }
    return List.of(node);
  }

  private static Parsed toObject(JsonNode node) {
    String kindName = node.path("kind").asText("");
    if (kindName.isEmpty()) {
      throw new IllegalArgumentException("missing kind");
    }
    // Unknown kinds are ignored whatever their shape (a kustomization.yaml has no metadata).
    InputKind<?> kind = Inputs.kindOf(node.path("apiVersion").asText(""), kindName);
    if (kind == null) {
      log.debug("configDir ignoring kind={} apiVersion={}", kindName, node.path("apiVersion").asText(""));
      return null;
    }
    String name = node.path("metadata").path("name").asText("");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("missing metadata.name for kind " + kindName);
    }
    HasMetadata object;
    try {
      // Strict: an enum value the model does not know is an error, not a silent null (which would
      // read an AuthorizationPolicy "action: DENYY" as the default, ALLOW).
      object = READER.read(node, kind.type());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(kindName + " " + name + ": " + oneLine(e.getMessage()), e);
    }
    if (kind.namespaced()) {
      if (object.getMetadata().getNamespace() == null || object.getMetadata().getNamespace().isEmpty()) {
        object.getMetadata().setNamespace("default");
      }
    } else {
      object.getMetadata().setNamespace(null);
    }
    return new Parsed(kind, ObjectKeys.of(object), object);
  }

  /**
   * Splits YAML text on document separator lines: {@code ---}, optionally followed by a comment.
   * (The YAML parser reads only the first document of what it is given, so a separator missed here
   * would silently drop the documents after it.)
   */
  static List<String> splitDocuments(String text) {
    List<String> docs = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : text.split("\r?\n", -1)) {
      if (isSeparator(line)) {
        docs.add(current.toString());
        current.setLength(0);
      } else {
        current.append(line).append('\n');
      }
    }
    docs.add(current.toString());
    // A leading separator makes an empty first document; keep indexes counting real documents.
    if (docs.size() > 1 && isBlank(docs.get(0))) {
      docs.remove(0);
    }
    return docs;
  }

  private static boolean isSeparator(String line) {
    if (!line.startsWith("---")) {
      return false;
    }
    String rest = line.substring(3);
    return rest.isBlank() || (Character.isWhitespace(rest.charAt(0)) && rest.strip().startsWith("#"));
  }

  private static boolean isBlank(String doc) {
    for (String line : doc.split("\n")) {
      String t = line.trim();
      if (!t.isEmpty() && !t.startsWith("#")) {
        return false;
      }
    }
    return true;
  }

  private static String oneLine(String s) {
    if (s == null) {
      return "unknown error";
    }
    String first = s.split("\n", 2)[0];
    return first.length() > 300 ? first.substring(0, 300) + "..." : first;
  }

  @Override
  public void close() {
    if (watcher != null) {
      watcher.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return "DirectorySource[" + Objects.toString(root) + "]";
  }
}
