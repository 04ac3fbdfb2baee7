package dev.sextant.source;

import io.fabric8.istio.api.api.security.v1beta1.PeerAuthenticationMutualTLS;
import io.fabric8.istio.api.api.security.v1beta1.PeerAuthenticationMutualTLSMode;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaPropsBuilder;
import java.util.Map;

/** Small, valid objects of the input kinds, for tests against the mock API server. */
final class KubeObjects {
  private KubeObjects() {}

  static Namespace namespace(String name, Map<String, String> labels) {
    return new NamespaceBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata().build();
  }

  static Pod pod(String ns, String name, String ip, Map<String, String> labels) {
    return new PodBuilder()
        .withNewMetadata().withNamespace(ns).withName(name).withLabels(labels).endMetadata()
        .withNewSpec().withServiceAccountName("default").withNodeName("node-1")
        .addNewContainer().withName("app").withImage("app:1").addNewPort().withName("http")
        .withContainerPort(8080).withProtocol("TCP").endPort().endContainer().endSpec()
        .withNewStatus().withPhase("Running").withPodIP(ip).addNewPodIP().withIp(ip).endPodIP()
        .addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus()
        .build();
  }

  static Service service(String ns, String name, String vip, Map<String, String> selector) {
    return new ServiceBuilder()
        .withNewMetadata().withNamespace(ns).withName(name).endMetadata()
        .withNewSpec().withClusterIP(vip).withClusterIPs(vip).withSelector(selector)
        .addNewPort().withName("http").withPort(80).withNewTargetPort(8080).withProtocol("TCP").endPort()
        .endSpec()
        .build();
  }

  static PeerAuthentication peerAuthentication(String ns, String name, Map<String, String> labels) {
    PeerAuthentication pa = new PeerAuthentication();
    pa.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
        .withNamespace(ns).withName(name).withLabels(labels).build());
    io.fabric8.istio.api.api.security.v1beta1.PeerAuthentication spec =
        new io.fabric8.istio.api.api.security.v1beta1.PeerAuthentication();
    spec.setMtls(new PeerAuthenticationMutualTLS(PeerAuthenticationMutualTLSMode.STRICT));
    pa.setSpec(spec);
    return pa;
  }

  /** A PeerAuthentication with {@code spec} as given, which may not fit the Istio model. */
  static GenericKubernetesResource rawPeerAuthentication(String ns, String name, Map<String, Object> spec) {
    GenericKubernetesResource g = new GenericKubernetesResource();
    g.setApiVersion("security.istio.io/v1");
    g.setKind("PeerAuthentication");
    g.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withNamespace(ns).withName(name).build());
    g.setAdditionalProperty("spec", spec);
    return g;
  }

  /** {@code spec.mtls.mode} is a value the Istio model does not know. */
  static final Map<String, Object> UNKNOWN_ENUM = Map.of("mtls", Map.of("mode", "SOMETIMES"));

  /** {@code spec.mtls} is a string where the model has an object. */
  static final Map<String, Object> WRONG_TYPE = Map.of("mtls", "strict");

  /** The CRD that serves {@code type} at its group and version. */
  static CustomResourceDefinition crd(Class<? extends HasMetadata> type, boolean namespaced) {
    String plural = HasMetadata.getPlural(type);
    String group = HasMetadata.getGroup(type);
    return new CustomResourceDefinitionBuilder()
        .withNewMetadata().withName(plural + "." + group).endMetadata()
        .withNewSpec().withGroup(group).withScope(namespaced ? "Namespaced" : "Cluster")
        .withNewNames().withKind(HasMetadata.getKind(type)).withPlural(plural).endNames()
        .addNewVersion().withName(HasMetadata.getVersion(type)).withServed(true).withStorage(true)
        .withNewSchema().withOpenAPIV3Schema(new JSONSchemaPropsBuilder().withType("object")
            .withXKubernetesPreserveUnknownFields(true).build()).endSchema()
        .endVersion()
        .endSpec()
        .build();
  }
}
