package io.github.wsproxy.examples.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Idle connections: opens {@code count} WebSockets through a proxy (at most 32 handshakes at a
 * time), waits until the proxy holds both legs of each (its open file count), and reports what
 * they cost it in memory and threads.
 */
public final class IdleLoad {

  /** The proxy's figures before the connections were opened and with all of them open. */
  public record Result(int connections, ProcStats before, ProcStats after) {
    /** RSS growth per connection in KiB. */
    public double rssKibPerConnection() {
      return (after.rssKib() - before.rssKib()) / (double) connections;
    }
  }

  private static final long SETTLE_NANOS = TimeUnit.SECONDS.toNanos(30);

  private final URI target;
  private final int count;

  public IdleLoad(URI target, int count) {
    this.target = target;
    this.count = count;
  }

  /** Opens the connections, measures process {@code pid} (and its descendants), aborts them all. */
  public Result run(long pid) throws Exception {
    ProcStats before = ProcStats.of(pid);
    HttpClient http = BenchTls.newClient();
    Semaphore handshakes = new Semaphore(32);
    List<CompletableFuture<WebSocket>> sockets = new ArrayList<>(count);
    try {
      for (int i = 0; i < count; i++) {
        handshakes.acquire();
        CompletableFuture<WebSocket> socket = http.newWebSocketBuilder().buildAsync(target, new WebSocket.Listener() {});
        socket.whenComplete((s, e) -> handshakes.release());
        sockets.add(socket);
      }
      for (CompletableFuture<WebSocket> socket : sockets) {
        socket.get(30, TimeUnit.SECONDS);
      }
      awaitOpenFiles(pid, before.openFiles() + 2L * count, true);
      ProcStats after = ProcStats.of(pid);
      return new Result(count, before, after);
    } finally {
      sockets.forEach(s -> s.thenAccept(WebSocket::abort));
      awaitOpenFiles(pid, before.openFiles() + 16, false);
    }
  }

  /**
   * Waits (up to 30 s) until the process holds at least ({@code atLeast}) or at most {@code
   * files} open files: proxies register the upstream leg a little after the client's handshake
   * completes and release both legs a little after the client vanishes.
   */
  static void awaitOpenFiles(long pid, long files, boolean atLeast) throws InterruptedException {
    long deadline = System.nanoTime() + SETTLE_NANOS;
    while (System.nanoTime() - deadline < 0) {
      long open = ProcStats.of(pid).openFiles();
      if (atLeast ? open >= files : open <= files) {
        return;
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
    System.err.printf("warning: process %d did not reach %s%d open files in 30 s%n", pid, atLeast ? ">=" : "<=", files);
  }
}
