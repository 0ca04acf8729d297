package io.github.wsproxy.examples.bench;

import java.net.URI;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A closed-loop echo load: {@code connections} WebSockets, each keeping {@code inFlight} binary
 * messages of {@code size} bytes outstanding and sending a new one whenever an echo returns.
 * Measures round trips per second and latency. The client is a {@link Client} choice: a light raw
 * one on NIO (plain ws:// only) or the JDK's java.net.http one.
 */
public final class EchoLoad {

  /** The WebSocket client the load (and a {@link HandshakeLoad}) runs on. */
  public enum Client {
    /**
     * Raw WebSocket frames over NIO, selector threads of its own (one by default), a write per batch
     * of echoes (for handshakes: one connection after another per loop): light enough that a proxy's
     * own efficiency shows in the rate. Plain ws:// only.
     */
    NIO,
    /** The JDK's java.net.http WebSocket client: ws:// and wss://, but it takes much of the CPU itself. */
    JDK;

    /** This client for {@code target}, or {@link #JDK} for a wss:// one, which only the JDK client speaks. */
    public Client forTarget(URI target) {
      return "wss".equals(target.getScheme()) ? JDK : this;
    }
  }

  /** Seconds to wait for the connections to open. */
  private static final long OPEN_SECONDS = 10;

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
  private final Client client;
  private final int nioThreads;

  /** A load on {@code client}, the {@link Client#NIO} one with one selector thread. */
  public EchoLoad(URI target, int connections, int inFlight, int size, Client client) {
    this(target, connections, inFlight, size, client, 1);
  }

  EchoLoad(URI target, int connections, int inFlight, int size, Client client, int nioThreads) {
    if (client != client.forTarget(target)) {
      throw new IllegalArgumentException("the " + client + " echo client does not speak TLS, needed for " + target);
    }
    this.target = target;
    this.connections = connections;
    this.inFlight = inFlight;
    this.size = size;
    this.client = client;
    this.nioThreads = nioThreads;
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

  /**
   * Like {@link #run(double, double, LongSupplier)}, and runs {@code atWindowStart} as the measured
   * interval starts. Throws, naming the target, when a connection failed to open or failed later.
   */
  Result run(double warmupSeconds, double seconds, LongSupplier cpuTicks, Runnable atWindowStart) throws Exception {
    try (EchoClient open = open()) {
      List<? extends EchoConnection> all = open.connections();
      for (EchoConnection connection : all) {
        connection.awaitOpen(OPEN_SECONDS);
      }
      open.startSending();
      TimeUnit.MILLISECONDS.sleep((long) (warmupSeconds * 1000));
      long cpuBefore = cpuTicks.getAsLong();
      atWindowStart.run();
      all.forEach(EchoConnection::startMeasuring);
      long start = System.nanoTime();
      TimeUnit.MILLISECONDS.sleep((long) (seconds * 1000));
      double elapsed = (System.nanoTime() - start) / 1e9;
      long[] latencies = all.stream().flatMapToLong(EchoConnection::stopMeasuring).sorted().toArray();
      double cpu = (cpuTicks.getAsLong() - cpuBefore) / (double) ProcStats.TICKS_PER_SECOND;
      return new Result(latencies.length, elapsed, size,
          Stats.percentile(latencies, 0.50) / 1e3, Stats.percentile(latencies, 0.99) / 1e3, cpu);
    }
  }

  private EchoClient open() throws Exception {
    return switch (client) {
      case NIO -> NioEchoClient.open(target, connections, inFlight, size, nioThreads);
      case JDK -> new JdkEchoClient(target, connections, inFlight, size);
    };
  }
}
