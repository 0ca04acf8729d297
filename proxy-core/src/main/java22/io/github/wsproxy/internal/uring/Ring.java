package io.github.wsproxy.internal.uring;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * One io_uring instance: its submission and completion rings mapped into this process, the SQE
 * array, and {@code io_uring_enter}. Used on one thread (its event loop's); not thread-safe.
 *
 * <p><b>Memory ordering</b> follows liburing's ({@code src/queue.c}, {@code src/include/liburing.h}):
 * the kernel and this thread share the ring heads and tails, and each side publishes the entries it
 * wrote with a store-release of its tail (or head) and reads the other side's with a load-acquire,
 * here {@link VarHandle#setRelease} and {@link VarHandle#getAcquire} on {@code int} views of the
 * mapping. Every such access below names the liburing site it matches.
 */
final class Ring {
  static final int IORING_OP_READ = 22;
  static final int IORING_OP_ACCEPT = 13;
  static final int IORING_OP_ASYNC_CANCEL = 14;
  static final int IORING_OP_CONNECT = 16;
  static final int IORING_OP_CLOSE = 19;
  static final int IORING_OP_FILES_UPDATE = 20;
  static final int IORING_OP_SEND = 26;
  static final int IORING_OP_RECV = 27;

  static final int IOSQE_FIXED_FILE = 1;
  static final int IOSQE_BUFFER_SELECT = 1 << 5;
  static final int IORING_RECVSEND_POLL_FIRST = 1;
  static final int IORING_RECV_MULTISHOT = 1 << 1;
  static final int IORING_ACCEPT_MULTISHOT = 1;
  static final int IORING_ASYNC_CANCEL_ALL = 1;
  static final int IORING_ASYNC_CANCEL_FD = 1 << 1;
  static final int IORING_ASYNC_CANCEL_ANY = 1 << 2;

  static final int IORING_CQE_F_BUFFER = 1;
  static final int IORING_CQE_F_MORE = 1 << 1;
  static final int IORING_CQE_BUFFER_SHIFT = 16;

  private static final int IORING_SETUP_CQSIZE = 1 << 3;
  private static final int IORING_SETUP_SUBMIT_ALL = 1 << 7;
  private static final int IORING_SETUP_R_DISABLED = 1 << 6;
  private static final int IORING_SETUP_COOP_TASKRUN = 1 << 8;
  private static final int IORING_SETUP_TASKRUN_FLAG = 1 << 9;
  private static final int IORING_SETUP_SINGLE_ISSUER = 1 << 12;
  private static final int IORING_SETUP_DEFER_TASKRUN = 1 << 13;

  static final int IORING_FEAT_SINGLE_MMAP = 1;
  static final int IORING_FEAT_NODROP = 1 << 1;
  static final int IORING_FEAT_EXT_ARG = 1 << 8;

  private static final int IORING_ENTER_GETEVENTS = 1;
  private static final int IORING_ENTER_EXT_ARG = 1 << 3;
  private static final int IORING_ENTER_REGISTERED_RING = 1 << 4;

  private static final int IORING_SQ_CQ_OVERFLOW = 1 << 1;
  private static final int IORING_SQ_TASKRUN = 1 << 2;

  private static final long IORING_OFF_SQES = 0x10000000L;
  private static final int IORING_REGISTER_ENABLE_RINGS = 12;
  private static final int IORING_REGISTER_FILES2 = 13;
  private static final int IORING_RSRC_REGISTER_SPARSE = 1;
  private static final int IORING_REGISTER_PBUF_RING = 22;
  private static final int IORING_REGISTER_RING_FDS = 20;
  private static final int IORING_UNREGISTER_RING_FDS = 21;

  static final int SQE_SIZE = 64;
  private static final int CQE_SIZE = 16;
  private static final int PARAMS_SIZE = 120;

  /** {@code int} access with acquire/release modes to the shared ring words. */
  private static final VarHandle INT = JAVA_INT.varHandle();

  private final int fd;
  private final MemorySegment errno;
  private final MemorySegment rings;
  private final long ringsAddress;
  private final long ringsSize;
  private final MemorySegment sqes;
  private final long sqesAddress;
  private final long sqesSize;
  /** io_uring_getevents_arg and its timespec, for the waiting enter. */
  private final MemorySegment waitArg;
  private final MemorySegment timespec;

  private final long sqHead;
  private final long sqTail;
  private final long sqFlags;
  private final int sqMask;
  private final int sqEntries;
  private final long cqHead;
  private final long cqTail;
  private final int cqMask;
  private final long cqes;
  /** Our copy of the SQ tail: SQEs up to it are written, up to {@link #submittedTail} handed over. */
  private int localSqTail;
  private int submittedTail;
  private int localCqHead;
  /** Whether the ring is enabled (a single-issuer ring starts disabled: see {@link #enable}). */
  private boolean enabled;
  /**
   * What {@code io_uring_enter} names the ring by: its descriptor, or once {@link #enable}d by its
   * thread, the index of the ring registered with that thread (IORING_REGISTER_RING_FDS: the kernel
   * then skips looking the descriptor up in the process's shared table on every enter).
   */
  private int enterFd;
  private int enterFlags;
  private Thread registeredBy;

  /**
   * Sets up a ring of {@code entries} submission slots and {@code 4 * entries} completion slots in
   * the given arena's lifetime. A {@code singleIssuer} ring is used by one thread only, the one that
   * calls {@link #enable} (IORING_SETUP_SINGLE_ISSUER), and runs the kernel's completion work only
   * when that thread enters the ring for completions (IORING_SETUP_DEFER_TASKRUN): no interruption
   * of the loop while it runs handlers, and completions gathered in batches. It starts disabled
   * (IORING_SETUP_R_DISABLED), as the loop's thread is not the one that creates it.
   */
  Ring(Arena arena, int entries, boolean singleIssuer) throws IOException {
    errno = Native.errnoSegment(arena);
    MemorySegment params = arena.allocate(PARAMS_SIZE, 8);
    params.set(JAVA_INT, 4, entries * 4); // cq_entries, with IORING_SETUP_CQSIZE
    int taskRun = singleIssuer
        ? IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_R_DISABLED
        : IORING_SETUP_COOP_TASKRUN;
    params.set(JAVA_INT, 8, IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_TASKRUN_FLAG | taskRun);
    enabled = !singleIssuer;
    int ringFd = Native.ioUringSetup(errno, entries, params.address());
    if (ringFd < 0) {
      throw Native.exception("io_uring_setup", Native.errno(errno));
    }
    this.fd = ringFd;
    this.enterFd = ringFd;
    try {
      int features = params.get(JAVA_INT, 20);
      int required = IORING_FEAT_SINGLE_MMAP | IORING_FEAT_NODROP | IORING_FEAT_EXT_ARG;
      if ((features & required) != required) {
        throw new IOException("io_uring lacks features 0x" + Integer.toHexString(required & ~features));
      }
      sqEntries = params.get(JAVA_INT, 0);
      int cqEntries = params.get(JAVA_INT, 4);
      long sqOff = 40;
      long cqOff = 80;
      long sqSize = params.get(JAVA_INT, sqOff + 24) + (long) sqEntries * 4; // sq_off.array + entries
      long cqSize = params.get(JAVA_INT, cqOff + 20) + (long) cqEntries * CQE_SIZE; // cq_off.cqes + entries
      ringsSize = Math.max(sqSize, cqSize); // one mapping for both (IORING_FEAT_SINGLE_MMAP)
      ringsAddress = map(ringsSize, 0);
      rings = MemorySegment.ofAddress(ringsAddress).reinterpret(ringsSize);
      sqesSize = (long) sqEntries * SQE_SIZE;
      long sqesAt;
      try {
        sqesAt = map(sqesSize, IORING_OFF_SQES);
      } catch (IOException e) {
        Native.munmap(errno, ringsAddress, ringsSize);
        throw e;
      }
      sqesAddress = sqesAt;
      sqes = MemorySegment.ofAddress(sqesAddress).reinterpret(sqesSize);
      sqHead = params.get(JAVA_INT, sqOff);
      sqTail = params.get(JAVA_INT, sqOff + 4);
      sqMask = rings.get(JAVA_INT, params.get(JAVA_INT, sqOff + 8));
      sqFlags = params.get(JAVA_INT, sqOff + 16);
      long sqArray = params.get(JAVA_INT, sqOff + 24);
      cqHead = params.get(JAVA_INT, cqOff);
      cqTail = params.get(JAVA_INT, cqOff + 4);
      cqMask = rings.get(JAVA_INT, params.get(JAVA_INT, cqOff + 8));
      cqes = params.get(JAVA_INT, cqOff + 20);
      // The SQ index array maps ring slot i to SQE i once and for all, as liburing does.
      for (int i = 0; i < sqEntries; i++) {
        rings.set(JAVA_INT, sqArray + 4L * i, i);
      }
      localSqTail = (int) INT.getAcquire(rings, sqTail);
      submittedTail = localSqTail;
      localCqHead = (int) INT.getAcquire(rings, cqHead);
      waitArg = arena.allocate(24, 8);
      timespec = arena.allocate(16, 8);
      waitArg.set(JAVA_LONG, 16, timespec.address());
    } catch (IOException | RuntimeException e) {
      Native.close(errno, ringFd);
      throw e;
    }
  }

  private long map(long size, long offset) throws IOException {
    long address = Native.mmap(errno, size, fd, offset);
    if (address == Native.MAP_FAILED) {
      throw Native.exception("mmap of the io_uring", Native.errno(errno));
    }
    return address;
  }

  /**
   * Enables a single-issuer ring for the calling thread, the only one to submit from then on, and
   * registers the ring with that thread (when the kernel cannot, the descriptor goes on serving).
   */
  void enable() throws IOException {
    if (!enabled) {
      if (Native.ioUringRegister(errno, fd, IORING_REGISTER_ENABLE_RINGS, 0, 0) < 0) {
        throw Native.exception("IORING_REGISTER_ENABLE_RINGS", Native.errno(errno));
      }
      enabled = true;
      // io_uring_rsrc_update {u32 offset = -1: any free index; u32 resv; u64 data = the ring's fd}
      timespec.set(JAVA_INT, 0, -1);
      timespec.set(JAVA_INT, 4, 0);
      timespec.set(JAVA_LONG, 8, fd);
      if (Native.ioUringRegister(errno, fd, IORING_REGISTER_RING_FDS, timespec.address(), 1) == 1) {
        enterFd = timespec.get(JAVA_INT, 0);
        enterFlags = IORING_ENTER_REGISTERED_RING;
        registeredBy = Thread.currentThread();
      }
    }
  }

  MemorySegment errno() {
    return errno;
  }

  /**
   * The offset in {@link #sqes()} of a cleared SQE to fill for the next submission, submitting
   * what is queued first when the submission ring is full.
   */
  long nextSqe() throws IOException {
    // liburing's _io_uring_get_sqe reads the kernel's SQ head with a load-acquire (it orders the
    // kernel's reading of the SQEs before our reuse of their slots).
    int head = (int) INT.getAcquire(rings, sqHead);
    if (localSqTail - head >= sqEntries) {
      submit(0);
      head = (int) INT.getAcquire(rings, sqHead);
      if (localSqTail - head >= sqEntries) {
        throw new IOException("io_uring submission queue stays full");
      }
    }
    long sqe = (long) (localSqTail & sqMask) * SQE_SIZE;
    localSqTail++;
    for (int i = 0; i < SQE_SIZE; i += 8) {
      sqes.set(JAVA_LONG, sqe + i, 0L);
    }
    return sqe;
  }

  /** Fills the common fields of an SQE obtained from {@link #nextSqe()}. */
  void prepare(long sqe, int opcode, int fd, long address, int length, long userData) {
    sqes.set(JAVA_BYTE, sqe, (byte) opcode);
    sqes.set(JAVA_INT, sqe + 4, fd);
    sqes.set(JAVA_LONG, sqe + 16, address);
    sqes.set(JAVA_INT, sqe + 24, length);
    sqes.set(JAVA_LONG, sqe + 32, userData);
  }

  /** Adds {@code flags} (IOSQE_*) to those of the SQE. */
  void addSqeFlags(long sqe, int flags) {
    sqes.set(JAVA_BYTE, sqe + 1, (byte) (sqes.get(JAVA_BYTE, sqe + 1) | flags));
  }

  void sqeIoprio(long sqe, int ioprio) {
    sqes.set(JAVA_SHORT, sqe + 2, (short) ioprio);
  }

  /** The 64-bit {@code off}/{@code addr2} field. */
  void sqeOffset(long sqe, long offset) {
    sqes.set(JAVA_LONG, sqe + 8, offset);
  }

  /** The op-specific flags word (msg_flags, accept_flags, cancel_flags). */
  void sqeOpFlags(long sqe, int flags) {
    sqes.set(JAVA_INT, sqe + 28, flags);
  }

  void sqeBufferGroup(long sqe, int group) {
    sqes.set(JAVA_SHORT, sqe + 40, (short) group);
  }

  /** Completions waiting in the CQ, or the kernel asks for an enter to post more (overflow, task work). */
  boolean hasCompletions() {
    // liburing's io_uring_cq_ready: load-acquire of the CQ tail.
    return (int) INT.getAcquire(rings, cqTail) != localCqHead || needsEnter();
  }

  /**
   * Whether completions wait in the kernel rather than in the CQ: overflowed ones (more than the
   * CQ holds; with IORING_FEAT_NODROP the kernel keeps them), or task work to run (with
   * IORING_SETUP_TASKRUN_FLAG the kernel says so). liburing's cq_ring_needs_flush reads the SQ
   * flags with READ_ONCE: an opaque read here.
   */
  boolean needsEnter() {
    return ((int) INT.getOpaque(rings, sqFlags) & (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN)) != 0;
  }

  /** Whether completions overflowed the CQ and wait in the kernel (entered for at once). */
  boolean overflowed() {
    return ((int) INT.getOpaque(rings, sqFlags) & IORING_SQ_CQ_OVERFLOW) != 0;
  }

  /**
   * Hands the queued SQEs to the kernel and, when {@code waitMillis > 0}, waits up to that long for
   * at least one completion (with IORING_ENTER_EXT_ARG's timeout: no timer SQE, no extra wake-up).
   * With {@code waitMillis == 0} it flushes completions held in the kernel if there are any. Makes
   * no system call when there is nothing to submit and nothing to flush or wait for.
   */
  void submit(long waitMillis) throws IOException {
    int toSubmit = localSqTail - submittedTail;
    if (toSubmit > 0) {
      // liburing's __io_uring_flush_sq publishes the SQ tail with a store-release (the SQEs and the
      // index array written above become visible to the kernel before the new tail).
      INT.setRelease(rings, sqTail, localSqTail);
    }
    int flags;
    int minComplete;
    long arg = 0;
    long argSize = 0;
    if (waitMillis > 0) {
      flags = IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG;
      minComplete = 1;
      timespec.set(JAVA_LONG, 0, waitMillis / 1000);
      timespec.set(JAVA_LONG, 8, (waitMillis % 1000) * 1_000_000L);
      arg = waitArg.address();
      argSize = 24;
    } else if (needsEnter()) {
      flags = IORING_ENTER_GETEVENTS;
      minComplete = 0;
    } else if (toSubmit > 0) {
      flags = 0;
      minComplete = 0;
    } else {
      return;
    }
    boolean registered = enterFlags != 0 && Thread.currentThread() == registeredBy;
    int submitted = Native.ioUringEnter(errno, registered ? enterFd : fd, toSubmit, minComplete,
        registered ? flags | enterFlags : flags, arg, argSize);
    if (submitted < 0) {
      int error = Native.errno(errno);
      if (error == Native.ETIME || error == Native.EINTR) {
        submittedTail = localSqTail; // the timeout ended the wait; submissions went in first
        return;
      }
      if (error == Native.EAGAIN || error == Native.ENOBUFS) {
        return; // resources short for now: submitted again on the next turn
      }
      throw Native.exception("io_uring_enter", error);
    }
    submittedTail += submitted;
  }

  /** The receiver of completions reaped by {@link #reap}. */
  interface Completions {
    void complete(long userData, int result, int flags);
  }

  /** Hands every completion in the CQ to {@code sink} and frees their slots; returns how many. */
  int reap(Completions sink) {
    int reaped = 0;
    // liburing's __io_uring_peek_cqe / io_uring_cq_ready: load-acquire of the CQ tail, so the CQEs
    // the kernel wrote before publishing it are visible.
    int tail = (int) INT.getAcquire(rings, cqTail);
    while (localCqHead != tail) {
      long cqe = cqes + (long) (localCqHead & cqMask) * CQE_SIZE;
      long userData = rings.get(JAVA_LONG, cqe);
      int result = rings.get(JAVA_INT, cqe + 8);
      int flags = rings.get(JAVA_INT, cqe + 12);
      localCqHead++;
      reaped++;
      sink.complete(userData, result, flags);
      if (localCqHead == tail) {
        // liburing's io_uring_cq_advance: store-release of the CQ head, so our reads of these
        // CQEs happen before the kernel may overwrite their slots.
        INT.setRelease(rings, cqHead, localCqHead);
        tail = (int) INT.getAcquire(rings, cqTail);
      }
    }
    return reaped;
  }

  /**
   * Registers an empty table of {@code count} fixed files (IORING_REGISTER_FILES2, sparse), using
   * {@code scratch} (32 bytes) for the request; false if the kernel refused it (EMFILE when {@code
   * count} exceeds RLIMIT_NOFILE).
   */
  boolean registerSparseFiles(MemorySegment scratch, int count) {
    // io_uring_rsrc_register {u32 nr; u32 flags; u64 resv2; u64 data; u64 tags}
    scratch.asSlice(0, 32).fill((byte) 0);
    scratch.set(JAVA_INT, 0, count);
    scratch.set(JAVA_INT, 4, IORING_RSRC_REGISTER_SPARSE);
    return Native.ioUringRegister(errno, fd, IORING_REGISTER_FILES2, scratch.address(), 32) >= 0;
  }

  /** Registers a provided-buffer ring ({@code io_uring_buf_reg} at {@code registration}). */
  void registerBufferRing(long registration) throws IOException {
    if (Native.ioUringRegister(errno, fd, IORING_REGISTER_PBUF_RING, registration, 1) < 0) {
      throw Native.exception("IORING_REGISTER_PBUF_RING", Native.errno(errno));
    }
  }

  /** Unmaps the rings and closes the ring's descriptor (the kernel cancels what is still in flight). */
  void close() {
    if (enterFlags != 0 && Thread.currentThread() == registeredBy) {
      // the registration holds the ring until its thread ends: give it up now
      timespec.set(JAVA_INT, 0, enterFd);
      Native.ioUringRegister(errno, fd, IORING_UNREGISTER_RING_FDS, timespec.address(), 1);
    }
    Native.munmap(errno, sqesAddress, sqesSize);
    Native.munmap(errno, ringsAddress, ringsSize);
    Native.close(errno, fd);
  }
}
