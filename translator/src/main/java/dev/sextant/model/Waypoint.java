package dev.sextant.model;

import dev.sextant.api.workload.ApplicationTunnel;
import dev.sextant.api.workload.GatewayAddress;
import dev.sextant.krt.Keyed;
import io.fabric8.kubernetes.api.model.LabelSelector;
import java.util.List;

/**
 * A ready waypoint: a Gateway with status addresses (istio/istio
 * {@code pilot/pkg/serviceregistry/ambient/waypoints.go}). Keyed {@code namespace/name}.
 *
 * @param address what bound objects are sent as their waypoint; null when no status address parses
 * @param trafficType {@code istio.io/waypoint-for}: service (default), workload, all, none, or other
 * @param inboundBinding the application tunnel its own instances get; null when not configured
 * @param allowedRoutes which namespaces may bind to it
 * @param serviceAccounts sorted service accounts of its instance pods
 */
public record Waypoint(
    String namespace,
    String name,
    GatewayAddress address,
    String trafficType,
    ApplicationTunnel inboundBinding,
    AllowedRoutes allowedRoutes,
    List<String> serviceAccounts) implements Keyed {

  public static final String SERVICE = "service";
  public static final String WORKLOAD = "workload";
  public static final String ALL = "all";

  public Waypoint {
    serviceAccounts = List.copyOf(serviceAccounts);
  }

  @Override
  public String key() {
    return namespace + "/" + name;
  }

  public boolean servesServices() {
    return SERVICE.equals(trafficType) || ALL.equals(trafficType);
  }

  public boolean servesWorkloads() {
    return WORKLOAD.equals(trafficType) || ALL.equals(trafficType);
  }

  /** Gateway API {@code allowedRoutes.namespaces}: {@code from} is All, Same or Selector. */
  public record AllowedRoutes(String from, LabelSelector selector) {
    public static final AllowedRoutes SAME = new AllowedRoutes("Same", null);
  }
}
