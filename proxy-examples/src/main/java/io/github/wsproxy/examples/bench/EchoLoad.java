package io.github.wsproxy.examples.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A closed-loop echo load: {@code connections} WebSockets (the JDK's async client, no thread per
 * connection), each keeping {@code inFlight} binary messages of {@code size} bytes outstanding and
 * sending a new one whenever an echo returns. Measures round trips per second and latency.
 */
public final class EchoLoad {

  /** What one measured run produced. */
  public record Result(double roundTripsPerSecond, double megabytesPerSecond, double p50Micros, double p99Micros) {}

  private final URI target;
  private final int connections;
  private final int inFlight;
  private final int size;

  public EchoLoad(URI target, int connections, int inFlight, int size) {
    this.target = target;
    this.connections = connections;
    this.inFlight = inFlight;
    this.size = size;
  }

  /** Opens the connections, warms up, measures for {@code seconds}, closes everything. */
  public Result run(double warmupSeconds, double seconds) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    List<Connection> open = new ArrayList<>();
    try {
      for (int i = 0; i < connections; i++) {
        open.add(new Connection(http));
      }
      for (Connection connection : open) {
        connection.ready.get(10, TimeUnit.SECONDS);
      }
      open.forEach(Connection::startSending);
      TimeUnit.MILLISECONDS.sleep((long) (warmupSeconds * 1000));
      open.forEach(Connection::startMeasuring);
      long start = System.nanoTime();
      TimeUnit.MILLISECONDS.sleep((long) (seconds * 1000));
      double elapsed = (System.nanoTime() - start) / 1e9;
      long[] latencies = open.stream().flatMapToLong(Connection::stopMeasuring).sorted().toArray();
      double perSecond = latencies.length / elapsed;
      return new Result(perSecond, perSecond * size / 1e6,
          percentile(latencies, 0.50) / 1e3, percentile(latencies, 0.99) / 1e3);
    } finally {
      for (Connection connection : open) {
        connection.close();
      }
    }
  }

  private static double percentile(long[] sorted, double fraction) {
    return sorted.length == 0 ? Double.NaN : sorted[Math.min(sorted.length - 1, (int) (sorted.length * fraction))];
  }

  private final class Connection implements WebSocket.Listener {
    final CompletableFuture<WebSocket> ready;
    private final ArrayDeque<Long> sentAt = new ArrayDeque<>();
    private final AtomicLong samplesTaken = new AtomicLong();
    private long[] samples = new long[1 << 16];
    private volatile boolean measuring;
    private volatile boolean stopped;
    private CompletableFuture<WebSocket> sendChain;
    private int received;

    Connection(HttpClient http) {
      ready = http.newWebSocketBuilder().buildAsync(target, this);
    }

    void startSending() {
      WebSocket socket = ready.join();
      sendChain = CompletableFuture.completedFuture(socket);
      for (int i = 0; i < inFlight; i++) {
        send();
      }
    }

    void startMeasuring() {
      measuring = true;
    }

    java.util.stream.LongStream stopMeasuring() {
      measuring = false;
      stopped = true;
      synchronized (this) {
        return Arrays.stream(samples, 0, (int) Math.min(samplesTaken.get(), samples.length));
      }
    }

    private synchronized void send() {
      if (stopped) {
        return;
      }
      sentAt.addLast(System.nanoTime());
      ByteBuffer payload = ByteBuffer.allocate(size);
      sendChain = sendChain.thenCompose(socket -> socket.sendBinary(payload, true));
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
      received += data.remaining();
      if (received >= size) {
        received -= size;
        long latency;
        synchronized (this) {
          latency = System.nanoTime() - sentAt.removeFirst();
          if (measuring) {
            int index = (int) samplesTaken.getAndIncrement();
            if (index >= samples.length) {
              samples = Arrays.copyOf(samples, samples.length * 2);
            }
            samples[index] = latency;
          }
        }
        send();
      }
      socket.request(1);
      return null;
    }

    void close() {
      stopped = true;
      ready.thenAccept(socket -> socket.abort());
    }
  }
}
