package io.github.wsproxy.internal.http;

/**
 * Whether a connection outlives the exchange on it (RFC 9112 §9.3). The client's connection
 * persists for HTTP/1.1 unless either side of the exchange ends it: the client's {@code Connection:
 * close}, or a response whose body ends with the connection. HTTP/1.0 clients get one exchange per
 * connection (their {@code Connection: keep-alive} is not honoured, as it is rare and easy to get
 * wrong). An upstream connection goes back to the pool only when the request went out whole, the
 * response was read whole, and neither side said {@code close}.
 */
public final class Persistence {
  private Persistence() {}

  /**
   * Whether the client's connection can carry another request after this exchange, given that the
   * request's body was read completely.
   *
   * @param responseFraming the framing of the response as relayed to the client
   */
  public static boolean clientMayContinue(HttpHead request, BodyFraming responseFraming) {
    return request.third().equals("HTTP/1.1") && !request.tokens("connection").contains("close")
        && responseFraming.kind() != BodyFraming.Kind.UNTIL_CLOSE;
  }

  /**
   * Whether an upstream connection can go back to the pool after this exchange.
   *
   * @param askedToClose the proxy sent the request with {@code Connection: close}
   * @param exchangeComplete the request was sent and the response read completely
   */
  public static boolean upstreamReusable(boolean askedToClose, HttpHead response, BodyFraming responseFraming,
      boolean exchangeComplete) {
    return !askedToClose && exchangeComplete && response.first().equals("HTTP/1.1")
        && !response.tokens("connection").contains("close")
        && responseFraming.kind() != BodyFraming.Kind.UNTIL_CLOSE;
  }
}
