package dev.sextant.xds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * XXH64 with seed 0 against known vectors.
 *
 * <p>The string vectors are the published ones (xxHash's own tests and its ports). The length
 * sweep was computed with a C implementation written from the XXH64 specification
 * (Cyan4973/xxHash {@code doc/xxhash_spec.md}); its low 32 bits were cross-checked against the
 * content checksum the {@code zstd} tool writes (the low 32 bits of XXH64, seed 0) for every input
 * below. The lengths cover every branch: under 4, the 4-byte step, the 8-byte steps, exactly 32,
 * one and several 32-byte stripes with each kind of tail.
 */
class XxHash64Test {

  private static String hashOf(String s) {
    return String.format("%016x", XxHash64.hash(s.getBytes(StandardCharsets.UTF_8)));
  }

  @ParameterizedTest(name = "\"{0}\" -> {1}")
  @CsvSource({
      "'',                                             ef46db3751d8e999",
      "a,                                              d24ec4f1a98c6e5b",
      "abc,                                            44bc2cf5ad770999",
      "xxhash,                                         32dd38952c4bc720",
      "The quick brown fox jumps over the lazy dog,    0b242d361fda71bc",
      "Nobody inspects the spammish repetition,        fbcea83c8a378bf1",
  })
  void hash_publishedVectors_match(String input, String expected) {
    assertEquals(expected, hashOf(input));
  }

  /** Bytes {@code (i * 31 + 7) & 0xff} for i in 0..n-1. */
  private static byte[] sweep(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) ((i * 31 + 7) & 0xff);
    }
    return b;
  }

  @ParameterizedTest(name = "length {0} -> {1}")
  @CsvSource({
      "1,   a96c7f0ce858bbb7",
      "3,   56e6957632a487f9",
      "4,   c60d15b1e3ff8f04",
      "5,   808815858624dd4e",
      "7,   afbefc3d6c6f9a8e",
      "8,   3da5c7aa269683e0",
      "9,   4b17a9ba9e215c09",
      "11,  1fc070e44716bd8e",
      "12,  8fe8ab1c1fd0666e",
      "15,  ae2a37eb9357caa7",
      "16,  a19ad429b02bc413",
      "17,  fe9f0feb7eeedc09",
      "31,  4a74f3a1a39ad4a1",
      "32,  8d57d6a4671cc43d",
      "33,  62c9fd21ed857664",
      "35,  85cbcf9e0d9cbeca",
      "36,  a4475c606b0abc3c",
      "39,  1789542489e59cc4",
      "40,  49b45332e280f187",
      "63,  5c320a0d2707057f",
      "64,  7bbabbc45729d17e",
      "65,  f3980c34bae65dc1",
      "100, efa0ad2d3e70c151",
      "255, 2c3db4bb567f731e",
  })
  void hash_lengthSweep_matchesReference(int length, String expected) {
    assertEquals(expected, String.format("%016x", XxHash64.hash(sweep(length))));
  }

  @Test
  void hash_bytesWithHighBitSet_areReadUnsigned() {
    byte[] ff = new byte[40];
    Arrays.fill(ff, (byte) 0xff);
    assertEquals("2ac0faf0a65b2936", String.format("%016x", XxHash64.hash(ff)));
  }

  @Test
  void hex_isUnsignedLowercaseWithoutLeadingZeros() {
    // As Go's strconv.FormatUint(h, 16): the high bit set stays positive, leading zeros dropped.
    assertEquals("ef46db3751d8e999", XxHash64.hex(new byte[0]));
    assertEquals("b242d361fda71bc",
        XxHash64.hex("The quick brown fox jumps over the lazy dog".getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void hash_oneBitChanged_differs() {
    byte[] a = sweep(64);
    byte[] b = sweep(64);
    b[63] ^= 1;
    assertNotEquals(XxHash64.hash(a), XxHash64.hash(b));
  }
}
