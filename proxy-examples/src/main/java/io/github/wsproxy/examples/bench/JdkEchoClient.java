package io.github.wsproxy.examples.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The JDK's java.net.http WebSocket client as the echo client of {@link EchoLoad}: asynchronous, no
 * thread per connection, ws:// and wss://. Heavy: on a small machine it takes much of the CPU itself.
 */
final class JdkEchoClient implements EchoClient {
  private final List<Connection> connections = new ArrayList<>();
  private final int inFlight;
  private final int size;
  private final ByteBuffer payload;

  /** Starts opening {@code connections} WebSockets to {@code target}. */
  JdkEchoClient(URI target, int connections, int inFlight, int size) {
    this.inFlight = inFlight;
    this.size = size;
    this.payload = ByteBuffer.allocate(size).asReadOnlyBuffer();
    HttpClient http = BenchTls.newClient();
    for (int i = 0; i < connections; i++) {
      this.connections.add(new Connection(target, http));
    }
  }

  @Override
  public List<Connection> connections() {
    return connections;
  }

  @Override
  public void startSending() {
    connections.forEach(Connection::startSending);
  }

  @Override
  public void close() {
    connections.forEach(Connection::close);
  }

  /**
   * One WebSocket. The JDK client takes one send at a time, so sends are queued and a single pump
   * issues them one after the other; no lock is held while calling into the client.
   */
  final class Connection extends EchoConnection implements WebSocket.Listener {
    private final CompletableFuture<WebSocket> ready;
    private final AtomicInteger queued = new AtomicInteger();
    private volatile boolean stopped;
    private WebSocket socket;
    private int received;

    Connection(URI target, HttpClient http) {
      super(target, inFlight);
      ready = http.newWebSocketBuilder().buildAsync(target, this);
      ready.whenComplete((socket, error) -> {
        if (error != null) {
          fail(error);
        } else {
          opened();
        }
      });
    }

    void startSending() {
      socket = ready.join();
      for (int i = 0; i < inFlight; i++) {
        send();
      }
    }

    private void send() {
      if (stopped) {
        return;
      }
      sent(System.nanoTime(), 1);
      if (queued.getAndIncrement() == 0) {
        pump();
      }
    }

    /** Sends one queued message, and the next when it completes; only one pump runs at a time. */
    private void pump() {
      socket.sendBinary(payload.duplicate(), true).whenComplete((s, error) -> {
        if (error != null) {
          fail(error);
        } else if (queued.decrementAndGet() > 0 && !stopped) {
          pump();
        }
      });
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      received += data.remaining();
      if (received >= size) {
        received -= size;
        echoed(System.nanoTime(), 1);
        send();
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      fail(error);
    }

    @Override
    void close() {
      stopped = true;
      ready.thenAccept(WebSocket::abort);
    }
  }
}
