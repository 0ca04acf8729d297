package io.github.wsproxy.internal.relay;

import io.github.wsproxy.internal.frame.FrameScanner;
import io.github.wsproxy.internal.loop.BufferPool;
import io.github.wsproxy.internal.loop.Conduit;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * One direction of a connection pair: reads raw bytes from {@code src}, lets the {@link
 * FrameScanner} check and re-mask them in place, and writes them to {@code dst}, handing the buffer
 * over ({@link Conduit#handOver}: io_uring sends from it, no copy). When src received into a pooled
 * buffer ({@link Conduit#takeReceived}: io_uring, in bulk) that buffer is taken instead of read
 * into, so a relayed buffer may go from one socket to the other without a copy. It holds a pooled
 * buffer only while bytes are in flight, and stops reading {@code src} while {@code dst} cannot
 * take more (backpressure), so memory per connection is bounded by one buffer per direction, plus
 * what dst's transport queues to send and src's receives within their own bounds.
 *
 * <p>When interceptors watch this direction, a {@link MessagePipeline} takes the checked bytes
 * instead, and what it encodes is written to {@code dst}. Messages of the proxy's own ({@link
 * #inject}) go out between messages.
 *
 * <p>A frame of the proxy's own (close, ping, injected message) goes to {@code dst} only at a frame
 * boundary of its output: a close the proxy decides on while a relayed frame is in flight waits for
 * that frame's end ({@link #closeAtFrameBoundary}); when src is gone before the frame is complete,
 * dst gets what was relayed and then the end of its TCP connection, no close frame ({@link
 * #sourceGone}). Raw output is at a boundary where the scanner is, until forwarding stops; the
 * pipeline's output always is (it writes whole frames).
 *
 * <p>Buffer layout: {@code [sent, ready)} checked bytes still to write, {@code [ready, position)}
 * bytes not yet complete enough to check (at most a frame header or a control frame).
 */
final class Relay {
  private static final int MAX_READS_PER_WAKEUP = 4;
  /** Longest incomplete frame head: a 14-byte header, or a control frame of 6 + 125 bytes. */
  private static final int MAX_STASH = 131;

  /** The open connection this direction belongs to: it hears of closes, failures and violations. */
  private final OpenRelay open;
  final Leg src;
  final Leg dst;
  final FrameScanner scanner;
  private final BufferPool pool;
  private ByteBuffer buf;
  private int sent;
  private int ready;
  /** A frame of the proxy's own (a close), written after the relayed bytes. */
  private ByteBuffer control;
  /** Scan what arrives but forward nothing: the direction is closing. */
  private boolean discarding;
  /** Whether the raw output stopped inside a frame when forwarding stopped. */
  private boolean stoppedMidFrame;
  /** A close of the proxy's own waiting for the end of the relayed frame in flight; null when none. */
  private ByteBuffer closeAtFrameEnd;
  /** dst ends without a close frame once what was relayed is written: its frame in flight cannot finish. */
  private boolean endingMidFrame;
  /** src's close frame is not relayed: the proxy answers dst with a close of its own. */
  private boolean replacingClose;
  /** Nothing more is read from src (it violated the protocol and waits for its close). */
  private boolean readingStopped;
  /** The output ends with a close frame; when it is flushed the close has been sent to dst. */
  private boolean closeInOutput;
  private long stalledSinceNanos;
  /** Decodes this direction for interceptors; null when it is relayed raw. */
  private final MessagePipeline pipeline;
  /** Messages of the proxy's own, waiting for a message boundary; released to {@code written}. */
  private ArrayDeque<ByteBuffer> injected;
  private ArrayDeque<Integer> injectedSizes;
  private final IntConsumer injectedWritten;
  /** A ping of the proxy's own to dst, written at the next frame boundary. */
  private ByteBuffer ping;
  /** An incomplete frame head kept while no buffer is held. */
  private byte[] stash;
  private long bytes;

  Relay(OpenRelay open, Leg src, Leg dst, FrameScanner scanner, BufferPool pool, MessagePipeline pipeline,
      IntConsumer injectedWritten) {
    this.open = open;
    this.src = src;
    this.dst = dst;
    this.scanner = scanner;
    this.pool = pool;
    this.pipeline = pipeline;
    this.injectedWritten = injectedWritten;
  }

  /** src is readable: read, check, forward, until the socket is drained or dst pushes back. */
  void onReadable() {
    if (readingStopped) {
      return;
    }
    for (int round = 0; round < MAX_READS_PER_WAKEUP && !src.isClosed(); round++) {
      if (dst.isClosed()) {
        dropOutput();
      } else if (hasPendingOutput()) {
        src.interest(Conduit.OP_READ, false);
        return;
      }
      int taken = takeReceived();
      acquireBuffer();
      int space = buf.remaining() + taken;
      int n;
      try {
        n = src.read(buf);
      } catch (IOException e) {
        open.onLegFailed(src, e);
        return;
      }
      if (taken > 0) {
        n = Math.max(n, 0) + taken; // the end of the stream, if it follows, is read again next round
      }
      if (n < 0) {
        releaseIfEmpty();
        open.onEof(src);
        return;
      }
      if (n == 0) {
        releaseIfEmpty();
        return;
      }
      src.heardAt(open.now());
      bytes += n;
      boolean relaying = process();
      if (!flush() || !relaying || n < space) {
        return;
      }
    }
  }

  /** dst is gone: read src again although dst's backpressure stopped it; what it sends is dropped. */
  void resumeSource() {
    if (!src.isClosed() && !readingStopped) {
      src.interest(Conduit.OP_READ, true);
    }
  }

  /** Feeds bytes that arrived before the relay started (after a handshake head). */
  void feed(byte[] early) {
    if (early.length == 0) {
      return;
    }
    acquireBuffer();
    buf.put(early);
    bytes += early.length;
    process();
    flush();
  }

  /** Checks the newly read bytes; false when the direction stopped (violation). */
  private boolean process() {
    int filled = buf.position();
    int start = ready;
    int end = scanner.scan(buf, ready, filled);
    FrameScanner.Stop stop = scanner.stop();
    while (stop == FrameScanner.Stop.OWN_PONG) {
      int pongEnd = scanner.ownPongEnd();
      moveTo(pongEnd, end, filled - pongEnd);
      filled -= pongEnd - end;
      src.pingAnswered();
      end = scanner.scan(buf, end, filled);
      stop = scanner.stop();
    }
    if (end > start) {
      open.touch();
    }
    if (stop == FrameScanner.Stop.CLOSE && replacingClose) {
      end = scanner.frameStart();
    }
    if (stop != FrameScanner.Stop.NEED_MORE && stop != FrameScanner.Stop.FRAME_END) {
      filled = end;
    }
    if (discarding) {
      int tail = filled - end;
      moveTo(end, ready, tail);
      buf.position(ready + tail);
    } else {
      buf.position(filled);
      ready = end;
      if (pipeline != null) {
        pipeline.decode(buf, start, end);
        sent = end;
      }
    }
    if (stop == FrameScanner.Stop.FRAME_END) {
      // the frame in flight when the proxy decided to close is complete: its close follows, and
      // the rest is scanned (src's close frame may be in it) but no longer forwarded
      if (closeAtFrameEnd != null) {
        queueClose(closeAtFrameEnd);
        closeAtFrameEnd = null;
      }
      return process();
    }
    if (stop == FrameScanner.Stop.CLOSE) {
      boolean relayed = !discarding && !replacingClose;
      closeInOutput |= relayed;
      discarding = true;
      open.onCloseFrame(src, scanner.closeCode(), scanner.closeReason());
    } else if (stop == FrameScanner.Stop.VIOLATION) {
      stoppedMidFrame |= !discarding && scanner.violationMidFrame();
      discarding = true;
      open.onViolation(this);
      return false;
    }
    return true;
  }

  /**
   * Writes what is pending to dst, then resumes reading src; on a short write, waits for dst to
   * become writable and stops reading src.
   *
   * @return true when everything pending was written
   */
  boolean flush() {
    if (dst.isClosed()) {
      dropOutput();
      return true;
    }
    try {
      if (!dst.flushTransport()) {
        stalled(0);
        return false;
      }
      if (buf != null && sent < ready && !writeChecked()) {
        return false;
      }
      compact();
      if (!writeQueue(pipeline == null ? null : pipeline.out, false) || !writePing() || !writeInjected()) {
        return false;
      }
      if (control != null) {
        int written = dst.write(control);
        if (control.hasRemaining() || !dst.flushTransport()) {
          stalled(written);
          return false;
        }
        control = null;
      }
    } catch (IOException e) {
      open.onLegFailed(dst, e);
      return false;
    }
    stalledSinceNanos = 0;
    if (endingMidFrame) {
      open.endedMidFrame(this);
      return true;
    }
    dst.interest(Conduit.OP_WRITE, false);
    if (!src.isClosed() && !readingStopped && (pipeline == null || !pipeline.holding())) {
      src.interest(Conduit.OP_READ, true);
    }
    if (closeInOutput && (pipeline == null || pipeline.drained())) {
      closeInOutput = false;
      open.onCloseSent(dst);
    }
    return true;
  }

  /**
   * Writes the checked bytes {@code [sent, ready)} to dst. When at most a frame head follows them
   * (unless a close waited for the end of a frame), the buffer itself is handed over: a
   * transport that sends from it (io_uring) does so without a copy and releases it to the pool once
   * sent, and the head goes to the stash, so the next read takes a fresh buffer. Otherwise its bytes
   * are written (copied) and the buffer kept.
   *
   * @return true when everything checked was taken (and the transport flushed); false on a short
   *     write, with dst's writability awaited
   */
  private boolean writeChecked() throws IOException {
    int filled = buf.position();
    int from = sent;
    int checked = ready - sent;
    boolean handOver = filled - ready <= MAX_STASH;
    byte[] head = handOver && filled > ready ? new byte[filled - ready] : null;
    if (head != null) {
      buf.get(ready, head);
    }
    buf.limit(ready).position(sent);
    boolean handedOver = false;
    try {
      if (handOver) {
        handedOver = dst.handOver(buf, pool);
      } else {
        dst.write(buf);
      }
    } finally {
      if (!handedOver) {
        // also when the write fails: src may still be read (dst vanished), into a sane buffer
        sent = buf.position();
        buf.limit(buf.capacity()).position(filled);
      }
    }
    if (handedOver) {
      buf = null;
      sent = 0;
      ready = 0;
      stash = head;
    }
    if (sent < ready || !dst.flushTransport()) {
      stalled(handedOver ? checked : sent - from);
      return false;
    }
    return true;
  }

  /**
   * Queues a close frame of the proxy's own to dst at the next frame boundary of its output: now,
   * when the output is at one; after the relayed frame in flight, when src can still complete it;
   * otherwise dst cannot carry a close frame and ends without one ({@link #sourceGone}). From the
   * boundary on, what src sends is checked but not forwarded.
   */
  void closeAtFrameBoundary(ByteBuffer closeFrame) {
    if (atFrameBoundary()) {
      queueClose(closeFrame);
    } else if (discarding || src.isClosed()) {
      sourceGone();
    } else {
      closeAtFrameEnd = closeFrame;
      scanner.stopAtFrameEnd();
    }
  }

  /**
   * src is gone (it vanished, failed, violated the protocol or was cut off): nothing more is
   * forwarded. When dst's output is inside a frame, that frame can never be completed: dst gets
   * what was relayed, then its TCP connection ends without a close frame.
   */
  void sourceGone() {
    if (atFrameBoundary() && closeAtFrameEnd == null) {
      stopForwarding();
      return;
    }
    if (endingMidFrame) {
      return;
    }
    stopForwarding();
    endingMidFrame = true;
    closeAtFrameEnd = null;
    ping = null;
    dropInjected();
    if (pipeline != null) {
      pipeline.abandon();
    }
    flush();
  }

  /** Whether dst ends, or ended, without a close frame because its output stopped inside a frame. */
  boolean endsMidFrame() {
    return endingMidFrame;
  }

  /** Whether a close of the proxy's own waits for the relayed frame in flight to end. */
  boolean waitsForFrameEnd() {
    return closeAtFrameEnd != null;
  }

  /** src's close frame, when it comes, is not relayed: dst gets a close of the proxy's own instead. */
  void replaceClose() {
    replacingClose = true;
  }

  /** Nothing more is read from src, until {@link #resumeReading}. */
  void stopReading() {
    readingStopped = true;
    src.interest(Conduit.OP_READ, false);
  }

  /** src is read again (what it sends is checked, not forwarded). */
  void resumeReading() {
    readingStopped = false;
    stopForwarding();
    resumeSource();
  }

  /** From now on, what src sends is checked but not forwarded: the direction is closing. */
  void stopForwarding() {
    if (!discarding) {
      stoppedMidFrame = !atFrameBoundary();
      discarding = true;
    }
  }

  /** Whether everything queued to dst ends at a frame boundary, so a frame of the proxy's own can follow. */
  private boolean atFrameBoundary() {
    return pipeline != null || (discarding ? !stoppedMidFrame : scanner.atFrameBoundary());
  }

  private void queueClose(ByteBuffer closeFrame) {
    discarding = true;
    stoppedMidFrame = false;
    if (pipeline != null) {
      pipeline.abandon();
    }
    dropInjected();
    control = closeFrame;
    closeInOutput = true;
    if (!hasPendingOutputBeforeControl()) {
      flush();
    }
  }

  /** Bytes read from src so far. */
  long bytes() {
    return bytes;
  }

  /** Whether a close frame (relayed or the proxy's own) is queued to dst, or waits for a frame's end. */
  boolean hasPendingClose() {
    return closeInOutput || closeAtFrameEnd != null;
  }

  boolean hasPendingOutput() {
    return hasPendingOutputBeforeControl() || control != null;
  }

  /**
   * Queues a message of the proxy's own (an encoded frame) to dst; it goes out at the next message
   * boundary. {@code size} is reported to the relay's listener once written or dropped.
   */
  void inject(ByteBuffer frame, int size) {
    if (discarding || closeAtFrameEnd != null || dst.isClosed()) {
      injectedWritten.accept(size);
      return;
    }
    if (injected == null) {
      injected = new ArrayDeque<>(4);
      injectedSizes = new ArrayDeque<>(4);
    }
    injected.add(frame);
    injectedSizes.add(size);
    flush();
  }

  /** Sends dst a ping of the proxy's own (keepalive), between frames. */
  void sendPing(ByteBuffer frame) {
    if (discarding || closeAtFrameEnd != null || dst.isClosed()) {
      return;
    }
    ping = frame;
    flush();
  }

  /** Fails the connection when an interceptor has kept a message of this direction too long. */
  void checkInterceptorTimeout(long now, long timeoutNanos) {
    if (pipeline != null) {
      pipeline.checkTimeout(now, timeoutNanos);
    }
  }

  /** Nanotime since which a write to dst has made no progress; 0 when not stalled. */
  long stalledSinceNanos() {
    return stalledSinceNanos;
  }

  /** Returns the buffer to the pool; the relay is finished. */
  void release() {
    if (buf != null) {
      pool.release(buf);
      buf = null;
    }
    control = null;
    dropInjected();
  }

  /** Whether the pipeline has encoded frames not yet written, or holds the source for an interceptor. */
  private boolean hasPendingOutputBeforeControl() {
    return (buf != null && sent < ready) || (pipeline != null && (!pipeline.out.isEmpty() || pipeline.holding()));
  }

  /** Writes the frames of {@code queue}, several per system call; false on a short write (dst is full). */
  private boolean writeQueue(ArrayDeque<ByteBuffer> queue, boolean injectedFrames) throws IOException {
    ByteBuffer[] gather = pool.gatherArray();
    while (queue != null && !queue.isEmpty()) {
      int count = 0;
      long total = 0;
      for (ByteBuffer frame : queue) {
        gather[count++] = frame;
        total += frame.remaining();
        if (count == gather.length) {
          break;
        }
      }
      long written = dst.write(gather, 0, count);
      Arrays.fill(gather, 0, count, null);
      while (!queue.isEmpty() && !queue.peek().hasRemaining()) {
        queue.poll();
        if (injectedFrames) {
          injectedWritten.accept(injectedSizes.poll());
        }
      }
      if (written < total || !dst.flushTransport()) {
        stalled((int) Math.min(written, 1));
        return false;
      }
    }
    return true;
  }

  /** Writes the proxy's own ping once the output is at a frame boundary; false on a short write. */
  private boolean writePing() throws IOException {
    if (ping == null || !atFrameBoundary()) {
      return true;
    }
    int written = dst.write(ping);
    if (ping.hasRemaining() || !dst.flushTransport()) {
      stalled(written);
      return false;
    }
    ping = null;
    return true;
  }

  private boolean writeInjected() throws IOException {
    boolean atBoundary = pipeline != null ? pipeline.atMessageBoundary() : sent == ready && scanner.atMessageBoundary();
    return !atBoundary || writeQueue(injected, true);
  }

  private void dropInjected() {
    if (injected == null) {
      return;
    }
    injected.clear();
    while (!injectedSizes.isEmpty()) {
      injectedWritten.accept(injectedSizes.poll());
    }
  }

  private void stalled(int written) {
    if (written > 0 || stalledSinceNanos == 0) {
      stalledSinceNanos = System.nanoTime();
    }
    dst.interest(Conduit.OP_WRITE, true);
    src.interest(Conduit.OP_READ, false);
  }

  private void dropOutput() {
    if (buf != null) {
      sent = ready;
      compact();
    }
    if (pipeline != null) {
      pipeline.abandon();
      pipeline.out.clear();
    }
    dropInjected();
    control = null;
    closeInOutput = false;
  }

  /** Moves the unchecked tail to the front once everything checked is written. */
  private void compact() {
    if (buf == null) {
      return;
    }
    int tail = buf.position() - ready;
    moveTo(ready, 0, tail);
    buf.position(tail);
    sent = 0;
    ready = 0;
    releaseIfEmpty();
  }

  /**
   * Returns the buffer to the pool when nothing checked is waiting to be written; an incomplete
   * frame head left over (at most a header and a control frame) is kept in a small array instead,
   * so a peer that sends a few bytes and stalls does not pin a pooled buffer.
   */
  private void releaseIfEmpty() {
    if (buf == null || sent != 0 || ready != 0 || buf.position() > MAX_STASH) {
      return;
    }
    if (buf.position() > 0) {
      stash = new byte[buf.position()];
      buf.get(0, stash);
    }
    pool.release(buf);
    buf = null;
  }

  /**
   * Takes the buffer src received into, when it has one of the pool (io_uring, in bulk): it becomes
   * this relay's buffer, no copy. Only when no buffer or stash is held: bytes kept here come first.
   *
   * @return the bytes in the buffer taken; 0 when none was
   */
  private int takeReceived() {
    if (buf != null || stash != null) {
      return 0;
    }
    buf = src.takeReceived(pool);
    return buf == null ? 0 : buf.position();
  }

  private void acquireBuffer() {
    if (buf == null) {
      buf = pool.acquire();
      if (stash != null) {
        buf.put(stash);
        stash = null;
      }
    }
  }

  private void moveTo(int from, int to, int length) {
    if (from != to) {
      for (int i = 0; i < length; i++) {
        buf.put(to + i, buf.get(from + i));
      }
    }
  }
}
