package dev.sextant.server.xds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.grpc.Status;
import io.grpc.StatusException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProxyNodeTest {
  private static Node node(String id, String... meta) {
    Struct.Builder s = Struct.newBuilder();
    for (int i = 0; i < meta.length; i += 2) {
      s.putFields(meta[i], Value.newBuilder().setStringValue(meta[i + 1]).build());
    }
    return Node.newBuilder().setId(id).setMetadata(s).build();
  }

  @Test
  void parse_ztunnelNode_takesNamespaceFromMetadataElseDomain() throws Exception {
    ProxyNode p = ProxyNode.parse(node("ztunnel~10.0.0.1~z.istio-system~istio-system.svc.cluster.local",
        "INSTANCE_IPS", "10.0.0.9", "NAMESPACE", "istio-system"));
    assertEquals("ztunnel", p.type());
    assertEquals(List.of("10.0.0.9"), p.ips());
    assertEquals("z.istio-system", p.proxyId());
    assertEquals("istio-system", p.configNamespace());
    assertEquals("ns", ProxyNode.parse(node("sidecar~10.0.0.1~a.ns~ns.svc.cluster.local")).configNamespace());
  }

  @Test
  void parse_malformedNodes_invalidArgumentWithIstiodMessages() {
    StatusException parts = assertThrows(StatusException.class, () -> ProxyNode.parse(node("just-an-id")));
    assertEquals(Status.Code.INVALID_ARGUMENT, parts.getStatus().getCode());
    assertEquals("missing parts in the service node \"just-an-id\"", parts.getStatus().getDescription());
    StatusException type = assertThrows(StatusException.class,
        () -> ProxyNode.parse(node("gateway~10.0.0.1~a.ns~ns.svc.cluster.local")));
    assertEquals("invalid node type (valid types: [sidecar router waypoint ztunnel]) in the service node "
        + "\"gateway~10.0.0.1~a.ns~ns.svc.cluster.local\"", type.getStatus().getDescription());
    StatusException ip = assertThrows(StatusException.class,
        () -> ProxyNode.parse(node("ztunnel~not-an-ip~a.ns~ns.svc.cluster.local")));
    assertEquals("no valid IP address in the service node id or metadata", ip.getStatus().getDescription());
  }

  @Test
  void authorize_identityInAnotherNamespace_permissionDenied() throws Exception {
    ProxyNode p = ProxyNode.parse(node("ztunnel~10.0.0.1~z.istio-system~istio-system.svc.cluster.local",
        "NAMESPACE", "istio-system"));
    assertEquals("spiffe://cluster.local/ns/istio-system/sa/ztunnel",
        p.authorize(List.of("spiffe://cluster.local/ns/default/sa/x", "spiffe://cluster.local/ns/istio-system/sa/ztunnel")));
    StatusException e = assertThrows(StatusException.class,
        () -> p.authorize(List.of("spiffe://cluster.local/ns/default/sa/ztunnel")));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    ProxyNode withSa = ProxyNode.parse(node("sidecar~10.0.0.1~a.ns~ns.svc.cluster.local",
        "SERVICE_ACCOUNT", "web"));
    assertThrows(StatusException.class, () -> withSa.authorize(List.of("spiffe://cluster.local/ns/ns/sa/db")));
  }
}
