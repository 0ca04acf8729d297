package io.github.wsproxy.examples.interceptors;

import io.github.wsproxy.Interceptor;
import io.github.wsproxy.Message;
import io.github.wsproxy.ProxyConnection;
import java.time.Duration;

/**
 * Limits how many messages each client may send: a token bucket per connection that holds {@code
 * burst} messages and refills at {@code burst} per {@code period}. A client over the limit is closed
 * with 1008 (Policy Violation); the message that broke the limit is not relayed.
 */
public class RateLimiter extends Interceptor {
  private static final String BUCKET = RateLimiter.class.getName() + ".bucket";

  private final int burst;
  private final long nanosPerToken;

  public RateLimiter(int burst, Duration period) {
    if (burst < 1) {
      throw new IllegalArgumentException("burst must be at least 1, was " + burst);
    }
    if (period.isNegative() || period.isZero()) {
      throw new IllegalArgumentException("period must be positive, was " + period);
    }
    this.burst = burst;
    this.nanosPerToken = period.toNanos() / burst;
  }

  /** Tokens and the time of the last refill; only touched on the connection's event loop. */
  private static final class Bucket {
    double tokens;
    long refilledAt = System.nanoTime();
  }

  @Override
  public void onOpen(ProxyConnection connection) {
    Bucket bucket = new Bucket();
    bucket.tokens = burst;
    connection.setAttribute(BUCKET, bucket);
  }

  @Override
  public Message onClientMessage(ProxyConnection connection, Message message) {
    Bucket bucket = connection.attribute(BUCKET, Bucket.class);
    long now = System.nanoTime();
    bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.refilledAt) / (double) nanosPerToken);
    bucket.refilledAt = now;
    if (bucket.tokens < 1) {
      connection.close(1008, "rate limit exceeded");
      return null;
    }
    bucket.tokens--;
    return message;
  }
}
