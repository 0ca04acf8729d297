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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.stream.LongStream;

/**
 * A closed-loop echo load: {@code connections} WebSockets (the JDK's async client, no thread per
 * connection), each keeping {@code inFlight} binary messages of {@code size} bytes outstanding and
 * sending a new one whenever an echo returns. Measures round trips per second and latency.
 */
public final class EchoLoad {

  /**
   * What one measured run produced.
   *
   * @param cpuSeconds CPU time the measured process spent during the run (0 without a process)
   */
  public record Result(long roundTrips, double seconds, int size, double p50Micros, double p99Micros, double cpuSeconds) {
    public double roundTripsPerSecond() {
      return roundTrips / seconds;
    }

    /** Payload megabytes (10^6) per second, one direction. */
    public double megabytesPerSecond() {
      return roundTripsPerSecond() * size / 1e6;
    }

    /** CPU microseconds per relayed message: every round trip is two messages through a proxy. */
    public double cpuMicrosPerMessage() {
      return cpuSeconds * 1e6 / (2.0 * roundTrips);
    }
  }

  private final URI target;
  private final int connections;
  private final int inFlight;
  private final int size;
  private final ByteBuffer payload;

  public EchoLoad(URI target, int connections, int inFlight, int size) {
    this.target = target;
    this.connections = connections;
    this.inFlight = inFlight;
    this.size = size;
    this.payload = ByteBuffer.allocate(size).asReadOnlyBuffer();
  }

  /** Opens the connections, warms up, measures for {@code seconds}, closes everything. */
  public Result run(double warmupSeconds, double seconds) throws Exception {
    return run(warmupSeconds, seconds, () -> 0);
  }

  /**
   * Like {@link #run(double, double)}, and reads {@code cpuTicks} (a process's CPU time in
   * {@link ProcStats#TICKS_PER_SECOND} ticks) at the start and the end of the measured interval.
   */
  public Result run(double warmupSeconds, double seconds, LongSupplier cpuTicks) throws Exception {
    return run(warmupSeconds, seconds, cpuTicks, () -> { });
  }

  /** Like {@link #run(double, double, LongSupplier)}, and runs {@code atWindowStart} as the measured interval starts. */
  Result run(double warmupSeconds, double seconds, LongSupplier cpuTicks, Runnable atWindowStart) throws Exception {
    HttpClient http = BenchTls.newClient();
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
      long cpuBefore = cpuTicks.getAsLong();
      atWindowStart.run();
      open.forEach(Connection::startMeasuring);
      long start = System.nanoTime();
      TimeUnit.MILLISECONDS.sleep((long) (seconds * 1000));
      double elapsed = (System.nanoTime() - start) / 1e9;
      long[] latencies = open.stream().flatMapToLong(Connection::stopMeasuring).sorted().toArray();
      double cpu = (cpuTicks.getAsLong() - cpuBefore) / (double) ProcStats.TICKS_PER_SECOND;
      return new Result(latencies.length, elapsed, size,
          Stats.percentile(latencies, 0.50) / 1e3, Stats.percentile(latencies, 0.99) / 1e3, cpu);
    } finally {
      for (Connection connection : open) {
        connection.close();
      }
    }
  }

  /**
   * One WebSocket. The JDK client takes one send at a time, so sends are queued and a single pump
   * issues them one after the other; no lock is held while calling into the client.
   */
  private final class Connection implements WebSocket.Listener {
    final CompletableFuture<WebSocket> ready;
    private final ArrayDeque<Long> sentAt = new ArrayDeque<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private long[] samples = new long[1 << 12];
    private int samplesTaken;
    private volatile boolean measuring;
    private volatile boolean stopped;
    private WebSocket socket;
    private int received;

    Connection(HttpClient http) {
      ready = http.newWebSocketBuilder().buildAsync(target, this);
    }

    void startSending() {
      socket = ready.join();
      for (int i = 0; i < inFlight; i++) {
        send();
      }
    }

    void startMeasuring() {
      measuring = true;
    }

    LongStream stopMeasuring() {
      measuring = false;
      stopped = true;
      Throwable failed = failure.get();
      if (failed != null) {
        throw new IllegalStateException("echo connection to " + target + " failed", failed);
      }
      synchronized (this) {
        return Arrays.stream(samples, 0, samplesTaken);
      }
    }

    private void send() {
      if (stopped) {
        return;
      }
      synchronized (this) {
        sentAt.addLast(System.nanoTime());
      }
      if (queued.getAndIncrement() == 0) {
        pump();
      }
    }

    /** Sends one queued message, and the next when it completes; only one pump runs at a time. */
    private void pump() {
      socket.sendBinary(payload.duplicate(), true).whenComplete((s, error) -> {
        if (error != null) {
          failure.compareAndSet(null, error);
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
        synchronized (this) {
          long latency = System.nanoTime() - sentAt.removeFirst();
          if (measuring) {
            if (samplesTaken == samples.length) {
              samples = Arrays.copyOf(samples, samples.length * 2);
            }
            samples[samplesTaken++] = latency;
          }
        }
        send();
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      failure.compareAndSet(null, error);
    }

    void close() {
      stopped = true;
      ready.thenAccept(WebSocket::abort);
    }
  }
}
