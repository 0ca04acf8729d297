package io.github.wsproxy.examples;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import io.github.wsproxy.testing.WriteSafeWebSocketServer;
import org.java_websocket.WebSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Java-WebSocket server for the examples' demo upstreams: {@link #listen()} starts it and returns
 * once it accepts connections, {@link #close()} stops it. Subclasses answer the connections. It is
 * a {@link WriteSafeWebSocketServer}, whose output is not lost under load as the library's own
 * server's can be (an echo, a broadcast left queued until something else is sent).
 */
public abstract class LoopbackServer extends WriteSafeWebSocketServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LoopbackServer.class);

  private final CountDownLatch started = new CountDownLatch(1);
  private volatile Exception startFailure;

  /** A server for {@code address} (port 0 for any); nothing listens before {@link #listen()}. */
  protected LoopbackServer(InetSocketAddress address) {
    super(address, Runtime.getRuntime().availableProcessors(), null);
    setConnectionLostTimeout(0);
    setTcpNoDelay(true);
    setReuseAddr(true);
  }

  /**
   * Starts the server and returns once it listens.
   *
   * @throws IllegalStateException when it cannot listen (the cause says why) or takes over 10 s
   */
  protected final void listen() throws InterruptedException {
    start();
    boolean ready = started.await(10, TimeUnit.SECONDS);
    if (!ready || startFailure != null) {
      throw new IllegalStateException(getClass().getName() + " did not start on " + getAddress(), startFailure);
    }
  }

  /** The URL to give the proxy as its upstream. */
  public URI uri() {
    return URI.create("ws://127.0.0.1:" + getPort());
  }

  @Override
  public void onStart() {
    started.countDown();
  }

  @Override
  public void onError(WebSocket conn, Exception e) {
    if (conn == null) {
      startFailure = e;
      started.countDown();
    } else {
      log.debug("{} connection error", getClass().getSimpleName(), e);
    }
  }

  /** Stops the server, waiting up to a second for the connections' close handshakes. */
  @Override
  public void close() throws InterruptedException {
    stop(1000);
  }
}
