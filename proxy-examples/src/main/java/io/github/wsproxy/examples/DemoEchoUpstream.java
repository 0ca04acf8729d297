package io.github.wsproxy.examples;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import org.java_websocket.WebSocket;
import org.java_websocket.handshake.ClientHandshake;

/**
 * A WebSocket echo server (Java-WebSocket) for the launcher's demo mode and the benchmarks: every
 * text and binary message goes straight back to its sender.
 */
public final class DemoEchoUpstream implements AutoCloseable {
  private final Server server;

  private DemoEchoUpstream(Server server) {
    this.server = server;
  }

  /** Starts an echo server on {@code address} (port 0 for any) and returns once it listens. */
  public static DemoEchoUpstream start(InetSocketAddress address) throws InterruptedException {
    Server server = new Server(address);
    server.listen();
    return new DemoEchoUpstream(server);
  }

  /** The URL to give the proxy as its upstream. */
  public URI uri() {
    return server.uri();
  }

  @Override
  public void close() throws InterruptedException {
    server.close();
  }

  private static final class Server extends LoopbackServer {
    Server(InetSocketAddress address) {
      super(address);
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
  }
}
