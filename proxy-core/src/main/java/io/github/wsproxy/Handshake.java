package io.github.wsproxy;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/**
 * A client's WebSocket upgrade request, or a plain HTTP request ({@link #isUpgrade()} tells them
 * apart), as {@link Interceptor#onHandshake} sees it: read the request, change what is sent
 * upstream, or reject it with any HTTP response. The body of a plain request passes through without
 * message hooks.
 *
 * <p>Reads describe the client's request as received; changes ({@link #setHeader}, {@link
 * #setTarget}…) apply to the request sent upstream, and later interceptors in the chain see them
 * through {@link #upstreamHeaders()} and {@link #upstreamTarget()}. The object may be used from any
 * thread until the stage returned by {@code onHandshake} completes, and not after.
 */
public interface Handshake {

  /**
   * The connection this handshake belongs to: its id, address and attributes.
   *
   * @return the connection being opened
   */
  ProxyConnection connection();

  /**
   * Whether this is a WebSocket upgrade request; false for a plain HTTP request (a page, a polling
   * transport, a health check), which the proxy relays as HTTP when {@link
   * WsProxy.Builder#plainHttp(boolean)} is on.
   *
   * @return true for a WebSocket upgrade, false for a plain HTTP request
   */
  boolean isUpgrade();

  /**
   * The request method ({@code GET} for an upgrade).
   *
   * @return the request method
   */
  String method();

  /**
   * The request target as received: path and query, e.g. {@code /chat?room=1}.
   *
   * @return the request target
   */
  String target();

  /**
   * The path of the request target, without the query, e.g. {@code /chat}.
   *
   * @return the request path
   */
  String path();

  /**
   * The raw query of the request target without {@code ?}, or null when it has none.
   *
   * @return the raw query, or null
   */
  String query();

  /**
   * The value of a query parameter (percent-decoded, the first if repeated), or null when absent.
   *
   * @param name the parameter's name, as it appears in the query
   * @return the decoded value, or null
   */
  String queryParameter(String name);

  /**
   * The client's headers in the order received, duplicates kept; names as the client spelled them.
   *
   * @return the client's headers as name-value entries; unmodifiable
   */
  List<Map.Entry<String, String>> headers();

  /**
   * The first value of a request header (name case-insensitive), or null.
   *
   * @param name the header's name
   * @return the header's first value, or null when the client did not send it
   */
  String header(String name);

  /**
   * The subprotocols the client offers ({@code Sec-WebSocket-Protocol}), in its order.
   *
   * @return the offered subprotocols; empty when none
   */
  List<String> subprotocols();

  /**
   * The client's address.
   *
   * @return the client's address, as the proxy sees it
   */
  InetSocketAddress remoteAddress();

  /**
   * Replaces the request target (path and query) sent upstream; it is still joined to the upstream
   * URL's path prefix.
   *
   * @param target the new target, starting with {@code /}
   * @return this handshake
   * @throws IllegalArgumentException if it does not start with {@code /} or holds spaces or control
   *     characters
   */
  Handshake setTarget(String target);

  /**
   * The target that will be sent upstream (before the upstream's path prefix is joined).
   *
   * @return the target to send upstream
   */
  String upstreamTarget();

  /**
   * Sets a header on the upstream request, replacing every header of that name.
   *
   * @param name the header's name; an HTTP token
   * @param value the header's value
   * @return this handshake
   * @throws IllegalArgumentException if the name is not an HTTP token, the value holds CR, LF or
   *     other control characters, or the name is one the proxy owns per leg ({@code Host}, {@code
   *     Upgrade}, {@code Connection}, {@code Sec-WebSocket-Key}/{@code -Version}/{@code -Extensions})
   */
  Handshake setHeader(String name, String value);

  /**
   * Removes every header of that name from the upstream request.
   *
   * @param name the header's name, case-insensitive
   * @return this handshake
   */
  Handshake removeHeader(String name);

  /**
   * The headers that will be sent upstream, as changed so far (before the proxy's own).
   *
   * @return the upstream request's headers as name-value entries
   */
  List<Map.Entry<String, String>> upstreamHeaders();

  /**
   * Rejects the handshake: the client gets this HTTP response and the upstream is never contacted.
   *
   * @param status a 4xx or 5xx status
   * @param headers extra response headers (e.g. {@code WWW-Authenticate}); names and values are
   *     checked as by {@link #setHeader}
   * @param body the response body, sent as {@code text/plain; charset=utf-8}
   * @throws IllegalArgumentException if the status is not 4xx/5xx or a header is invalid
   */
  void reject(int status, Map<String, String> headers, String body);

  /**
   * Rejects with a status and a body and no extra headers; see {@link #reject(int, Map, String)}.
   *
   * @param status a 4xx or 5xx status
   * @param body the response body, sent as {@code text/plain; charset=utf-8}
   */
  default void reject(int status, String body) {
    reject(status, Map.of(), body);
  }

  /**
   * Sends this connection to another upstream group than the proxy's own: picked by path, a
   * header, a token's tenant… The group balances, fails over and keeps passive health as the
   * proxy's own does (active health checks run only for the proxy's own group). Create each group
   * once and reuse the instance: the proxy keeps its state per instance, and refuses (500) more
   * than 1024 distinct ones.
   *
   * @param group the group to send this connection to
   * @return this handshake
   */
  Handshake setUpstream(UpstreamGroup group);

  /**
   * The group chosen with {@link #setUpstream}, or null for the proxy's own.
   *
   * @return the chosen group, or null
   */
  UpstreamGroup upstream();

  /**
   * Whether some interceptor has rejected this handshake.
   *
   * @return whether the handshake has been rejected
   */
  boolean isRejected();
}
