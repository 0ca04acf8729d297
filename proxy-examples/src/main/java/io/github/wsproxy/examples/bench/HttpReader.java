package io.github.wsproxy.examples.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Reads HTTP/1.1 messages, one after the other, from a byte stream handed over in buffers of any
 * size: the head, then a body framed by {@code Content-Length} or {@code Transfer-Encoding:
 * chunked}, which it skips and counts. Used by the benchmark's upstream for requests and by its
 * HTTP load generators for responses. A request without either header has no body; so has a
 * response to be read here (the benchmark's peers always frame their bodies). Trusted peers only:
 * it checks little.
 */
final class HttpReader {
  private static final int MAX_LINE = 16 * 1024;

  private enum State { HEAD, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS }

  private State state = State.HEAD;
  private String startLine;
  private String head;
  private long left;
  private long bodyBytes;

  /**
   * Consumes what it can of {@code in} (from its position to its limit) and returns true when a
   * whole message has been read; {@link #startLine()} and {@link #bodyBytes()} then describe it
   * until the next call, which starts on the next message.
   */
  boolean read(ByteBuffer in) {
    if (state == State.HEAD && startLine != null) {
      startLine = null;
      bodyBytes = 0;
    }
    while (true) {
      switch (state) {
        case HEAD -> {
          int end = indexOf(in, in.position(), true);
          if (end < 0) {
            return false;
          }
          readHead(in, end);
          if (state == State.HEAD) {
            return true;
          }
        }
        case BODY -> {
          skip(in);
          if (left > 0) {
            return false;
          }
          state = State.HEAD;
          return true;
        }
        case CHUNK_SIZE -> {
          int end = line(in);
          if (end < 0) {
            return false;
          }
          String size = ascii(in, in.position(), end);
          int semicolon = size.indexOf(';');
          left = Long.parseLong((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
          in.position(end + 2);
          state = left == 0 ? State.TRAILERS : State.CHUNK_DATA;
        }
        case CHUNK_DATA -> {
          skip(in);
          if (left > 0) {
            return false;
          }
          state = State.CHUNK_END;
        }
        case CHUNK_END -> {
          if (in.remaining() < 2) {
            return false;
          }
          if (in.get() != '\r' || in.get() != '\n') {
            throw new IllegalStateException("no CRLF after a chunk");
          }
          state = State.CHUNK_SIZE;
        }
        case TRAILERS -> {
          int end = line(in);
          if (end < 0) {
            return false;
          }
          boolean last = end == in.position();
          in.position(end + 2);
          if (last) {
            state = State.HEAD;
            return true;
          }
        }
      }
    }
  }

  /** The request or status line of the message read last, null before. */
  String startLine() {
    return startLine;
  }

  /** The status code of the response read last. */
  int status() {
    if (startLine == null || startLine.length() < 12 || !startLine.startsWith("HTTP/1.")) {
      throw new IllegalStateException("not a status line: " + startLine);
    }
    return Integer.parseInt(startLine.substring(9, 12));
  }

  /** The value of header {@code name} (any case) of the message read last, null when absent. */
  String header(String name) {
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
        return line.substring(colon + 1).trim();
      }
    }
    return null;
  }

  /** The body bytes of the message read last (or so far, while it is being read). */
  long bodyBytes() {
    return bodyBytes;
  }

  private void readHead(ByteBuffer in, int end) {
    head = ascii(in, in.position(), end);
    in.position(end + 4);
    int firstLineEnd = head.indexOf("\r\n");
    startLine = firstLineEnd < 0 ? head : head.substring(0, firstLineEnd);
    state = State.HEAD;
    for (int at = firstLineEnd; at >= 0; ) {
      int next = head.indexOf("\r\n", at + 2);
      String line = head.substring(at + 2, next < 0 ? head.length() : next);
      int colon = line.indexOf(':');
      if (colon > 0) {
        String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
        String value = line.substring(colon + 1).trim();
        if (name.equals("content-length") && state != State.CHUNK_SIZE) {
          left = Long.parseLong(value);
          state = left > 0 ? State.BODY : State.HEAD;
        } else if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).endsWith("chunked")) {
          state = State.CHUNK_SIZE;
        }
      }
      at = next;
    }
  }

  private void skip(ByteBuffer in) {
    int n = (int) Math.min(left, in.remaining());
    in.position(in.position() + n);
    left -= n;
    bodyBytes += n;
  }

  /** The index of the CRLF ending the line at {@code in}'s position, -1 while incomplete. */
  private static int line(ByteBuffer in) {
    return indexOf(in, in.position(), false);
  }

  /** The index of the next CRLF (with {@code blankLine}: CRLFCRLF) from {@code from}, -1 for none. */
  private static int indexOf(ByteBuffer in, int from, boolean blankLine) {
    int last = in.limit() - (blankLine ? 4 : 2);
    for (int i = from; i <= last; i++) {
      if (in.get(i) == '\r' && in.get(i + 1) == '\n' && (!blankLine || in.get(i + 2) == '\r' && in.get(i + 3) == '\n')) {
        return i;
      }
    }
    if (in.limit() - from > MAX_LINE) {
      throw new IllegalStateException("HTTP head or line over " + MAX_LINE + " bytes");
    }
    return -1;
  }

  private static String ascii(ByteBuffer in, int from, int to) {
    byte[] bytes = new byte[to - from];
    in.get(from, bytes);
    return new String(bytes, StandardCharsets.ISO_8859_1);
  }
}
