package io.github.wsproxy.examples.bench;

import java.io.IOException;
import java.net.URI;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.LongStream;

/**
 * What every echo client of {@link EchoLoad} keeps per connection: whether it opened, the send
 * times of its messages in flight (the echoes return in order), the latencies measured and its
 * first failure. Thread-safe: a client's threads report, the load's thread measures.
 */
abstract class EchoConnection {
  final URI target;
  private final CompletableFuture<Void> opened = new CompletableFuture<>();
  /** A ring of the send times of the messages in flight, oldest at {@code oldest}. */
  private final long[] sentAt;
  private int oldest;
  private int inFlight;
  private long[] samples = new long[1 << 12];
  private int samplesTaken;
  private boolean measuring;
  private volatile Throwable failure;

  EchoConnection(URI target, int maxInFlight) {
    this.target = target;
    this.sentAt = new long[maxInFlight];
  }

  /** Notes that the WebSocket handshake succeeded. */
  final void opened() {
    opened.complete(null);
  }

  /** Waits until the connection is open; throws, naming the target, when it failed or took too long. */
  final void awaitOpen(long seconds) throws IOException, InterruptedException {
    try {
      opened.get(seconds, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new IOException("opening an echo connection to " + target + " failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("opening an echo connection to " + target + " took over " + seconds + " s", e);
    }
  }

  /** Notes that {@code messages} more messages left at {@code now}. */
  final synchronized void sent(long now, int messages) {
    if (inFlight + messages > sentAt.length) {
      throw new IllegalStateException("more than " + sentAt.length + " messages in flight to " + target);
    }
    for (int i = 0; i < messages; i++) {
      sentAt[(oldest + inFlight++) % sentAt.length] = now;
    }
  }

  /** Notes that the echoes of the {@code messages} oldest messages in flight arrived at {@code now}. */
  final synchronized void echoed(long now, int messages) {
    if (messages > inFlight) {
      throw new IllegalStateException(target + " echoed more messages than were sent");
    }
    for (int i = 0; i < messages; i++) {
      long latency = now - sentAt[oldest];
      oldest = (oldest + 1) % sentAt.length;
      inFlight--;
      if (measuring) {
        if (samplesTaken == samples.length) {
          samples = Arrays.copyOf(samples, samples.length * 2);
        }
        samples[samplesTaken++] = latency;
      }
    }
  }

  final synchronized void startMeasuring() {
    measuring = true;
  }

  /** Stops measuring and returns the latencies (nanoseconds) measured; throws, naming the target, when the connection failed. */
  final synchronized LongStream stopMeasuring() {
    measuring = false;
    Throwable failed = failure;
    if (failed != null) {
      throw new IllegalStateException("echo connection to " + target + " failed: " + failed, failed);
    }
    return Arrays.stream(samples, 0, samplesTaken);
  }

  /** Records the connection's first failure (later ones are consequences). */
  void fail(Throwable error) {
    synchronized (this) {
      if (failure == null) {
        failure = error;
      }
    }
    opened.completeExceptionally(error);
  }

  /** Closes the connection, at once. */
  abstract void close();
}
