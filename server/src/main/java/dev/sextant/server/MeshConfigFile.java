package dev.sextant.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.sextant.model.MeshSettings;
import dev.sextant.source.LabelSelectors;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the mesh config: the file {@code --meshConfig} (istiod's {@code ./etc/istio/config/mesh})
 * or, in Kubernetes mode when that file does not exist, key {@code mesh} of the ConfigMap
 * {@code istio} ({@code istio-<revision>} for a revision other than {@code default}) in istiod's
 * namespace, as istiod's {@code initMeshConfiguration} does. The fields the translator uses today
 * are {@code trustDomain}, {@code rootNamespace} and {@code discoverySelectors} (a list of
 * Kubernetes LabelSelectors; a namespace is selected when any of them matches, and no list selects
 * every namespace). Neither a file nor a ConfigMap means istiod's defaults.
 */
final class MeshConfigFile {
  private static final Logger log = LoggerFactory.getLogger(MeshConfigFile.class);
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  /** What Sextant takes from a mesh config. */
  record MeshConfig(MeshSettings settings, List<LabelSelector> discoverySelectors) {}

  private MeshConfigFile() {}

  /** The file's settings over {@code base}; {@code base} and no selectors if it does not exist. */
  static MeshConfig read(Path file, MeshSettings base) throws Flags.UsageException {
    if (file == null || !Files.exists(file)) {
      return new MeshConfig(base, List.of());
    }
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new Flags.UsageException("cannot read --meshConfig " + file + ": " + e.getMessage());
    }
    try {
      return parse(text, base);
    } catch (IllegalArgumentException e) {
      throw new Flags.UsageException("--meshConfig " + file + " " + e.getMessage());
    }
  }

  /** The name of the mesh config ConfigMap for a revision (istiod's {@code getMeshConfigMapName}). */
  static String configMapName(String revision) {
    return revision == null || revision.isEmpty() || revision.equals("default") ? "istio" : "istio-" + revision;
  }

  /** The mesh config ConfigMap's settings over {@code base}; {@code base} if there is none. */
  static MeshConfig fromCluster(KubernetesClient client, String namespace, String revision, MeshSettings base) {
    String name = configMapName(revision);
    ConfigMap cm = client.configMaps().inNamespace(namespace).withName(name).get();
    String text = cm == null || cm.getData() == null ? null : cm.getData().get("mesh");
    if (text == null) {
      log.warn("no mesh config: no --meshConfig file and no key \"mesh\" in ConfigMap {}/{}; using defaults",
          namespace, name);
      return new MeshConfig(base, List.of());
    }
    try {
      MeshConfig mc = parse(text, base);
      log.info("mesh config from ConfigMap {}/{}: trustDomain={} rootNamespace={} discoverySelectors={}",
          namespace, name, mc.settings().trustDomain(), mc.settings().rootNamespace(), mc.discoverySelectors().size());
      return mc;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("ConfigMap " + namespace + "/" + name + " key mesh " + e.getMessage(), e);
    }
  }

  /** Parses mesh config YAML; IllegalArgumentException (with what is wrong) if it cannot be used. */
  static MeshConfig parse(String text, MeshSettings base) {
    JsonNode root;
    try {
      root = YAML.readTree(text);
    } catch (IOException e) {
      throw new IllegalArgumentException("is not valid YAML: " + e.getMessage().split("\n", 2)[0], e);
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      return new MeshConfig(base, List.of());
    }
    if (!root.isObject()) {
      throw new IllegalArgumentException("is not a YAML mapping");
    }
    MeshSettings out = base;
    String td = root.path("trustDomain").asText("");
    if (!td.isEmpty()) {
      out = out.withTrustDomain(td);
    }
    String rootNs = root.path("rootNamespace").asText("");
    if (!rootNs.isEmpty()) {
      out = out.withRootNamespace(rootNs);
    }
    return new MeshConfig(out, discoverySelectors(root.path("discoverySelectors")));
  }

  private static List<LabelSelector> discoverySelectors(JsonNode node) {
    if (node.isMissingNode() || node.isNull()) {
      return List.of();
    }
    if (!node.isArray()) {
      throw new IllegalArgumentException("discoverySelectors is not a list");
    }
    List<LabelSelector> out = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      try {
        LabelSelector s = SERIALIZATION.convertValue(node.get(i), LabelSelector.class);
        LabelSelectors.validate(s);
        out.add(s);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("discoverySelectors[" + i + "]: " + e.getMessage().split("\n", 2)[0], e);
      }
    }
    return List.copyOf(out);
  }
}
