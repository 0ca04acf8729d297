package io.github.wsproxy.testing;

import java.io.IOException;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Parses a copy of the bytes one side of a WebSocket connection receives: first the HTTP head,
 * then frames, exactly as on the wire. Fed by one thread. A head or frame over the limits, or a
 * malformed head, stops the tap (the connection itself is not affected).
 */
final class WireTap {
  private static final int MAX_HEAD = HttpHead.DEFAULT_MAX_HEAD_BYTES;

  private final long maxFrameBytes;
  private final Predicate<HttpHead> onHead;
  private final Consumer<WireFrame> onFrame;
  private byte[] buf = new byte[1024];
  private int len;
  private boolean headDone;
  private boolean stopped;

  /**
   * @param maxFrameBytes the largest encoded frame recorded
   * @param onHead receives the head; returns whether frames follow (false stops the tap)
   * @param onFrame receives each frame
   */
  WireTap(long maxFrameBytes, Predicate<HttpHead> onHead, Consumer<WireFrame> onFrame) {
    this.maxFrameBytes = maxFrameBytes;
    this.onHead = onHead;
    this.onFrame = onFrame;
  }

  void feed(byte[] data, int off, int n) {
    if (stopped || n <= 0) {
      return;
    }
    if (buf.length - len < n) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
    }
    System.arraycopy(data, off, buf, len, n);
    len += n;
    int pos = 0;
    if (!headDone) {
      int headEnd = blankLineEnd();
      if (headEnd < 0) {
        stopped = len > MAX_HEAD;
        return;
      }
      headDone = true;
      try {
        if (!onHead.test(HttpHead.parse(Arrays.copyOf(buf, headEnd), null))) {
          stop();
          return;
        }
      } catch (IOException e) {
        stop();
        return;
      }
      pos = headEnd;
    }
    while (true) {
      long total = WireFrame.encodedLength(buf, pos, len - pos);
      if (total > maxFrameBytes) {
        stop();
        return;
      }
      if (total < 0 || len - pos < total) {
        break;
      }
      onFrame.accept(WireFrame.decodeComplete(buf, pos, (int) total));
      pos += (int) total;
    }
    System.arraycopy(buf, pos, buf, 0, len - pos);
    len -= pos;
    if (buf.length > 64 * 1024 && len < buf.length / 4) {
      buf = Arrays.copyOf(buf, Math.max(1024, len * 2));
    }
  }

  private void stop() {
    stopped = true;
    buf = new byte[0];
    len = 0;
  }

  private int blankLineEnd() {
    for (int i = 0; i + 3 < len; i++) {
      if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
        return i + 4;
      }
    }
    return -1;
  }
}
