package io.github.wsproxy.internal.loop;

import io.github.wsproxy.internal.frame.Masking;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread, one {@link Transport} (a selector, or an io_uring ring): runs the I/O of every socket
 * registered with it, tasks submitted from other threads, and a periodic tick for timeouts.
 * Everything a connection does happens here, so connection state needs no locks. Nothing run here
 * may block.
 */
public final class EventLoop implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(EventLoop.class);
  private static final long TICK_NANOS = 100_000_000L;
  public static final int BUFFER_SIZE = 64 * 1024;

  private final Transport transport;
  private final Thread thread;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean wakeupPending = new AtomicBoolean();
  private final List<LongConsumer> tickListeners = new ArrayList<>();
  /**
   * Tasks by when they are due ({@link System#nanoTime()}). Of JDK types only: a class of this
   * project loaded lazily from a directory would need a file descriptor, which the accept pause
   * that uses a timer lacks.
   */
  private final PriorityQueue<Map.Entry<Long, Runnable>> timers = new PriorityQueue<>(Map.Entry.comparingByKey());
  private final BufferPool buffers = new BufferPool(BUFFER_SIZE, 64);
  private final Masking masking = new Masking();
  private volatile boolean running = true;
  private long nextTick;
  private long now;
  private boolean nowFresh;

  public EventLoop(String name, TransportProvider provider) throws IOException {
    this.transport = provider.open();
    this.thread = new Thread(this, name);
  }

  public void start() {
    thread.start();
  }

  public boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  /** Runs a task on this loop, soon; callable from any thread. */
  public void execute(Runnable task) {
    tasks.add(task);
    if (!inLoop() && wakeupPending.compareAndSet(false, true)) {
      transport.wakeup();
    }
  }

  /** This loop's transport: sockets connect, are adopted and are registered through it; on this loop. */
  public Transport transport() {
    return transport;
  }

  /** Calls the listener with the current {@link System#nanoTime()} about every 100 ms; on this loop. */
  public void onTick(LongConsumer listener) {
    tickListeners.add(listener);
  }

  /**
   * Runs a task on this loop once {@code delayNanos} have passed, to the millisecond (finer than
   * the tick); call on this loop.
   */
  public void schedule(long delayNanos, Runnable task) {
    timers.add(Map.entry(System.nanoTime() + delayNanos, task));
  }

  /**
   * {@link System#nanoTime()} as of this loop turn: read once per turn and shared by every event of
   * it (precise enough for timeouts checked by a 100 ms tick); call on this loop.
   */
  public long now() {
    if (!nowFresh) {
      now = System.nanoTime();
      nowFresh = true;
    }
    return now;
  }

  public BufferPool buffers() {
    return buffers;
  }

  public Masking masking() {
    return masking;
  }

  /** Asks the loop to finish its queued tasks and exit; the caller then {@link #join}s. */
  public void stop() {
    running = false;
    transport.wakeup();
  }

  public void join() throws InterruptedException {
    thread.join();
  }

  @Override
  public void run() {
    long turnEnd = System.nanoTime();
    nextTick = turnEnd + TICK_NANOS;
    try {
      while (running) {
        long wakeAt = timers.isEmpty() || nextTick - timers.peek().getKey() < 0 ? nextTick : timers.peek().getKey();
        long waitMillis = Math.max(1, (wakeAt - turnEnd + 999_999) / 1_000_000);
        transport.poll(tasks.isEmpty() ? waitMillis : 0);
        // Re-allow wake-ups before the tasks run. Only when one was made: the volatile store's fence
        // costs a busy loop more than this read, and a flag still false needs none (a task queued
        // after the read finds it false and wakes the loop, which then runs it next turn).
        if (wakeupPending.get()) {
          wakeupPending.set(false);
        }
        runTasks();
        // The time this turn's events read, if they read it (a turn's few microseconds do not
        // matter to timers and ticks of 100 ms): one clock read per busy turn instead of two.
        turnEnd = nowFresh ? now : System.nanoTime();
        nowFresh = false;
        queueDueTimers(turnEnd);
        if (turnEnd - nextTick >= 0) {
          nextTick = turnEnd + TICK_NANOS;
          for (int i = 0; i < tickListeners.size(); i++) {
            tick(tickListeners.get(i), turnEnd);
          }
        }
      }
      runTasks();
    } catch (IOException | RuntimeException | Error e) {
      log.error("event loop {} failed", thread.getName(), e);
    } finally {
      transport.close();
    }
  }

  private void runTasks() {
    Runnable task;
    while ((task = tasks.poll()) != null) {
      try {
        task.run();
      } catch (RuntimeException | LinkageError e) {
        log.error("task failed on {}", thread.getName(), e);
      }
    }
  }

  /** Queues the timers that are due as tasks: they run at once, in the next turn. */
  private void queueDueTimers(long now) {
    while (!timers.isEmpty() && now - timers.peek().getKey() >= 0) {
      tasks.add(timers.poll().getValue());
    }
  }

  /**
   * A failure of one connection's handler (see {@link Handlers}), task or tick listener (an exception, or a class that
   * cannot be loaded, as when descriptors run out) is logged and the loop goes on serving the
   * others; only a {@link VirtualMachineError} ends the loop.
   */
  private void tick(LongConsumer listener, long now) {
    try {
      listener.accept(now);
    } catch (RuntimeException | LinkageError e) {
      log.error("tick listener failed on {}", thread.getName(), e);
    }
  }

}
