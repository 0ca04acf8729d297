package io.github.wsproxy.internal.frame;

import java.nio.ByteBuffer;

/**
 * Incremental UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF)
 * across the frames of one message. Works on masked bytes by XOR-ing the mask on the fly.
 */
final class Utf8Validator {
  private static final long HIGH_BITS = 0x8080808080808080L;

  private int remaining;
  private int lower = 0x80;
  private int upper = 0xBF;

  /**
   * Validates {@code buf[from, to)}, unmasking each byte with {@code mask}, a 4-byte key repeated
   * into a long whose most significant byte applies to {@code buf[from]} (0 when unmasked).
   *
   * @return false at the first byte that cannot be part of valid UTF-8
   */
  boolean update(ByteBuffer buf, int from, int to, long mask) {
    int i = from;
    while (i < to) {
      if (remaining == 0 && to - i >= 8) {
        long eight = buf.getLong(i) ^ Long.rotateLeft(mask, ((i - from) & 7) * 8);
        if ((eight & HIGH_BITS) == 0) {
          i += 8;
          continue;
        }
      }
      int c = (buf.get(i) ^ (int) (mask >>> (56 - ((i - from) & 7) * 8))) & 0xFF;
      if (!accept(c)) {
        return false;
      }
      i++;
    }
    return true;
  }

  /** Validates a heap array (close reasons). */
  boolean update(byte[] bytes, int from, int to) {
    for (int i = from; i < to; i++) {
      if (!accept(bytes[i] & 0xFF)) {
        return false;
      }
    }
    return true;
  }

  /** True when the bytes seen so far end on a character boundary. */
  boolean isComplete() {
    return remaining == 0;
  }

  void reset() {
    remaining = 0;
    lower = 0x80;
    upper = 0xBF;
  }

  private boolean accept(int c) {
    if (remaining == 0) {
      if (c < 0x80) {
        return true;
      }
      if (c < 0xC2) {
        return false;
      }
      if (c < 0xE0) {
        expect(1, 0x80, 0xBF);
      } else if (c < 0xF0) {
        expect(2, c == 0xE0 ? 0xA0 : 0x80, c == 0xED ? 0x9F : 0xBF);
      } else if (c < 0xF5) {
        expect(3, c == 0xF0 ? 0x90 : 0x80, c == 0xF4 ? 0x8F : 0xBF);
      } else {
        return false;
      }
      return true;
    }
    if (c < lower || c > upper) {
      return false;
    }
    expect(remaining - 1, 0x80, 0xBF);
    return true;
  }

  private void expect(int count, int low, int high) {
    remaining = count;
    lower = low;
    upper = high;
  }
}
