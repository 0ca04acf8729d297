package io.github.wsproxy.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.channels.ByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.java_websocket.WebSocketAdapter;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.WebSocketListener;
import org.java_websocket.WebSocketServerFactory;
import org.java_websocket.drafts.Draft;
import org.java_websocket.server.WebSocketServer;

/**
 * Java-WebSocket's {@link WebSocketServer} without its write race, for servers that must not lose
 * output under load: the {@link TestUpstream}'s, and the examples' demo upstreams.
 *
 * <p>In Java-WebSocket 1.6.0 a message sent from a worker thread (an echo sent from {@code
 * onMessage}, a broadcast) can stay queued until something else is sent on its connection: the
 * server's selector thread, having just written the connection's queue out, resets its write
 * interest after the worker asked for it. Here the sending thread writes the connection's output
 * itself, and a thread of this server's own writes what the socket did not take once it can take
 * more; the library's selector thread only reads. Subclasses implement the usual callbacks ({@code
 * onOpen}, {@code onMessage}...) and send as usual; they must not replace the {@link
 * #setWebSocketFactory factory}, which this class sets.
 *
 * <p>{@link #start()} starts the writer's thread along with the server, and {@link #stop(int,
 * String)} (which every {@code stop} calls) ends it once the server's threads have ended.
 */
public abstract class WriteSafeWebSocketServer extends WebSocketServer {
  private volatile UpstreamWriter writer;

  /**
   * A server for {@code address} (port 0 for any); nothing listens before {@link #start()}.
   *
   * @param address where to listen
   * @param workers the number of threads that decode and run the callbacks
   * @param drafts the protocol drafts to accept, or null for the library's default (RFC 6455)
   */
  protected WriteSafeWebSocketServer(InetSocketAddress address, int workers, List<Draft> drafts) {
    super(address, workers, drafts);
    setWebSocketFactory(new Factory());
  }

  /**
   * Starts the writer's thread, then the server's (see {@link WebSocketServer#start()}).
   *
   * @throws IllegalStateException when started before
   * @throws UncheckedIOException when the writer's selector cannot be opened
   */
  @Override
  public void start() {
    if (writer != null) {
      throw new IllegalStateException(getClass().getName() + " was started before");
    }
    try {
      writer = new UpstreamWriter(getClass().getSimpleName() + "-writer");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    super.start();
  }

  /**
   * Stops the server (see {@link WebSocketServer#stop(int, String)}), then waits for its worker
   * threads and ends the writer's thread, all within about {@code timeout} milliseconds (0: no
   * limit but the writer's second).
   *
   * @param timeout milliseconds to wait for the close handshakes and the threads, 0 for no limit
   * @param closeMessage the reason of the close frames sent to the connections
   * @throws InterruptedException when interrupted while waiting
   */
  @Override
  public void stop(int timeout, String closeMessage) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout);
    try {
      super.stop(timeout, closeMessage);
      for (Thread worker : decoders) {
        worker.interrupt();
        worker.join(timeout <= 0 ? 0 : Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      }
    } finally {
      UpstreamWriter w = writer;
      if (w != null) {
        w.close(timeout <= 0 ? Duration.ofSeconds(1) : Duration.ofNanos(deadline - System.nanoTime()));
      }
    }
  }

  /**
   * A new connection: the {@link TestUpstream}'s taps its bytes.
   *
   * @param listener the connection's listener, which hands its write demands to the writer
   * @param drafts the drafts to accept
   * @return the connection
   */
  WrittenWebSocket newConnection(WebSocketListener listener, List<Draft> drafts) {
    return new WrittenWebSocket(listener, drafts);
  }

  /** Creates the connections, whose output the {@link UpstreamWriter} writes. */
  private final class Factory implements WebSocketServerFactory {
    @Override
    public WebSocketImpl createWebSocket(WebSocketAdapter a, Draft d) {
      return createWebSocket(a, List.of(d));
    }

    @Override
    public WebSocketImpl createWebSocket(WebSocketAdapter a, List<Draft> drafts) {
      return newConnection(writer.listener(a), drafts);
    }

    @Override
    public ByteChannel wrapChannel(SocketChannel channel, SelectionKey key) {
      return ((WrittenWebSocket) key.attachment()).wrap(channel);
    }

    @Override
    public void close() {}
  }
}
