package io.github.wsproxy.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketListener;
import org.java_websocket.drafts.Draft;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.HandshakeImpl1Server;
import org.java_websocket.handshake.ServerHandshakeBuilder;

/** The Java-WebSocket server behind a {@link TestUpstream}; it forwards every event to it. */
final class UpstreamServer extends WriteSafeWebSocketServer {
  private final TestUpstream owner;
  private final Map<String, String> responseHeaders;
  private final CountDownLatch started = new CountDownLatch(1);
  private volatile Exception startFailure;
  private volatile Thread selectorThread;

  UpstreamServer(
      InetSocketAddress address,
      int workers,
      List<Draft> drafts,
      TestUpstream owner,
      Map<String, String> responseHeaders) {
    super(address, workers, drafts);
    this.owner = owner;
    this.responseHeaders = Map.copyOf(responseHeaders);
    setReuseAddr(true);
    setTcpNoDelay(true);
    setConnectionLostTimeout(0);
    setDaemon(true);
  }

  /** Starts and waits until listening. */
  void startAndAwait(Duration timeout) throws IOException {
    start();
    try {
      if (!started.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IOException("TestUpstream did not start within " + timeout);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while starting", e);
    }
    if (startFailure != null) {
      throw new IOException("TestUpstream failed to start on " + getAddress(), startFailure);
    }
  }

  /** Stops, then waits for the selector and worker threads to end. */
  void stopAndJoin(Duration timeout) {
    long deadline = Await.deadline(timeout);
    try {
      stop((int) Math.max(1, timeout.toMillis()));
      join(selectorThread, deadline);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void join(Thread t, long deadline) throws InterruptedException {
    if (t != null) {
      t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
    }
  }

  @Override
  public void onStart() {
    selectorThread = Thread.currentThread();
    started.countDown();
  }

  @Override
  public ServerHandshakeBuilder onWebsocketHandshakeReceivedAsServer(
      WebSocket conn, Draft draft, ClientHandshake request) throws InvalidDataException {
    HandshakeImpl1Server response = new HandshakeImpl1Server();
    responseHeaders.forEach(response::put);
    owner.onHandshake(((TappedWebSocket) conn).conn, request);
    return response;
  }

  @Override
  public void onCloseInitiated(WebSocket conn, int code, String reason) {
    owner.onCloseInitiated(((TappedWebSocket) conn).conn);
  }

  @Override
  public void onOpen(WebSocket conn, ClientHandshake handshake) {
    owner.onOpen(((TappedWebSocket) conn).conn);
  }

  @Override
  public void onClose(WebSocket conn, int code, String reason, boolean remote) {
    owner.onClose(((TappedWebSocket) conn).conn, code, reason, remote);
  }

  @Override
  public void onMessage(WebSocket conn, String message) {
    owner.onText(((TappedWebSocket) conn).conn, message);
  }

  @Override
  public void onMessage(WebSocket conn, ByteBuffer message) {
    byte[] bytes = new byte[message.remaining()];
    message.get(bytes);
    owner.onBinary(((TappedWebSocket) conn).conn, bytes);
  }

  @Override
  public void onError(WebSocket conn, Exception ex) {
    if (conn == null && started.getCount() > 0) {
      startFailure = ex;
      started.countDown();
    }
    owner.onError(ex);
  }

  @Override
  WrittenWebSocket newConnection(WebSocketListener listener, List<Draft> drafts) {
    return new TappedWebSocket(listener, drafts, owner);
  }
}
