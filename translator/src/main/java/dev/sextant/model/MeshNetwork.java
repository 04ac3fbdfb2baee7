package dev.sextant.model;

import dev.sextant.krt.Keyed;

/**
 * The local network id: the {@code topology.istio.io/network} label of the system namespace, or
 * empty. One value, under the key {@link #KEY}.
 */
public record MeshNetwork(String network) implements Keyed {
  public static final String KEY = "network";

  @Override
  public String key() {
    return KEY;
  }
}
