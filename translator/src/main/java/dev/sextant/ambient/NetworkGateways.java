package dev.sextant.ambient;

import com.google.protobuf.ByteString;
import dev.sextant.api.workload.GatewayAddress;
import dev.sextant.api.workload.NamespacedHostname;
import dev.sextant.api.workload.NetworkAddress;
import dev.sextant.api.workload.Workload;
import dev.sextant.krt.Context;
import dev.sextant.krt.Index;
import dev.sextant.model.MeshSettings;
import dev.sextant.model.NetworkGateway;
import dev.sextant.model.WorkloadInfo;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatusAddress;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Listener;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Network gateways (wds-spec §2.11; istio/istio {@code ambient/networks.go}
 * {@code localK8sGatewayToNetworkGateways}, {@code workloads.go} {@code convertGateway},
 * {@code getNetworkGatewayAddress}): which Gateways define one, the Workload each is sent as, and
 * the {@code network_gateway} of every workload in that network.
 */
public final class NetworkGateways {
  static final String REMOTE_CLASS = "istio-remote";
  static final String NETWORK_LABEL = "topology.istio.io/network";
  static final String SERVICE_ACCOUNT_ANNOTATION = "gateway.istio.io/service-account";

  private NetworkGateways() {}

  /** One gateway per typed status address of an {@code istio-remote} Gateway with a network label. */
  public static List<NetworkGateway> of(Gateway gw) {
    Map<String, String> labels = gw.getMetadata().getLabels() == null ? Map.of() : gw.getMetadata().getLabels();
    String network = labels.getOrDefault(NETWORK_LABEL, "");
    if (network.isEmpty() || gw.getSpec() == null || !REMOTE_CLASS.equals(gw.getSpec().getGatewayClassName())
        || gw.getStatus() == null || gw.getStatus().getAddresses() == null) {
      return List.of();
    }
    Integer port = null;
    for (Listener l : gw.getSpec().getListeners() == null ? List.<Listener>of() : gw.getSpec().getListeners()) {
      if ("HBONE".equals(l.getProtocol())) {
        port = l.getPort();
        break;
      }
    }
    if (port == null) {
      return List.of();
    }
    String ns = gw.getMetadata().getNamespace();
    List<NetworkGateway> out = new ArrayList<>();
    for (GatewayStatusAddress a : gw.getStatus().getAddresses()) {
      if (!"IPAddress".equals(a.getType()) && !"Hostname".equals(a.getType())) {
        continue;
      }
      out.add(new NetworkGateway(network, a.getValue() == null ? "" : a.getValue(), port, ns, serviceAccount(gw)));
    }
    return out;
  }

  /** {@code gateway.istio.io/service-account}, else {@code <name>-istio-remote}. */
  static String serviceAccount(Gateway gw) {
    Map<String, String> a = gw.getMetadata().getAnnotations();
    String sa = a == null ? null : a.get(SERVICE_ACCOUNT_ANNOTATION);
    return sa != null && !sa.isEmpty() ? sa : gw.getMetadata().getName() + "-" + REMOTE_CLASS;
  }

  /** The Workload a gateway is sent as: identity, network and address only. */
  public static WorkloadInfo workload(NetworkGateway gw, MeshSettings mesh) {
    Workload.Builder w = Workload.newBuilder()
        .setUid(gw.key())
        .setName(gw.key())
        .setNamespace(gw.serviceAccountNamespace())
        .setServiceAccount(gw.serviceAccount())
        .setNetwork(gw.network())
        .setTrustDomain(mesh.wireTrustDomain());
    EntryWorkloads.setAddress(w, gw.address());
    return new WorkloadInfo(w.build(), Map.of());
  }

  /** The gateway of {@code network} workloads are sent with, or null (the first, in uid order, with a port). */
  static GatewayAddress forNetwork(Context ctx, Index<String, NetworkGateway> byNetwork, String network) {
    List<NetworkGateway> gateways = new ArrayList<>(ctx.fetch(byNetwork, network));
    gateways.sort(Comparator.comparing(NetworkGateway::key));
    for (NetworkGateway g : gateways) {
      if (g.hbonePort() == 0) {
        continue;
      }
      byte[] ip = IpAddresses.parse(g.address());
      GatewayAddress.Builder out = GatewayAddress.newBuilder().setHboneMtlsPort(g.hbonePort());
      if (ip != null) {
        out.setAddress(NetworkAddress.newBuilder().setNetwork(g.network()).setAddress(ByteString.copyFrom(ip)));
      } else {
        out.setHostname(NamespacedHostname.newBuilder().setNamespace(g.serviceAccountNamespace()).setHostname(g.address()));
      }
      return out.build();
    }
    return null;
  }
}
