package dev.sextant.ambient;

import com.google.protobuf.UInt32Value;
import com.google.protobuf.ByteString;
import dev.sextant.api.workload.Locality;
import dev.sextant.api.workload.Workload;
import java.util.Map;

/** What WorkloadEntries and ServiceEntry endpoints share: address or hostname, locality, capacity. */
final class EntryWorkloads {
  private EntryWorkloads() {}

  /** An IP address becomes {@code addresses}; anything else becomes {@code hostname}. */
  static void setAddress(Workload.Builder w, String address) {
    byte[] ip = IpAddresses.parse(address);
    if (ip != null) {
      w.addAddresses(ByteString.copyFrom(ip));
    } else {
      w.setHostname(address == null ? "" : address);
    }
  }

  /** {@code region/zone/subzone}; unset when all three are empty. */
  static Locality locality(String locality) {
    if (locality == null || locality.isEmpty()) {
      return null;
    }
    String[] parts = locality.split("/", -1);
    String region = parts[0];
    String zone = parts.length > 1 ? parts[1] : "";
    String subzone = parts.length > 2 ? parts[2] : "";
    if (region.isEmpty() && zone.isEmpty() && subzone.isEmpty()) {
      return null;
    }
    return Locality.newBuilder().setRegion(region).setZone(zone).setSubzone(subzone).build();
  }

  static void setCapacity(Workload.Builder w, Long weight) {
    if (weight != null && weight > 0) {
      w.setCapacity(UInt32Value.of((int) Math.min(weight, 0xFFFFFFFFL)));
    }
  }

  static Map<String, String> orEmpty(Map<String, String> m) {
    return m == null ? Map.of() : m;
  }
}
