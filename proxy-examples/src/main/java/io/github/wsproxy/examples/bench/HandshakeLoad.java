package io.github.wsproxy.examples.bench;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * Handshakes per second: {@code concurrency} loops, each opening a WebSocket, closing it with 1000
 * and waiting for the peer's close, then opening the next. The client is an {@link EchoLoad.Client}
 * choice: the light raw one on NIO (plain ws:// only), which also waits for the peer to close the
 * TCP connection, or the JDK's java.net.http one. Toward a {@code wss://} target (JDK client) every
 * TLS handshake is a full one, unless {@code resumed}: then all but the first resume a session.
 */
public final class HandshakeLoad {
  /** How long one handshake of the NIO client may take, from connect to the peer's FIN, before it counts as failed. */
  private static final Duration NIO_TIMEOUT = Duration.ofSeconds(10);
  /** Seconds the loops may take to end after the measured interval. */
  private static final long END_SECONDS = 30;

  /**
   * What one measured run produced.
   *
   * @param cpuSeconds CPU time the measured process spent during the run
   * @param compilerCpuSeconds the part of it spent by its JIT compiler threads
   */
  public record Result(long handshakes, double seconds, double cpuSeconds, double compilerCpuSeconds) {
    public double perSecond() {
      return handshakes / seconds;
    }

    /** CPU microseconds per open + close. */
    public double cpuMicrosPerHandshake() {
      return cpuSeconds * 1e6 / handshakes;
    }

    /** Of {@link #cpuMicrosPerHandshake()}, the JIT compiler threads' microseconds: warm-up, not steady-state work. */
    public double compilerCpuMicrosPerHandshake() {
      return compilerCpuSeconds * 1e6 / handshakes;
    }
  }

  private final URI target;
  private final HandshakeClient client;

  /** A load on {@code client}, the {@link EchoLoad.Client#NIO} one with one selector thread. */
  public HandshakeLoad(URI target, int concurrency, boolean resumed, EchoLoad.Client client) {
    this(target, concurrency, resumed, client, 1, NIO_TIMEOUT);
  }

  /** With {@code nioThreads} selector threads and {@code nioTimeout} per handshake for the NIO client. */
  HandshakeLoad(URI target, int concurrency, boolean resumed, EchoLoad.Client client, int nioThreads, Duration nioTimeout) {
    if (client != client.forTarget(target)) {
      throw new IllegalArgumentException("the " + client + " handshake client does not speak TLS, needed for " + target);
    }
    this.target = target;
    this.client = switch (client) {
      case NIO -> new NioHandshakeClient(target, concurrency, nioThreads, nioTimeout);
      case JDK -> new JdkHandshakeClient(target, concurrency, !resumed && "wss".equals(target.getScheme()));
    };
  }

  /**
   * Runs the loops, warms up, counts for {@code seconds}, waits for the loops to finish. Throws,
   * naming the target, when a handshake failed or the loops did not end.
   *
   * @param cpuTicks the measured process's CPU clock ticks so far
   * @param compilerTicks those of its JIT compiler threads
   */
  public Result run(double warmupSeconds, double seconds, LongSupplier cpuTicks, LongSupplier compilerTicks)
      throws Exception {
    HandshakeTally tally = new HandshakeTally();
    CompletableFuture<Void> loops = client.start(tally);
    TimeUnit.MILLISECONDS.sleep((long) (warmupSeconds * 1000));
    long cpuBefore = cpuTicks.getAsLong();
    long compilerBefore = compilerTicks.getAsLong();
    long countBefore = tally.completedCount();
    long start = System.nanoTime();
    TimeUnit.MILLISECONDS.sleep((long) (seconds * 1000));
    long count = tally.completedCount() - countBefore;
    double elapsed = (System.nanoTime() - start) / 1e9;
    double cpu = (cpuTicks.getAsLong() - cpuBefore) / (double) ProcStats.TICKS_PER_SECOND;
    double compiler = (compilerTicks.getAsLong() - compilerBefore) / (double) ProcStats.TICKS_PER_SECOND;
    tally.stop();
    try {
      loops.get(END_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException("handshakes to " + target + " still in progress " + END_SECONDS + " s after the run", e);
    }
    tally.check(target);
    return new Result(count, elapsed, cpu, compiler);
  }
}
