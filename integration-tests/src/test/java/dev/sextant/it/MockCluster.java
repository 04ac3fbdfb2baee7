package dev.sextant.it;

import dev.sextant.source.InputKind;
import dev.sextant.source.Inputs;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaPropsBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.Dispatcher;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;

/** Objects of the input kinds in fabric8's mock API server (CRUD mode), written as a user would. */
final class MockCluster {
  static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  private static final Set<String> BUILT_IN_GROUPS = Set.of("", "discovery.k8s.io");

  private MockCluster() {}

  /** A started mock API server in CRUD mode, plain HTTP on loopback. */
  static KubernetesMockServer crudServer() {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    return server(responses, new KubernetesMixedDispatcher(responses));
  }

  /** A started mock API server answering with {@code dispatcher} (which serves {@code responses} first). */
  static KubernetesMockServer server(Map<ServerRequest, Queue<ServerResponse>> responses, Dispatcher dispatcher) {
    KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), responses,
        dispatcher, false);
    server.init();
    return server;
  }

  static boolean isCustomResource(InputKind<?> kind) {
    return !BUILT_IN_GROUPS.contains(kind.group());
  }

  /** Installs the CRD of every custom resource kind Sextant reads. */
  static void installCrds(KubernetesClient client) {
    for (InputKind<?> kind : Inputs.KINDS) {
      if (isCustomResource(kind)) {
        client.apiextensions().v1().customResourceDefinitions().resource(crd(kind)).create();
      }
    }
  }

  static CustomResourceDefinition crd(InputKind<?> kind) {
    Class<? extends HasMetadata> type = kind.type();
    String plural = HasMetadata.getPlural(type);
    return new CustomResourceDefinitionBuilder()
        .withNewMetadata().withName(plural + "." + kind.group()).endMetadata()
        .withNewSpec().withGroup(kind.group()).withScope(kind.namespaced() ? "Namespaced" : "Cluster")
        .withNewNames().withKind(kind.kind()).withPlural(plural).endNames()
        .addNewVersion().withName(HasMetadata.getVersion(type)).withServed(true).withStorage(true)
        .withNewSchema().withOpenAPIV3Schema(new JSONSchemaPropsBuilder().withType("object")
            .withXKubernetesPreserveUnknownFields(true).build()).endSchema()
        .endVersion()
        .endSpec()
        .build();
  }

  /** The objects of a multi-document YAML text; namespaced ones without a namespace go to default. */
  static List<GenericKubernetesResource> parse(String yaml) {
    List<GenericKubernetesResource> out = new ArrayList<>();
    StringBuilder doc = new StringBuilder();
    for (String line : (yaml + "\n---\n").split("\r?\n")) {
      if (line.startsWith("---") && line.substring(3).isBlank()) {
        String text = doc.toString();
        doc.setLength(0);
        if (text.lines().anyMatch(l -> l.startsWith("kind:"))) {
          GenericKubernetesResource g = SERIALIZATION.unmarshal(text, GenericKubernetesResource.class);
          InputKind<?> kind = kindOf(g);
          if (kind != null && kind.namespaced() && g.getMetadata().getNamespace() == null) {
            g.getMetadata().setNamespace("default");
          }
          out.add(g);
        }
      } else {
        doc.append(line).append('\n');
      }
    }
    return out;
  }

  /** The input kind of an object, or null if Sextant does not read it. */
  static InputKind<?> kindOf(GenericKubernetesResource g) {
    return Inputs.kindOf(g.getApiVersion(), g.getKind());
  }

  static NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList,
      Resource<GenericKubernetesResource>> resources(KubernetesClient client, GenericKubernetesResource g) {
    InputKind<?> kind = kindOf(g);
    var ops = client.genericKubernetesResources(ResourceDefinitionContext.fromResourceType(kind.type()));
    return kind.namespaced() ? ops.inNamespace(g.getMetadata().getNamespace()) : ops;
  }

  static GenericKubernetesResource create(KubernetesClient client, GenericKubernetesResource g) {
    return resources(client, g).resource(g).create();
  }

  static GenericKubernetesResource create(KubernetesClient client, String yaml) {
    List<GenericKubernetesResource> objects = parse(yaml);
    GenericKubernetesResource last = null;
    for (GenericKubernetesResource g : objects) {
      last = create(client, g);
    }
    return last;
  }
}
