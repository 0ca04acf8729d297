package io.github.wsproxy.internal.uring;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.github.wsproxy.internal.loop.Accepted;
import io.github.wsproxy.internal.loop.BufferPool;
import io.github.wsproxy.internal.loop.Conduit;
import io.github.wsproxy.internal.loop.Readiness;
import io.github.wsproxy.internal.loop.Transport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One event loop's io_uring: a ring, the loop's receive buffer ring and send buffers, and the table
 * of registered sockets its completions are routed to. A loop turn ({@link #poll}) submits every
 * operation queued since the last turn (sends of the bytes written, re-armed receives, cancels,
 * closes) and waits for completions in one {@code io_uring_enter}, then turns the completions into
 * level-triggered readiness calls like a selector's.
 */
final class UringTransport implements Transport, Ring.Completions {
  static final int OP_RECV = 1;
  static final int OP_SEND = 2;
  static final int OP_CONNECT = 3;
  static final int OP_ACCEPT = 4;
  static final int OP_CANCEL = 5;
  static final int OP_CLOSE = 6;
  /** A single-shot receive into a pooled buffer (a conduit in bulk). */
  static final int OP_RECV_INTO = 7;
  /** The installing or removing of a socket in the ring's table of fixed files. */
  static final int OP_FIX = 8;
  /**
   * How often the receives into pooled buffers are checked: one still waiting for bytes at a check
   * that was already waiting at the previous one (for at least this long, at most about twice it) is
   * cancelled, its buffer goes back to the pool and the conduit receives from the buffer ring
   * again, so a connection that went quiet after bulk traffic holds no buffer. A check rather than
   * a timeout linked to each receive: that cost an SQE, a CQE and a kernel timer armed and
   * disarmed per receive, some 3% of the CPU of a 64 KiB relay.
   */
  static final long BULK_IDLE_NANOS = 100_000_000L;
  /** The read of the wake-up eventfd: {@code user_data} 0 (slot 0 with op 0, which no socket uses). */
  private static final long WAKE = 0;
  /** The cancel of everything when the transport closes. */
  private static final long CANCEL_ALL = -1;
  private static final Logger log = LoggerFactory.getLogger(UringTransport.class);
  private static final long CLOSE_WAIT_NANOS = 1_000_000_000L;

  private final Arena arena = Arena.ofShared();
  final Ring ring;
  final BufferRing buffers;
  /**
   * The loop's send buffers, which writes copy into (one per connection with copied bytes in
   * flight); their size is also each connection's bound on the buffer memory queued to send.
   */
  final BufferPool sends;
  /** Scratch memory of this loop: socket addresses, socket options. */
  final MemorySegment scratch;
  /**
   * How long a graceful close waits for the peer to take the bytes still to send (the kernel's own
   * lingering after close, which a NIO socket gets, does not apply to bytes not handed to it yet).
   */
  final long lingerNanos;
  private final int eventFd;
  private final MemorySegment wakeRead;
  private final MemorySegment wakeValue;
  private final AtomicBoolean wakeupPending = new AtomicBoolean();
  private final Object wakeLock = new Object();
  private volatile boolean closed;
  private boolean wakeArmed;
  /** Operations in flight across all registrations (and the wake-up read). */
  private int pending;

  private Registration[] slots = new Registration[64];
  private int[] freeSlots = new int[64];
  private int freeCount;
  private int usedSlots;
  /** Memory for one socket address per slot (a connect's, which must live until submitted). */
  private MemorySegment addresses;
  /**
   * The size of the ring's table of fixed files (0 if the kernel refused one): the sockets in
   * slots below it are installed there. Slots are reused lowest-freed first, so a loop with fewer
   * connections than this has all of its sockets fixed.
   */
  final int fixedFiles;
  /**
   * The descriptor of each fixed slot to install, read by the kernel when the update is submitted,
   * and after them a -1 that every removal names.
   */
  private final MemorySegment fixedFds;

  private Registration[] ready = new Registration[64];
  private int readyCount;
  private UringConduit[] sending = new UringConduit[64];
  private int sendingCount;
  private UringConduit[] starved = new UringConduit[16];
  private int starvedCount;
  /** Conduits closed gracefully whose bytes are still being sent, oldest first. */
  private final ArrayDeque<UringConduit> lingering = new ArrayDeque<>();
  /** Conduits in bulk, whose receives into pooled buffers {@link #checkBulkReceives} watches (some may have left bulk since). */
  private UringConduit[] bulk = new UringConduit[16];
  private int bulkCount;
  /** The number of bulk checks so far: a receive remembers the one it was submitted after. */
  int bulkChecks;
  private long nextBulkCheck;

  UringTransport(int ringEntries, int bufferCount, int bufferSize, int sendBufferSize, long lingerNanos,
      int fixedFiles) throws IOException {
    this.lingerNanos = lingerNanos;
    Ring opened = null;
    int efd = -1;
    try {
      opened = new Ring(arena, ringEntries, true);
      buffers = new BufferRing(arena, opened, bufferCount, bufferSize);
      efd = Native.eventfd(opened.errno());
      if (efd < 0) {
        throw Native.exception("eventfd", Native.errno(opened.errno()));
      }
    } catch (IOException | RuntimeException e) {
      if (opened != null) {
        opened.close();
      }
      arena.close();
      throw e;
    }
    ring = opened;
    eventFd = efd;
    sends = new BufferPool(sendBufferSize, 64);
    scratch = arena.allocate(SocketAddresses.MAX_SIZE + 16, 8);
    wakeRead = arena.allocate(8, 8);
    wakeValue = arena.allocate(8, 8);
    wakeValue.set(JAVA_LONG, 0, 1L);
    addresses = arena.allocate((long) slots.length * SocketAddresses.MAX_SIZE, 8);
    this.fixedFiles = fixedTable(ring, scratch, fixedFiles);
    fixedFds = arena.allocate((this.fixedFiles + 1L) * 4, 4);
    fixedFds.set(JAVA_INT, this.fixedFiles * 4L, -1);
  }

  /** Registers the largest table of fixed files up to {@code wanted} the kernel takes (halving on refusal). */
  private static int fixedTable(Ring ring, MemorySegment scratch, int wanted) {
    for (int size = wanted; size > 0; size /= 2) {
      if (ring.registerSparseFiles(scratch, size)) {
        return size;
      }
    }
    return 0;
  }

  @Override
  public void poll(long timeoutMillis) throws IOException {
    ring.enable(); // on the first turn: this thread is the ring's only submitter
    startTurn();
    boolean wait = timeoutMillis > 0 && readyCount == 0 && !ring.hasCompletions();
    ring.submit(wait ? timeoutMillis : 0);
    ring.reap(this);
    for (int i = 0; i < 8 && ring.overflowed(); i++) {
      // Completions the CQ could not hold (overflow, kept by the kernel: IORING_FEAT_NODROP): enter
      // again to have them posted, then reap them. (Task work that arrived meanwhile waits for the
      // next turn's enter: no second system call for it.)
      ring.submit(0);
      ring.reap(this);
    }
    if (wakeupPending.get()) { // as in EventLoop.run: no fenced store on a turn no wake-up ended
      wakeupPending.set(false);
    }
    dispatchReady();
  }

  /** Queues the operations of this turn: the wake-up read, sends, receives waiting for buffers. */
  private void startTurn() throws IOException {
    if (!wakeArmed) {
      long sqe = ring.nextSqe();
      ring.prepare(sqe, Ring.IORING_OP_READ, eventFd, wakeRead.address(), 8, WAKE);
      wakeArmed = true;
      pending++;
    }
    for (int i = 0; i < sendingCount; i++) {
      UringConduit conduit = sending[i];
      sending[i] = null;
      conduit.startSend();
    }
    sendingCount = 0;
    while (!lingering.isEmpty() && lingering.peekFirst().lingeredOut(System.nanoTime())) {
      lingering.pollFirst();
    }
    if (bulkCount > 0) {
      checkBulkReceives();
    }
    if (starvedCount > 0 && buffers.available() > 0) {
      int count = starvedCount;
      starvedCount = 0;
      for (int i = 0; i < count; i++) {
        UringConduit conduit = starved[i];
        starved[i] = null;
        conduit.buffersAvailable();
      }
    }
  }

  /**
   * Every {@link #BULK_IDLE_NANOS} (the loop turns at least that often: its tick), cancels the
   * receives into pooled buffers submitted before the previous check and still waiting, and stops
   * watching the conduits that left bulk.
   */
  private void checkBulkReceives() {
    long now = System.nanoTime();
    if (now - nextBulkCheck < 0) {
      return;
    }
    nextBulkCheck = now + BULK_IDLE_NANOS;
    bulkChecks++;
    int kept = 0;
    for (int i = 0; i < bulkCount; i++) {
      UringConduit conduit = bulk[i];
      bulk[i] = null;
      if (conduit.stillInBulk(bulkChecks)) {
        bulk[kept++] = conduit;
      }
    }
    bulkCount = kept;
  }

  /** Watches the receives into pooled buffers of a conduit gone bulk. */
  void watchBulk(UringConduit conduit) {
    if (bulkCount == 0) {
      nextBulkCheck = System.nanoTime() + BULK_IDLE_NANOS;
    }
    if (bulkCount == bulk.length) {
      bulk = Arrays.copyOf(bulk, bulkCount * 2);
    }
    bulk[bulkCount++] = conduit;
  }

  private void dispatchReady() {
    int count = readyCount;
    for (int i = 0; i < count; i++) {
      Registration registration = ready[i];
      registration.queued = false;
      registration.dispatch(); // the handler's failures are isolated by Handlers.ready
    }
    // Registrations queued during these calls (still ready, or made ready) wait for the next turn.
    int later = readyCount - count;
    System.arraycopy(ready, count, ready, 0, later);
    Arrays.fill(ready, later, readyCount, null);
    readyCount = later;
  }

  @Override
  public void complete(long userData, int result, int flags) {
    if (userData == WAKE) {
      wakeArmed = false;
      pending--;
      return;
    }
    if (userData == CANCEL_ALL) {
      pending--;
      return;
    }
    int op = (int) (userData & 0xff);
    Registration registration = slots[(int) (userData >>> 8)];
    if (registration == null) {
      return; // cannot happen while every operation is counted; never let it end the loop
    }
    if ((flags & Ring.IORING_CQE_F_MORE) == 0) {
      pending--;
      registration.inflight--;
    }
    if (op == OP_FIX) {
      if (result < 0) { // the socket's operations then fail with EBADF, and its connection with them
        log.warn("io_uring: updating fixed file {} of {}: {}", registration.slot, registration,
            Native.exception("IORING_OP_FILES_UPDATE", -result).getMessage());
      }
    } else {
      registration.complete(op, result, flags);
    }
    if (registration.inflight == 0) {
      released(registration);
    }
  }

  /** Queues a registration for a readiness call in this turn's (or the next turn's) dispatch. */
  void markReady(Registration registration) {
    if (!registration.queued) {
      registration.queued = true;
      if (readyCount == ready.length) {
        ready = Arrays.copyOf(ready, readyCount * 2);
      }
      ready[readyCount++] = registration;
    }
  }

  /** Queues a conduit's send of its written bytes, submitted with the next turn. */
  void queueSend(UringConduit conduit) {
    if (sendingCount == sending.length) {
      sending = Arrays.copyOf(sending, sendingCount * 2);
    }
    sending[sendingCount++] = conduit;
  }

  /** A conduit closed while its bytes are still being sent: reset if they are not sent in time. */
  void lingering(UringConduit conduit) {
    lingering.addLast(conduit);
  }

  /** A conduit whose receive ended for lack of buffers: re-armed once buffers come back. */
  void starved(UringConduit conduit) {
    if (starvedCount == starved.length) {
      starved = Arrays.copyOf(starved, starvedCount * 2);
    }
    starved[starvedCount++] = conduit;
  }

  /**
   * Queues an operation of {@code registration}: prepares its SQE, naming a fixed socket by its
   * index (except for a close, which is of the descriptor), and counts it in flight.
   */
  long submit(Registration registration, int opcode, int op, long address, int length) throws IOException {
    boolean fixed = registration.fixed && opcode != Ring.IORING_OP_CLOSE;
    long sqe = ring.nextSqe();
    ring.prepare(sqe, opcode, fixed ? registration.slot : registration.fd, address, length, registration.userData(op));
    if (fixed) {
      ring.addSqeFlags(sqe, Ring.IOSQE_FIXED_FILE);
    }
    registration.inflight++;
    pending++;
    return sqe;
  }

  /**
   * Installs a newly registered socket in the table of fixed files, at its slot, if the table has
   * that index: submitted before any operation of the socket, and the kernel issues a batch's SQEs
   * in order, so those find it installed. (Its SQE names the descriptor, which an update ignores:
   * the socket is not fixed yet.)
   */
  private void fix(Registration registration) throws IOException {
    if (registration.slot < fixedFiles) {
      long cell = registration.slot * 4L;
      fixedFds.set(JAVA_INT, cell, registration.fd);
      long sqe = submit(registration, Ring.IORING_OP_FILES_UPDATE, OP_FIX, fixedFds.address() + cell, 1);
      ring.sqeOffset(sqe, registration.slot);
      registration.fixed = true;
    }
  }

  /**
   * Removes a socket from the table of fixed files (with its descriptor, the table's reference
   * keeps it open). Counted in flight: its slot, the table's index, is reused only after.
   */
  void unfix(Registration registration) {
    if (registration.fixed) {
      registration.fixed = false; // first: an update must not carry IOSQE_FIXED_FILE
      long sqe = submitUnchecked(registration, Ring.IORING_OP_FILES_UPDATE, OP_FIX,
          fixedFds.address() + fixedFiles * 4L, 1);
      ring.sqeOffset(sqe, registration.slot);
    }
  }

  /** Like {@link #submit}, for the paths that cannot report an IOException (a full SQ that stays full). */
  long submitUnchecked(Registration registration, int opcode, int op, long address, int length) {
    try {
      return submit(registration, opcode, op, address, length);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Queues a single-shot receive of {@code conduit} into the remaining space of {@code buffer};
   * {@code pollFirst}: when no byte is likely to be waiting (the last receive did not fill its
   * buffer), the kernel waits for bytes before trying, rather than trying once in vain first.
   */
  void receiveInto(UringConduit conduit, ByteBuffer buffer, boolean pollFirst) {
    // A direct buffer's segment starts at its position and spans its remaining bytes.
    long sqe = submitUnchecked(conduit, Ring.IORING_OP_RECV, OP_RECV_INTO, MemorySegment.ofBuffer(buffer).address(),
        buffer.remaining());
    if (pollFirst) {
      ring.sqeIoprio(sqe, Ring.IORING_RECVSEND_POLL_FIRST);
    }
  }

  /**
   * Cancels every operation of {@code registration} on its descriptor (IORING_ASYNC_CANCEL_FD; a
   * fixed socket is named by its index, as {@link #submit} does).
   */
  void cancelAll(Registration registration) {
    long sqe = submitUnchecked(registration, Ring.IORING_OP_ASYNC_CANCEL, OP_CANCEL, 0, 0);
    ring.sqeOpFlags(sqe, Ring.IORING_ASYNC_CANCEL_FD | Ring.IORING_ASYNC_CANCEL_ALL);
  }

  /** Cancels the operation of {@code registration} with this op (by its user_data). */
  void cancel(Registration registration, int op) {
    long sqe = submitUnchecked(registration, Ring.IORING_OP_ASYNC_CANCEL, OP_CANCEL, registration.userData(op), 0);
    ring.sqeOpFlags(sqe, 0);
  }

  void register(Registration registration) {
    int slot;
    if (freeCount > 0) {
      slot = freeSlots[--freeCount];
    } else {
      if (usedSlots == slots.length) {
        grow();
      }
      slot = usedSlots++;
    }
    registration.slot = slot;
    slots[slot] = registration;
  }

  private void grow() {
    int size = slots.length * 2;
    slots = Arrays.copyOf(slots, size);
    freeSlots = Arrays.copyOf(freeSlots, size);
    // The old address memory stays valid (the arena frees it at close) for connects not submitted yet.
    addresses = arena.allocate((long) size * SocketAddresses.MAX_SIZE, 8);
  }

  private long addressOffset(int slot) {
    return (long) slot * SocketAddresses.MAX_SIZE;
  }

  /** Frees the slot of a registration with nothing in flight that is done (closed, descriptor closed). */
  void released(Registration registration) {
    if (registration.slot >= 0 && registration.finished()) {
      slots[registration.slot] = null;
      freeSlots[freeCount++] = registration.slot;
      registration.slot = -1;
    }
  }

  @Override
  public void wakeup() {
    if (wakeupPending.compareAndSet(false, true)) {
      synchronized (wakeLock) {
        if (!closed) {
          Native.writeEventfd(eventFd, wakeValue.address());
        }
      }
    }
  }

  @Override
  public Conduit connect(SocketAddress address, Readiness handler) throws IOException {
    int family = SocketAddresses.family(address);
    int fd = Native.socket(ring.errno(), family, Native.SOCK_STREAM);
    if (fd < 0) {
      throw Native.exception("socket", Native.errno(ring.errno()));
    }
    if (family != Native.AF_UNIX) {
      try {
        setOption(fd, Native.IPPROTO_TCP, Native.TCP_NODELAY, 1, 0, 4);
      } catch (IOException e) {
        Native.close(ring.errno(), fd);
        throw e;
      }
    }
    UringConduit conduit = new UringConduit(this, fd, handler, address);
    register(conduit);
    fix(conduit);
    long at = addressOffset(conduit.slot);
    int length = SocketAddresses.write(address, family, addresses, at);
    long sqe = submit(conduit, Ring.IORING_OP_CONNECT, OP_CONNECT, addresses.address() + at, 0);
    ring.sqeOffset(sqe, length);
    return conduit;
  }

  @Override
  public Conduit adopt(Accepted socket, int ops, Readiness handler) throws IOException {
    // TCP_NODELAY is inherited from the listen socket, which has it set.
    UringConduit conduit = new UringConduit(this, ((UringAccepted) socket).fd(), handler, null);
    register(conduit);
    fix(conduit);
    conduit.connected();
    conduit.interestOps(ops);
    return conduit;
  }

  /** setsockopt with an int (or, with {@code second}, a two-int struct such as linger) value. */
  void setOption(int fd, int level, int name, int value, int second, int length) throws IOException {
    scratch.set(JAVA_INT, 0, value);
    scratch.set(JAVA_INT, 4, second);
    if (Native.setsockopt(ring.errno(), fd, level, name, scratch.address(), length) < 0) {
      throw Native.exception("setsockopt", Native.errno(ring.errno()));
    }
  }

  /** The peer address of a connected socket (getpeername). */
  SocketAddress peerAddress(int fd) throws IOException {
    scratch.set(JAVA_INT, SocketAddresses.MAX_SIZE, SocketAddresses.MAX_SIZE);
    if (Native.getpeername(ring.errno(), fd, scratch.address(), scratch.address() + SocketAddresses.MAX_SIZE) < 0) {
      throw Native.exception("getpeername", Native.errno(ring.errno()));
    }
    return SocketAddresses.read(scratch, 0, scratch.get(JAVA_INT, SocketAddresses.MAX_SIZE));
  }

  /**
   * Closes every socket still registered, cancels what is in flight and waits (a second at most)
   * for those completions, so that no buffer is freed while the kernel may still use it; then frees
   * the ring, the buffers and the eventfd.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    synchronized (wakeLock) {
      closed = true;
    }
    for (int i = 0; i < usedSlots; i++) {
      if (slots[i] != null) {
        slots[i].abandon();
      }
    }
    try {
      ring.enable();
      long sqe = ring.nextSqe();
      ring.prepare(sqe, Ring.IORING_OP_ASYNC_CANCEL, 0, 0, 0, CANCEL_ALL);
      ring.sqeOpFlags(sqe, Ring.IORING_ASYNC_CANCEL_ANY | Ring.IORING_ASYNC_CANCEL_ALL);
      pending++;
      long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
      Native.close(ring.errno(), eventFd);
      while (pending > 0 && System.nanoTime() - deadline < 0) {
        ring.submit(10);
        ring.reap(this);
      }
    } catch (IOException | RuntimeException e) {
      log.debug("cancelling the io_uring's operations", e);
    }
    ring.close();
    arena.close();
  }

  boolean isClosed() {
    return closed;
  }
}
