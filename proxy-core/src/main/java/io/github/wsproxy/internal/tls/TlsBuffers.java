package io.github.wsproxy.internal.tls;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * The TLS record buffers of the sessions one thread drives (an event loop), recycled: a session
 * holds a buffer only while it has bytes in it, so a handshake allocates nothing once the pool is
 * warm and an idle connection holds no buffer. Heap buffers for the JDK's engine, direct ones for
 * the native engine (which then reads and writes them in place instead of copying). Not
 * thread-safe: each thread has its own ({@link #ofThisThread()}).
 */
final class TlsBuffers {
  /** Holds a whole TLS record (16,384 bytes of plaintext plus the largest overhead: 16,709). */
  static final int SIZE = 17 * 1024;
  private static final int MAX_IDLE = 64;
  private static final ThreadLocal<TlsBuffers> PER_THREAD = ThreadLocal.withInitial(TlsBuffers::new);

  private final ArrayDeque<ByteBuffer> heap = new ArrayDeque<>();
  private final ArrayDeque<ByteBuffer> direct = new ArrayDeque<>();

  private TlsBuffers() {}

  static TlsBuffers ofThisThread() {
    return PER_THREAD.get();
  }

  /** A cleared buffer of at least {@code size} bytes. */
  ByteBuffer acquire(boolean isDirect, int size) {
    if (size > SIZE) {
      return isDirect ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size);
    }
    ByteBuffer buffer = (isDirect ? direct : heap).pollFirst();
    if (buffer != null) {
      return buffer;
    }
    return isDirect ? ByteBuffer.allocateDirect(SIZE) : ByteBuffer.allocate(SIZE);
  }

  /** Takes a buffer back (one of another size is left to the garbage collector). */
  void release(ByteBuffer buffer) {
    ArrayDeque<ByteBuffer> idle = buffer.isDirect() ? direct : heap;
    if (buffer.capacity() == SIZE && idle.size() < MAX_IDLE) {
      buffer.clear();
      idle.addFirst(buffer);
    }
  }
}
