package dev.sextant.bench;

import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import dev.sextant.source.ObjectReducer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A synthetic cluster in the shape pilot-load builds (howardjohn/pilot-load {@code ambient.yaml}):
 * namespaces enrolled in ambient, services each with a Deployment's pods spread over nodes, one
 * EndpointSlice per service, service accounts, and AuthorizationPolicies (namespace-wide, per
 * service, and a few broad root-namespace ones selecting a tenth of all pods each). Pods are kept
 * as small records; the Kubernetes objects are built when written and reduced as a source reduces
 * them ({@link ObjectReducer}), so the harness holds no copy of what Sextant caches.
 *
 * <p>Churn is pilot-load's {@code jitter.workloads}: a random pod is replaced by a new one with a
 * new name and IP on a random node (its service's EndpointSlice changes with it).
 *
 * <p>Threading: confined to the thread that drives the inputs.
 */
final class ClusterModel {
  static final String SYSTEM_NAMESPACE = "istio-system";
  static final int GROUPS = 10;
  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  /** A pod as the model keeps it. */
  record PodRec(int service, String name, String uid, int node, int ip, int group) {}

  final int namespaces;
  final int serviceCount;
  final int nodes;
  final int accountsPerNamespace;
  final int policyCount;
  private final String clusterId;
  private final SplittableRandom random;
  private final List<PodRec> live = new ArrayList<>();
  private final Map<String, Integer> liveIndex = new HashMap<>();
  private final List<List<PodRec>> podsByService = new ArrayList<>();
  private final Map<Integer, String> broadSelector = new LinkedHashMap<>();
  private int nextIp = 1 << 16; // 10.1.0.0
  private long podSeq;

  ClusterModel(int namespaces, int services, int pods, int nodes, int policies, String clusterId, long seed) {
    this.namespaces = namespaces;
    this.serviceCount = services;
    this.nodes = nodes;
    this.accountsPerNamespace = 4;
    this.policyCount = policies;
    this.clusterId = clusterId;
    this.random = new SplittableRandom(seed);
    for (int s = 0; s < services; s++) {
      podsByService.add(new ArrayList<>());
    }
    for (int i = 0; i < pods; i++) {
      addPodRec(i % services, random.nextInt(nodes));
    }
  }

  // ---- naming

  static String namespace(int i) {
    return "ns-" + i;
  }

  String namespaceOf(int service) {
    return namespace(service % namespaces);
  }

  static String serviceName(int s) {
    return "svc-" + s;
  }

  static String nodeName(int i) {
    return "node-" + i;
  }

  static String account(int service) {
    return "sa-" + (service / 7 % 4);
  }

  static String replicaSetHash(int service) {
    return Integer.toHexString(0x5f00000 + service * 7919 % 0xfffff);
  }

  /** The workload uid (xDS resource name) of a pod. */
  String workloadUid(PodRec p) {
    return clusterId + "//Pod/" + namespaceOf(p.service()) + "/" + p.name();
  }

  /** The xDS resource name of a service: {@code <ns>/<hostname>}. */
  String serviceResourceName(int s) {
    return namespaceOf(s) + "/" + serviceName(s) + "." + namespaceOf(s) + ".svc.cluster.local";
  }

  static String ip(int v) {
    return "10." + (v >>> 16 & 255) + "." + (v >>> 8 & 255) + "." + (v & 255);
  }

  static String clusterIp(int s) {
    int v = 96 << 16 | s + 10;
    return "10." + (v >>> 16 & 255) + "." + (v >>> 8 & 255) + "." + (v & 255);
  }

  private PodRec addPodRec(int service, int node) {
    long seq = podSeq++;
    String name = serviceName(service) + "-" + replicaSetHash(service) + "-" + Long.toString(36L * 36 * 36 * 36 + seq, 36);
    PodRec p = new PodRec(service, name, "pod-uid-" + seq, node, nextIp++, (int) (seq % GROUPS));
    liveIndex.put(p.name(), live.size());
    live.add(p);
    podsByService.get(service).add(p);
    return p;
  }

  private void removePodRec(PodRec p) {
    int at = liveIndex.remove(p.name());
    PodRec last = live.remove(live.size() - 1);
    if (last != p) {
      live.set(at, last);
      liveIndex.put(last.name(), at);
    }
    podsByService.get(p.service()).remove(p);
  }

  List<PodRec> livePods() {
    return live;
  }

  int podCount() {
    return live.size();
  }

  List<PodRec> podsOf(int service) {
    return podsByService.get(service);
  }

  // ---- objects

  List<Namespace> namespaceObjects() {
    List<Namespace> out = new ArrayList<>();
    out.add(new NamespaceBuilder().withNewMetadata().withName(SYSTEM_NAMESPACE).withUid("ns-uid-system").endMetadata().build());
    for (int i = 0; i < namespaces; i++) {
      out.add(ObjectReducer.reduce(new NamespaceBuilder().withNewMetadata().withName(namespace(i)).withUid("ns-uid-" + i)
          .addToLabels("istio.io/dataplane-mode", "ambient").endMetadata().build()));
    }
    return out;
  }

  List<Node> nodeObjects() {
    List<Node> out = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      out.add(ObjectReducer.reduce(new NodeBuilder().withNewMetadata().withName(nodeName(i)).withUid("node-uid-" + i)
          .addToLabels("topology.kubernetes.io/region", "region-1")
          .addToLabels("topology.kubernetes.io/zone", "zone-" + i % 3)
          .addToLabels("kubernetes.io/hostname", nodeName(i)).endMetadata().build()));
    }
    return out;
  }

  List<ServiceAccount> serviceAccountObjects() {
    List<ServiceAccount> out = new ArrayList<>();
    out.add(new ServiceAccountBuilder().withNewMetadata().withName("ztunnel").withNamespace(SYSTEM_NAMESPACE).endMetadata().build());
    for (int i = 0; i < namespaces; i++) {
      for (int a = 0; a < accountsPerNamespace; a++) {
        out.add(ObjectReducer.reduce(new ServiceAccountBuilder().withNewMetadata().withName("sa-" + a)
            .withNamespace(namespace(i)).withUid("sa-uid-" + i + "-" + a).endMetadata().build()));
      }
    }
    return out;
  }

  Service serviceObject(int s) {
    String ns = namespaceOf(s);
    return ObjectReducer.reduce(new ServiceBuilder()
        .withNewMetadata().withName(serviceName(s)).withNamespace(ns).withUid("svc-uid-" + s)
        .addToLabels("app", serviceName(s)).endMetadata()
        .withNewSpec()
        .withType("ClusterIP")
        .withClusterIP(clusterIp(s))
        .withClusterIPs(clusterIp(s))
        .addToSelector("app", serviceName(s))
        .withPorts(
            new ServicePortBuilder().withName("http").withPort(80).withProtocol("TCP")
                .withTargetPort(new IntOrString(8080)).build(),
            new ServicePortBuilder().withName("grpc").withPort(9090).withProtocol("TCP")
                .withTargetPort(new IntOrString("grpc")).build())
        .endSpec()
        .build());
  }

  List<Service> serviceObjects() {
    List<Service> out = new ArrayList<>();
    for (int s = 0; s < serviceCount; s++) {
      out.add(serviceObject(s));
    }
    return out;
  }

  /** The one EndpointSlice of a service, listing its current pods. */
  EndpointSlice sliceObject(int s) {
    String ns = namespaceOf(s);
    EndpointSliceBuilder b = new EndpointSliceBuilder()
        .withNewMetadata().withName(serviceName(s) + "-abcde").withNamespace(ns).withUid("slice-uid-" + s)
        .addToLabels("kubernetes.io/service-name", serviceName(s))
        .addToLabels("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io")
        .endMetadata()
        .withAddressType("IPv4")
        .addNewPort().withName("http").withPort(8080).withProtocol("TCP").endPort()
        .addNewPort().withName("grpc").withPort(9090).withProtocol("TCP").endPort();
    for (PodRec p : podsByService.get(s)) {
      b.addToEndpoints(new EndpointBuilder().withAddresses(ip(p.ip()))
          .withNewConditions().withReady(true).withServing(true).withTerminating(false).endConditions()
          .withNodeName(nodeName(p.node()))
          .withNewTargetRef().withKind("Pod").withNamespace(ns).withName(p.name()).withUid(p.uid()).endTargetRef()
          .build());
    }
    return ObjectReducer.reduce(b.build());
  }

  List<EndpointSlice> sliceObjects() {
    List<EndpointSlice> out = new ArrayList<>();
    for (int s = 0; s < serviceCount; s++) {
      out.add(sliceObject(s));
    }
    return out;
  }

  Pod podObject(PodRec p) {
    String ns = namespaceOf(p.service());
    String svc = serviceName(p.service());
    String rs = svc + "-" + replicaSetHash(p.service());
    return ObjectReducer.reduce(new PodBuilder()
        .withNewMetadata()
        .withName(p.name()).withNamespace(ns).withUid(p.uid()).withGenerateName(rs + "-")
        .withCreationTimestamp("2026-01-01T00:00:00Z")
        .addToLabels("app", svc)
        .addToLabels("version", "v1")
        .addToLabels("pod-template-hash", replicaSetHash(p.service()))
        .addToLabels("group", "g" + p.group())
        .addToAnnotations("ambient.istio.io/redirection", "enabled")
        .addNewOwnerReference().withApiVersion("apps/v1").withKind("ReplicaSet").withName(rs).withUid("rs-uid-" + p.service())
        .withController(true).endOwnerReference()
        .endMetadata()
        .withNewSpec()
        .withNodeName(nodeName(p.node()))
        .withServiceAccountName(account(p.service()))
        .addNewContainer().withName("app").withImage("app:1")
        .withPorts(new ContainerPortBuilder().withName("http").withContainerPort(8080).withProtocol("TCP").build(),
            new ContainerPortBuilder().withName("grpc").withContainerPort(9090).withProtocol("TCP").build())
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withPhase("Running")
        .withPodIP(ip(p.ip()))
        .addNewPodIP().withIp(ip(p.ip())).endPodIP()
        .addNewCondition().withType("Ready").withStatus("True").endCondition()
        .endStatus()
        .build());
  }

  /** The ztunnel pod of a node (the CA's node authorizer and token binding look it up). */
  static Pod ztunnelPod(int node) {
    return ObjectReducer.reduce(new PodBuilder()
        .withNewMetadata().withName("ztunnel-" + nodeName(node)).withNamespace(SYSTEM_NAMESPACE)
        .withUid("ztunnel-uid-" + node).addToLabels("app", "ztunnel").endMetadata()
        .withNewSpec().withNodeName(nodeName(node)).withServiceAccountName("ztunnel").withHostNetwork(false).endSpec()
        .withNewStatus().withPhase("Running").withPodIP("10.255." + (node / 250) % 250 + "." + (node % 250 + 1))
        .addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus()
        .build());
  }

  // ---- policies

  int broadPolicies() {
    return Math.min(3, policyCount);
  }

  static String broadName(int k) {
    return "broad-" + k;
  }

  /** Every AuthorizationPolicy: a few broad root-namespace ones, then namespace-wide and per-service ones. */
  List<AuthorizationPolicy> policyObjects() {
    List<AuthorizationPolicy> out = new ArrayList<>();
    for (int k = 0; k < broadPolicies(); k++) {
      broadSelector.put(k, "g" + k);
      out.add(broadPolicy(k, "g" + k));
    }
    for (int j = 0; j < policyCount - broadPolicies(); j++) {
      int s = j % serviceCount;
      String ns = namespaceOf(s);
      String selector = j % 4 == 0 ? "" : "  selector:\n    matchLabels:\n      app: " + serviceName(s) + "\n";
      out.add(policy("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: p-" + j
          + "\n  namespace: " + ns + "\n  uid: ap-uid-" + j + "\nspec:\n" + selector
          + "  action: ALLOW\n  rules:\n  - from:\n    - source:\n        principals: [\"cluster.local/ns/" + ns
          + "/sa/sa-" + j % 4 + "\", \"cluster.local/ns/" + namespace((j + 1) % namespaces) + "/sa/sa-0\"]\n"
          + "    to:\n    - operation:\n        ports: [\"8080\", \"9090\"]\n"));
    }
    return out;
  }

  /** A root-namespace policy selecting every pod of {@code group} (a tenth of all pods). */
  AuthorizationPolicy broadPolicy(int k, String group) {
    return policy("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: " + broadName(k)
        + "\n  namespace: " + SYSTEM_NAMESPACE + "\n  uid: broad-uid-" + k + "\nspec:\n  selector:\n    matchLabels:\n"
        + "      group: " + group + "\n  action: DENY\n  rules:\n  - from:\n    - source:\n        notNamespaces: [\""
        + SYSTEM_NAMESPACE + "\"]\n    to:\n    - operation:\n        ports: [\"15000\"]\n");
  }

  private static AuthorizationPolicy policy(String yaml) {
    return ObjectReducer.reduce(JSON.unmarshal(yaml, AuthorizationPolicy.class));
  }

  /** Names of the pods (as workload uids) in {@code group}. */
  List<String> workloadsInGroup(String group) {
    int g = Integer.parseInt(group.substring(1));
    List<String> out = new ArrayList<>();
    for (PodRec p : live) {
      if (p.group() == g) {
        out.add(workloadUid(p));
      }
    }
    return out;
  }

  String broadSelector(int k) {
    return broadSelector.get(k);
  }

  void setBroadSelector(int k, String group) {
    broadSelector.put(k, group);
  }

  // ---- churn

  /** One pod replacement: the pod removed, the pod added, and the slice of their service. */
  record Replacement(PodRec removed, PodRec added, String removedKey, Pod addedObject, EndpointSlice slice) {}

  /** Picks a random pod and replaces it (new name, new IP, random node); the model is updated. */
  Replacement replaceRandomPod() {
    PodRec old = live.get(random.nextInt(live.size()));
    return replace(old);
  }

  Replacement replace(PodRec old) {
    removePodRec(old);
    PodRec added = addPodRec(old.service(), random.nextInt(nodes));
    return new Replacement(old, added, namespaceOf(old.service()) + "/" + old.name(), podObject(added),
        sliceObject(old.service()));
  }

  SplittableRandom random() {
    return random;
  }

  /** Every object of the model, by kind, keyed as the input collections key them. */
  record Objects(Map<String, Namespace> namespaces, Map<String, Node> nodes, Map<String, ServiceAccount> accounts,
      Map<String, Service> services, Map<String, EndpointSlice> slices, Map<String, Pod> pods,
      Map<String, AuthorizationPolicy> policies) {
    int addresses() {
      return pods.size() + services.size();
    }
  }

  /** Builds every object (with a ztunnel pod per node when asked). */
  Objects objects(boolean ztunnelPods) {
    List<Pod> pods = new ArrayList<>();
    for (PodRec p : live) {
      pods.add(podObject(p));
    }
    if (ztunnelPods) {
      for (int n = 0; n < nodes; n++) {
        pods.add(ztunnelPod(n));
      }
    }
    return new Objects(byKey(namespaceObjects()), byKey(nodeObjects()), byKey(serviceAccountObjects()),
        byKey(serviceObjects()), byKey(sliceObjects()), byKey(pods), byKey(policyObjects()));
  }

  /** Writes {@code o} into {@code in}, one batch per kind, in the order sources apply kinds (an initial LIST). */
  static void write(Objects o, dev.sextant.source.Inputs in) {
    in.namespaces().applyBatch(o.namespaces());
    in.nodes().applyBatch(o.nodes());
    in.serviceAccounts().applyBatch(o.accounts());
    in.services().applyBatch(o.services());
    in.endpointSlices().applyBatch(o.slices());
    in.pods().applyBatch(o.pods());
    in.authorizationPolicies().applyBatch(o.policies());
  }

  /** Objects of every kind, for bulk loads, in the order sources apply kinds. */
  static <T extends HasMetadata> Map<String, T> byKey(List<T> objects) {
    Map<String, T> out = new LinkedHashMap<>();
    for (T o : objects) {
      String ns = o.getMetadata().getNamespace();
      out.put(ns == null || ns.isEmpty() ? o.getMetadata().getName() : ns + "/" + o.getMetadata().getName(), o);
    }
    return out;
  }
}
