package io.github.wsproxy.internal.uring;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * The send buffers of one loop, one per conduit with bytes in flight: what a conduit's write copies
 * into and its IORING_OP_SEND sends from. Recycled within the loop; a conduit gives its buffer back
 * once the kernel has sent everything in it, so idle connections hold none.
 */
final class SendBuffers {
  /** A direct buffer and its native address. */
  static final class Chunk {
    final ByteBuffer buffer;
    final long address;

    Chunk(int size) {
      buffer = ByteBuffer.allocateDirect(size);
      address = MemorySegment.ofBuffer(buffer).address();
    }
  }

  private final int size;
  private final int maxIdle;
  private final ArrayDeque<Chunk> idle = new ArrayDeque<>();

  SendBuffers(int size, int maxIdle) {
    this.size = size;
    this.maxIdle = maxIdle;
  }

  int size() {
    return size;
  }

  Chunk acquire() {
    Chunk chunk = idle.pollFirst();
    return chunk != null ? chunk : new Chunk(size);
  }

  void release(Chunk chunk) {
    if (idle.size() < maxIdle) {
      idle.addFirst(chunk);
    }
  }
}
