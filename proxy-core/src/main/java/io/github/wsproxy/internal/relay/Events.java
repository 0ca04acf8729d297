package io.github.wsproxy.internal.relay;

import io.github.wsproxy.CloseInfo;
import io.github.wsproxy.HandshakeOutcome;
import io.github.wsproxy.HttpExchangeOutcome;
import io.github.wsproxy.ProxyEventListener;
import java.net.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The proxy's {@link ProxyEventListener}, shielded: what it throws is logged, never propagated. */
final class Events {
  private static final Logger log = LoggerFactory.getLogger(Events.class);
  private final ProxyEventListener listener;

  Events(ProxyEventListener listener) {
    this.listener = listener;
  }

  void handshake(HandshakeOutcome outcome) {
    try {
      listener.onHandshake(outcome);
    } catch (RuntimeException e) {
      log.warn("event listener {} failed in onHandshake", listener.getClass().getName(), e);
    }
  }

  void httpExchange(HttpExchangeOutcome outcome) {
    try {
      listener.onHttpExchange(outcome);
    } catch (RuntimeException e) {
      log.warn("event listener {} failed in onHttpExchange", listener.getClass().getName(), e);
    }
  }

  /** @param traffic bytes and messages from the client, then bytes and messages from the upstream */
  void traffic(URI server, long[] traffic) {
    try {
      listener.onTraffic(server, traffic[0], traffic[1], traffic[2], traffic[3]);
    } catch (RuntimeException e) {
      log.warn("event listener {} failed in onTraffic", listener.getClass().getName(), e);
    }
  }

  void close(URI server, CloseInfo info) {
    try {
      listener.onClose(server, info);
    } catch (RuntimeException e) {
      log.warn("event listener {} failed in onClose", listener.getClass().getName(), e);
    }
  }
}
