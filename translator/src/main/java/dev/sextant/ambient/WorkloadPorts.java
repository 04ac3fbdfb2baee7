package dev.sextant.ambient;

import dev.sextant.api.workload.Port;
import dev.sextant.api.workload.PortList;
import dev.sextant.model.ServiceInfo;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code Workload.services}: the port list a workload serves for each of its services, with named
 * target ports resolved for that workload (wds-spec §2.4, §2.10; istio/istio {@code workloads.go}
 * {@code constructServices}, {@code constructServicesFromWorkloadEntry}). Keys are sorted, so equal
 * memberships serialize to equal bytes.
 */
final class WorkloadPorts {
  private WorkloadPorts() {}

  /** For a pod: container port names (TCP, including native-sidecar init containers). */
  static Map<String, PortList> forPod(Pod pod, List<ServiceInfo> services) {
    Map<String, PortList> out = new TreeMap<>();
    for (ServiceInfo svc : services) {
      PortList.Builder list = PortList.newBuilder();
      for (Port port : svc.service().getPortsList()) {
        int target = port.getTargetPort();
        ServiceInfo.PortName named = svc.portNames().get(port.getServicePort());
        if (named != null) {
          if (!named.targetPortName().isEmpty()) {
            Integer found = PodWorkloadBuilder.namedContainerPort(pod, named.targetPortName());
            if (found == null) {
              continue;
            }
            target = found;
          } else if (!svc.isKubernetesService() && !named.portName().isEmpty()) {
            Integer found = PodWorkloadBuilder.namedContainerPort(pod, named.portName());
            if (found != null) {
              target = found;
            } else if (target == 0) {
              target = port.getServicePort();
            }
          }
        }
        list.addPorts(Port.newBuilder().setServicePort(port.getServicePort()).setTargetPort(target));
      }
      out.put(svc.key(), list.build());
    }
    return out;
  }

  /** For a WorkloadEntry or ServiceEntry endpoint: its {@code ports} map by port name. */
  static Map<String, PortList> forEntry(Map<String, Long> entryPorts, List<ServiceInfo> services) {
    Map<String, Long> ports = entryPorts == null ? Map.of() : entryPorts;
    Map<String, PortList> out = new TreeMap<>();
    for (ServiceInfo svc : services) {
      PortList.Builder list = PortList.newBuilder();
      for (Port port : svc.service().getPortsList()) {
        int target = port.getTargetPort();
        ServiceInfo.PortName named = svc.portNames().get(port.getServicePort());
        if (named != null) {
          if (svc.isKubernetesService()) {
            if (!named.targetPortName().isEmpty()) {
              Long v = ports.get(named.targetPortName());
              if (v == null) {
                continue;
              }
              target = v.intValue();
            } else {
              Long v = ports.get(named.portName());
              if (v != null) {
                target = v.intValue();
              }
            }
          } else {
            Long v = ports.get(named.portName());
            if (v != null) {
              target = v.intValue();
            } else if (target == 0) {
              target = port.getServicePort();
            }
          }
        }
        list.addPorts(Port.newBuilder().setServicePort(port.getServicePort()).setTargetPort(target));
      }
      out.put(svc.key(), list.build());
    }
    return out;
  }
}
