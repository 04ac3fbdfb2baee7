package dev.sextant.model;

import dev.sextant.api.workload.Locality;
import dev.sextant.krt.Keyed;

/**
 * The part of a Node workloads read: its locality (null when the topology labels are all empty).
 * Node status heartbeats change the Node but not this, so they recompute no workload.
 */
public record NodeLocality(String name, Locality locality) implements Keyed {
  @Override
  public String key() {
    return name;
  }
}
