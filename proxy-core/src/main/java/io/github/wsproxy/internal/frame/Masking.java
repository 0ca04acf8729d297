package io.github.wsproxy.internal.frame;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Random;
import java.util.function.Consumer;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Masking keys for frames the proxy sends upstream (RFC 6455 §5.3 wants them unpredictable), and
 * the XOR that re-masks a client's payload from its key to a fresh one in one pass, eight bytes at
 * a time. One instance per event loop: not thread-safe.
 */
public final class Masking {
  /**
   * The kernel's CSPRNG, read directly where there is one, for the keystream's seeds: the JDK's
   * default SecureRandom on Linux (NativePRNG) reads it too and then mixes in SHA1PRNG output.
   * Null elsewhere (or when it cannot be opened): SecureRandom then. Opened once, kept for the
   * life of the JVM (as NativePRNG keeps its own); a stream, not a FileChannel, so that an
   * interrupted loop thread cannot close it.
   */
  private static final InputStream URANDOM = openUrandom();

  /** Keystream batches between two seeds: a fresh AES key and counter every 1 MiB of keys. */
  private static final int BATCHES_PER_SEED = 256;

  private final Consumer<byte[]> source;
  private final int[] keys = new int[1024];
  private final byte[] batch = new byte[keys.length * 4];
  private int next = keys.length;

  /**
   * Keys from an AES-256 counter-mode keystream seeded from the system's CSPRNG and re-seeded
   * every {@value #BATCHES_PER_SEED} batches (the construction of NIST's CTR_DRBG, without its
   * derivation function): the kernel's generator costs about 12 ns a key (a ChaCha20 block in
   * plain C per 64 bytes), which was some 0.7% of a small-message relay's CPU; AES-NI makes the
   * same 4 KiB in about 0.3 µs. Where AES-CTR is not available the seeds themselves are the keys.
   */
  public Masking() {
    this(keystream());
  }

  /** Keys from {@code random}: tests pass a seeded one to get reproducible output. */
  Masking(Random random) {
    this(random::nextBytes);
  }

  private Masking(Consumer<byte[]> source) {
    this.source = source;
  }

  /**
   * A fresh 32-bit masking key, drawn from a batch of random bytes: one read of the source per 1024
   * keys (its cost is per call, not per byte).
   */
  public int nextKey() {
    if (next == keys.length) {
      source.accept(batch);
      ByteBuffer.wrap(batch).asIntBuffer().get(keys);
      next = 0;
    }
    return keys[next++];
  }

  private static Consumer<byte[]> keystream() {
    Consumer<byte[]> seeds = URANDOM != null ? Masking::readUrandom : new SecureRandom()::nextBytes;
    try {
      return new Keystream(Cipher.getInstance("AES/CTR/NoPadding"), seeds);
    } catch (GeneralSecurityException e) {
      return seeds;
    }
  }

  /** AES-256-CTR over zeros, a fresh key and counter from {@code seeds} every {@value #BATCHES_PER_SEED} batches. */
  private static final class Keystream implements Consumer<byte[]> {
    private final Cipher cipher;
    private final Consumer<byte[]> seeds;
    private final byte[] zeros = new byte[4096];
    private int untilSeed;

    Keystream(Cipher cipher, Consumer<byte[]> seeds) {
      this.cipher = cipher;
      this.seeds = seeds;
    }

    @Override
    public void accept(byte[] batch) {
      try {
        if (untilSeed-- == 0) {
          byte[] seed = new byte[48];
          seeds.accept(seed);
          cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(seed, 0, 32, "AES"), new IvParameterSpec(seed, 32, 16));
          untilSeed = BATCHES_PER_SEED - 1;
        }
        cipher.update(zeros, 0, batch.length, batch);
      } catch (GeneralSecurityException e) {
        untilSeed = 0; // seed again next time
        seeds.accept(batch);
      }
    }
  }

  private static InputStream openUrandom() {
    try {
      return new FileInputStream("/dev/urandom");
    } catch (IOException | SecurityException e) {
      return null;
    }
  }

  /**
   * Fills {@code bytes} from /dev/urandom, which never blocks once the kernel's pool is seeded (at
   * boot); a read that fails (it should not) falls back to a SecureRandom.
   */
  private static void readUrandom(byte[] bytes) {
    try {
      if (URANDOM.readNBytes(bytes, 0, bytes.length) == bytes.length) {
        return;
      }
    } catch (IOException e) {
      // below
    }
    new SecureRandom().nextBytes(bytes);
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
