package io.github.wsproxy.internal.route;

import io.github.wsproxy.Interceptor;
import io.github.wsproxy.Route;
import io.github.wsproxy.UpstreamGroup;
import io.github.wsproxy.UpstreamState;
import io.github.wsproxy.internal.config.ProxySettings;
import io.github.wsproxy.internal.intercept.InterceptorChain;
import io.github.wsproxy.internal.loop.EventLoop;
import io.github.wsproxy.internal.tls.TlsContexts;
import io.github.wsproxy.internal.upstream.HealthChecker;
import io.github.wsproxy.internal.upstream.ServerState;
import io.github.wsproxy.internal.upstream.UpstreamPool;
import io.github.wsproxy.internal.upstream.UpstreamResolver;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One immutable configuration of a running proxy's routes and upstream pools, swapped as a whole
 * by {@link Routing}: connections take their route from the table current when their request head
 * is parsed and keep it. Each pool is keyed by its route's name ({@code ""} for the proxy's own
 * upstream), so a later table takes over the running state of the servers it keeps.
 */
public final class RouteTable {
  private static final String OWN_UPSTREAM = "";

  /** A route with what it resolved to. */
  private record Entry(Route route, ActiveRoute active) {}

  /** Null when routes are configured: then unmatched requests get 404. */
  private final ActiveRoute fallback;
  private final List<Entry> entries = new ArrayList<>();
  private final Map<String, UpstreamPool> poolsByKey = new LinkedHashMap<>();
  private final Map<UpstreamGroup, UpstreamPool> poolsByGroup = new IdentityHashMap<>();
  private final List<HealthChecker> healthCheckers = new ArrayList<>();

  /**
   * @param previous the table this one replaces (its pools' server states carry over), or null
   * @param checkLoop the loop the active health checks run on
   * @param tls the contexts health checks of wss:// servers use
   */
  RouteTable(ProxySettings config, UpstreamGroup upstream, List<Route> routes, UpstreamResolver resolver,
      RouteTable previous, EventLoop checkLoop, TlsContexts tls) {
    Builder pools = new Builder(resolver, previous, checkLoop, tls);
    UpstreamPool own = upstream == null ? null : pools.pool(OWN_UPSTREAM, upstream);
    this.fallback = routes.isEmpty()
        ? new ActiveRoute(null, own, new InterceptorChain(config.interceptors()), Timeouts.of(config), null) : null;
    for (Route route : routes) {
      UpstreamPool pool = route.upstream() == null ? own : pools.pool(route.name(), route.upstream());
      List<Interceptor> interceptors = new ArrayList<>(config.interceptors());
      interceptors.addAll(route.interceptors());
      entries.add(new Entry(route,
          new ActiveRoute(route.name(), pool, new InterceptorChain(interceptors), Timeouts.of(config, route),
              route.stripPrefix() ? route.path() : null)));
    }
  }

  /** Creates the table's pools (one per group instance) and their health checkers. */
  private final class Builder {
    private final UpstreamResolver resolver;
    private final RouteTable previous;
    private final EventLoop checkLoop;
    private final TlsContexts tls;

    Builder(UpstreamResolver resolver, RouteTable previous, EventLoop checkLoop, TlsContexts tls) {
      this.resolver = resolver;
      this.previous = previous;
      this.checkLoop = checkLoop;
      this.tls = tls;
    }

    UpstreamPool pool(String key, UpstreamGroup group) {
      UpstreamPool pool = poolsByGroup.get(group);
      if (pool == null) {
        pool = new UpstreamPool(group, resolver, previous == null ? null : previous.poolsByKey.get(key));
        poolsByGroup.put(group, pool);
        poolsByKey.put(key, pool);
        if (group.healthCheck() != null) {
          healthCheckers.add(new HealthChecker(pool, checkLoop, tls));
        }
      }
      return pool;
    }
  }

  /**
   * The route of a request: the matching route with the most specific host (exact, then the
   * longest wildcard, then none), then the longest path prefix; the proxy's own upstream when no
   * routes are configured; null (404) when none matches.
   *
   * @param host the request's {@code Host} header, or null
   * @param target the request target (path and query)
   */
  public ActiveRoute match(String host, String target) {
    if (fallback != null) {
      return fallback;
    }
    String name = hostName(host);
    int query = target.indexOf('?');
    String path = query < 0 ? target : target.substring(0, query);
    Entry best = null;
    int bestHost = Integer.MIN_VALUE;
    for (Entry entry : entries) {
      int hostScore = hostScore(entry.route.hosts(), name);
      if (hostScore == Integer.MIN_VALUE || !pathMatches(entry.route.path(), path)) {
        continue;
      }
      if (best == null || hostScore > bestHost
          || hostScore == bestHost && entry.route.path().length() > best.route.path().length()) {
        best = entry;
        bestHost = hostScore;
      }
    }
    return best == null ? null : best.active;
  }

  /** The pool of a group in this table (by identity), or null. */
  UpstreamPool poolOf(UpstreamGroup group) {
    return poolsByGroup.get(group);
  }

  /** The pool of a route by name ({@code ""}: the proxy's own upstream), or null. */
  UpstreamPool poolNamed(String key) {
    return poolsByKey.get(key);
  }

  /** Whether a server of any of this table's groups takes new connections (is {@code UP}). */
  boolean anyServerUp() {
    for (UpstreamPool pool : poolsByKey.values()) {
      for (UpstreamState state : pool.states()) {
        if (state.health() == UpstreamState.Health.UP) {
          return true;
        }
      }
    }
    return false;
  }

  /** The servers of this table that {@code next} does not keep, pool by pool (matched by route name and URL). */
  List<ServerState> removedIn(RouteTable next) {
    List<ServerState> removed = new ArrayList<>();
    poolsByKey.forEach((key, pool) -> removed.addAll(pool.removedIn(next.poolsByKey.get(key))));
    return removed;
  }

  /** Passive-health expiry and active health checks; on the check loop. */
  void tick(long now) {
    for (UpstreamPool pool : poolsByKey.values()) {
      pool.tick(now);
    }
    for (HealthChecker checker : healthCheckers) {
      checker.tick(now);
    }
  }

  /** Stops the active health checks; on the check loop. */
  void stopHealthChecks() {
    for (HealthChecker checker : healthCheckers) {
      checker.stop();
    }
  }

  /** Every score is above MIN_VALUE for a match: exact beats any wildcard, which beats no host. */
  private static int hostScore(List<String> hosts, String name) {
    if (hosts.isEmpty()) {
      return -1;
    }
    int best = Integer.MIN_VALUE;
    for (String host : hosts) {
      if (host.equals(name)) {
        return Integer.MAX_VALUE;
      }
      if (host.startsWith("*.") && name != null && name.endsWith(host.substring(1))) {
        best = Math.max(best, host.length());
      }
    }
    return best;
  }

  /** Whether {@code path} begins with {@code prefix} at a segment boundary. */
  static boolean pathMatches(String prefix, String path) {
    if (!path.startsWith(prefix)) {
      return false;
    }
    return path.length() == prefix.length() || prefix.endsWith("/") || path.charAt(prefix.length()) == '/';
  }

  /** The host name of a {@code Host} header value: lower-case, without port or trailing dot. */
  static String hostName(String host) {
    if (host == null) {
      return null;
    }
    String h = host.strip().toLowerCase(Locale.ROOT);
    int colon = h.lastIndexOf(':');
    if (colon >= 0 && h.indexOf(']') < colon) {
      h = h.substring(0, colon);
    }
    return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
  }
}
