package dev.sextant.model;

import dev.sextant.krt.Keyed;

/**
 * A gateway into another network (wds-spec §2.11): a local Gateway of class {@code istio-remote}
 * labelled with its network. Keyed by its workload uid, {@code NetworkGateway/<net>/<addr>/<port>}.
 *
 * @param address an IP or a hostname
 * @param serviceAccountNamespace the Gateway's namespace; with {@code serviceAccount}, its identity
 */
public record NetworkGateway(
    String network, String address, int hbonePort, String serviceAccountNamespace, String serviceAccount)
    implements Keyed {

  @Override
  public String key() {
    return "NetworkGateway/" + network + "/" + address + "/" + hbonePort;
  }
}
