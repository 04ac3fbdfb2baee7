package dev.sextant.ca;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;

/**
 * Subject alternative names as istiod encodes them ({@code BuildSubjectAltNameExtension} in
 * istio/istio {@code security/pkg/pki/util/san.go}): an IP literal becomes an IP SAN (IPv4-mapped
 * IPv6 as 4 bytes), a {@code spiffe://} string a URI, anything else a DNS name.
 */
public final class Sans {
  private Sans() {}

  public static GeneralNames encode(List<String> identities) {
    GeneralName[] names = new GeneralName[identities.size()];
    for (int i = 0; i < names.length; i++) {
      String id = identities.get(i);
      byte[] ip = ipBytes(id);
      if (ip != null) {
        names[i] = new GeneralName(GeneralName.iPAddress, new org.bouncycastle.asn1.DEROctetString(ip));
      } else if (id.startsWith(SpiffeId.PREFIX)) {
        names[i] = new GeneralName(GeneralName.uniformResourceIdentifier, id);
      } else {
        names[i] = new GeneralName(GeneralName.dNSName, id);
      }
    }
    return new GeneralNames(names);
  }

  /** The SAN values as strings: URIs and DNS names as written, IPs in textual form. */
  public static List<String> decode(GeneralNames names) {
    List<String> out = new ArrayList<>();
    for (GeneralName n : names.getNames()) {
      out.add(toString(n));
    }
    return out;
  }

  static String toString(GeneralName n) {
    return switch (n.getTagNo()) {
      case GeneralName.iPAddress -> {
        byte[] b = ASN1OctetString.getInstance(n.getName()).getOctets();
        try {
          yield InetAddress.getByAddress(b).getHostAddress();
        } catch (UnknownHostException e) {
          yield "<invalid ip>";
        }
      }
      case GeneralName.uniformResourceIdentifier, GeneralName.dNSName, GeneralName.rfc822Name ->
          n.getName().toString();
      default -> "<" + n.getTagNo() + ">";
    };
  }

  /** Address bytes if {@code s} is an IP literal (Go {@code netip.ParseAddr}), else null. */
  static byte[] ipBytes(String s) {
    if (s.isEmpty()) {
      return null;
    }
    boolean v4 = s.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.');
    boolean v6 = s.indexOf(':') >= 0 && s.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.');
    if (!v4 && !v6) {
      return null;
    }
    if (v4) {
      String[] parts = s.split("\\.", -1);
      if (parts.length != 4) {
        return null;
      }
      byte[] out = new byte[4];
      for (int i = 0; i < 4; i++) {
        String p = parts[i];
        if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')) {
          return null;
        }
        int v = Integer.parseInt(p);
        if (v > 255) {
          return null;
        }
        out[i] = (byte) v;
      }
      return out;
    }
    try {
      // only hex digits, colons and dots reach here, so this never does a DNS lookup
      byte[] b = InetAddress.getByName(s).getAddress();
      return b;
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
