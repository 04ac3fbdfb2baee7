package dev.sextant.ca;

import java.util.Optional;

/**
 * A workload identity {@code spiffe://<trust domain>/ns/<namespace>/sa/<service account>}
 * (istio/istio {@code pkg/spiffe/spiffe.go}).
 */
public record SpiffeId(String trustDomain, String namespace, String serviceAccount) {
  public static final String PREFIX = "spiffe://";

  /** istiod's URI for a caller: the trust domain with any {@code @} replaced by {@code .}. */
  public static String uri(String trustDomain, String namespace, String serviceAccount) {
    return PREFIX + trustDomain.replace('@', '.') + "/ns/" + namespace + "/sa/" + serviceAccount;
  }

  /**
   * Parses as istiod's {@code ParseIdentity}: the prefix, then exactly five {@code /}-separated
   * segments with {@code ns} and {@code sa} in place. Empty segments pass here, as in istiod;
   * {@link #isWellFormed()} is the stricter check.
   */
  public static Optional<SpiffeId> parse(String s) {
    if (s == null || !s.startsWith(PREFIX)) {
      return Optional.empty();
    }
    String[] split = s.substring(PREFIX.length()).split("/", -1);
    if (split.length != 5 || !split[1].equals("ns") || !split[3].equals("sa")) {
      return Optional.empty();
    }
    return Optional.of(new SpiffeId(split[0], split[2], split[4]));
  }

  /**
   * True if no segment is empty and each uses only the characters SPIFFE allows (letters, digits,
   * {@code . - _}); Kubernetes names always fit.
   */
  public boolean isWellFormed() {
    return segmentOk(trustDomain) && segmentOk(namespace) && segmentOk(serviceAccount);
  }

  private static boolean segmentOk(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '.' || c == '-' || c == '_';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return PREFIX + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
  }
}
