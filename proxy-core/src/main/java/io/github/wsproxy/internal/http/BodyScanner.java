package io.github.wsproxy.internal.http;

import java.nio.ByteBuffer;

/**
 * Follows one message body as its bytes stream through, without holding any of them: it finds where
 * the body ends (a declared length, the last chunk and its trailer section, or the upstream's close),
 * validates the chunked coding strictly (RFC 9112 §7.1), counts bytes and enforces a limit on the
 * content of a chunked body as each chunk size arrives. State is a few counters whatever the body's
 * size: chunk data is skipped by arithmetic, only framing bytes are looked at, and lines are capped.
 *
 * <p>Chunked bodies are relayed as they are, framing included, so that the proxy writes the very
 * bytes it checked and the upstream sees the sender's chunk boundaries (long polls and server-sent
 * events flow chunk by chunk); the only re-framing is {@code stripChunks} for an HTTP/1.0 client,
 * which cannot read chunked: the chunk data is then moved to the front of the scanned range in place
 * (no allocation) and the trailers are dropped.
 *
 * <p>Strict chunk grammar: the size is 1*HEXDIG with no sign, prefix or surrounding space and fits a
 * long; whitespace after it must be followed by a {@code ;} extension; extensions follow the RFC's
 * grammar (token names, token or quoted-string values); trailer names are tokens and values hold no
 * control characters but tab; obs-fold is refused; every line ends with CRLF, and a bare CR or LF
 * anywhere is an error. On a violation, bytes from the start of the offending line are not relayed.
 *
 * <p>One instance per message, used only by its connection's event loop.
 */
public final class BodyScanner {

  /** Why {@link #scan} stopped. */
  public enum Stop {
    /** Every byte given belongs to the body; the body goes on. */
    NEED_MORE,
    /** The body ended at the returned index; bytes after it belong to the next message. */
    DONE,
    /** The body is malformed ({@link #error()}): relay only up to the returned index, then close. */
    MALFORMED,
    /** The chunk starting at the returned index takes the content over the limit: answer 413. */
    TOO_LARGE
  }

  /** Longest chunk-size line, extensions included, and longest trailer line. */
  static final int MAX_LINE_BYTES = 4096;

  private static final int SIZE_FIRST = 0;
  private static final int SIZE = 1;
  private static final int SIZE_SPACE = 2;
  private static final int EXT_NAME_START = 3;
  private static final int EXT_NAME = 4;
  private static final int EXT_AFTER_NAME = 5;
  private static final int EXT_VALUE_START = 6;
  private static final int EXT_TOKEN = 7;
  private static final int EXT_QUOTED = 8;
  private static final int EXT_QUOTED_PAIR = 9;
  private static final int EXT_VALUE_END = 10;
  private static final int EXT_AFTER_VALUE = 11;
  private static final int SIZE_LF = 12;
  private static final int DATA = 13;
  private static final int DATA_CR = 14;
  private static final int DATA_LF = 15;
  private static final int TRAILER_START = 16;
  private static final int TRAILER_NAME = 17;
  private static final int TRAILER_VALUE = 18;
  private static final int TRAILER_LF = 19;
  private static final int END_LF = 20;
  // SIZE_FIRST to SIZE_LF are the chunk-size line, TRAILER_START to END_LF the trailer section.

  private final BodyFraming.Kind kind;
  private final long maxContentBytes;
  private final int maxTrailerBytes;
  private final boolean stripChunks;

  private Stop stop = Stop.NEED_MORE;
  private String error;
  private long remaining;
  private long wireBytes;
  private long contentBytes;
  private int relayEnd;

  private int state = SIZE_FIRST;
  private long chunkSize;
  private int lineBytes;
  private int trailerBytes;

  /**
   * @param maxContentBytes limit on a chunked body's content (0: none); a declared length is checked
   *     beforehand with {@link BodyFraming#exceeds}
   * @param maxTrailerBytes limit on the trailer section of a chunked body
   * @param stripChunks relay a chunked body's content only, for a client that cannot read chunked
   */
  public BodyScanner(BodyFraming framing, long maxContentBytes, int maxTrailerBytes, boolean stripChunks) {
    this.kind = framing.kind();
    this.maxContentBytes = maxContentBytes;
    this.maxTrailerBytes = maxTrailerBytes;
    this.stripChunks = stripChunks && kind == BodyFraming.Kind.CHUNKED;
    this.remaining = framing.length();
    if (kind == BodyFraming.Kind.NONE || (kind == BodyFraming.Kind.LENGTH && remaining == 0)) {
      stop = Stop.DONE;
    }
  }

  /**
   * Scans {@code buf[from, to)} (absolute indices; position and limit untouched), the next bytes of
   * the message. Call again with the next bytes while {@link #stop()} is {@link Stop#NEED_MORE}.
   *
   * @return where this body's bytes end in the range: {@code to} unless the body ended or failed;
   *     relay {@code buf[from, relayEnd())}
   */
  public int scan(ByteBuffer buf, int from, int to) {
    relayEnd = from;
    if (stop != Stop.NEED_MORE) {
      return from;
    }
    int end;
    switch (kind) {
      case LENGTH:
        end = from + (int) Math.min(remaining, to - from);
        remaining -= end - from;
        contentBytes += end - from;
        if (remaining == 0) {
          stop = Stop.DONE;
        }
        relayEnd = end;
        break;
      case UNTIL_CLOSE:
        end = to;
        contentBytes += to - from;
        relayEnd = end;
        break;
      default:
        end = scanChunked(buf, from, to);
        break;
    }
    wireBytes += end - from;
    return end;
  }

  /**
   * The input ended (the peer closed its side).
   *
   * @return true when that completes the body (always for read-until-close), false when the body was
   *     cut short: the receiver must see the connection end, never a body presented as complete
   */
  public boolean endOfInput() {
    if (kind == BodyFraming.Kind.UNTIL_CLOSE && stop == Stop.NEED_MORE) {
      stop = Stop.DONE;
    }
    return stop == Stop.DONE;
  }

  public Stop stop() {
    return stop;
  }

  /** Whether the body is complete. */
  public boolean done() {
    return stop == Stop.DONE;
  }

  /** What is wrong when {@link #stop()} is {@link Stop#MALFORMED}; safe to show to the peer. */
  public String error() {
    return error;
  }

  /** End of the bytes to relay from the last {@link #scan}: its result, or less when stripping chunks. */
  public int relayEnd() {
    return relayEnd;
  }

  /** Bytes of the body on the wire so far, chunk framing and trailers included. */
  public long wireBytes() {
    return wireBytes;
  }

  /** Bytes of content so far (chunk data only for a chunked body). */
  public long contentBytes() {
    return contentBytes;
  }

  private int scanChunked(ByteBuffer buf, int from, int to) {
    int write = from;
    int lineStart = from;
    int i = from;
    while (i < to) {
      if (state == DATA) {
        int n = (int) Math.min(remaining, to - i);
        if (stripChunks && write != i) {
          buf.put(write, buf, i, n);
        }
        write += n;
        i += n;
        remaining -= n;
        if (remaining == 0) {
          state = DATA_CR;
          lineStart = i;
        }
        continue;
      }
      int b = buf.get(i) & 0xFF;
      String violation = step(b);
      if (violation != null) {
        return fail(violation, lineStart, write);
      }
      if (stop == Stop.TOO_LARGE) {
        relayEnd = stripChunks ? write : lineStart;
        return lineStart;
      }
      i++;
      if (state == SIZE_FIRST || state == TRAILER_START) {
        lineStart = i;
      }
      if (stop == Stop.DONE) {
        relayEnd = stripChunks ? write : i;
        return i;
      }
    }
    relayEnd = stripChunks ? write : to;
    return to;
  }

  private int fail(String violation, int lineStart, int write) {
    stop = Stop.MALFORMED;
    error = violation;
    relayEnd = stripChunks ? write : lineStart;
    return lineStart;
  }

  /** Advances the chunk state machine over one framing byte; returns a violation or null. */
  private String step(int b) {
    if (state <= SIZE_LF && ++lineBytes > MAX_LINE_BYTES) {
      return "chunk size line too long";
    }
    if (state >= TRAILER_START && ++trailerBytes > maxTrailerBytes) {
      return "trailer section too long";
    }
    switch (state) {
      case SIZE_FIRST:
        int first = hex(b);
        if (first < 0) {
          return "malformed chunk size";
        }
        chunkSize = first;
        state = SIZE;
        return null;
      case SIZE:
        int digit = hex(b);
        if (digit >= 0) {
          if (chunkSize > Long.MAX_VALUE >> 4) {
            return "chunk size too large";
          }
          chunkSize = chunkSize << 4 | digit;
          return null;
        }
        if (b == '\r') {
          state = SIZE_LF;
          return null;
        }
        return afterSize(b);
      case SIZE_SPACE:
        return afterSize(b);
      case EXT_NAME_START:
      case EXT_NAME:
      case EXT_AFTER_NAME:
      case EXT_VALUE_START:
      case EXT_TOKEN:
      case EXT_QUOTED:
      case EXT_QUOTED_PAIR:
      case EXT_VALUE_END:
      case EXT_AFTER_VALUE:
        return extension(b) ? null : "malformed chunk extension";
      case SIZE_LF:
        if (b != '\n') {
          return "bare CR in chunk size line";
        }
        if (chunkSize == 0) {
          state = TRAILER_START;
          return null;
        }
        if (maxContentBytes > 0 && chunkSize > maxContentBytes - contentBytes) {
          stop = Stop.TOO_LARGE;
          return null;
        }
        contentBytes += chunkSize;
        remaining = chunkSize;
        state = DATA;
        return null;
      case DATA_CR:
        state = DATA_LF;
        return b == '\r' ? null : "chunk data longer than its size";
      case DATA_LF:
        state = SIZE_FIRST;
        lineBytes = 0;
        return b == '\n' ? null : "bare CR after chunk data";
      case TRAILER_START:
        if (b == '\r') {
          state = END_LF;
          return null;
        }
        if (b == ' ' || b == '\t') {
          return "obs-fold in trailer section";
        }
        state = TRAILER_NAME;
        return HttpHead.isTokenChar(b) ? null : "malformed trailer field";
      case TRAILER_NAME:
        if (b == ':') {
          state = TRAILER_VALUE;
          return null;
        }
        return HttpHead.isTokenChar(b) ? null : "malformed trailer field";
      case TRAILER_VALUE:
        if (b == '\r') {
          state = TRAILER_LF;
          return null;
        }
        return HttpHead.isFieldValueChar(b) ? null : "invalid character in trailer field";
      case TRAILER_LF:
        state = TRAILER_START;
        return b == '\n' ? null : "bare CR in trailer section";
      case END_LF:
        if (b != '\n') {
          return "bare CR after the last chunk";
        }
        stop = Stop.DONE;
        return null;
      default:
        throw new IllegalStateException("state " + state);
    }
  }

  /** After the size's digits: whitespace only before an extension (RFC 9112 §7.1.1 BWS ";"). */
  private String afterSize(int b) {
    if (b == ' ' || b == '\t') {
      state = SIZE_SPACE;
      return null;
    }
    if (b == ';') {
      state = EXT_NAME_START;
      return null;
    }
    return "malformed chunk size";
  }

  /**
   * One byte of the chunk extensions (RFC 9112 §7.1.1): {@code *( BWS ";" BWS name [ BWS "=" BWS
   * ( token / quoted-string ) ] )}, then CR; whether it fits.
   */
  private boolean extension(int b) {
    boolean space = b == ' ' || b == '\t';
    boolean tchar = HttpHead.isTokenChar(b);
    switch (state) {
      case EXT_NAME_START:
        state = space ? EXT_NAME_START : EXT_NAME;
        return space || tchar;
      case EXT_NAME:
        if (tchar) {
          return true;
        }
        return afterName(b, space);
      case EXT_AFTER_NAME:
        return b == '=' || b == ';' ? afterName(b, false) : space;
      case EXT_VALUE_START:
        if (space) {
          return true;
        }
        state = b == '"' ? EXT_QUOTED : EXT_TOKEN;
        return b == '"' || tchar;
      case EXT_TOKEN:
        return tchar || afterValue(b, space);
      case EXT_QUOTED:
        if (b == '"' || b == '\\') {
          state = b == '"' ? EXT_VALUE_END : EXT_QUOTED_PAIR;
          return true;
        }
        return HttpHead.isFieldValueChar(b);
      case EXT_QUOTED_PAIR:
        state = EXT_QUOTED;
        return HttpHead.isFieldValueChar(b);
      case EXT_VALUE_END:
        return afterValue(b, space);
      default:
        state = b == ';' ? EXT_NAME_START : EXT_AFTER_VALUE;
        return b == ';' || space;
    }
  }

  /** After an extension's name: BWS, "=", ";" or the end of the line. */
  private boolean afterName(int b, boolean space) {
    state = space ? EXT_AFTER_NAME : b == '=' ? EXT_VALUE_START : b == ';' ? EXT_NAME_START : SIZE_LF;
    return space || b == '=' || b == ';' || b == '\r';
  }

  /** After an extension's value: BWS before another ";", ";" or the end of the line. */
  private boolean afterValue(int b, boolean space) {
    state = space ? EXT_AFTER_VALUE : b == ';' ? EXT_NAME_START : SIZE_LF;
    return space || b == ';' || b == '\r';
  }

  private static int hex(int b) {
    if (b >= '0' && b <= '9') {
      return b - '0';
    }
    if (b >= 'a' && b <= 'f') {
      return b - 'a' + 10;
    }
    if (b >= 'A' && b <= 'F') {
      return b - 'A' + 10;
    }
    return -1;
  }
}
