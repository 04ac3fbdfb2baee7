package dev.sextant.ambient;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * IP text to wire bytes (Go {@code netip.ParseAddr(..).AsSlice()}) and bytes to the text Go's
 * {@code netip.Addr.String()} and Rust's {@code Display} print (RFC 5952), which alias keys must
 * match byte for byte (wds-spec §2.0, §2.12).
 */
class IpAddressesTest {

  private static byte[] hex(String h) {
    return HexFormat.of().parseHex(h);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "1.2.3.4,                 01020304",
      "0.0.0.0,                 00000000",
      "255.255.255.255,         ffffffff",
      "10.0.0.1,                0a000001",
      "2001:db8::1,             20010db8000000000000000000000001",
      "::1,                     00000000000000000000000000000001",
      "::,                      00000000000000000000000000000000",
      "1::,                     00010000000000000000000000000000",
      "FE80::1:0:0:1,           fe800000000000000001000000000001",
      "1:2:3:4:5:6:7:8,         00010002000300040005000600070008",
      "1:2:3:4:5:6:7::,         00010002000300040005000600070000",
      "::0001,                  00000000000000000000000000000001",
      "::1.2.3.4,               00000000000000000000000001020304",
  })
  void parse_literal_givesNetworkOrderBytes(String text, String bytes) {
    assertArrayEquals(hex(bytes), IpAddresses.parse(text));
  }

  @Test
  void parse_ipv4MappedIpv6_staysSixteenBytes() {
    // Go's ParseAddr keeps ::ffff:1.2.3.4 as an IPv6 (Is4In6) address; AsSlice gives 16 bytes.
    assertArrayEquals(hex("00000000000000000000ffff01020304"), IpAddresses.parse("::ffff:1.2.3.4"));
    assertArrayEquals(hex("00000000000000000000ffff01020304"), IpAddresses.parse("0:0:0:0:0:ffff:1.2.3.4"));
    assertArrayEquals(hex("00000000000000000000ffff01020304"), IpAddresses.parse("::ffff:102:304"));
  }

  @ParameterizedTest(name = "''{0}'' is not an IP")
  @ValueSource(strings = {
      "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-1", "01.2.3.4", "1.2.3.04", "1.2.3.4 ", " 1.2.3.4",
      "1..2.3", "a.b.c.d", "localhost", "example.com", "1.2.3.4/32", "0x1.2.3.4",
      "12345::", "1::2::3", "1:2:3:4:5:6:7:8:9", ":1::", "1::2:", "1:2:3:4:5:6:7", "::g", "1.2::",
      "::ffff:1.2.3", "::ffff:256.1.1.1", "[::1]",
      // Go rejects these; InetAddress alone would accept them (groups over four digits, octets with
      // leading zeros inside IPv6), or look them up as host names (text not starting like a literal).
      "::00001", "::ffff:01.2.3.4", "1.2.3.4::", ".::1", "..::",
  })
  void parse_notAnIpLiteral_returnsNull(String text) {
    assertNull(IpAddresses.parse(text));
  }

  @Test
  void parse_null_returnsNull() {
    assertNull(IpAddresses.parse(null));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "01020304,                          1.2.3.4",
      "00000000,                          0.0.0.0",
      "ffffffff,                          255.255.255.255",
      "20010db8000000000000000000000001,  2001:db8::1",
      "00000000000000000000000000000001,  ::1",
      "00000000000000000000000000000000,  ::",
      "00010000000000000000000000000000,  1::",
      "00000000000000000000000000010000,  ::1:0",
      "00010000000000000000000000000001,  1::1",
      // the longest run of zero groups is compressed, not the first
      "fe800000000000000001000000000001,  fe80::1:0:0:1",
      "00010000000100000000000000000001,  1:0:1::1",
      // of two equally long runs, the first is compressed
      "00010000000000010001000000000001,  1::1:1:0:0:1",
      "20010db8000000000001000000000001,  2001:db8::1:0:0:1",
      // a single zero group is never compressed
      "20010db8000000010001000100010001,  2001:db8:0:1:1:1:1:1",
      "00010002000300040005000600070000,  1:2:3:4:5:6:7:0",
      "00000001000200030004000500060007,  0:1:2:3:4:5:6:7",
      // lowercase hex, no leading zeros within a group
      "20010DB8ABCD0012000000000000000A,  2001:db8:abcd:12::a",
      "00010002000300040005000600070008,  1:2:3:4:5:6:7:8",
      // IPv4-mapped addresses print with a dotted tail
      "00000000000000000000ffff01020304,  ::ffff:1.2.3.4",
      "00000000000000000000ffff00000000,  ::ffff:0.0.0.0",
      // IPv4-compatible (deprecated) and other embeddings print as plain IPv6
      "00000000000000000000000001020304,  ::102:304",
      "00000000000000000001ffff01020304,  ::1:ffff:102:304",
      "0064ff9b000000000000000001020304,  64:ff9b::102:304",
  })
  void format_bytes_matchesGoAndRustText(String bytes, String text) {
    assertEquals(text, IpAddresses.format(hex(bytes)));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "10.244.1.7", "2001:db8::1", "::1", "::", "1::", "fe80::1:0:0:1", "::ffff:1.2.3.4",
      "fd00:10:244:1::7", "2001:db8:0:1:1:1:1:1",
  })
  void format_ofParsedCanonicalText_isTheSameText(String text) {
    assertEquals(text, IpAddresses.format(IpAddresses.parse(text)));
  }

  @Test
  void format_ofParsedUncompressedText_isCompressed() {
    byte[] parsed = IpAddresses.parse("2001:0DB8:0000:0000:0000:0000:0000:0001");
    assertNotNull(parsed);
    assertEquals("2001:db8::1", IpAddresses.format(parsed));
  }

  @Test
  void format_wrongLength_throws() {
    assertThrows(IllegalArgumentException.class, () -> IpAddresses.format(new byte[5]));
    assertThrows(IllegalArgumentException.class, () -> IpAddresses.format(new byte[0]));
  }
}
