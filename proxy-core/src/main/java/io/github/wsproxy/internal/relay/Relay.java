package io.github.wsproxy.internal.relay;

import io.github.wsproxy.internal.frame.FrameScanner;
import io.github.wsproxy.internal.loop.BufferPool;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;

/**
 * One direction of a connection pair: reads raw bytes from {@code src}, lets the {@link
 * FrameScanner} check and re-mask them in place, and writes them to {@code dst}. It holds a pooled
 * buffer only while bytes are in flight, and stops reading {@code src} while {@code dst} cannot
 * take more (backpressure), so memory per connection is bounded by one buffer per direction.
 *
 * <p>Buffer layout: {@code [sent, ready)} checked bytes still to write, {@code [ready, position)}
 * bytes not yet complete enough to check (at most a frame header or a control frame).
 */
final class Relay {
  private static final int MAX_READS_PER_WAKEUP = 4;
  /** Longest incomplete frame head: a 14-byte header, or a control frame of 6 + 125 bytes. */
  private static final int MAX_STASH = 131;

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
  boolean discarding;
  /** The output ends with a close frame; when it is flushed the close has been sent to dst. */
  private boolean closeInOutput;
  private long stalledSinceNanos;
  /** An incomplete frame head kept while no buffer is held. */
  private byte[] stash;
  long bytes;

  Relay(Leg src, Leg dst, FrameScanner scanner, BufferPool pool) {
    this.src = src;
    this.dst = dst;
    this.scanner = scanner;
    this.pool = pool;
  }

  /** src is readable: read, check, forward, until the socket is drained or dst pushes back. */
  void onReadable() {
    for (int round = 0; round < MAX_READS_PER_WAKEUP && !src.closed; round++) {
      if (hasPendingOutput()) {
        src.interest(SelectionKey.OP_READ, false);
        return;
      }
      acquireBuffer();
      int space = buf.remaining();
      int n;
      try {
        n = src.read(buf);
      } catch (IOException e) {
        src.pair.onLegFailed(src, e);
        return;
      }
      if (n < 0) {
        releaseIfEmpty();
        src.pair.onEof(src);
        return;
      }
      if (n == 0) {
        releaseIfEmpty();
        return;
      }
      src.pair.touch();
      bytes += n;
      boolean relaying = process();
      if (!flush() || !relaying || n < space) {
        return;
      }
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
    int end = scanner.scan(buf, ready, filled);
    FrameScanner.Stop stop = scanner.stop();
    if (stop != FrameScanner.Stop.NEED_MORE) {
      filled = end;
    }
    if (discarding) {
      int tail = filled - end;
      moveTo(end, ready, tail);
      buf.position(ready + tail);
    } else {
      buf.position(filled);
      ready = end;
    }
    if (stop == FrameScanner.Stop.CLOSE) {
      boolean relayed = !discarding;
      closeInOutput |= relayed;
      discarding = true;
      src.pair.onCloseFrame(src, scanner.closeCode(), scanner.closeReason());
    } else if (stop == FrameScanner.Stop.VIOLATION) {
      discarding = true;
      src.pair.onViolation(this);
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
    if (dst.closed) {
      dropOutput();
      return true;
    }
    try {
      if (!dst.flushTransport()) {
        stalled(0);
        return false;
      }
      if (buf != null && sent < ready) {
        int filled = buf.position();
        buf.limit(ready).position(sent);
        int written = dst.write(buf);
        sent = buf.position();
        buf.limit(buf.capacity()).position(filled);
        if (sent < ready || !dst.flushTransport()) {
          stalled(written);
          return false;
        }
      }
      compact();
      if (control != null) {
        int written = dst.write(control);
        if (control.hasRemaining() || !dst.flushTransport()) {
          stalled(written);
          return false;
        }
        control = null;
      }
    } catch (IOException e) {
      dst.pair.onLegFailed(dst, e);
      return false;
    }
    stalledSinceNanos = 0;
    dst.interest(SelectionKey.OP_WRITE, false);
    if (!src.closed) {
      src.interest(SelectionKey.OP_READ, true);
    }
    if (closeInOutput) {
      closeInOutput = false;
      dst.pair.onCloseSent(dst);
    }
    return true;
  }

  /**
   * Queues a close frame of the proxy's own to dst after what is already checked, and forwards
   * nothing more from src.
   *
   * @return false when dst's stream is inside a relayed frame and cannot carry a close frame
   */
  boolean sendOwnClose(ByteBuffer closeFrame) {
    if (!scanner.atFrameBoundary() && !discarding) {
      return false;
    }
    discarding = true;
    control = closeFrame;
    closeInOutput = true;
    if (!hasPendingOutputBeforeControl()) {
      flush();
    }
    return true;
  }

  /** Whether a close frame (relayed or the proxy's own) is queued to dst and not yet written. */
  boolean hasPendingClose() {
    return closeInOutput;
  }

  boolean hasPendingOutput() {
    return hasPendingOutputBeforeControl() || control != null;
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
  }

  private boolean hasPendingOutputBeforeControl() {
    return buf != null && sent < ready;
  }

  private void stalled(int written) {
    if (written > 0 || stalledSinceNanos == 0) {
      stalledSinceNanos = System.nanoTime();
    }
    dst.interest(SelectionKey.OP_WRITE, true);
    src.interest(SelectionKey.OP_READ, false);
  }

  private void dropOutput() {
    if (buf != null) {
      sent = ready;
      compact();
    }
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
