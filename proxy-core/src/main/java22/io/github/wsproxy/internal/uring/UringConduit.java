package io.github.wsproxy.internal.uring;

import io.github.wsproxy.internal.loop.BufferPool;
import io.github.wsproxy.internal.loop.Conduit;
import io.github.wsproxy.internal.loop.Handlers;
import io.github.wsproxy.internal.loop.Readiness;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NotYetConnectedException;

/**
 * A socket on an io_uring loop. Receiving: while its handler wants {@link #OP_READ}, a multishot
 * receive fills buffers of the loop's buffer ring, queued here until {@link #read} copies them out
 * and gives them back; when the handler stops reading, the receive is cancelled, so a slow reader
 * holds a bounded number of buffers. In bulk (a ring buffer received full), when its reader takes
 * pooled buffers ({@link #takeReceived}: the relay), it receives instead into one buffer of the
 * reader's pool at a time, by a single-shot receive, and the reader takes that buffer whole, no
 * copy; the transport cancels a receive that waits for bytes longer than
 * {@link UringTransport#BULK_IDLE_NANOS}, which brings the connection back to the buffer ring, so a
 * quiet connection holds no buffer. Sending: a queue
 * of buffers, sent in order by one IORING_OP_SEND at a time, submitted with the loop's next turn:
 * buffers handed over ({@link #handOver}: the relay's, sent from their own memory, no copy) and send
 * buffers of the loop's that {@link #write} copies into. Both take only what fits in the
 * transport's bound on the buffer memory queued (backpressure as with a full socket buffer). A
 * buffer goes back to its pool once the kernel is done with it: sent, or its send completed after a
 * reset. Readiness is level-triggered, computed from this state.
 */
final class UringConduit extends Registration implements Conduit {
  private Readiness handler;
  private int interest;
  private SocketAddress remote;

  private boolean connectPending;
  private int connectError;
  private boolean connected;

  private boolean receiving;
  private boolean cancellingReceive;
  private boolean starved;
  /**
   * Received buffers not read yet: a queue of buffer ids and lengths; the first one read from {@link
   * #readOffset}. Its capacity is a power of two (it doubles), so an index wraps with a mask, not a
   * division (a loop reads on every receive).
   */
  private int[] receivedIds = new int[4];
  private int[] receivedLengths = new int[4];
  private int receivedHead;
  private int receivedCount;
  private int readOffset;
  /** The pool of the buffers its reader takes ({@link #takeReceived}); null until it asks: only then is there bulk. */
  private BufferPool receivePool;
  /** Whether receives go single-shot into buffers of {@link #receivePool} rather than to the buffer ring. */
  private boolean bulk;
  /** Whether the transport watches this conduit's receives into pooled buffers ({@link #stillInBulk}). */
  private boolean watched;
  /** The buffer of the single-shot receive in flight: the kernel's until that receive completes. */
  private ByteBuffer inbound;
  /** The transport's bulk check count when the receive into {@link #inbound} was submitted. */
  private int inboundSince;
  /** Whether the last receive into a pooled buffer filled it: then more bytes are likely waiting. */
  private boolean inboundFilled;
  private boolean cancellingInbound;
  /**
   * Bytes received into a buffer of {@link #receivePool} and not read yet, in {@code [position,
   * limit)}; they come after the ring buffers queued.
   */
  private ByteBuffer filled;
  private boolean endOfStream;
  private int readError;

  /**
   * Buffers to send, in order, each unsent in {@code [position, limit)}, with the pool each goes back
   * to (the transport's send buffers for those written into by copy): a ring of {@link #outCount}
   * from {@link #outHead}; null until the first send.
   */
  private ByteBuffer[] outgoing;
  private BufferPool[] owners;
  private int outHead;
  private int outCount;
  /** The capacity of the buffers queued: what the bound on sending applies to. */
  private int held;
  /** Whether the first queued buffer's send is in flight: the kernel may read it until it completes. */
  boolean sendInFlight;
  private boolean sendQueued;
  private int sendError;
  private boolean outputShut;
  private boolean shutdownAfterSend;

  private boolean closed;
  private boolean closeAfterSend;
  private long lingerDeadline;
  private boolean descriptorClosing;
  private boolean descriptorClosed;

  UringConduit(UringTransport transport, int fd, Readiness handler, SocketAddress remote) {
    super(transport, fd);
    this.handler = handler;
    this.remote = remote;
    if (remote != null) {
      connectPending = true;
      interest = OP_CONNECT;
    }
  }

  /** An accepted socket: connected from the start. */
  void connected() {
    connected = true;
  }

  @Override
  public int interestOps() {
    return interest;
  }

  @Override
  public void interestOps(int ops) {
    if (closed) {
      return;
    }
    interest = ops;
    if ((ops & OP_READ) != 0) {
      armReceive();
    } else {
      stopReceiving();
    }
    if ((readyOps() & ops) != 0) {
      transport.markReady(this);
    }
  }

  @Override
  public void handler(Readiness handler) {
    this.handler = handler;
  }

  private int readyOps() {
    if (!connected) {
      return connectPending ? 0 : OP_CONNECT;
    }
    int ops = 0;
    if (receivedCount > 0 || filled != null || endOfStream || readError != 0) {
      ops |= OP_READ;
    }
    if (held < transport.sends.bufferSize() || sendError != 0) {
      ops |= OP_WRITE;
    }
    return ops;
  }

  @Override
  void dispatch() {
    if (closed) {
      return;
    }
    int ops = readyOps() & interest;
    if (ops == 0) {
      return;
    }
    Handlers.ready(handler, ops);
    if (!closed && (readyOps() & interest) != 0) {
      transport.markReady(this); // level-triggered: again next turn, without waiting
    }
  }

  // ---- connect

  @Override
  public boolean finishConnect() throws IOException {
    if (closed) {
      throw new ClosedChannelException();
    }
    if (connected) {
      return true;
    }
    if (connectPending) {
      return false;
    }
    if (connectError != 0) {
      throw Native.exception(connectError);
    }
    connected = true;
    if ((interest & OP_READ) != 0) {
      armReceive();
    }
    return true;
  }

  @Override
  public boolean isConnected() {
    return connected && !closed;
  }

  @Override
  public SocketAddress remoteAddress() throws IOException {
    if (closed) {
      throw new ClosedChannelException();
    }
    if (remote == null && connected) {
      remote = transport.peerAddress(fd);
    }
    return remote;
  }

  // ---- receive

  private void armReceive() {
    if (receiving || !connected || closed || endOfStream || readError != 0) {
      return;
    }
    if (bulk) {
      if (filled == null) { // one buffer of bytes at a time: the bound on what a reader that stopped holds
        if (!watched) {
          watched = true;
          transport.watchBulk(this);
        }
        inbound = receivePool.acquire();
        inboundSince = transport.bulkChecks;
        transport.receiveInto(this, inbound, !inboundFilled);
        receiving = true;
      }
      return;
    }
    if (starved) {
      return;
    }
    long sqe = transport.submitUnchecked(this, Ring.IORING_OP_RECV, UringTransport.OP_RECV, 0, 0);
    transport.ring.sqeIoprio(sqe, Ring.IORING_RECV_MULTISHOT);
    transport.ring.addSqeFlags(sqe, Ring.IOSQE_BUFFER_SELECT);
    transport.ring.sqeBufferGroup(sqe, BufferRing.GROUP);
    receiving = true;
  }

  /**
   * Cancels the multishot receive when the handler stops reading (backpressure, or a phase that
   * does not read): it would otherwise go on taking buffers from the loop's ring for bytes nobody
   * reads, up to the kernel's 32 per wake-up. The cancel goes with the next turn's submission, no
   * system call of its own; reading again re-arms the receive. A single-shot receive into a pooled
   * buffer (in bulk) is left to complete: it fills one buffer at most, and the transport's bulk
   * check ends it if no byte comes.
   */
  private void stopReceiving() {
    if (receiving && inbound == null && !cancellingReceive) {
      cancellingReceive = true;
      transport.cancel(this, UringTransport.OP_RECV);
    }
  }

  /**
   * The transport's bulk check number {@code check}: cancels the receive into a pooled buffer
   * submitted before the previous check and still waiting (no byte for a check's interval at
   * least). Returns whether the conduit is still in bulk, to be watched further.
   */
  boolean stillInBulk(int check) {
    if (closed || !bulk) {
      watched = false;
      return false;
    }
    if (inbound != null && !cancellingInbound && check - inboundSince >= 2) {
      cancellingInbound = true;
      transport.cancel(this, UringTransport.OP_RECV_INTO);
    }
    return true;
  }

  /** Buffers came back to the ring after a receive ended with -ENOBUFS. */
  void buffersAvailable() {
    starved = false;
    if ((interest & OP_READ) != 0) {
      armReceive();
    }
  }

  private void received(int result, int flags) {
    boolean more = (flags & Ring.IORING_CQE_F_MORE) != 0;
    if (!more) {
      receiving = false;
      cancellingReceive = false;
    }
    if ((flags & Ring.IORING_CQE_F_BUFFER) != 0) {
      int bid = flags >>> Ring.IORING_CQE_BUFFER_SHIFT;
      transport.buffers.taken();
      if (closed || result <= 0) {
        transport.buffers.recycle(bid);
      } else {
        queueReceived(bid, result);
        // a full buffer: more was waiting, the connection is in bulk; receive into the reader's buffers
        bulk |= result == transport.buffers.size() && receivePool != null;
      }
    }
    if (result == 0 && !more) {
      endOfStream = true;
    } else if (result == -Native.ENOBUFS) {
      if (!closed && !starved) {
        starved = true; // re-armed when buffers come back, not now: the ring is empty
        transport.starved(this);
      }
    } else if (result < 0 && result != -Native.ECANCELED) {
      readError = -result;
    }
    if (closed) {
      return;
    }
    if ((interest & OP_READ) == 0 || bulk) {
      stopReceiving(); // in bulk, the single-shot receive follows once this one has ended
    }
    if ((interest & OP_READ) != 0 && !receiving) {
      armReceive();
    }
    if ((readyOps() & interest) != 0) {
      transport.markReady(this);
    }
  }

  /** A single-shot receive into {@link #inbound} completed. */
  private void receivedInto(int result) {
    receiving = false;
    cancellingInbound = false;
    ByteBuffer buffer = inbound;
    inbound = null;
    inboundFilled = result == buffer.remaining();
    if (closed || result <= 0) {
      receivePool.release(buffer);
    } else {
      filled = buffer.limit(result);
    }
    if (result == 0) {
      endOfStream = true;
    } else if (result == -Native.ECANCELED) {
      bulk = false; // no byte came in time (or a close cancelled it): the buffer ring again
    } else if (result < 0) {
      readError = -result;
    }
    if (closed) {
      return;
    }
    if ((interest & OP_READ) != 0) {
      armReceive();
    }
    if ((readyOps() & interest) != 0) {
      transport.markReady(this);
    }
  }

  private void queueReceived(int bid, int length) {
    if (receivedCount == receivedIds.length) {
      int[] ids = new int[receivedCount * 2];
      int[] lengths = new int[receivedCount * 2];
      for (int i = 0; i < receivedCount; i++) {
        ids[i] = receivedIds[(receivedHead + i) % receivedCount];
        lengths[i] = receivedLengths[(receivedHead + i) % receivedCount];
      }
      receivedIds = ids;
      receivedLengths = lengths;
      receivedHead = 0;
    }
    int at = (receivedHead + receivedCount) & (receivedIds.length - 1);
    receivedIds[at] = bid;
    receivedLengths[at] = length;
    receivedCount++;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (closed) {
      throw new ClosedChannelException();
    }
    if (!connected) {
      throw new NotYetConnectedException();
    }
    int total = 0;
    ByteBuffer source = transport.buffers.view();
    while (receivedCount > 0 && dst.hasRemaining()) {
      int bid = receivedIds[receivedHead];
      int length = receivedLengths[receivedHead];
      int n = Math.min(length - readOffset, dst.remaining());
      int at = dst.position();
      dst.put(at, source, (int) transport.buffers.offset(bid) + readOffset, n);
      dst.position(at + n);
      readOffset += n;
      total += n;
      if (readOffset == length) {
        readOffset = 0;
        receivedHead = (receivedHead + 1) & (receivedIds.length - 1);
        receivedCount--;
        transport.buffers.recycle(bid);
      }
    }
    if (receivedCount == 0 && filled != null && dst.hasRemaining()) {
      int n = Math.min(filled.remaining(), dst.remaining());
      int at = dst.position();
      dst.put(at, filled, filled.position(), n);
      dst.position(at + n);
      filled.position(filled.position() + n);
      total += n;
      if (!filled.hasRemaining()) {
        receivePool.release(filled);
        filled = null;
        if ((interest & OP_READ) != 0) {
          armReceive();
        }
      }
    }
    if (total > 0) {
      return total;
    }
    boolean drained = receivedCount == 0 && filled == null;
    if (drained && readError != 0) {
      throw Native.exception(readError);
    }
    return drained && endOfStream ? -1 : 0;
  }

  /**
   * Hands over the buffer of {@code pool} received into, when the ring buffers queued before it are
   * read and none of it is; remembers {@code pool}, so that the connection can go bulk.
   */
  @Override
  public ByteBuffer takeReceived(BufferPool pool) {
    if (receivePool == null) {
      receivePool = pool;
    }
    if (filled == null || receivedCount > 0 || filled.position() > 0 || pool != receivePool) {
      return null;
    }
    ByteBuffer taken = filled;
    filled = null;
    taken.position(taken.limit()).limit(taken.capacity());
    if ((interest & OP_READ) != 0) {
      armReceive();
    }
    return taken;
  }

  private void releaseReceived() {
    while (receivedCount > 0) {
      transport.buffers.recycle(receivedIds[receivedHead]);
      receivedHead = (receivedHead + 1) & (receivedIds.length - 1);
      receivedCount--;
    }
    readOffset = 0;
    if (filled != null) {
      receivePool.release(filled);
      filled = null;
    }
  }

  // ---- send

  /** Copies what fits into the queue's last send buffer, or a new one while within the bound. */
  @Override
  public int write(ByteBuffer src) throws IOException {
    checkWritable();
    BufferPool sends = transport.sends;
    int total = 0;
    while (src.hasRemaining()) {
      ByteBuffer last = outCount == 0 ? null : outgoing[slot(outCount - 1)];
      if (last == null || owners[slot(outCount - 1)] != sends || last.limit() == last.capacity()) {
        if (held >= sends.bufferSize()) {
          break;
        }
        last = sends.acquire().limit(0);
        enqueue(last, sends);
      }
      // Appending past the limit is safe while a send of the bytes before it is in flight: the
      // kernel reads only the range it was given.
      int at = last.limit();
      int n = Math.min(src.remaining(), last.capacity() - at);
      last.limit(at + n);
      last.put(at, src, src.position(), n);
      src.position(src.position() + n);
      total += n;
    }
    if (total > 0) {
      queueSend();
    }
    return total;
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    long total = 0;
    for (int i = offset; i < offset + length; i++) {
      int wanted = srcs[i].remaining();
      int n = write(srcs[i]);
      total += n;
      if (n < wanted) {
        break;
      }
    }
    return total;
  }

  @Override
  public long write(ByteBuffer[] srcs) throws IOException {
    return write(srcs, 0, srcs.length);
  }

  /**
   * Queues {@code src} itself to send from its memory, no copy, while the buffers queued are within
   * the bound (else false, nothing taken); it goes back to {@code pool} once sent or dropped.
   */
  @Override
  public boolean handOver(ByteBuffer src, BufferPool pool) throws IOException {
    checkWritable();
    if (held >= transport.sends.bufferSize()) {
      return false;
    }
    if (pool.releaseIfWritten(src)) {
      return true; // nothing to send
    }
    enqueue(src, pool);
    queueSend();
    return true;
  }

  private void checkWritable() throws IOException {
    if (closed || outputShut) {
      throw new ClosedChannelException();
    }
    if (!connected) {
      throw new NotYetConnectedException();
    }
    if (sendError != 0) {
      throw Native.exception(sendError);
    }
  }

  private int slot(int index) {
    return (outHead + index) & (outgoing.length - 1);
  }

  private void enqueue(ByteBuffer buffer, BufferPool owner) {
    if (outgoing == null) {
      outgoing = new ByteBuffer[4];
      owners = new BufferPool[4];
    } else if (outCount == outgoing.length) {
      ByteBuffer[] buffers = new ByteBuffer[outCount * 2];
      BufferPool[] pools = new BufferPool[outCount * 2];
      for (int i = 0; i < outCount; i++) {
        buffers[i] = outgoing[slot(i)];
        pools[i] = owners[slot(i)];
      }
      outgoing = buffers;
      owners = pools;
      outHead = 0;
    }
    outgoing[slot(outCount)] = buffer;
    owners[slot(outCount)] = owner;
    outCount++;
    held += buffer.capacity();
  }

  /** Releases the first queued buffer to its pool. */
  private void dequeue() {
    int first = outHead;
    outHead = (outHead + 1) & (outgoing.length - 1);
    release(first);
  }

  /**
   * Drops the unsent buffers, releasing each to its pool, but the first one while its send is in
   * flight: that one goes back when the send completes, never while the kernel may read it.
   */
  private void dropSends() {
    int keep = sendInFlight ? 1 : 0;
    while (outCount > keep) {
      release(slot(outCount - 1));
    }
  }

  /** Takes the buffer at array index {@code at} (the first or the last queued) out of the queue and releases it. */
  private void release(int at) {
    ByteBuffer buffer = outgoing[at];
    BufferPool owner = owners[at];
    outgoing[at] = null;
    owners[at] = null;
    outCount--;
    held -= buffer.capacity();
    owner.release(buffer);
  }

  private void queueSend() {
    if (!sendInFlight && !sendQueued) {
      sendQueued = true;
      transport.queueSend(this);
    }
  }

  /** Submits a send of the first queued buffer's unsent bytes, at the turn's start. */
  void startSend() throws IOException {
    sendQueued = false;
    if (sendInFlight || descriptorClosing || outCount == 0) {
      return;
    }
    ByteBuffer head = outgoing[outHead];
    // A direct buffer's segment starts at its position and spans its remaining bytes.
    long address = MemorySegment.ofBuffer(head).address();
    long sqe = transport.submit(this, Ring.IORING_OP_SEND, UringTransport.OP_SEND, address, head.remaining());
    transport.ring.sqeOpFlags(sqe, Native.MSG_NOSIGNAL);
    sendInFlight = true;
  }

  private void sent(int result) {
    sendInFlight = false;
    if (result < 0 && result != -Native.ECANCELED && sendError == 0) {
      sendError = -result;
    }
    if (result < 0 || descriptorClosing) {
      dropSends(); // what is left cannot be sent, or was reset
    } else {
      ByteBuffer head = outgoing[outHead];
      head.position(head.position() + result); // a short send: the rest goes with the next turn
      if (!head.hasRemaining()) {
        dequeue();
      }
    }
    if (outCount == 0) {
      if (shutdownAfterSend) {
        shutdownAfterSend = false;
        shutdownNow();
      }
      if (closeAfterSend) {
        closeAfterSend = false;
        closeDescriptor();
      }
    } else if (!descriptorClosing) {
      queueSend();
    }
    if (!closed && (readyOps() & interest) != 0) {
      transport.markReady(this);
    }
  }

  @Override
  public void shutdownOutput() throws IOException {
    if (closed) {
      throw new ClosedChannelException();
    }
    if (outputShut) {
      return;
    }
    outputShut = true;
    if (outCount > 0) {
      shutdownAfterSend = true; // FIN after the bytes written
    } else {
      shutdownNow();
    }
  }

  /**
   * FIN now, by a direct shutdown(2): not IORING_OP_SHUTDOWN, which the kernel runs on a worker
   * thread later and which looks the descriptor up only then, when it may already be closed and its
   * number reused by another connection.
   */
  private void shutdownNow() {
    if (!descriptorClosing) {
      Native.shutdown(transport.ring.errno(), fd, Native.SHUT_WR);
    }
  }

  // ---- close

  @Override
  public boolean isOpen() {
    return !closed;
  }

  /** Graceful: the bytes written are sent first, then the descriptor is closed (FIN). */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    releaseReceived();
    stopReceiving();
    if (inbound != null && !cancellingInbound) {
      cancellingInbound = true;
      transport.cancel(this, UringTransport.OP_RECV_INTO); // its buffer goes back when it completes
    }
    if (connectPending) {
      transport.cancel(this, UringTransport.OP_CONNECT);
    }
    if (outCount > 0) {
      closeAfterSend = true;
      lingerDeadline = System.nanoTime() + transport.lingerNanos;
      transport.lingering(this);
    } else {
      closeDescriptor();
    }
  }

  /**
   * Whether this conduit is done lingering at {@code now}: its bytes were sent (or it was reset), or
   * the time is up, and then it is reset.
   */
  boolean lingeredOut(long now) {
    if (!closeAfterSend) {
      return true;
    }
    if (now - lingerDeadline < 0) {
      return false;
    }
    reset();
    return true;
  }

  @Override
  public void reset() {
    if (descriptorClosing) {
      return;
    }
    closed = true;
    closeAfterSend = false;
    releaseReceived();
    if (connected) {
      try {
        transport.setOption(fd, Native.SOL_SOCKET, Native.SO_LINGER, 1, 0, 8);
      } catch (IOException e) {
        // closed either way
      }
    }
    dropSends(); // unsent bytes are dropped; the buffer in flight goes back once its send ends
    if (inflight > 0) {
      transport.cancelAll(this);
    }
    closeDescriptor();
  }

  private void closeDescriptor() {
    descriptorClosing = true;
    transport.unfix(this);
    transport.submitUnchecked(this, Ring.IORING_OP_CLOSE, UringTransport.OP_CLOSE, 0, 0);
  }

  @Override
  void complete(int op, int result, int flags) {
    switch (op) {
      case UringTransport.OP_RECV -> received(result, flags);
      case UringTransport.OP_RECV_INTO -> receivedInto(result);
      case UringTransport.OP_SEND -> sent(result);
      case UringTransport.OP_CONNECT -> {
        connectPending = false;
        connectError = result < 0 ? -result : 0;
        if (!closed) {
          transport.markReady(this);
        }
      }
      case UringTransport.OP_CLOSE -> descriptorClosed = true;
      default -> {
        // a cancel: nothing to do with its result
      }
    }
  }

  @Override
  boolean finished() {
    return descriptorClosed;
  }

  @Override
  void abandon() {
    closed = true;
    releaseReceived();
    dropSends();
    if (!descriptorClosing) {
      descriptorClosing = true;
      descriptorClosed = true;
      Native.close(transport.ring.errno(), fd);
    }
  }

  @Override
  public String toString() {
    return "UringConduit[fd=" + fd + ", slot=" + slot + (closed ? ", closed" : "") + "]";
  }
}
