package io.github.wsproxy.internal.http;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Accumulates an HTTP head arriving in pieces, up to a size limit, and finds its end (CRLF CRLF).
 * Bytes after the head (the start of a body, or early frames) are kept as the remainder.
 */
public final class HeadReader {
  private final int limit;
  private byte[] bytes = new byte[512];
  private int length;
  private int headLength = -1;

  public HeadReader(int limit) {
    this.limit = limit;
  }

  /**
   * Appends {@code src[position, limit)}.
   *
   * @return true once the head is complete
   */
  public boolean append(ByteBuffer src) {
    int n = src.remaining();
    if (length + n > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(length + n, Math.min(bytes.length * 2, limit + 4096)));
    }
    src.get(bytes, length, n);
    int searchFrom = Math.max(0, length - 3);
    length += n;
    for (int i = searchFrom; i + 3 < length && headLength < 0; i++) {
      if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n') {
        headLength = i + 4;
      }
    }
    return headLength >= 0;
  }

  /** True when the head is incomplete and already longer than the limit, or complete and longer. */
  public boolean overLimit() {
    return headLength < 0 ? length > limit : headLength > limit;
  }

  public boolean complete() {
    return headLength >= 0;
  }

  public HttpHead parse(boolean response) throws MalformedHttpException {
    return HttpHead.parse(bytes, headLength, response);
  }

  /** Bytes received after the head. */
  public byte[] remainder() {
    return Arrays.copyOfRange(bytes, headLength, length);
  }

  /** Every byte received so far, head included (for relaying a response verbatim). */
  public int length() {
    return length;
  }
}
