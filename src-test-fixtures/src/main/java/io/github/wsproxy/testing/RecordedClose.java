package io.github.wsproxy.testing;

/**
 * How a WebSocket connection closed, as one endpoint saw it.
 *
 * @param code the close status code: the peer's when {@code remote}, else the local one. 1005
 *     means the close frame had no status code; 1006 means the TCP connection ended without a
 *     close frame
 * @param reason the close reason ("" if none)
 * @param remote whether the peer initiated the close (sent the first close frame or dropped the
 *     connection)
 */
public record RecordedClose(int code, String reason, boolean remote) {}
