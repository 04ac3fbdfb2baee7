package dev.sextant.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.google.protobuf.util.JsonFormat;
import dev.sextant.api.security.Authorization;
import dev.sextant.source.DirectorySourceAccess;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a golden case the way istiod's {@code TestRBACConvert} does (the conformance README):
 * one AuthorizationPolicy is converted; PeerAuthentications are sorted into mesh, namespace and
 * workload slots and the workload one converted. Expected files are proto-JSON as YAML; empty
 * means no policy.
 */
final class AuthzGolden {
  static final String ROOT = "istio-system";
  private static final KubernetesSerialization K8S = new KubernetesSerialization();
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
      .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
  static final ObjectMapper JSON = new ObjectMapper();

  private AuthzGolden() {}

  /** The case's input objects, in file order. */
  static List<HasMetadata> inputs(Path in) throws IOException {
    List<HasMetadata> out = new ArrayList<>();
    for (String doc : DirectorySourceAccess.splitDocuments(Files.readString(in))) {
      JsonNode node = YAML.readTree(doc);
      if (node == null || node.isNull() || node.isMissingNode()) {
        continue;
      }
      String kind = node.path("kind").asText();
      Class<? extends HasMetadata> type = switch (kind) {
        case "AuthorizationPolicy" -> AuthorizationPolicy.class;
        case "PeerAuthentication" -> PeerAuthentication.class;
        default -> throw new IllegalArgumentException("unexpected kind " + kind + " in " + in);
      };
      out.add(K8S.convertValue(node, type));
    }
    return out;
  }

  /** Converts a case as istiod's test does; null means no policy. */
  static Authorization convert(List<HasMetadata> objects) {
    if (objects.size() == 1 && objects.get(0) instanceof AuthorizationPolicy ap) {
      return AuthorizationPolicyConverter.convert(ap, AuthorizationPolicyConverter.Options.defaults(ROOT)).policy();
    }
    PeerAuthentication root = null;
    PeerAuthentication namespace = null;
    PeerAuthentication workload = null;
    for (HasMetadata o : objects) {
      PeerAuthentication pa = (PeerAuthentication) o;
      if (ROOT.equals(pa.getMetadata().getNamespace())) {
        root = pa;
      } else if (pa.getSpec() != null && pa.getSpec().getSelector() != null) {
        workload = pa;
      } else {
        namespace = pa;
      }
    }
    if (workload == null) {
      workload = namespace;
      namespace = null;
    }
    return workload == null ? null : PeerAuthenticationConverter.convert(ROOT, workload, namespace, root);
  }

  static String render(Authorization policy) throws IOException {
    if (policy == null) {
      return "";
    }
    JsonNode tree = JSON.readTree(JsonFormat.printer().print(policy));
    return YAML.writeValueAsString(tree);
  }

  static Authorization parse(String expectedYaml) throws IOException {
    if (expectedYaml.isBlank()) {
      return null;
    }
    JsonNode tree = YAML.readTree(expectedYaml);
    Authorization.Builder b = Authorization.newBuilder();
    JsonFormat.parser().merge(JSON.writeValueAsString(tree), b);
    return b.build();
  }
}
