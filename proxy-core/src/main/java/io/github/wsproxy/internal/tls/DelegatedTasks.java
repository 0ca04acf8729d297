package io.github.wsproxy.internal.tls;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;

/**
 * The delegated tasks of one session's engine (the JDK's key exchange, signatures, certificate
 * checks): a kind of task measured short ({@link TaskCosts}) runs at once on the loop, a longer one
 * on the executor, after which the session's callback resumes the handshake on its loop. Used by
 * the session's loop; {@link #running} and {@link #abandon} are safe from the executor too.
 */
final class DelegatedTasks {
  private final SSLEngine engine;
  private final Executor executor;
  private final TaskCosts costs;
  /** A batch of tasks is running on the executor. */
  private volatile boolean running;
  /** Closed by the loop: tasks not yet started are skipped. */
  private volatile boolean abandoned;
  private int batches;

  DelegatedTasks(SSLEngine engine, Executor executor, TaskCosts costs) {
    this.engine = engine;
    this.executor = executor;
    this.costs = costs;
  }

  /** Whether a batch is running on the executor (the handshake waits for it). */
  boolean running() {
    return running;
  }

  /** The connection is going away: tasks not started yet are skipped. */
  void abandon() {
    abandoned = true;
  }

  /**
   * Runs the engine's pending tasks: here when their kind is measured short (returns false, the
   * handshake goes on), else on the executor (returns true; {@code afterTask} runs there when
   * they are done).
   *
   * @throws SSLException when the executor refuses the tasks (the proxy is shutting down)
   */
  boolean start(Runnable afterTask) throws SSLException {
    int batch = batches++;
    if (costs.runInline(batch)) {
      long start = System.nanoTime();
      Runnable task;
      while ((task = engine.getDelegatedTask()) != null) {
        task.run();
      }
      costs.record(batch, System.nanoTime() - start);
      return false;
    }
    List<Runnable> pending = new ArrayList<>(2);
    Runnable task;
    while ((task = engine.getDelegatedTask()) != null) {
      pending.add(task);
    }
    running = true;
    try {
      executor.execute(() -> {
        try {
          long start = System.nanoTime();
          for (Runnable each : pending) {
            if (!abandoned) {
              each.run();
            }
          }
          if (!abandoned) {
            costs.record(batch, System.nanoTime() - start);
          }
        } finally {
          running = false;
          afterTask.run();
        }
      });
    } catch (RejectedExecutionException e) {
      running = false;
      throw new SSLException("TLS handshake abandoned: the proxy is shutting down", e);
    }
    return true;
  }
}
