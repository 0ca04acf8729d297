package io.github.wsproxy.internal.uring;

import io.github.wsproxy.internal.loop.Listening;
import io.github.wsproxy.internal.loop.Transport;
import io.github.wsproxy.internal.loop.TransportProvider;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.net.InetSocketAddress;

/**
 * The io_uring transport (Linux, Java 22+, through the Foreign Function &amp; Memory API): one ring
 * per event loop. Loaded reflectively, only on Java 22 or later; its constructor checks that this
 * runtime and kernel can use it and throws {@link UnsupportedOperationException} saying why not.
 */
public final class UringTransportProvider implements TransportProvider {
  /** System property: {@code true} makes the constructor fail as on a kernel without io_uring (tests). */
  public static final String SIMULATE_UNAVAILABLE = "wsproxy.uring.simulateUnavailable";
  static final int RING_ENTRIES = 1024;
  static final int BUFFER_COUNT = 256;
  static final int BUFFER_SIZE = 16 * 1024;
  static final int SEND_BUFFER_SIZE = 64 * 1024;
  static final long LINGER_NANOS = 30_000_000_000L;
  /**
   * Each ring's table of fixed files: 8 bytes of kernel memory per entry, and 16,384 sockets per
   * loop named by index rather than descriptor (those beyond it work the same, by descriptor).
   */
  static final int FIXED_FILES = 16 * 1024;

  private final int ringEntries;
  private final int bufferCount;
  private final int bufferSize;
  private final int sendBufferSize;
  private final long lingerNanos;
  private final int fixedFiles;

  /**
   * The default sizes: a ring of 1,024 submissions (4,096 completions), 256 receive buffers of 16
   * KiB per loop, send buffers of 64 KiB (a connection queues another buffer to send, copied into
   * or handed over, only while those it queues hold less), sent within 30 s of a graceful close or
   * dropped with a reset.
   *
   * @throws UnsupportedOperationException when io_uring cannot be used here, with the reason
   */
  public UringTransportProvider() {
    this(RING_ENTRIES, BUFFER_COUNT, BUFFER_SIZE, SEND_BUFFER_SIZE, LINGER_NANOS,
        Boolean.getBoolean(SIMULATE_UNAVAILABLE));
  }

  /**
   * Sizes of each loop's ring and buffers, and how long a graceful close waits for unsent bytes
   * (tests use small ones); {@code unavailable} simulates a kernel without io_uring.
   */
  UringTransportProvider(int ringEntries, int bufferCount, int bufferSize, int sendBufferSize, long lingerNanos,
      boolean unavailable) {
    this(ringEntries, bufferCount, bufferSize, sendBufferSize, lingerNanos, FIXED_FILES, unavailable);
  }

  /** As above, with the size of each ring's table of fixed files (tests use a small one). */
  UringTransportProvider(int ringEntries, int bufferCount, int bufferSize, int sendBufferSize, long lingerNanos,
      int fixedFiles, boolean unavailable) {
    this.fixedFiles = fixedFiles;
    this.ringEntries = ringEntries;
    this.bufferCount = bufferCount;
    this.bufferSize = bufferSize;
    this.sendBufferSize = sendBufferSize;
    this.lingerNanos = lingerNanos;
    if (unavailable) {
      throw new UnsupportedOperationException("simulated by " + SIMULATE_UNAVAILABLE);
    }
    if (!System.getProperty("os.name", "").startsWith("Linux")) {
      throw new UnsupportedOperationException("io_uring needs Linux, not " + System.getProperty("os.name"));
    }
    if (!kernelAtLeast(6, 1)) {
      throw new UnsupportedOperationException("io_uring needs Linux 6.1 or later (multishot receive), not "
          + System.getProperty("os.version"));
    }
    probe();
  }

  /** Sets up a small ring with a buffer ring, as each loop will, and frees it. */
  private static void probe() {
    try (Arena arena = Arena.ofConfined()) {
      Ring ring = new Ring(arena, 4, true);
      try {
        new BufferRing(arena, ring, 2, 64);
      } finally {
        ring.close();
      }
    } catch (IllegalCallerException e) {
      throw unsupported(e);
    } catch (ExceptionInInitializerError | NoClassDefFoundError e) {
      throw unsupported(e.getCause() != null ? e.getCause() : e);
    } catch (IOException e) {
      throw new UnsupportedOperationException(e.getMessage(), e);
    }
  }

  private static UnsupportedOperationException unsupported(Throwable cause) {
    return new UnsupportedOperationException("native access denied to WsProxy ("
        + cause + "); grant it with --enable-native-access=io.github.wsproxy (module path) or ALL-UNNAMED", cause);
  }

  private static boolean kernelAtLeast(int major, int minor) {
    String[] parts = System.getProperty("os.version", "0.0").split("[.-]");
    try {
      int actualMajor = Integer.parseInt(parts[0]);
      int actualMinor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
      return actualMajor > major || actualMajor == major && actualMinor >= minor;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  @Override
  public String name() {
    return "io_uring";
  }

  @Override
  public Transport open() throws IOException {
    return new UringTransport(ringEntries, bufferCount, bufferSize, sendBufferSize, lingerNanos, fixedFiles);
  }

  @Override
  public Listening listen(InetSocketAddress address, int backlog) throws IOException {
    return UringListening.bind(address, backlog);
  }
}
