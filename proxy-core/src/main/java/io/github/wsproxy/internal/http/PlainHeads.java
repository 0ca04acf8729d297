package io.github.wsproxy.internal.http;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The heads of a plain (non-upgrade) HTTP exchange on each leg: the checks a request must pass, the
 * request as sent upstream and the response as sent to the client. Hop-by-hop fields are dropped
 * per leg ({@link HopByHop}); {@code Host} and {@code X-Forwarded-*} follow {@link Forwarding}; the
 * framing fields are written from the checked {@link BodyFraming}, once, so that duplicates collapse
 * and the next hop reads the body exactly as the proxy does; {@code Via} is optional.
 */
public final class PlainHeads {

  /** Request fields the proxy writes itself: forwarding ones and the length (hop-by-hop go anyway). */
  private static final Set<String> REQUEST_REWRITTEN =
      Stream.concat(Forwarding.REWRITTEN.stream(), Stream.of("content-length")).collect(Collectors.toUnmodifiableSet());

  private PlainHeads() {}

  /**
   * Checks what a plain request needs beyond {@link HttpHead#parse} and {@link BodyFraming#ofRequest}:
   * HTTP/1.0 or 1.1, an absolute path as target (origin-form), exactly one {@code Host} in HTTP/1.1
   * (RFC 9112 §3.2) and at most one in HTTP/1.0, and no {@code CONNECT}.
   *
   * @throws MalformedHttpException when the request must be answered with 400
   */
  public static void checkRequest(HttpHead request) throws MalformedHttpException {
    boolean http11 = request.third().equals("HTTP/1.1");
    if (!http11 && !request.third().equals("HTTP/1.0")) {
      throw new MalformedHttpException("only HTTP/1.0 and HTTP/1.1 are supported");
    }
    if (!request.second().startsWith("/")) {
      throw new MalformedHttpException("request target must be an absolute path");
    }
    int hosts = request.count("host");
    if (hosts > 1 || (http11 && hosts == 0)) {
      throw new MalformedHttpException("exactly one Host header is required");
    }
    if (request.first().equals("CONNECT")) {
      throw new MalformedHttpException("CONNECT is not supported by a reverse proxy");
    }
  }

  /**
   * The client's fields that go upstream as they are (what interceptors see and may change): all but
   * hop-by-hop, framing and forwarding ones.
   */
  public static List<HttpHead.Field> forwardedRequestFields(HttpHead request) {
    return HopByHop.endToEnd(request.fields(), request.tokens("connection"), REQUEST_REWRITTEN);
  }

  /**
   * The request head to send upstream, always HTTP/1.1.
   *
   * @param target the request target (path and query) before the upstream's path prefix
   * @param fields the fields to forward (see {@link #forwardedRequestFields}); hop-by-hop, framing and
   *     forwarding fields among them (an interceptor may have added some) are left out
   * @param framing the request's checked framing; its {@code Transfer-Encoding} codings or its
   *     length are written again
   * @param keepAlive false to ask the upstream to close after its response ({@code Connection:
   *     close}), when the connection will not go back to the pool
   * @param via the proxy's pseudonym for a {@code Via} field, or null for none
   */
  public static byte[] upstreamRequest(HttpHead client, String target, List<HttpHead.Field> fields,
      BodyFraming framing, Forwarding forwarding, URI upstream, InetSocketAddress clientAddress,
      boolean keepAlive, String via) {
    StringBuilder out = new StringBuilder(512)
        .append(client.first()).append(' ').append(Forwarding.upstreamTarget(UpstreamUrls.pathPrefix(upstream), target))
        .append(" HTTP/1.1\r\n");
    forwarding.appendHost(out, client, upstream);
    // Fields an interceptor added go through the same filter: one framing, the proxy's own.
    appendFields(out, HopByHop.endToEnd(fields, List.of(), REQUEST_REWRITTEN));
    appendFraming(out, client, framing.kind(), framing.length());
    forwarding.appendForwardedFields(out, client, clientAddress);
    appendVia(out, client.third(), via);
    if (!keepAlive) {
      out.append("Connection: close\r\n");
    }
    return out.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * The response head to send the client, always HTTP/1.1: the upstream's status and reason, its
   * end-to-end fields, and its framing fields unless the status has no body (1xx, 204).
   *
   * @param stripChunks the body's chunk framing is removed for an HTTP/1.0 client (see {@link
   *     BodyScanner}): no {@code Transfer-Encoding}, and the body ends with the connection
   * @param keepAlive false to announce {@code Connection: close} (the client's connection ends after
   *     this response)
   * @param via the proxy's pseudonym for a {@code Via} field, or null for none
   * @param extraFields complete field lines without CRLF, e.g. the affinity cookie's {@code Set-Cookie}
   * @throws MalformedHttpException when the response's framing fields are invalid (answer 502)
   */
  public static byte[] clientResponse(HttpHead response, boolean stripChunks, boolean keepAlive, String via,
      List<String> extraFields) throws MalformedHttpException {
    StringBuilder out = new StringBuilder(512)
        .append("HTTP/1.1 ").append(response.second()).append(' ').append(response.third()).append("\r\n");
    appendFields(out, HopByHop.endToEnd(response.fields(), response.tokens("connection"), Set.of("content-length")));
    int status = Integer.parseInt(response.second());
    if (status >= 200 && status != 204) {
      long length = BodyFraming.declaredLength(response);
      boolean chunked = response.count("transfer-encoding") > 0 && !stripChunks;
      appendFraming(out, response, chunked ? BodyFraming.Kind.CHUNKED : BodyFraming.Kind.LENGTH, length);
    }
    appendVia(out, response.first(), via);
    for (String field : extraFields) {
      out.append(field).append("\r\n");
    }
    if (!keepAlive) {
      out.append("Connection: close\r\n");
    }
    return out.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  private static void appendFields(StringBuilder out, List<HttpHead.Field> fields) {
    for (HttpHead.Field field : fields) {
      out.append(field.name()).append(": ").append(field.value()).append("\r\n");
    }
  }

  /** The message's transfer codings as received for chunked, else its length when it has one. */
  private static void appendFraming(StringBuilder out, HttpHead head, BodyFraming.Kind kind, long length) {
    if (kind == BodyFraming.Kind.CHUNKED) {
      out.append("Transfer-Encoding: ").append(String.join(", ", head.tokens("transfer-encoding"))).append("\r\n");
    } else if (length >= 0) {
      out.append("Content-Length: ").append(length).append("\r\n");
    }
  }

  private static void appendVia(StringBuilder out, String version, String via) {
    if (via != null) {
      out.append("Via: ").append(version.substring("HTTP/".length())).append(' ').append(via).append("\r\n");
    }
  }
}
