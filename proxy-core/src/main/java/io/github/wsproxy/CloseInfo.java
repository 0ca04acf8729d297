package io.github.wsproxy;

import java.time.Duration;

/**
 * How a connection ended, given to {@link Interceptor#onClose}. Close codes are those each side
 * sent: 1005 when its close frame carried no code, 1006 when it sent none (it vanished or was cut
 * off), -1 when that side never got as far.
 *
 * @param closedBy who ended the connection
 * @param clientCode the close code the client sent
 * @param upstreamCode the close code the upstream sent
 * @param reason why the connection ended, as written in the access log
 * @param bytesFromClient bytes received from the client after the handshake
 * @param messagesFromClient complete messages received from the client
 * @param bytesFromUpstream bytes received from the upstream after the handshake
 * @param messagesFromUpstream complete messages received from the upstream
 * @param duration from the client's connect to the end
 */
public record CloseInfo(
    Initiator closedBy,
    int clientCode,
    int upstreamCode,
    String reason,
    long bytesFromClient,
    long messagesFromClient,
    long bytesFromUpstream,
    long messagesFromUpstream,
    Duration duration) {

  /** Who ended a connection. */
  public enum Initiator {
    /** The client sent the first close frame, or vanished. */
    CLIENT,
    /** The upstream sent the first close frame, or vanished. */
    UPSTREAM,
    /**
     * The proxy ended it: a timeout, a protocol violation, a limit, an interceptor's {@link
     * ProxyConnection#close}, or the proxy shutting down.
     */
    PROXY
  }
}
