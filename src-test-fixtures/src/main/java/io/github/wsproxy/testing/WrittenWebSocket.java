package io.github.wsproxy.testing;

import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.WebSocketListener;
import org.java_websocket.drafts.Draft;

/**
 * A server-side connection of a {@link WriteSafeWebSocketServer}: Java-WebSocket's {@link
 * WebSocketImpl} whose output the {@link UpstreamWriter} writes, with the state it writes from.
 */
class WrittenWebSocket extends WebSocketImpl {
  /** Held while the {@link UpstreamWriter} writes this connection's queued output. */
  final Object writeLock = new Object();
  /** The rest of a buffer the socket took in part, guarded by {@link #writeLock}. */
  volatile ByteBuffer unwritten;
  private volatile SocketChannel socket;

  WrittenWebSocket(WebSocketListener listener, List<Draft> drafts) {
    super(listener, drafts);
  }

  /** The channel Java-WebSocket reads from and writes to: {@code channel} itself here. */
  ByteChannel wrap(SocketChannel channel) {
    socket = channel;
    return channel;
  }

  /** Whether output is queued, or written in part, and waits for the socket. */
  final boolean hasUnsentOutput() {
    return hasBufferedData() || unwritten != null;
  }

  /** The connection's socket, which the {@link UpstreamWriter} writes to. */
  final SocketChannel socket() {
    return socket;
  }
}
