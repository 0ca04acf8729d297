package io.github.wsproxy.internal.tls;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The TLS record buffers of the sessions one thread drives (an event loop), recycled: a session
 * holds a buffer only while it has bytes in it, so a handshake allocates nothing once the pool is
 * warm and an idle connection holds no buffer. Heap buffers for the JDK's engine, direct ones for
 * the native engine (which then reads and writes them in place instead of copying). Not
 * thread-safe: each thread has its own ({@link #ofThisThread()}).
 *
 * <p>Buffers are pooled by capacity, whatever sizes the engines ask for: the JDK's asks for at most
 * 16,709 bytes, Netty's OpenSSL engine for up to 33,344 once it has seen a large record. A buffer
 * of a size not pooled would be allocated anew for every record, its native memory kept until a
 * garbage collection.
 */
final class TlsBuffers {
  /** The smallest capacity: a whole TLS record (16,384 bytes of plaintext plus the largest overhead). */
  static final int SIZE = 17 * 1024;
  /** Capacities are multiples of this, so that a few pools serve every size an engine reports. */
  private static final int GRANULE = 4 * 1024;
  private static final int MAX_IDLE = 64;
  private static final ThreadLocal<TlsBuffers> PER_THREAD = ThreadLocal.withInitial(TlsBuffers::new);
  /** Buffers allocated so far, by every thread (a pool that works allocates few). */
  private static final LongAdder ALLOCATED = new LongAdder();

  private final Map<Integer, ArrayDeque<ByteBuffer>> heap = new HashMap<>();
  private final Map<Integer, ArrayDeque<ByteBuffer>> direct = new HashMap<>();

  private TlsBuffers() {}

  static TlsBuffers ofThisThread() {
    return PER_THREAD.get();
  }

  /** A cleared buffer of at least {@code size} bytes. */
  ByteBuffer acquire(boolean isDirect, int size) {
    int capacity = Math.max(SIZE, (size + GRANULE - 1) / GRANULE * GRANULE);
    ArrayDeque<ByteBuffer> idle = (isDirect ? direct : heap).get(capacity);
    ByteBuffer buffer = idle == null ? null : idle.pollFirst();
    if (buffer != null) {
      return buffer;
    }
    ALLOCATED.increment();
    return isDirect ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity);
  }

  /** Takes a buffer back for reuse by a session of this thread. */
  void release(ByteBuffer buffer) {
    ArrayDeque<ByteBuffer> idle = (buffer.isDirect() ? direct : heap)
        .computeIfAbsent(buffer.capacity(), capacity -> new ArrayDeque<>());
    if (idle.size() < MAX_IDLE) {
      buffer.clear();
      idle.addFirst(buffer);
    }
  }

  /** The buffers allocated so far by every thread's pool. */
  static long allocated() {
    return ALLOCATED.sum();
  }
}
