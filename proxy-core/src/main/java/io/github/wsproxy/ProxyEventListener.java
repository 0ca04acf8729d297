package io.github.wsproxy;

import java.net.URI;

/**
 * Receives what a {@link WsProxy} does, for metrics and monitoring: register one with {@link
 * WsProxy.Builder#eventListener}, subclass it and override what you need (every method has a no-op
 * default, as OkHttp's {@code EventListener}). It has no dependency on a metrics library: an adapter
 * maps the events onto one (see {@code MicrometerEventListener} in proxy-examples).
 *
 * <p>Methods are called on event-loop threads, several at once, so an implementation must be
 * thread-safe and fast, and must not block; an exception it throws is logged and ignored.
 */
public abstract class ProxyEventListener {

  /** For subclasses. */
  protected ProxyEventListener() {}

  /**
   * A handshake ended: the client got its 101, or an HTTP error (from the proxy, an interceptor or
   * the upstream).
   *
   * @param outcome the status the client got, the upstream tried and the timings
   */
  public void onHandshake(HandshakeOutcome outcome) {}

  /**
   * A plain HTTP request ended: its response was relayed completely, or the client got an error, or
   * the connection ended midway. Its traffic is counted here, not in {@link #onTraffic}.
   *
   * @param outcome the request, the status the client got, the upstream, bytes and timing
   */
  public void onHttpExchange(HttpExchangeOutcome outcome) {}

  /**
   * Traffic relayed since the last report, per upstream server: reported about once a second while
   * connections are open, and for the rest when one ends, so counters move during long-lived
   * connections.
   *
   * @param upstream the upstream server's URL
   * @param bytesFromClient bytes relayed from clients to the server
   * @param messagesFromClient messages relayed from clients to the server
   * @param bytesFromUpstream bytes relayed from the server to clients
   * @param messagesFromUpstream messages relayed from the server to clients
   */
  public void onTraffic(URI upstream, long bytesFromClient, long messagesFromClient, long bytesFromUpstream,
      long messagesFromUpstream) {}

  /**
   * An opened connection ended.
   *
   * @param upstream the upstream server's URL
   * @param info who closed the connection, with which code, and the traffic it carried
   */
  public void onClose(URI upstream, CloseInfo info) {}
}
