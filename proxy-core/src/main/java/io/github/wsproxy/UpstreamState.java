package io.github.wsproxy;

import java.net.URI;

/**
 * An immutable snapshot of one upstream server of a running proxy, from {@link
 * WsProxy#upstreamStates()} or an {@link UpstreamListener}.
 *
 * @param url the server's URL as configured
 * @param weight its weight
 * @param backup whether it is a backup server (used only when no primary is available)
 * @param health whether new connections may go to it
 * @param activeConnections connections currently using it (including ones still in their handshake)
 */
public record UpstreamState(URI url, int weight, boolean backup, Health health, int activeConnections) {

  /** Whether a server takes new connections. */
  public enum Health {
    /** Takes new connections (subject to its connection cap). */
    UP,
    /** Failed {@code maxFails} times within {@code failTimeout} (passive health): skipped for {@code failTimeout}. */
    FAILED,
    /** The active health check's last probe failed: skipped until a probe succeeds. */
    DOWN
  }
}
