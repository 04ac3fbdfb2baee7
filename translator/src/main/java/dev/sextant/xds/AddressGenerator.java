package dev.sextant.xds;

import com.google.protobuf.ByteString;
import dev.sextant.ambient.Ambient;
import dev.sextant.ambient.IpAddresses;
import dev.sextant.api.TypeUrls;
import dev.sextant.api.workload.Address;
import dev.sextant.api.workload.NetworkAddress;
import dev.sextant.api.workload.NetworkMode;
import dev.sextant.api.workload.Service;
import dev.sextant.api.workload.Workload;
import dev.sextant.krt.Collection;
import dev.sextant.krt.Krt;
import dev.sextant.model.ServiceInfo;
import dev.sextant.model.WorkloadInfo;
import java.util.ArrayList;
import java.util.List;

/**
 * Owns {@code type.googleapis.com/istio.workload.Address}: every workload (named by its uid) and
 * every service (named {@code namespace/hostname}), wrapped in an {@code Address} and serialized
 * once (istio/istio {@code pilot/pkg/xds/workload.go}). The content is the same for every client.
 */
public final class AddressGenerator {
  /** Related key of a workload serving the service {@code <ns>/<hostname>}. */
  public static final String SERVICE_PREFIX = "service:";
  /** Related key of a workload on a node. */
  public static final String NODE_PREFIX = "node:";

  private AddressGenerator() {}

  public static String typeUrl() {
    return TypeUrls.ADDRESS;
  }

  public static Collection<XdsResource> collection(Krt krt, Ambient ambient) {
    Collection<XdsResource> workloads =
        krt.map(ambient.workloads(), "AddressResources/Workloads", (ctx, w) -> workloadResource(w));
    Collection<XdsResource> services =
        krt.map(ambient.services(), "AddressResources/Services", (ctx, s) -> serviceResource(s));
    return krt.join("AddressResources", workloads, services);
  }

  static XdsResource workloadResource(WorkloadInfo info) {
    Workload w = info.workload();
    List<String> aliases = new ArrayList<>();
    // ztunnel does not index host-network workloads by IP, and neither does the lookup.
    if (w.getNetworkMode() != NetworkMode.HOST_NETWORK) {
      for (ByteString a : w.getAddressesList()) {
        aliases.add(w.getNetwork() + "/" + IpAddresses.format(a.toByteArray()));
      }
    }
    List<String> related = new ArrayList<>();
    for (String service : w.getServicesMap().keySet()) {
      related.add(SERVICE_PREFIX + service);
    }
    if (!w.getNode().isEmpty()) {
      related.add(NODE_PREFIX + w.getNode());
    }
    return XdsResource.of(TypeUrls.ADDRESS, info.key(), Address.newBuilder().setWorkload(w).build(),
        aliases, related, Scope.global());
  }

  static XdsResource serviceResource(ServiceInfo info) {
    Service s = info.service();
    List<String> aliases = new ArrayList<>();
    for (NetworkAddress a : s.getAddressesList()) {
      String ip = IpAddresses.format(a.getAddress().toByteArray());
      aliases.add(a.hasLength() ? a.getNetwork() + "/" + ip + "/" + a.getLength() : a.getNetwork() + "/" + ip);
    }
    return XdsResource.of(TypeUrls.ADDRESS, info.key(), Address.newBuilder().setService(s).build(),
        aliases, List.of(), Scope.global());
  }
}
