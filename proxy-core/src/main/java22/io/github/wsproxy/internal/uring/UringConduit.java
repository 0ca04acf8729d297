package io.github.wsproxy.internal.uring;

import io.github.wsproxy.internal.loop.Conduit;
import io.github.wsproxy.internal.loop.Handlers;
import io.github.wsproxy.internal.loop.Readiness;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NotYetConnectedException;

/**
 * A socket on an io_uring loop. Receiving: while its handler wants {@link #OP_READ}, a multishot
 * receive fills buffers of the loop's buffer ring, queued here until {@link #read} copies them out
 * and gives them back; when the handler stops reading, the receive is cancelled, so a slow reader
 * holds a bounded number of buffers. Sending: {@link #write} copies into a send buffer of the
 * loop's (taking only what fits: backpressure as with a full socket buffer), sent by one
 * IORING_OP_SEND at a time, submitted with the loop's next turn. Readiness is level-triggered,
 * computed from this state.
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
  /** Received buffers not read yet: a queue of buffer ids and lengths; the first one read from {@link #readOffset}. */
  private int[] receivedIds = new int[4];
  private int[] receivedLengths = new int[4];
  private int receivedHead;
  private int receivedCount;
  private int readOffset;
  private boolean endOfStream;
  private int readError;

  private SendBuffers.Chunk chunk;
  /** Bytes ever sent (or dropped) and ever written: the send buffer is a ring between them. */
  private long sendHead;
  private long sendTail;
  private boolean sendInFlight;
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
    if (receivedCount > 0 || endOfStream || readError != 0) {
      ops |= OP_READ;
    }
    if (sendTail - sendHead < transport.sends.size() || sendError != 0) {
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
    if (receiving || !connected || closed || endOfStream || readError != 0 || starved) {
      return;
    }
    long sqe = transport.submitUnchecked(this, Ring.IORING_OP_RECV, UringTransport.OP_RECV, 0, 0);
    transport.ring.sqeIoprio(sqe, Ring.IORING_RECV_MULTISHOT);
    transport.ring.sqeFlags(sqe, Ring.IOSQE_BUFFER_SELECT);
    transport.ring.sqeBufferGroup(sqe, BufferRing.GROUP);
    receiving = true;
  }

  /**
   * Cancels the multishot receive when the handler stops reading (backpressure, or a phase that
   * does not read): it would otherwise go on taking buffers from the loop's ring for bytes nobody
   * reads, up to the kernel's 32 per wake-up. The cancel goes with the next turn's submission, no
   * system call of its own; reading again re-arms the receive.
   */
  private void stopReceiving() {
    if (receiving && !cancellingReceive) {
      cancellingReceive = true;
      transport.cancel(this, UringTransport.OP_RECV);
    }
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
    if ((interest & OP_READ) == 0) {
      stopReceiving();
    } else if (!receiving) {
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
    int at = (receivedHead + receivedCount) % receivedIds.length;
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
        receivedHead = (receivedHead + 1) % receivedIds.length;
        receivedCount--;
        transport.buffers.recycle(bid);
      }
    }
    if (total > 0) {
      return total;
    }
    if (receivedCount == 0 && readError != 0) {
      throw Native.exception(readError);
    }
    return receivedCount == 0 && endOfStream ? -1 : 0;
  }

  private void releaseReceived() {
    while (receivedCount > 0) {
      transport.buffers.recycle(receivedIds[receivedHead]);
      receivedHead = (receivedHead + 1) % receivedIds.length;
      receivedCount--;
    }
    readOffset = 0;
  }

  // ---- send

  @Override
  public int write(ByteBuffer src) throws IOException {
    if (closed || outputShut) {
      throw new ClosedChannelException();
    }
    if (!connected) {
      throw new NotYetConnectedException();
    }
    if (sendError != 0) {
      throw Native.exception(sendError);
    }
    int capacity = transport.sends.size();
    int n = (int) Math.min(src.remaining(), capacity - (sendTail - sendHead));
    if (n == 0) {
      return 0;
    }
    if (chunk == null) {
      chunk = transport.sends.acquire();
    }
    int at = (int) (sendTail % capacity);
    int first = Math.min(n, capacity - at);
    int from = src.position();
    chunk.buffer.put(at, src, from, first);
    if (n > first) {
      chunk.buffer.put(0, src, from + first, n - first);
    }
    src.position(from + n);
    sendTail += n;
    if (!sendInFlight && !sendQueued) {
      sendQueued = true;
      transport.queueSend(this);
    }
    return n;
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

  /** Submits a send of the written bytes (up to the end of the buffer's memory), at the turn's start. */
  void startSend() throws IOException {
    sendQueued = false;
    if (sendInFlight || descriptorClosing || sendHead == sendTail) {
      return;
    }
    int capacity = transport.sends.size();
    int at = (int) (sendHead % capacity);
    int length = (int) Math.min(sendTail - sendHead, capacity - at);
    long sqe = transport.submit(this, Ring.IORING_OP_SEND, UringTransport.OP_SEND, chunk.address + at, length);
    transport.ring.sqeOpFlags(sqe, Native.MSG_NOSIGNAL);
    sendInFlight = true;
  }

  private void sent(int result) {
    sendInFlight = false;
    if (result < 0) {
      if (result != -Native.ECANCELED && sendError == 0) {
        sendError = -result;
      }
      sendHead = sendTail; // what is left cannot be sent
    } else {
      sendHead += result; // a short send: the rest goes with the next turn
    }
    if (sendHead == sendTail) {
      sendHead = 0;
      sendTail = 0;
      transport.sends.release(chunk);
      chunk = null;
      if (shutdownAfterSend) {
        shutdownAfterSend = false;
        shutdownNow();
      }
      if (closeAfterSend) {
        closeAfterSend = false;
        closeDescriptor();
      }
    } else if (!descriptorClosing && !sendQueued) {
      sendQueued = true;
      transport.queueSend(this);
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
    if (sendInFlight || sendHead != sendTail) {
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
    if (connectPending) {
      transport.cancel(this, UringTransport.OP_CONNECT);
    }
    if (sendInFlight || sendHead != sendTail) {
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
    sendHead = sendTail; // unsent bytes are dropped; the buffer goes back once the send in flight ends
    if (inflight > 0) {
      transport.cancelAll(this);
    }
    closeDescriptor();
  }

  private void closeDescriptor() {
    descriptorClosing = true;
    transport.submitUnchecked(this, Ring.IORING_OP_CLOSE, UringTransport.OP_CLOSE, 0, 0);
  }

  @Override
  void complete(int op, int result, int flags) {
    switch (op) {
      case UringTransport.OP_RECV -> received(result, flags);
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
