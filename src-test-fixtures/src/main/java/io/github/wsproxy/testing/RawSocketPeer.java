package io.github.wsproxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * The blocking-socket machinery shared by {@link RawClient} and {@link RawUpstream.Connection}:
 * exact writes, and reads of HTTP heads, frames and EOF with deadlines. Received bytes are
 * buffered, so a timeout never loses a partly received message. One thread reads; any thread may
 * write.
 */
final class RawSocketPeer implements AutoCloseable {
  private static final int MAX_BUFFERED = 64 * 1024 * 1024;

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final Consumer<WireFrame> onFrameRead;
  private final Object writeLock = new Object();
  private byte[] buf = new byte[16 * 1024];
  private int start;
  private int end;
  private boolean eof;
  private boolean reset;

  RawSocketPeer(Socket socket, Consumer<WireFrame> onFrameRead) throws IOException {
    this.socket = socket;
    this.onFrameRead = onFrameRead;
    socket.setTcpNoDelay(true);
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  Socket socket() {
    return socket;
  }

  void write(byte[] bytes) throws IOException {
    synchronized (writeLock) {
      out.write(bytes);
      out.flush();
    }
  }

  void writeFrames(List<WireFrame> frames, boolean mask) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (WireFrame frame : frames) {
      all.writeBytes(WireFrame.encode(frame, mask ? WireFrame.randomMaskKey() : null));
    }
    write(all.toByteArray());
  }

  /** Reads a head and, if it has a Content-Length, its body. */
  HttpHead readHead(Duration timeout, int maxHeadBytes) throws IOException {
    long deadline = Await.deadline(timeout);
    int headEnd;
    while ((headEnd = indexOfBlankLine()) < 0) {
      if (end - start > maxHeadBytes) {
        throw new IOException("HTTP head larger than " + maxHeadBytes + " bytes: " + preview());
      }
      need(deadline, timeout, "a complete HTTP head");
    }
    byte[] headBytes = Arrays.copyOfRange(buf, start, headEnd);
    HttpHead head = HttpHead.parse(headBytes, null);
    int length = Math.max(0, head.contentLength());
    while (end - headEnd < length) {
      need(deadline, timeout, "the " + length + "-byte body of " + head.startLine());
    }
    byte[] body = Arrays.copyOfRange(buf, headEnd, headEnd + length);
    start = headEnd + length;
    return new HttpHead(head.startLine(), head.headers(), body);
  }

  /** Reads one frame, or throws AssertionError on timeout or EOF. */
  WireFrame readFrame(Duration timeout, int maxPayload) throws IOException {
    WireFrame frame = next(Await.deadline(timeout), maxPayload, false);
    if (frame == null) {
      throw new AssertionError(
          "no complete frame within " + timeout + (end > start ? "; buffered: " + preview() : ""));
    }
    return frame;
  }

  /** Reads one frame; null on timeout; AssertionError on EOF before a complete frame. */
  WireFrame pollFrame(Duration timeout, int maxPayload) throws IOException {
    return next(Await.deadline(timeout), maxPayload, false);
  }

  /** Reads one frame; null if the peer ended the connection first; AssertionError on timeout. */
  WireFrame readFrameOrEof(Duration timeout, int maxPayload) throws IOException {
    WireFrame frame = next(Await.deadline(timeout), maxPayload, true);
    if (frame == null && !eof) {
      throw new AssertionError(
          "no complete frame within " + timeout + (end > start ? "; buffered: " + preview() : ""));
    }
    return frame;
  }

  /** The next frame; null on timeout, or at EOF if {@code nullAtEof} (else AssertionError). */
  private WireFrame next(long deadline, int maxPayload, boolean nullAtEof) throws IOException {
    while (true) {
      long total = WireFrame.encodedLength(buf, start, end - start);
      if (total > (long) maxPayload + 14) {
        throw new IOException("incoming frame of " + total + " bytes exceeds " + maxPayload);
      }
      if (total >= 0 && end - start >= total) {
        WireFrame frame = WireFrame.decodeComplete(buf, start, (int) total);
        start += (int) total;
        if (onFrameRead != null) {
          onFrameRead.accept(frame);
        }
        return frame;
      }
      if (eof) {
        if (nullAtEof) {
          return null;
        }
        throw new AssertionError(
            "connection " + (reset ? "reset" : "closed") + " by peer before a complete frame"
                + (end > start ? "; buffered: " + preview() : ""));
      }
      if (!fill(deadline)) {
        return null;
      }
    }
  }

  /** Reads exactly {@code n} bytes. */
  byte[] readBytes(int n, Duration timeout) throws IOException {
    long deadline = Await.deadline(timeout);
    while (end - start < n) {
      need(deadline, timeout, n + " bytes");
    }
    byte[] bytes = Arrays.copyOfRange(buf, start, start + n);
    start += n;
    return bytes;
  }

  /** Waits for EOF or reset, buffering whatever arrives meanwhile; false on timeout. */
  boolean awaitEof(Duration timeout) throws IOException {
    long deadline = Await.deadline(timeout);
    while (!eof) {
      if (!fill(deadline)) {
        return false;
      }
    }
    return true;
  }

  /** Whether the peer's EOF or reset has been seen. */
  boolean eofSeen() {
    return eof;
  }

  /** Whether the connection ended with a reset rather than a FIN. */
  boolean resetSeen() {
    return reset;
  }

  /** How many received bytes are buffered and not yet consumed. */
  int buffered() {
    return end - start;
  }

  void shutdownOutput() throws IOException {
    socket.shutdownOutput();
  }

  /** Closes with SO_LINGER 0, so the peer gets a RST. */
  void abort() {
    try {
      socket.setSoLinger(true, 0);
    } catch (IOException e) {
      // already closed: nothing to reset
    }
    close();
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // closing: nothing useful to do
    }
  }

  private void need(long deadline, Duration timeout, String what) throws IOException {
    if (eof) {
      throw new AssertionError(
          "connection " + (reset ? "reset" : "closed") + " by peer before " + what
              + (end > start ? "; buffered: " + preview() : ""));
    }
    if (!fill(deadline)) {
      throw new AssertionError(
          "timed out after " + timeout + " waiting for " + what
              + (end > start ? "; buffered: " + preview() : ""));
    }
  }

  /** Reads once; false on timeout; sets eof on end of stream or reset. */
  private boolean fill(long deadline) throws IOException {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      return false;
    }
    if (start > 0 && start == end) {
      start = 0;
      end = 0;
    }
    if (end == buf.length) {
      if (start > 0) {
        System.arraycopy(buf, start, buf, 0, end - start);
        end -= start;
        start = 0;
      } else {
        if (buf.length >= MAX_BUFFERED) {
          throw new IOException("more than " + MAX_BUFFERED + " bytes buffered");
        }
        buf = Arrays.copyOf(buf, buf.length * 2);
      }
    }
    long millis = Math.max(1, (left + 999_999) / 1_000_000);
    socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, millis));
    int n;
    try {
      n = in.read(buf, end, buf.length - end);
    } catch (SocketTimeoutException e) {
      return System.nanoTime() < deadline;
    } catch (SocketException e) {
      eof = true;
      reset = !socket.isClosed();
      return true;
    }
    if (n < 0) {
      eof = true;
    } else {
      end += n;
    }
    return true;
  }

  private int indexOfBlankLine() {
    for (int i = start; i + 3 < end; i++) {
      if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
        return i + 4;
      }
    }
    return -1;
  }

  private String preview() {
    int n = Math.min(end - start, 200);
    String text = new String(buf, start, n, StandardCharsets.ISO_8859_1)
        .replace("\r", "\\r").replace("\n", "\\n");
    return (end - start) + " bytes \"" + text + (n < end - start ? "...\"" : "\"");
  }
}
