package io.github.wsproxy.examples;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.java_websocket.WebSocket;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.WebSocketServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A WebSocket echo server (Java-WebSocket) for the launcher's demo mode and the benchmarks: every
 * text and binary message goes straight back to its sender.
 */
public final class DemoEchoUpstream implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DemoEchoUpstream.class);

  private final Server server;

  private DemoEchoUpstream(Server server) {
    this.server = server;
  }

  /** Starts an echo server on {@code address} (port 0 for any) and returns once it listens. */
  public static DemoEchoUpstream start(InetSocketAddress address) throws InterruptedException {
    Server server = new Server(address);
    server.setConnectionLostTimeout(0);
    server.setTcpNoDelay(true);
    server.setReuseAddr(true);
    server.start();
    if (!server.started.await(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("demo upstream did not start on " + address);
    }
    return new DemoEchoUpstream(server);
  }

  /** The URL to give the proxy as its upstream. */
  public URI uri() {
    return URI.create("ws://127.0.0.1:" + server.getPort());
  }

  @Override
  public void close() throws InterruptedException {
    server.stop(1000);
  }

  private static final class Server extends WebSocketServer {
    final CountDownLatch started = new CountDownLatch(1);

    Server(InetSocketAddress address) {
      super(address);
    }

    @Override
    public void onStart() {
      started.countDown();
    }

    @Override
    public void onOpen(WebSocket conn, ClientHandshake handshake) {
      // echo only
    }

    @Override
    public void onMessage(WebSocket conn, String message) {
      conn.send(message);
    }

    @Override
    public void onMessage(WebSocket conn, ByteBuffer message) {
      conn.send(message);
    }

    @Override
    public void onClose(WebSocket conn, int code, String reason, boolean remote) {
      // nothing to release
    }

    @Override
    public void onError(WebSocket conn, Exception e) {
      log.debug("demo upstream connection error", e);
    }
  }
}
