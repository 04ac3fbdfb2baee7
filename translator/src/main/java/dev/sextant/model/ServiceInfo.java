package dev.sextant.model;

import dev.sextant.api.workload.Service;
import dev.sextant.krt.Keyed;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A service as served to ztunnel, plus how it selects workloads and where it came from. Keyed by
 * {@code namespace/hostname}, which is also its xDS resource name.
 *
 * @param selector the label selector (a Service's selector, a ServiceEntry's workloadSelector);
 *     empty selects nothing
 * @param portNames service port number to its name and, for a Kubernetes Service, its named
 *     target port; used to resolve ports per workload
 * @param source the object it was built from
 * @param createdAt the source's creation time: the oldest ServiceEntry wins a hostname
 */
public record ServiceInfo(
    Service service,
    Map<String, String> selector,
    Map<Integer, PortName> portNames,
    Source source,
    Instant createdAt) implements Keyed {

  public static final String KIND_SERVICE = "Service";
  public static final String KIND_SERVICE_ENTRY = "ServiceEntry";

  /** A port's name and, for a Kubernetes Service with a named targetPort, that name. */
  public record PortName(String portName, String targetPortName) {}

  /** The Kubernetes object a service came from. */
  public record Source(String kind, String namespace, String name) {
    public String key() {
      return kind + "/" + namespace + "/" + name;
    }
  }

  public ServiceInfo {
    selector = Map.copyOf(selector);
    portNames = Map.copyOf(portNames);
  }

  /** A Kubernetes Service's info, with only named target ports known (for tests). */
  public ServiceInfo(Service service, Map<String, String> selector, Map<Integer, String> namedTargetPorts) {
    this(service, selector, named(namedTargetPorts),
        new Source(KIND_SERVICE, service.getNamespace(), service.getName()), Instant.EPOCH);
  }

  private static Map<Integer, PortName> named(Map<Integer, String> namedTargetPorts) {
    Map<Integer, PortName> out = new HashMap<>();
    namedTargetPorts.forEach((port, target) -> out.put(port, new PortName("", target)));
    return out;
  }

  public static String key(String namespace, String hostname) {
    return namespace + "/" + hostname;
  }

  @Override
  public String key() {
    return key(service.getNamespace(), service.getHostname());
  }

  /** Unique per source and host, for collections that hold services before deduplication. */
  public String candidateKey() {
    return source.key() + "/" + service.getHostname();
  }

  public boolean isKubernetesService() {
    return KIND_SERVICE.equals(source.kind());
  }

  /** Service port to named target port, for Kubernetes Services. */
  public Map<Integer, String> namedTargetPorts() {
    Map<Integer, String> out = new HashMap<>();
    portNames.forEach((port, n) -> {
      if (n.targetPortName() != null && !n.targetPortName().isEmpty()) {
        out.put(port, n.targetPortName());
      }
    });
    return out;
  }

  public ServiceInfo withService(Service s) {
    return new ServiceInfo(s, selector, portNames, source, createdAt);
  }

  /**
   * One label pair every selected workload must carry ({@code ns/k=v}, the first in key order), or
   * null for an empty selector: the key under which a workload finds candidate services.
   */
  public String selectorAnchor() {
    if (selector.isEmpty()) {
      return null;
    }
    Map.Entry<String, String> first = new TreeMap<>(selector).firstEntry();
    return service.getNamespace() + "/" + first.getKey() + "=" + first.getValue();
  }

  /** True if the selector is non-empty and is a subset of {@code labels}. */
  public boolean selects(Map<String, String> labels) {
    if (selector.isEmpty()) {
      return false;
    }
    for (Map.Entry<String, String> e : selector.entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
