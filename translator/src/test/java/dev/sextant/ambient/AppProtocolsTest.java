package dev.sextant.ambient;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sextant.api.workload.AppProtocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code app_protocol} of Kubernetes and ServiceEntry ports (wds-spec §2.6; istio/istio
 * {@code pkg/config/kube/conversion.go ConvertProtocol}, {@code pkg/config/protocol/instance.go Parse},
 * {@code pilot/pkg/serviceregistry/ambient/workloads.go toAppProtocolFromProtocol}).
 */
class AppProtocolsTest {

  @ParameterizedTest(name = "port {0} name ''{1}'' -> {2}")
  @CsvSource(nullValues = "NULL", value = {
      // the spec's examples
      "80,    http,          HTTP11",
      "8080,  http-alt,      HTTP11",
      "9000,  grpc-foo,      GRPC",
      "5432,  tcp-db,        TCP",
      "3306,  NULL,          TCP",
      "8080,  NULL,          UNKNOWN",
      // every prefix Parse knows, compared case-insensitively on the part before the first '-'
      "80,    HTTP,          HTTP11",
      "80,    Http-Web,      HTTP11",
      "80,    http2,         HTTP2",
      "80,    http2-x,       HTTP2",
      "80,    GRPC,          GRPC",
      "443,   https,         TLS",
      "443,   https-admin,   TLS",
      "443,   tls,           TLS",
      "443,   TLS-passthru,  TLS",
      "80,    tcp,           TCP",
      "80,    udp,           UNKNOWN",
      "80,    mongo,         UNKNOWN",
      "80,    redis-main,    UNKNOWN",
      "80,    mysql,         UNKNOWN",
      "80,    http_proxy,    UNKNOWN",
      // grpc-web is checked before the prefix split, case-insensitively
      "80,    grpc-web,      UNKNOWN",
      "80,    GRPC-Web-ui,   UNKNOWN",
      "80,    grpc-webby,    UNKNOWN",
      // names that name nothing: UNKNOWN, or TCP on the well-known ports
      "80,    web,           UNKNOWN",
      "80,    '',            UNKNOWN",
      "80,    httpx,         UNKNOWN",
      "80,    -http,         UNKNOWN",
      "25,    smtp,          TCP",
      "53,    dns-tcp,       TCP",
      "27017, NULL,          TCP",
      "3307,  NULL,          UNKNOWN",
      // a recognised name wins over the well-known port, even when it maps to UNKNOWN
      "3306,  mysql,         UNKNOWN",
      "27017, mongo,         UNKNOWN",
      "3306,  http,          HTTP11",
      "53,    grpc-web,      UNKNOWN",
  })
  void ofKubernetesPort_tcpPortByName_followsConvertProtocol(int port, String name, AppProtocol expected) {
    assertEquals(expected, AppProtocols.ofKubernetesPort(port, name, "TCP", null));
  }

  @ParameterizedTest(name = "appProtocol ''{1}'' (name ''{0}'') -> {2}")
  @CsvSource({
      "tcp,  HTTP2,              HTTP2",
      "tcp,  http,               HTTP11",
      "tcp,  kubernetes.io/h2c,  HTTP2",
      "tcp,  kubernetes.io/ws,   HTTP11",
      "tcp,  kubernetes.io/wss,  TLS",
      "http, kubernetes.io/grpc, UNKNOWN",
      "http, grpc-web,           UNKNOWN",
      "http, https,              TLS",
      "tcp,  example.com/custom, UNKNOWN",
  })
  void ofKubernetesPort_appProtocolSet_winsOverName(String name, String appProtocol, AppProtocol expected) {
    assertEquals(expected, AppProtocols.ofKubernetesPort(8080, name, "TCP", appProtocol));
  }

  @Test
  void ofKubernetesPort_specialAppProtocolsOtherCase_areNotSpecial() {
    // The kubernetes.io/ names are matched exactly; other spellings go through the name parse.
    assertEquals(AppProtocol.UNKNOWN, AppProtocols.ofKubernetesPort(8080, "http", "TCP", "Kubernetes.io/h2c"));
  }

  @Test
  void ofKubernetesPort_unrecognisedAppProtocolOnWellKnownPort_isTcp() {
    assertEquals(AppProtocol.TCP, AppProtocols.ofKubernetesPort(3306, "http", "TCP", "vendor.io/db"));
  }

  @Test
  void ofKubernetesPort_udp_isUnknownWhateverTheName() {
    assertEquals(AppProtocol.UNKNOWN, AppProtocols.ofKubernetesPort(53, "dns", "UDP", null));
    assertEquals(AppProtocol.UNKNOWN, AppProtocols.ofKubernetesPort(80, "http", "UDP", null));
    assertEquals(AppProtocol.UNKNOWN, AppProtocols.ofKubernetesPort(80, "grpc", "UDP", "kubernetes.io/h2c"));
  }

  @Test
  void ofKubernetesPort_sctp_isClassifiedByNameLikeTcp() {
    assertEquals(AppProtocol.HTTP11, AppProtocols.ofKubernetesPort(80, "http", "SCTP", null));
    assertEquals(AppProtocol.TCP, AppProtocols.ofKubernetesPort(53, null, "SCTP", null));
  }

  @Test
  void ofKubernetesPort_protocolUnset_isTreatedAsTcp() {
    assertEquals(AppProtocol.GRPC, AppProtocols.ofKubernetesPort(80, "grpc", null, null));
  }

  @ParameterizedTest(name = "SE protocol ''{0}'' -> {1}")
  @CsvSource(nullValues = "NULL", value = {
      "HTTP,     HTTP11",
      "http,     HTTP11",
      "HTTP2,    HTTP2",
      "GRPC,     GRPC",
      "HTTPS,    TLS",
      "TLS,      TLS",
      "TCP,      TCP",
      "UDP,      UNKNOWN",
      "GRPC-WEB, UNKNOWN",
      "MONGO,    UNKNOWN",
      "http-foo, UNKNOWN",
      "'',       UNKNOWN",
      "NULL,     UNKNOWN",
  })
  void ofServiceEntryProtocol_protocolField_parsedWholeNotByPrefix(String protocol, AppProtocol expected) {
    assertEquals(expected, AppProtocols.ofServiceEntryProtocol(protocol));
  }
}
