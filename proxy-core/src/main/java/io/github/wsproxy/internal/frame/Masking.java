package io.github.wsproxy.internal.frame;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Random;

/**
 * Masking keys for frames the proxy sends upstream (RFC 6455 §5.3 wants them unpredictable), and
 * the XOR that re-masks a client's payload from its key to a fresh one in one pass, eight bytes at
 * a time. One instance per event loop: not thread-safe.
 */
public final class Masking {
  private final Random random;
  private final int[] keys = new int[1024];
  private int next = keys.length;

  public Masking() {
    this(new SecureRandom());
  }

  /** Keys from {@code random}: tests pass a seeded one to get reproducible output. */
  Masking(Random random) {
    this.random = random;
  }

  /** A fresh 32-bit masking key, drawn from a batch of SecureRandom output. */
  public int nextKey() {
    if (next == keys.length) {
      for (int i = 0; i < keys.length; i++) {
        keys[i] = random.nextInt();
      }
      next = 0;
    }
    return keys[next++];
  }

  /** The 4-byte key repeated into a long, phased so that its top byte applies to payload byte {@code offset}. */
  static long repeated(int key, long offset) {
    long k = key & 0xFFFFFFFFL;
    return Long.rotateLeft((k << 32) | k, (int) (offset & 3) * 8);
  }

  /** XORs {@code buf[from, to)} with {@code mask} (see {@link #repeated}), phased at {@code from}. */
  static void xor(ByteBuffer buf, int from, int to, long mask) {
    if (mask == 0) {
      return;
    }
    int i = from;
    for (; to - i >= 8; i += 8) {
      buf.putLong(i, buf.getLong(i) ^ mask);
    }
    for (int shift = 56; i < to; i++, shift -= 8) {
      buf.put(i, (byte) (buf.get(i) ^ (mask >>> shift)));
    }
  }
}
