package io.github.wsproxy.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import org.java_websocket.WebSocketListener;
import org.java_websocket.enums.Role;
import org.java_websocket.framing.CloseFrame;

/**
 * The write path of a {@link WriteSafeWebSocketServer}'s connections, in place of
 * Java-WebSocket's, which loses output under load.
 *
 * <p>The library's race (1.6.0): a connection's output is queued by whichever thread sends (a
 * worker thread that runs the echo handler, mostly), which then asks the server's selector thread
 * for write interest ({@code WebSocketServer.onWriteDemand}: {@code interestOps(OP_READ |
 * OP_WRITE)}). The selector thread writes the queue out ({@code SocketChannelIOHelper.batch}) and,
 * having found it empty, sets the interest back to {@code OP_READ} ({@code
 * WebSocketServer.doWrite}). Nothing orders the two: when a buffer is queued and its write
 * interest set after the selector thread last looked at the queue but before it resets the
 * interest, the reset wins, and the buffer stays queued until something else is sent on that
 * connection; the last echo of a client that waits for it never comes. The window is not rare:
 * the selector thread keeps the write readiness of a key it never removes from its selected set,
 * so right after it hands a connection's newly read message to a worker, it calls {@code doWrite}
 * on that connection again, while the worker echoes the message.
 *
 * <p>Here the library's write demand (the {@code WebSocketListener.onWriteDemand} that follows
 * every queued buffer, see {@link #listener}) writes the queue out at once on the calling thread,
 * under the connection's write lock; whatever the socket does not take is written by this
 * writer's own selector thread once the socket can take more. The server's selector never gets
 * write interest, so it never writes. As in the library, a connection closed with {@code
 * flushAndClose} is closed once its queue is written, and a write error closes it with 1006, as
 * does output the socket cannot take once the writer is closed.
 */
final class UpstreamWriter {
  private final Selector selector;
  private final Thread thread;
  private volatile boolean closed;

  UpstreamWriter(String name) throws IOException {
    this.selector = Selector.open();
    this.thread = new Thread(this::run, name);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * The listener to give a connection: {@code server}'s, except that write demands come here.
   *
   * @param server the server's listener
   * @return the listener for the connection
   */
  WriteDemandListener listener(WebSocketListener server) {
    return new WriteDemandListener(server, this);
  }

  /** Output was queued for {@code ws}: writes what the socket takes now, the rest when it can. */
  void demand(WrittenWebSocket ws) {
    boolean drained;
    try {
      synchronized (ws.writeLock) {
        drained = writeQueued(ws);
      }
    } catch (IOException | CancelledKeyException | ClosedSelectorException e) {
      ws.outQueue.clear();
      ws.unwritten = null;
      ws.closeConnection(CloseFrame.ABNORMAL_CLOSE, String.valueOf(e.getMessage()));
      return;
    }
    if (drained && ws.outQueue.isEmpty() && ws.isFlushAndClose() && ws.getDraft() != null
        && ws.getDraft().getRole() == Role.SERVER) {
      ws.closeConnection();
    }
  }

  /**
   * Writes the rest of the buffer written in part before, then the queue, until all is written
   * (true) or the socket takes no more (false). A buffer leaves the queue before it is written, so
   * a peer that got the bytes never sees them still counted as unsent.
   */
  private boolean writeQueued(WrittenWebSocket ws) throws IOException {
    SocketChannel socket = ws.socket();
    ByteBuffer buffer = ws.unwritten;
    ws.unwritten = null;
    while (buffer != null || (buffer = ws.outQueue.poll()) != null) {
      socket.write(buffer);
      if (buffer.hasRemaining()) {
        ws.unwritten = buffer;
        interest(socket, ws, SelectionKey.OP_WRITE);
        return false;
      }
      buffer = null;
    }
    interest(socket, ws, 0);
    return true;
  }

  private void interest(SocketChannel socket, WrittenWebSocket ws, int ops) throws IOException {
    SelectionKey key = socket.keyFor(selector);
    if (key == null) {
      if (ops == 0) {
        return;
      }
      socket.register(selector, ops, ws);
    } else if (key.interestOps() != ops) {
      key.interestOps(ops);
    }
    if (ops != 0) {
      selector.wakeup();
    }
  }

  private void run() {
    try {
      while (!closed) {
        selector.select();
        for (SelectionKey key : selector.selectedKeys()) {
          demand((WrittenWebSocket) key.attachment());
        }
        selector.selectedKeys().clear();
      }
    } catch (IOException e) {
      // the selector failed: nothing more can be written when sockets fill up
    }
  }

  /** Stops the writer's thread (waiting up to {@code timeout}) and closes its selector. */
  void close(Duration timeout) {
    closed = true;
    selector.wakeup();
    try {
      thread.join(Math.max(1, timeout.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      selector.close();
    } catch (IOException e) {
      // closing
    }
  }
}
