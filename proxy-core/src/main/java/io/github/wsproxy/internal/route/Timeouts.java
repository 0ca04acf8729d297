package io.github.wsproxy.internal.route;

import io.github.wsproxy.Route;
import io.github.wsproxy.internal.config.ProxySettings;
import java.time.Duration;

/**
 * The timeouts one connection runs with: its route's, or the proxy's where the route sets none.
 * Resolved once per route when the routing table is built.
 */
public record Timeouts(Duration read, Duration send, Duration connect) {

  /** The proxy's own timeouts. */
  static Timeouts of(ProxySettings config) {
    return new Timeouts(config.readTimeout(), config.sendTimeout(), config.connectTimeout());
  }

  /** The route's timeouts, the proxy's where the route has none. */
  static Timeouts of(ProxySettings config, Route route) {
    return new Timeouts(
        route.readTimeout() == null ? config.readTimeout() : route.readTimeout(),
        route.sendTimeout() == null ? config.sendTimeout() : route.sendTimeout(),
        route.connectTimeout() == null ? config.connectTimeout() : route.connectTimeout());
  }
}
