package io.github.wsproxy.internal.route;

import io.github.wsproxy.UpstreamGroup;
import io.github.wsproxy.UpstreamState;
import io.github.wsproxy.internal.config.ProxySettings;
import io.github.wsproxy.internal.loop.EventLoop;
import io.github.wsproxy.internal.tls.TlsContexts;
import io.github.wsproxy.internal.upstream.ServerState;
import io.github.wsproxy.internal.upstream.UpstreamPool;
import io.github.wsproxy.internal.upstream.UpstreamResolver;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The live routing of a started proxy: one volatile reference to the current {@link RouteTable},
 * replaced as a whole by {@link #replace}, and the pools of the groups interceptors chose for single
 * connections ({@link io.github.wsproxy.Handshake#setUpstream}), which outlive tables. Thread-safe.
 */
public final class Routing {
  /** More distinct groups than this means an interceptor builds a new group per connection. */
  static final int MAX_CHOSEN_GROUPS = 1024;

  private final UpstreamResolver resolver;
  private final EventLoop checkLoop;
  private final TlsContexts tls;
  private final Map<UpstreamGroup, UpstreamPool> chosen = new ConcurrentHashMap<>();
  private volatile RouteTable table;

  /**
   * The proxy's configured routes and upstream; health checks (over TLS to wss:// servers) and
   * passive-health expiry tick on {@code checkLoop}.
   */
  public Routing(ProxySettings config, UpstreamResolver resolver, EventLoop checkLoop, TlsContexts tls) {
    this.resolver = resolver;
    this.checkLoop = checkLoop;
    this.tls = tls;
    this.table = new RouteTable(config, config.upstreamGroup(), config.routes(), resolver, null, checkLoop, tls);
    checkLoop.onTick(this::tick);
  }

  /** The current table: a connection takes it once and keeps it. */
  public RouteTable current() {
    return table;
  }

  /**
   * The pool of a group an interceptor chose: the table's own pool when the group is one of the
   * table's (by identity), else a pool kept per group instance.
   *
   * @throws IllegalStateException when interceptors have chosen more than 1024 distinct groups
   */
  public UpstreamPool poolOf(RouteTable table, UpstreamGroup group) {
    UpstreamPool pool = table.poolOf(group);
    if (pool == null) {
      pool = chosen.get(group);
    }
    if (pool != null) {
      return pool;
    }
    if (chosen.size() >= MAX_CHOSEN_GROUPS) {
      throw new IllegalStateException("interceptors chose more than " + MAX_CHOSEN_GROUPS
          + " distinct upstream groups: create each group once and reuse it");
    }
    return chosen.computeIfAbsent(group, key -> new UpstreamPool(key, resolver));
  }

  /**
   * Swaps in a table for the routes, upstream, interceptors and timeouts of {@code config}; servers
   * kept (same route name, same URL) keep their state. Returns the servers removed, whose
   * connections may be drained.
   */
  public synchronized List<ServerState> replace(ProxySettings config) {
    RouteTable old = table;
    RouteTable next = new RouteTable(config, config.upstreamGroup(), config.routes(), resolver, old, checkLoop, tls);
    table = next;
    checkLoop.execute(old::stopHealthChecks);
    return old.removedIn(next);
  }

  /** Snapshots of a route's servers ({@code ""}: the proxy's own upstream); empty for an unknown name. */
  public List<UpstreamState> states(String route) {
    UpstreamPool pool = table.poolNamed(route);
    return pool == null ? List.of() : pool.states();
  }

  /** Whether a server of the current table's groups takes new connections. */
  public boolean anyServerUp() {
    return table.anyServerUp();
  }

  /** Stops the active health checks; call on the check loop. */
  public void stop() {
    table.stopHealthChecks();
  }

  private void tick(long now) {
    table.tick(now);
    for (UpstreamPool pool : chosen.values()) {
      pool.tick(now);
    }
  }
}
