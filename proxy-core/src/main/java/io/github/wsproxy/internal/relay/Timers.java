package io.github.wsproxy.internal.relay;

import io.github.wsproxy.internal.config.ProxySettings;
import io.github.wsproxy.internal.frame.WebSocketProtocol;
import io.github.wsproxy.internal.intercept.Direction;
import java.time.Duration;

/**
 * The clock of a connection pair; nothing else looks at it. Before the connection opens and while
 * it closes, the current phase has one deadline (handshake, interceptors, connect, close) and is
 * told when it passes. While the connection is open, the timers watch the relay: interceptors
 * that keep a message too long, send stalls, the read (idle) timeout, keepalive pings and their
 * pongs, and idle TLS buffers. Ticks come from the event loop about every 100 ms.
 */
final class Timers {
  private static final long IDLE_TLS_BUFFERS_NANOS = 1_000_000_000L;

  private final ConnectionPair pair;
  private final ProxySettings config;
  /** Whether the current phase has a deadline; not while the connection is open. */
  private boolean armed;
  private long deadlineNanos;
  /** The open connection, once there is one. */
  private OpenRelay open;
  private long lastActivityNanos;

  Timers(ConnectionPair pair) {
    this.pair = pair;
    this.config = pair.config;
  }

  /** The current phase must end by {@code nanoTime}. */
  void deadlineAt(long nanoTime) {
    armed = true;
    deadlineNanos = nanoTime;
  }

  /** The current phase must end within {@code timeout} from now. */
  void deadlineIn(Duration timeout) {
    deadlineAt(System.nanoTime() + timeout.toNanos());
  }

  /** The connection is open: no deadline, the relay's timeouts apply. */
  void relaying(OpenRelay relay) {
    armed = false;
    open = relay;
    lastActivityNanos = System.nanoTime();
  }

  /** Frames went through: the read (idle) timeout starts again. */
  void touch() {
    lastActivityNanos = pair.loop.now();
  }

  void onTick(long now) {
    Phase phase = pair.phase();
    if (phase == null) {
      return;
    }
    if (armed) {
      if (now - deadlineNanos > 0) {
        phase.onDeadline(now);
      }
      return;
    }
    if (open == null) {
      return;
    }
    checkRelay(now);
    if (open.isOpen() && now - lastActivityNanos > IDLE_TLS_BUFFERS_NANOS) {
      pair.client.releaseIdleTlsBuffers();
      pair.upstream().releaseIdleTlsBuffers();
    }
  }

  private void checkRelay(long now) {
    long interceptorTimeout = config.interceptorTimeout().toNanos();
    open.relay(Direction.CLIENT_TO_UPSTREAM).checkInterceptorTimeout(now, interceptorTimeout);
    open.relay(Direction.UPSTREAM_TO_CLIENT).checkInterceptorTimeout(now, interceptorTimeout);
    checkKeepalive(pair.client, config.clientPingInterval(), now);
    checkKeepalive(pair.upstream(), config.upstreamPingInterval(), now);
    if (!open.isOpen()) {
      return;
    }
    long sendTimeout = pair.route().timeouts().send().toNanos();
    if (stalledLongerThan(open.relay(Direction.UPSTREAM_TO_CLIENT), now, sendTimeout)) {
      open.sendTimedOut(pair.client);
    } else if (stalledLongerThan(open.relay(Direction.CLIENT_TO_UPSTREAM), now, sendTimeout)) {
      open.sendTimedOut(pair.upstream());
    } else if (now - lastActivityNanos > pair.route().timeouts().read().toNanos()) {
      open.closeBoth(WebSocketProtocol.CLOSE_GOING_AWAY, "idle timeout");
    }
    pair.finishIfBothClosed();
  }

  /**
   * Pings a leg that has been silent for {@code interval}, and treats it as vanished when it sends
   * nothing within the pong timeout after a ping.
   */
  private void checkKeepalive(Leg leg, Duration interval, long now) {
    if (interval.isZero() || !open.isOpen() || leg.isClosed()) {
      return;
    }
    long pingSent = leg.pingSentNanos();
    if (pingSent != 0) {
      if (leg.lastHeardNanos() - pingSent > 0) {
        leg.pingAnswered();
      } else if (now - pingSent > config.pongTimeout().toNanos()) {
        open.stoppedAnsweringPings(leg);
      }
    } else if (now - leg.lastHeardNanos() > interval.toNanos()) {
      open.ping(leg, now);
    }
  }

  private static boolean stalledLongerThan(Relay relay, long now, long timeout) {
    long since = relay.stalledSinceNanos();
    return since != 0 && now - since > timeout;
  }
}
