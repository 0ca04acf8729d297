package io.github.wsproxy.internal.loop;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * Direct buffers of one size, recycled within one event loop (not thread-safe). A connection holds
 * a buffer only while it has bytes in flight, so idle connections cost no buffer memory. A buffer
 * may be handed to a {@link Conduit} ({@link Conduit#handOver}), which releases it once sent.
 */
public final class BufferPool {
  private final int bufferSize;
  private final int maxIdle;
  private final ArrayDeque<ByteBuffer> idle = new ArrayDeque<>();
  private final ByteBuffer[] gather = new ByteBuffer[16];
  private int outstanding;

  public BufferPool(int bufferSize, int maxIdle) {
    this.bufferSize = bufferSize;
    this.maxIdle = maxIdle;
  }

  /** The size of every buffer of this pool. */
  public int bufferSize() {
    return bufferSize;
  }

  /** A cleared buffer. */
  public ByteBuffer acquire() {
    outstanding++;
    ByteBuffer buffer = idle.pollFirst();
    return buffer != null ? buffer : ByteBuffer.allocateDirect(bufferSize);
  }

  /** A scratch array for gathering writes, shared by the loop's relays; clear it after use. */
  public ByteBuffer[] gatherArray() {
    return gather;
  }

  /** Returns a buffer for reuse; the caller must not touch it afterwards. */
  public void release(ByteBuffer buffer) {
    outstanding--;
    if (idle.size() < maxIdle) {
      buffer.clear();
      idle.addFirst(buffer);
    }
  }

  /**
   * After a write from {@code buffer}: returns it for reuse and true when the write took all of it,
   * false (the caller keeps it) when some is left.
   */
  public boolean releaseIfWritten(ByteBuffer buffer) {
    if (buffer.hasRemaining()) {
      return false;
    }
    release(buffer);
    return true;
  }

  /**
   * Buffers acquired and not released yet: what connections hold (tests check that none is lost
   * or released twice).
   */
  public int outstanding() {
    return outstanding;
  }
}
