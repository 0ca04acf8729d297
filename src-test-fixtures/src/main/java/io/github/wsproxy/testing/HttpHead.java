package io.github.wsproxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * An HTTP/1.1 request or response head as it was on the wire, plus the body read by its {@code
 * Content-Length}. Header order, duplicates and the spelling of names are kept; lookups by name
 * ignore case.
 *
 * @param startLine the request line ({@code GET /path HTTP/1.1}) or status line ({@code HTTP/1.1
 *     101 Switching Protocols}), without CRLF
 * @param headers the header fields in wire order (unmodifiable)
 * @param body the body bytes (empty when there is no {@code Content-Length}); a copy is kept and
 *     returned
 */
public record HttpHead(String startLine, List<Header> headers, byte[] body) {

  /** The head size {@link #read(InputStream)} accepts: 64 KiB. */
  public static final int DEFAULT_MAX_HEAD_BYTES = 64 * 1024;

  private static final int CRLFCRLF = 0x0D0A0D0A;

  /**
   * One header field.
   *
   * @param name the name as spelled on the wire
   * @param value the value, with surrounding whitespace removed
   */
  public record Header(String name, String value) {
    /**
     * Checks that neither part is null.
     *
     * @param name the name as spelled on the wire
     * @param value the value, with surrounding whitespace removed
     */
    public Header {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
    }

    @Override
    public String toString() {
      return name + ": " + value;
    }
  }

  /**
   * Copies the header list and the body.
   *
   * @param startLine the request line or status line, without CRLF
   * @param headers the header fields in wire order
   * @param body the body bytes; null or empty when there is no body
   */
  public HttpHead {
    Objects.requireNonNull(startLine, "startLine");
    headers = List.copyOf(headers);
    body = body == null ? new byte[0] : body.clone();
  }

  /**
   * A copy of the body.
   *
   * @return a new array holding the body
   */
  @Override
  public byte[] body() {
    return body.clone();
  }

  /**
   * The body decoded as UTF-8.
   *
   * @return the body as text
   */
  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /**
   * Whether this is a response (its start line begins with {@code HTTP/}).
   *
   * @return true for a response, false for a request
   */
  public boolean isResponse() {
    return startLine.startsWith("HTTP/");
  }

  /**
   * A response's status code, or -1 for a request or an unparseable status line.
   *
   * @return the status code, or -1
   */
  public int statusCode() {
    if (!isResponse()) {
      return -1;
    }
    String[] parts = startLine.split(" ", 3);
    if (parts.length < 2) {
      return -1;
    }
    try {
      return Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * A response's reason phrase ("" if absent), or null for a request.
   *
   * @return the reason phrase, or null
   */
  public String reason() {
    if (!isResponse()) {
      return null;
    }
    String[] parts = startLine.split(" ", 3);
    return parts.length < 3 ? "" : parts[2];
  }

  /**
   * A request's method, or null for a response.
   *
   * @return the method, or null
   */
  public String method() {
    return isResponse() ? null : startLine.split(" ", 3)[0];
  }

  /**
   * A request's target (path and query, as sent), or null for a response.
   *
   * @return the request target, or null
   */
  public String target() {
    if (isResponse()) {
      return null;
    }
    String[] parts = startLine.split(" ", 3);
    return parts.length < 2 ? "" : parts[1];
  }

  /**
   * The first value of the named header (case-insensitive), or null if absent.
   *
   * @param name the header's name
   * @return the header's first value, or null
   */
  public String header(String name) {
    for (Header h : headers) {
      if (h.name().equalsIgnoreCase(name)) {
        return h.value();
      }
    }
    return null;
  }

  /**
   * Every value of the named header (case-insensitive), in wire order; empty if absent.
   *
   * @param name the header's name
   * @return the header's values; possibly empty
   */
  public List<String> headers(String name) {
    List<String> values = new ArrayList<>();
    for (Header h : headers) {
      if (h.name().equalsIgnoreCase(name)) {
        values.add(h.value());
      }
    }
    return values;
  }

  /**
   * Whether the named header is present (case-insensitive).
   *
   * @param name the header's name
   * @return whether the header occurs at least once
   */
  public boolean hasHeader(String name) {
    return header(name) != null;
  }

  /**
   * Whether any value of the named header, split at commas, contains {@code token} (both compared
   * case-insensitively), as for {@code Connection: keep-alive, Upgrade}.
   *
   * @param name the header's name
   * @param token the token looked for, such as {@code upgrade}
   * @return whether some value holds the token
   */
  public boolean headerHasToken(String name, String token) {
    for (String value : headers(name)) {
      for (String part : value.split(",")) {
        if (part.trim().equalsIgnoreCase(token)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * The head (start line, headers, blank line) and body as bytes, e.g. to replay it.
   *
   * @return the message as it goes on the wire
   */
  public byte[] toBytes() {
    StringBuilder sb = new StringBuilder(startLine).append("\r\n");
    for (Header h : headers) {
      sb.append(h.name()).append(": ").append(h.value()).append("\r\n");
    }
    sb.append("\r\n");
    byte[] head = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    byte[] all = Arrays.copyOf(head, head.length + body.length);
    System.arraycopy(body, 0, all, head.length, body.length);
    return all;
  }

  /**
   * Like {@link #read(InputStream, int)} with {@link #DEFAULT_MAX_HEAD_BYTES}.
   *
   * @param in the stream
   * @return the head with its body
   * @throws IOException if the stream ends first, fails, or the head is malformed or too large
   */
  public static HttpHead read(InputStream in) throws IOException {
    return read(in, DEFAULT_MAX_HEAD_BYTES);
  }

  /**
   * Reads a head up to and including the blank line, then the body if the head has a {@code
   * Content-Length}. The stream is read byte by byte until the blank line, so nothing after the
   * message is consumed; wrap unbuffered streams in a {@link java.io.BufferedInputStream} only if
   * the bytes after the message do not matter.
   *
   * @param in the stream
   * @param maxHeadBytes the largest head accepted
   * @return the head with its body
   * @throws EOFException if the stream ends first
   * @throws IOException if the head is too large or malformed, or on a read error
   */
  public static HttpHead read(InputStream in, int maxHeadBytes) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int last4 = 0;
    while (last4 != CRLFCRLF) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("end of stream after " + head.size() + " bytes of an HTTP head");
      }
      head.write(b);
      if (head.size() > maxHeadBytes) {
        throw new IOException("HTTP head larger than " + maxHeadBytes + " bytes");
      }
      last4 = (last4 << 8) | b;
    }
    HttpHead parsed = parse(head.toByteArray(), new byte[0]);
    int length = parsed.contentLength();
    if (length <= 0) {
      return parsed;
    }
    byte[] body = in.readNBytes(length);
    if (body.length < length) {
      throw new EOFException("end of stream after " + body.length + " of " + length + " body bytes");
    }
    return new HttpHead(parsed.startLine, parsed.headers, body);
  }

  /**
   * Parses a head (start line and header lines, each ending in CRLF or LF; a trailing blank line
   * is optional), decoding bytes as ISO-8859-1.
   *
   * @param head the head bytes
   * @param body the body to attach, or null for none
   * @return the parsed head
   * @throws IOException if the start line is empty or a header line has no colon
   */
  public static HttpHead parse(byte[] head, byte[] body) throws IOException {
    String text = new String(head, StandardCharsets.ISO_8859_1);
    String[] lines = text.split("\r?\n", -1);
    if (lines.length == 0 || lines[0].isEmpty()) {
      throw new IOException("empty HTTP start line");
    }
    List<Header> headers = new ArrayList<>();
    for (int i = 1; i < lines.length; i++) {
      String line = lines[i];
      if (line.isEmpty()) {
        break;
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new IOException("malformed HTTP header line: " + line);
      }
      headers.add(new Header(line.substring(0, colon).trim(), line.substring(colon + 1).trim()));
    }
    return new HttpHead(lines[0], headers, body);
  }

  /**
   * The {@code Content-Length} value, or -1 if absent or not a number.
   *
   * @return the body's announced length, or -1
   */
  public int contentLength() {
    String value = header("Content-Length");
    if (value == null) {
      return -1;
    }
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HttpHead
        && ((HttpHead) o).startLine.equals(startLine)
        && ((HttpHead) o).headers.equals(headers)
        && Arrays.equals(((HttpHead) o).body, body);
  }

  @Override
  public int hashCode() {
    return Objects.hash(startLine, headers) * 31 + Arrays.hashCode(body);
  }

  /** The start line and headers, one per line, and the body length. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(startLine);
    for (Header h : headers) {
      sb.append("\n  ").append(h);
    }
    if (body.length > 0) {
      sb.append("\n  (body ").append(body.length).append(" bytes)");
    }
    return sb.toString();
  }
}
