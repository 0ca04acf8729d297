package io.github.wsproxy.testing;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Runs test work that blocks (a traffic loop, awaiting a close, a graceful shutdown) on a daemon
 * thread of its own while the test goes on.
 *
 * <pre>{@code
 * CompletableFuture<Void> shutdown = Background.run(() -> proxy.shutdown(grace));
 * // ... act and assert while the proxy drains
 * shutdown.get();
 * }</pre>
 *
 * <p>Use it instead of {@code CompletableFuture.runAsync} or {@code supplyAsync} without an
 * executor. Those run on the common pool, which on Java 25 has a single thread on a 2-core machine
 * (Java 17 started a thread per task there), and the JDK's {@code HttpClient}, so {@link
 * JdkTestClient}, completes its opening handshakes on that pool too: one blocked task there stalls
 * every handshake until it ends.
 */
public final class Background {

  private static final AtomicInteger THREADS = new AtomicInteger();

  private Background() {}

  /**
   * Starts {@code task} on a new daemon thread.
   *
   * @param task the work; it may block
   * @return completes when the task returns, exceptionally with what it threw
   */
  public static CompletableFuture<Void> run(Runnable task) {
    Objects.requireNonNull(task, "task");
    return CompletableFuture.runAsync(task, Background::start);
  }

  /**
   * Starts {@code task} on a new daemon thread and completes with its result.
   *
   * @param <T> the result type
   * @param task the work; it may block
   * @return completes with the task's result, exceptionally with what it threw
   */
  public static <T> CompletableFuture<T> supply(Supplier<T> task) {
    Objects.requireNonNull(task, "task");
    return CompletableFuture.supplyAsync(task, Background::start);
  }

  private static void start(Runnable runnable) {
    Thread thread = new Thread(runnable, "test-background-" + THREADS.incrementAndGet());
    thread.setDaemon(true);
    thread.start();
  }
}
