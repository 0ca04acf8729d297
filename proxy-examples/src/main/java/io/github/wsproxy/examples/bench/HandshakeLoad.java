package io.github.wsproxy.examples.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Handshakes per second: {@code concurrency} loops, each opening a WebSocket, closing it with 1000
 * and waiting for the peer's close, then opening the next, with the JDK's async client. Toward a
 * {@code wss://} target every TLS handshake is a full one, unless {@code resumed}: then all but the
 * first resume a session.
 */
public final class HandshakeLoad {

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
  private final int concurrency;
  private final boolean forgetSessions;
  private final AtomicLong completed = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private volatile boolean stopped;

  public HandshakeLoad(URI target, int concurrency, boolean resumed) {
    this.target = target;
    this.concurrency = concurrency;
    this.forgetSessions = !resumed && "wss".equals(target.getScheme());
  }

  /**
   * Runs the loops, warms up, counts for {@code seconds}, waits for the loops to finish.
   *
   * @param cpuTicks the measured process's CPU clock ticks so far
   * @param compilerTicks those of its JIT compiler threads
   */
  public Result run(double warmupSeconds, double seconds, LongSupplier cpuTicks, LongSupplier compilerTicks)
      throws Exception {
    HttpClient http = BenchTls.newClient();
    List<CompletableFuture<Void>> loops = new ArrayList<>();
    for (int i = 0; i < concurrency; i++) {
      CompletableFuture<Void> done = new CompletableFuture<>();
      loops.add(done);
      next(http, done);
    }
    TimeUnit.MILLISECONDS.sleep((long) (warmupSeconds * 1000));
    long cpuBefore = cpuTicks.getAsLong();
    long compilerBefore = compilerTicks.getAsLong();
    long countBefore = completed.get();
    long start = System.nanoTime();
    TimeUnit.MILLISECONDS.sleep((long) (seconds * 1000));
    long count = completed.get() - countBefore;
    double elapsed = (System.nanoTime() - start) / 1e9;
    double cpu = (cpuTicks.getAsLong() - cpuBefore) / (double) ProcStats.TICKS_PER_SECOND;
    double compiler = (compilerTicks.getAsLong() - compilerBefore) / (double) ProcStats.TICKS_PER_SECOND;
    stopped = true;
    CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    if (failed.get() > 0) {
      throw new IllegalStateException(failed.get() + " handshakes to " + target + " failed");
    }
    return new Result(count, elapsed, cpu, compiler);
  }

  private void next(HttpClient http, CompletableFuture<Void> done) {
    if (stopped) {
      done.complete(null);
      return;
    }
    CompletableFuture<Void> closed = new CompletableFuture<>();
    if (forgetSessions) {
      BenchTls.forgetSessions(http);
    }
    http.newWebSocketBuilder()
        .buildAsync(target, new WebSocket.Listener() {
          @Override
          public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
            closed.complete(null);
            return null;
          }

          @Override
          public void onError(WebSocket socket, Throwable error) {
            closed.completeExceptionally(error);
          }
        })
        .thenCompose(socket -> socket.sendClose(WebSocket.NORMAL_CLOSURE, ""))
        .thenCompose(socket -> closed)
        .whenComplete((ok, error) -> {
          if (error == null) {
            completed.incrementAndGet();
          } else {
            failed.incrementAndGet();
          }
          next(http, done);
        });
  }
}
