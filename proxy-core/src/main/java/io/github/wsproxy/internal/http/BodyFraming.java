package io.github.wsproxy.internal.http;

import java.util.List;

/**
 * How the body of one HTTP/1.1 message is delimited (RFC 9112 §6.3), decided from its parsed head
 * with the request smuggling rules of RFC 9112 §6.1-6.3 and §11.2 applied: {@code Content-Length}
 * together with {@code Transfer-Encoding}, differing {@code Content-Length}s (in several fields or
 * one comma list), a length that is not a plain decimal, {@code chunked} applied twice or not last,
 * a request whose transfer coding does not end in {@code chunked}, and {@code Transfer-Encoding} in
 * an HTTP/1.0 message are all a {@link MalformedHttpException}, which the caller answers with 400 for
 * a request and 502 for a response. Obs-fold, bare CR or LF and NUL in a head are already rejected
 * by {@link HttpHead#parse}.
 *
 * @param length the declared length for {@link Kind#LENGTH}, otherwise -1
 */
public record BodyFraming(Kind kind, long length) {

  /** The ways a body ends. */
  public enum Kind {
    /** No body at all (not even an empty one is announced). */
    NONE,
    /** Exactly {@link #length()} bytes. */
    LENGTH,
    /** The chunked transfer coding: ends with the last chunk and the trailer section. */
    CHUNKED,
    /** A response that ends when the upstream closes the connection. */
    UNTIL_CLOSE
  }

  private static final BodyFraming NO_BODY = new BodyFraming(Kind.NONE, -1);
  private static final BodyFraming CHUNKED = new BodyFraming(Kind.CHUNKED, -1);
  private static final BodyFraming UNTIL_CLOSE = new BodyFraming(Kind.UNTIL_CLOSE, -1);

  /**
   * The framing of a request's body: chunked, a declared length, or none when neither header is
   * present (RFC 9112 §6.3 rule 7).
   *
   * @throws MalformedHttpException when the framing is ambiguous or invalid (answer 400)
   */
  public static BodyFraming ofRequest(HttpHead request) throws MalformedHttpException {
    long length = declaredLength(request);
    List<String> codings = transferCodings(request, request.third());
    if (codings.isEmpty()) {
      return length < 0 ? NO_BODY : new BodyFraming(Kind.LENGTH, length);
    }
    if (!codings.get(codings.size() - 1).equals("chunked")) {
      throw new MalformedHttpException("a request's Transfer-Encoding must end with chunked");
    }
    return CHUNKED;
  }

  /**
   * The framing of a response's body (RFC 9112 §6.3 rules 1-4 and 8): none for a response to HEAD
   * and for 1xx, 204 and 304; chunked when the transfer coding ends in chunked; until the upstream
   * closes when another coding is last or when no length is declared. The headers are checked in
   * every case, since the proxy forwards them.
   *
   * @param requestMethod the method of the request this response answers
   * @throws MalformedHttpException when the framing is ambiguous or invalid (answer 502)
   */
  public static BodyFraming ofResponse(HttpHead response, String requestMethod) throws MalformedHttpException {
    long length = declaredLength(response);
    List<String> codings = transferCodings(response, response.first());
    int status = Integer.parseInt(response.second());
    if (requestMethod.equals("HEAD") || status < 200 || status == 204 || status == 304) {
      return NO_BODY;
    }
    if (!codings.isEmpty()) {
      return codings.get(codings.size() - 1).equals("chunked") ? CHUNKED : UNTIL_CLOSE;
    }
    return length < 0 ? UNTIL_CLOSE : new BodyFraming(Kind.LENGTH, length);
  }

  /**
   * The message's {@code Content-Length}: every occurrence, in every field and comma list, must be
   * the same plain decimal number.
   *
   * @return the length, or -1 when the header is absent
   * @throws MalformedHttpException when a value is not a decimal number or the values differ
   */
  public static long declaredLength(HttpHead head) throws MalformedHttpException {
    if (head.count("content-length") == 0) {
      return -1;
    }
    List<String> values = head.elements("content-length");
    if (values.isEmpty()) {
      throw new MalformedHttpException("empty Content-Length");
    }
    long length = -1;
    for (String value : values) {
      long parsed = decimal(value);
      if (length >= 0 && parsed != length) {
        throw new MalformedHttpException("differing Content-Length values");
      }
      length = parsed;
    }
    return length;
  }

  /** Whether a declared length is over {@code maxBodyBytes} (0: no limit): answer 413 unrelayed. */
  public boolean exceeds(long maxBodyBytes) {
    return kind == Kind.LENGTH && maxBodyBytes > 0 && length > maxBodyBytes;
  }

  /** The transfer codings, lower-cased, after the checks every message shares; empty when absent. */
  private static List<String> transferCodings(HttpHead head, String version) throws MalformedHttpException {
    if (head.count("transfer-encoding") == 0) {
      return List.of();
    }
    if (head.count("content-length") > 0) {
      throw new MalformedHttpException("Content-Length together with Transfer-Encoding");
    }
    if (version.equals("HTTP/1.0")) {
      throw new MalformedHttpException("Transfer-Encoding in an HTTP/1.0 message");
    }
    List<String> codings = head.tokens("transfer-encoding");
    if (codings.isEmpty()) {
      throw new MalformedHttpException("empty Transfer-Encoding");
    }
    for (int i = 0; i < codings.size(); i++) {
      if (!HttpHead.isToken(codings.get(i))) {
        throw new MalformedHttpException("malformed transfer coding");
      }
      if (codings.get(i).equals("chunked") && i != codings.size() - 1) {
        throw new MalformedHttpException("chunked must be the last transfer coding, applied once");
      }
    }
    return codings;
  }

  private static long decimal(String value) throws MalformedHttpException {
    if (value.isEmpty() || value.length() > 18) {
      throw new MalformedHttpException("malformed Content-Length");
    }
    long n = 0;
    for (int i = 0; i < value.length(); i++) {
      char ch = value.charAt(i);
      if (ch < '0' || ch > '9') {
        throw new MalformedHttpException("malformed Content-Length");
      }
      n = n * 10 + (ch - '0');
    }
    return n;
  }
}
