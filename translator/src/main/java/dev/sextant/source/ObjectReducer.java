package dev.sextant.source;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceStatus;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Cuts each object down, at ingest, to the fields the translator reads, so that a cached object
 * costs a small fraction of what the API server sends (istiod does the same with informer
 * transforms that strip managed fields, {@code pkg/kube/kclient} {@code StripUnusedFields}).
 *
 * <p>What is kept:
 * <ul>
 *   <li>every kind: metadata name, namespace, uid, resourceVersion, generation, generateName,
 *       labels, annotations (without {@code kubectl.kubernetes.io/last-applied-configuration}),
 *       ownerReferences, creationTimestamp, deletionTimestamp; never managedFields or finalizers;
 *   <li>Pod: spec serviceAccountName, nodeName, hostNetwork, each container's name and ports
 *       (name, containerPort, protocol), each init container's too plus its restartPolicy; status
 *       phase, podIP, podIPs and the {@code Ready} condition (type and status);
 *   <li>Service: the whole spec but {@code sessionAffinityConfig}; status.loadBalancer;
 *   <li>Node: metadata only, without annotations (spec and status, with their image lists, go);
 *   <li>Namespace and ServiceAccount: metadata only;
 *   <li>everything else (EndpointSlice, Istio and Gateway API kinds): everything but the metadata
 *       fields named above.
 * </ul>
 *
 * <p>Strings that repeat across objects (namespaces, label keys and values, node and service
 * account names, owner names, port names) are interned, so thousands of pods of one deployment
 * share one copy. The result is then compacted ({@link Compactor}): empty lists and maps become
 * the shared immutable empty ones.
 *
 * <p>Ownership: the object given is consumed: parts of it may be reused (a Service's spec) or
 * replaced in place (the metadata of the other kinds), so the caller must not use it afterwards.
 * The result is never mutated: it is shared by the informer's store and the input collection.
 */
public final class ObjectReducer {
  static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
  private static final int INTERN_MAX = 253;

  private ObjectReducer() {}

  /** The reduced form of any input object. */
  @SuppressWarnings("unchecked")
  public static <T extends HasMetadata> T reduce(T object) {
    HasMetadata out;
    if (object instanceof Pod p) {
      out = pod(p);
    } else if (object instanceof Service s) {
      out = service(s);
    } else if (object instanceof Node n) {
      out = node(n);
    } else if (object instanceof Namespace n) {
      out = namespace(n);
    } else if (object instanceof ServiceAccount sa) {
      out = serviceAccount(sa);
    } else {
      object.setMetadata(meta(object.getMetadata(), true));
      out = object;
    }
    return (T) Compactor.compact(out);
  }

  static Pod pod(Pod in) {
    Pod out = new Pod();
    out.setApiVersion(intern(in.getApiVersion()));
    out.setKind(intern(in.getKind()));
    out.setMetadata(meta(in.getMetadata(), true));
    PodSpec spec = in.getSpec();
    if (spec != null) {
      PodSpec s = new PodSpec();
      s.setServiceAccountName(intern(spec.getServiceAccountName()));
      s.setNodeName(intern(spec.getNodeName()));
      s.setHostNetwork(spec.getHostNetwork());
      s.setContainers(containers(spec.getContainers(), false));
      s.setInitContainers(containers(spec.getInitContainers(), true));
      out.setSpec(s);
    }
    PodStatus status = in.getStatus();
    if (status != null) {
      PodStatus s = new PodStatus();
      s.setPhase(intern(status.getPhase()));
      s.setPodIP(status.getPodIP());
      if (status.getPodIPs() != null && !status.getPodIPs().isEmpty()) {
        List<PodIP> ips = new ArrayList<>(status.getPodIPs().size());
        for (PodIP ip : status.getPodIPs()) {
          // the first podIPs entry repeats podIP: keep one copy of the string
          ips.add(new PodIP(ip.getIp() != null && ip.getIp().equals(status.getPodIP()) ? status.getPodIP() : ip.getIp()));
        }
        s.setPodIPs(ips);
      }
      if (status.getConditions() != null) {
        for (PodCondition c : status.getConditions()) {
          if ("Ready".equals(c.getType())) {
            PodCondition ready = new PodCondition();
            ready.setType("Ready");
            ready.setStatus(intern(c.getStatus()));
            s.setConditions(new ArrayList<>(List.of(ready)));
          }
        }
      }
      out.setStatus(s);
    }
    return out;
  }

  private static List<Container> containers(List<Container> in, boolean init) {
    if (in == null || in.isEmpty()) {
      return new ArrayList<>(0);
    }
    List<Container> out = new ArrayList<>(in.size());
    for (Container c : in) {
      Container r = new Container();
      r.setName(intern(c.getName()));
      if (init) {
        r.setRestartPolicy(intern(c.getRestartPolicy()));
      }
      if (c.getPorts() != null && !c.getPorts().isEmpty()) {
        List<ContainerPort> ports = new ArrayList<>(c.getPorts().size());
        for (ContainerPort p : c.getPorts()) {
          ContainerPort port = new ContainerPort();
          port.setName(intern(p.getName()));
          port.setContainerPort(p.getContainerPort());
          port.setProtocol(intern(p.getProtocol()));
          ports.add(port);
        }
        r.setPorts(ports);
      }
      out.add(r);
    }
    return out;
  }

  static Service service(Service in) {
    Service out = new Service();
    out.setApiVersion(intern(in.getApiVersion()));
    out.setKind(intern(in.getKind()));
    out.setMetadata(meta(in.getMetadata(), true));
    if (in.getSpec() != null) {
      in.getSpec().setSessionAffinityConfig(null);
      out.setSpec(in.getSpec());
    }
    if (in.getStatus() != null && in.getStatus().getLoadBalancer() != null
        && in.getStatus().getLoadBalancer().getIngress() != null
        && !in.getStatus().getLoadBalancer().getIngress().isEmpty()) {
      ServiceStatus s = new ServiceStatus();
      s.setLoadBalancer(in.getStatus().getLoadBalancer());
      out.setStatus(s);
    }
    return out;
  }

  static Node node(Node in) {
    Node out = new Node();
    out.setApiVersion(intern(in.getApiVersion()));
    out.setKind(intern(in.getKind()));
    out.setMetadata(meta(in.getMetadata(), false));
    return out;
  }

  static Namespace namespace(Namespace in) {
    Namespace out = new Namespace();
    out.setApiVersion(intern(in.getApiVersion()));
    out.setKind(intern(in.getKind()));
    out.setMetadata(meta(in.getMetadata(), true));
    return out;
  }

  static ServiceAccount serviceAccount(ServiceAccount in) {
    ServiceAccount out = new ServiceAccount();
    out.setApiVersion(intern(in.getApiVersion()));
    out.setKind(intern(in.getKind()));
    out.setMetadata(meta(in.getMetadata(), true));
    return out;
  }

  /** The metadata the translator reads; {@code annotations} false drops them too. */
  static ObjectMeta meta(ObjectMeta in, boolean annotations) {
    ObjectMeta out = new ObjectMeta();
    if (in == null) {
      return out;
    }
    out.setName(in.getName());
    out.setNamespace(intern(in.getNamespace()));
    out.setUid(in.getUid());
    out.setResourceVersion(in.getResourceVersion());
    out.setGeneration(in.getGeneration());
    out.setGenerateName(intern(in.getGenerateName()));
    out.setCreationTimestamp(in.getCreationTimestamp());
    out.setDeletionTimestamp(in.getDeletionTimestamp());
    out.setLabels(internedMap(in.getLabels(), null));
    out.setAnnotations(annotations ? internedMap(in.getAnnotations(), LAST_APPLIED) : Collections.emptyMap());
    if (in.getOwnerReferences() != null && !in.getOwnerReferences().isEmpty()) {
      List<OwnerReference> owners = new ArrayList<>(in.getOwnerReferences().size());
      for (OwnerReference o : in.getOwnerReferences()) {
        OwnerReference r = new OwnerReference();
        r.setApiVersion(intern(o.getApiVersion()));
        r.setKind(intern(o.getKind()));
        r.setName(intern(o.getName()));
        r.setUid(o.getUid());
        r.setController(o.getController());
        owners.add(r);
      }
      out.setOwnerReferences(owners);
    }
    return out;
  }

  private static Map<String, String> internedMap(Map<String, String> in, String drop) {
    if (in == null || in.isEmpty()) {
      return Collections.emptyMap();
    }
    Map<String, String> out = new LinkedHashMap<>(Math.max(2, (int) (in.size() / 0.75f) + 1));
    for (Map.Entry<String, String> e : in.entrySet()) {
      if (!e.getKey().equals(drop)) {
        out.put(intern(e.getKey()), intern(e.getValue()));
      }
    }
    return out.isEmpty() ? Collections.emptyMap() : out;
  }

  private static String intern(String s) {
    return s == null || s.length() > INTERN_MAX ? s : s.intern();
  }
}
