package io.github.wsproxy.internal.uring;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

/**
 * The receive buffers of one loop: a provided-buffer ring (IORING_REGISTER_PBUF_RING) the kernel
 * picks a buffer from for each multishot receive completion. A buffer belongs to the kernel while
 * it is in the ring, and to the conduit it was received on until that conduit's reader has copied
 * it out ({@link #recycle} then puts it back). Idle connections hold none.
 */
final class BufferRing {
  static final int GROUP = 0;
  private static final long PAGE = 4096;
  private static final int ENTRY_SIZE = 16;
  /** {@code io_uring_buf_ring.tail}: the {@code resv} field of entry 0. */
  private static final long TAIL = 14;
  private static final VarHandle SHORT = JAVA_SHORT.varHandle();

  private final MemorySegment ring;
  private final MemorySegment memory;
  private final ByteBuffer view;
  private final int count;
  private final int size;
  private final int mask;
  private int tail;
  private int held;

  /** {@code count} (a power of two) buffers of {@code size} bytes, registered with {@code owner}. */
  BufferRing(Arena arena, Ring owner, int count, int size) throws IOException {
    if (Integer.bitCount(count) != 1 || count > 32768) {
      throw new IllegalArgumentException("buffer count must be a power of two up to 32768: " + count);
    }
    this.count = count;
    this.size = size;
    this.mask = count - 1;
    ring = arena.allocate((long) count * ENTRY_SIZE, PAGE);
    memory = arena.allocate((long) count * size, PAGE);
    view = memory.asByteBuffer();
    for (int bid = 0; bid < count; bid++) {
      put(bid);
    }
    held = 0;
    publish();
    MemorySegment registration = arena.allocate(40, 8);
    registration.set(JAVA_LONG, 0, ring.address());
    registration.set(JAVA_INT, 8, count);
    registration.set(JAVA_SHORT, 12, (short) GROUP);
    owner.registerBufferRing(registration.address());
  }

  /** A view of every buffer's memory: buffer {@code bid} starts at {@link #offset}. */
  ByteBuffer view() {
    return view;
  }

  /** The size of each buffer. */
  int size() {
    return size;
  }

  long offset(int bid) {
    return (long) bid * size;
  }

  /** A completion handed buffer {@code bid} to user space. */
  void taken() {
    held++;
  }

  /** Gives buffer {@code bid} back to the kernel, its bytes read. */
  void recycle(int bid) {
    put(bid);
    publish();
  }

  /** How many buffers the kernel has to receive into. */
  int available() {
    return count - held;
  }

  private void put(int bid) {
    // Fields of io_uring_buf: addr, len, bid; never the resv that is the ring's tail in entry 0.
    long entry = (long) (tail & mask) * ENTRY_SIZE;
    ring.set(JAVA_LONG, entry, memory.address() + offset(bid));
    ring.set(JAVA_INT, entry + 8, size);
    ring.set(JAVA_SHORT, entry + 12, (short) bid);
    tail++;
    held--;
  }

  private void publish() {
    // liburing's io_uring_buf_ring_advance: store-release of the 16-bit tail, so the entries
    // written above are visible to the kernel before it can pick them.
    SHORT.setRelease(ring, TAIL, (short) tail);
  }
}
