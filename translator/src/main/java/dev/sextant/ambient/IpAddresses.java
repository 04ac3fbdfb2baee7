package dev.sextant.ambient;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * IP literals to wire bytes (4 or 16, network order, as Go's {@code netip.Addr.AsSlice}) and back to
 * the text Go and Rust print (dotted quad; RFC 5952 compressed IPv6). Never resolves names.
 */
public final class IpAddresses {
  private IpAddresses() {}

  /** The address bytes of an IP literal, or null if {@code text} is not one. */
  public static byte[] parse(String text) {
    if (text == null || text.isEmpty()) {
      return null;
    }
    boolean v6 = text.indexOf(':') >= 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean ok = (c >= '0' && c <= '9') || c == '.'
          || (v6 && (c == ':' || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
      if (!ok) {
        return null;
      }
    }
    if (v6 ? !isIpv6Shape(text) : !isDottedQuad(text)) {
      return null;
    }
    try {
      byte[] bytes = InetAddress.getByName(text).getAddress();
      // An IPv4-mapped IPv6 literal comes back as 4 bytes; keep it as the family it was written in.
      if (v6 && bytes.length == 4) {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        System.arraycopy(bytes, 0, mapped, 12, 4);
        return mapped;
      }
      return bytes;
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /**
   * What Go's {@code netip.ParseAddr} demands and {@link InetAddress} does not check: at most four
   * hex digits per group, and a dotted quad only as the last group, without leading zeros. Also
   * keeps text that does not start like an IPv6 literal away from {@link InetAddress}, which would
   * look it up as a host name.
   */
  private static boolean isIpv6Shape(String s) {
    String[] groups = s.split(":", -1);
    for (int i = 0; i < groups.length; i++) {
      String g = groups[i];
      if (g.indexOf('.') >= 0) {
        if (i != groups.length - 1 || !isDottedQuad(g)) {
          return false;
        }
      } else if (g.length() > 4) {
        return false;
      }
    }
    return true;
  }

  private static boolean isDottedQuad(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')) {
        return false;
      }
      if (Integer.parseInt(p) > 255) {
        return false;
      }
    }
    return true;
  }

  /** Canonical text of 4 or 16 address bytes. */
  public static String format(byte[] b) {
    if (b.length == 4) {
      return (b[0] & 0xff) + "." + (b[1] & 0xff) + "." + (b[2] & 0xff) + "." + (b[3] & 0xff);
    }
    if (b.length != 16) {
      throw new IllegalArgumentException("not an IP address: " + b.length + " bytes");
    }
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
    }
    // RFC 5952: compress the longest run (first if tied) of two or more zero groups.
    int bestStart = -1;
    int bestLen = 0;
    for (int i = 0; i < 8; ) {
      if (groups[i] == 0) {
        int j = i;
        while (j < 8 && groups[j] == 0) {
          j++;
        }
        if (j - i > bestLen) {
          bestStart = i;
          bestLen = j - i;
        }
        i = j;
      } else {
        i++;
      }
    }
    if (bestLen < 2) {
      bestStart = -1;
    }
    // IPv4-mapped addresses print with a dotted tail, as Go and Rust do.
    boolean mapped = groups[0] == 0 && groups[1] == 0 && groups[2] == 0 && groups[3] == 0
        && groups[4] == 0 && groups[5] == 0xffff;
    if (mapped) {
      return "::ffff:" + (b[12] & 0xff) + "." + (b[13] & 0xff) + "." + (b[14] & 0xff) + "." + (b[15] & 0xff);
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(groups[i]));
    }
    return sb.toString();
  }
}
