package dev.sextant.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.sextant.ambient.IpAddresses;
import dev.sextant.api.workload.Address;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Scenario folders under {@code src/test/resources/scenarios/<rule>/}: {@code input.yaml} (cluster
 * objects) and {@code expected.yaml} (every Address resource a ztunnel receives, as proto-JSON with
 * IPs written as text, workloads by uid then services by key). Run with {@code -Dgolden.refresh=true}
 * to rewrite the expected files; review the diff. {@code -Dscenario=a,b} runs (or refreshes) only
 * the named folders.
 *
 * <p>{@code expected.yaml} holds what istiod sends. Where Sextant is known to differ, the file is
 * written by hand and {@code input.yaml} carries a line starting with {@value #ISTIOD_DIFFERS}; a
 * refresh leaves those files alone unless the scenario is named in {@code -Dscenario}, so that a
 * bulk refresh cannot turn a known difference green.
 */
final class Scenarios {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));
  static final ObjectMapper JSON = new ObjectMapper();

  /** Marks an input whose expected.yaml is istiod's output written by hand (Sextant differs). */
  static final String ISTIOD_DIFFERS = "# istiod-differs:";

  private Scenarios() {}

  static boolean refresh() {
    return Boolean.getBoolean("golden.refresh");
  }

  /** The folder names given in {@code -Dscenario}, or empty for all. */
  static Set<String> selected() {
    String v = System.getProperty("scenario", "").trim();
    return v.isEmpty() ? Set.of() : Set.of(v.split("\\s*,\\s*"));
  }

  /** True if a refresh may overwrite this scenario's expected.yaml. */
  static boolean refreshable(Path scenario) throws IOException {
    if (selected().contains(scenario.getFileName().toString())) {
      return true;
    }
    try (Stream<String> lines = Files.lines(scenario.resolve("input.yaml"))) {
      return lines.noneMatch(l -> l.startsWith(ISTIOD_DIFFERS));
    }
  }

  /** The scenario folders in the source tree (so a refresh writes where the files live). */
  static List<Path> all() throws IOException {
    Path root = Path.of("src/test/resources/scenarios");
    Set<String> only = selected();
    try (Stream<Path> dirs = Files.list(root)) {
      List<Path> found = dirs.filter(d -> Files.isRegularFile(d.resolve("input.yaml")))
          .filter(d -> only.isEmpty() || only.contains(d.getFileName().toString()))
          .sorted().toList();
      if (found.isEmpty()) {
        throw new IllegalArgumentException("no scenario folder matches -Dscenario=" + only);
      }
      return found;
    }
  }

  /** The received resources as the document {@code expected.yaml} holds. */
  static ObjectNode render(Map<String, Resource> addresses) throws IOException {
    ObjectNode out = JSON.createObjectNode();
    ArrayNode workloads = out.putArray("workloads");
    ArrayNode services = out.putArray("services");
    List<Map.Entry<String, Resource>> sorted = new ArrayList<>(addresses.entrySet());
    sorted.sort(Map.Entry.comparingByKey(Comparator.naturalOrder()));
    for (Map.Entry<String, Resource> e : sorted) {
      Address a = Address.parseFrom(e.getValue().getResource().getValue());
      if (a.hasWorkload()) {
        workloads.add(ipsAsText(protoJson(a.getWorkload())));
      } else {
        services.add(ipsAsText(protoJson(a.getService())));
      }
    }
    return out;
  }

  static JsonNode protoJson(Message m) throws IOException {
    try {
      return JSON.readTree(JsonFormat.printer().print(m));
    } catch (InvalidProtocolBufferException e) {
      throw new IOException(e);
    }
  }

  /** Every base64 IP (workload addresses, NetworkAddress.address) as text, recursively. */
  static JsonNode ipsAsText(JsonNode node) {
    if (node instanceof ObjectNode o) {
      o.fields().forEachRemaining(f -> {
        JsonNode v = f.getValue();
        if (f.getKey().equals("addresses") && v instanceof ArrayNode arr) {
          for (int i = 0; i < arr.size(); i++) {
            if (arr.get(i).isTextual()) {
              arr.set(i, JSON.getNodeFactory().textNode(ip(arr.get(i).asText())));
            }
          }
        }
        if (f.getKey().equals("address") && v.isTextual()) {
          o.put("address", ip(v.asText()));
        } else {
          ipsAsText(v);
        }
      });
    } else if (node instanceof ArrayNode a) {
      a.forEach(Scenarios::ipsAsText);
    }
    return node;
  }

  private static String ip(String base64) {
    try {
      byte[] b = Base64.getDecoder().decode(base64);
      return b.length == 4 || b.length == 16 ? IpAddresses.format(b) : base64;
    } catch (IllegalArgumentException e) {
      return base64;
    }
  }
}
