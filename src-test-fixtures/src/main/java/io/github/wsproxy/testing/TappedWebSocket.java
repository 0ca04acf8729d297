package io.github.wsproxy.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.List;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.WebSocketListener;
import org.java_websocket.drafts.Draft;

/**
 * A server-side connection of the {@link TestUpstream}: Java-WebSocket's {@link WebSocketImpl}
 * plus a {@link WireTap} on the bytes it reads, and a fix for the library's end-of-stream race.
 * Its output is written by the {@link UpstreamWriter} (the library's write path loses output).
 *
 * <p>The race: the selector thread reads data and queues it to a worker, then reads the end of
 * stream and closes the connection with 1006 at once, before the worker has decoded the data, so
 * a peer's last messages and close frame are lost. Worse, the worker flushes the 101 before it
 * registers the connection as open, so a peer that answers the 101 at once with frames and a FIN
 * can be closed as "never connected" and then registered as open: no close is ever reported for
 * it. Here the channel reports no end of stream (and stops read interest) until every byte read
 * has been decoded; then read interest comes back and the end of stream is reported normally.
 */
final class TappedWebSocket extends WrittenWebSocket {
  final TestUpstream.Conn conn;
  private final Object eofLock = new Object();
  private long bytesRead;
  private long bytesDecoded;
  private boolean eofPending;

  TappedWebSocket(WebSocketListener listener, List<Draft> drafts, TestUpstream owner) {
    super(listener, drafts);
    this.conn = owner.newConn(this);
  }

  @Override
  public void decode(ByteBuffer socketBuffer) {
    int n = socketBuffer.remaining();
    try {
      super.decode(socketBuffer);
    } finally {
      synchronized (eofLock) {
        bytesDecoded += n;
        if (eofPending && bytesDecoded >= bytesRead) {
          eofPending = false;
          SelectionKey key = getSelectionKey();
          try {
            key.interestOps(key.interestOps() | SelectionKey.OP_READ);
            key.selector().wakeup();
          } catch (CancelledKeyException e) {
            // already closed
          }
        }
      }
    }
  }

  /** The channel Java-WebSocket reads from and writes to: {@code channel} with the tap. */
  @Override
  ByteChannel wrap(SocketChannel channel) {
    super.wrap(channel);
    return new ByteChannel() {
      @Override
      public int read(ByteBuffer dst) throws IOException {
        int pos = dst.position();
        int n = channel.read(dst);
        if (n > 0) {
          synchronized (eofLock) {
            bytesRead += n;
          }
          ByteBuffer copy = dst.duplicate();
          copy.position(pos).limit(pos + n);
          byte[] bytes = new byte[n];
          copy.get(bytes);
          conn.tap.feed(bytes, 0, n);
          return n;
        }
        return n < 0 ? endOfStream() : n;
      }

      @Override
      public int write(ByteBuffer src) throws IOException {
        return channel.write(src);
      }

      @Override
      public boolean isOpen() {
        return channel.isOpen();
      }

      @Override
      public void close() throws IOException {
        channel.close();
      }
    };
  }

  private int endOfStream() {
    synchronized (eofLock) {
      if (bytesDecoded >= bytesRead) {
        return -1;
      }
      eofPending = true;
      SelectionKey key = getSelectionKey();
      try {
        key.interestOps(key.interestOps() & ~SelectionKey.OP_READ);
      } catch (CancelledKeyException e) {
        return -1;
      }
      return 0;
    }
  }
}
