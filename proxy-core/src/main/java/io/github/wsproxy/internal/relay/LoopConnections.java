package io.github.wsproxy.internal.relay;

import io.github.wsproxy.ConnectionSnapshot;
import io.github.wsproxy.internal.config.ProxySettings;
import io.github.wsproxy.internal.http.AffinityCookie;
import io.github.wsproxy.internal.limits.ClientLimits;
import io.github.wsproxy.internal.loop.Accepted;
import io.github.wsproxy.internal.loop.EventLoop;
import io.github.wsproxy.internal.route.Routing;
import io.github.wsproxy.internal.tls.TlsContexts;
import io.github.wsproxy.internal.upstream.ServerState;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection pairs living on one event loop, their periodic timeout checks, and the closes the
 * proxy scheduled for them (draining, shutdown), spread over a window so that their clients do
 * not all reconnect at once.
 */
public final class LoopConnections {
  private static final long TRAFFIC_REPORT_NANOS = 1_000_000_000L;
  private record ScheduledClose(long atNanos, String reason) {}

  private static final Logger log = LoggerFactory.getLogger(LoopConnections.class);
  /** The key of affinity cookie ids: one per process, so that every loop names a server alike. */
  private static final byte[] AFFINITY_SECRET = AffinityCookie.randomSecret();

  /** The settings of new connections, one view per listener (see {@link ProxySettings#forListener}). */
  private volatile List<ProxySettings> configs;
  private final EventLoop loop;
  private final Routing routing;
  private final ClientLimits limits;
  private final TlsContexts tls;
  private volatile Events events;
  private final UpstreamKeepAlive upstreamKeepAlive;
  /** The proxy's affinity cookie per listener (its Secure flag follows the listener's TLS); null entries when it sets none. */
  private volatile List<AffinityCookie> affinityCookies;
  private long nextTrafficReport = System.nanoTime() + TRAFFIC_REPORT_NANOS;
  private final Set<ConnectionPair> pairs = new HashSet<>();
  /** Pairs the proxy closes with 1001 at a time of its own. */
  private final Map<ConnectionPair, ScheduledClose> scheduledCloses = new LinkedHashMap<>();
  private volatile int count;

  public LoopConnections(ProxySettings config, EventLoop loop, Routing routing, ClientLimits limits, TlsContexts tls) {
    this.loop = loop;
    this.routing = routing;
    this.limits = limits;
    this.tls = tls;
    this.upstreamKeepAlive = new UpstreamKeepAlive(config.upstreamKeepAlive(), config.upstreamKeepAliveTimeout().toNanos());
    reconfigure(config);
    loop.onTick(this::tick);
  }

  /**
   * Gives connections accepted from now on these settings (and event listener); open ones keep
   * theirs. Callable from any thread.
   */
  public void reconfigure(ProxySettings config) {
    List<ProxySettings> views = config.listeners().stream().map(config::forListener).toList();
    this.affinityCookies = views.stream().map(LoopConnections::affinityCookie).toList();
    this.configs = views;
    this.events = new Events(config.eventListener());
  }

  private static AffinityCookie affinityCookie(ProxySettings listener) {
    if (listener.affinityCookieName() == null) {
      return null;
    }
    byte[] secret = listener.affinityCookieSecret();
    return new AffinityCookie(listener.affinityCookieName(), secret == null ? AFFINITY_SECRET : secret,
        listener.affinityCookieMaxAge().toSeconds(), listener.listenTls() != null);
  }

  /**
   * Takes over a client socket accepted on the listener with this index (in the settings'
   * order); call on this loop.
   */
  public void accept(Accepted socket, int listener) {
    try {
      ConnectionPair pair = new ConnectionPair(this, socket, listener);
      pairs.add(pair);
      count = pairs.size();
      pair.admit();
    } catch (IOException | RuntimeException e) {
      // e.g. no file descriptor left for the TLS engine: this client is closed, the others served
      log.warn("dropping a client that could not be set up: {}", e.toString());
    }
  }

  /**
   * Sends every open connection 1001 and ends the others, all at once or spread evenly over
   * {@code windowNanos} from {@code start}; call on this loop.
   */
  public void goAway(long start, long windowNanos) {
    scheduleCloses(new ArrayList<>(pairs), start, windowNanos, "proxy shutting down");
  }

  /**
   * Schedules the connections to {@code removed} servers for a 1001 close, spread evenly over
   * {@code windowNanos} from {@code start}; call on this loop.
   */
  public void drain(Set<ServerState> removed, long start, long windowNanos) {
    List<ConnectionPair> draining = new ArrayList<>();
    for (ConnectionPair pair : pairs) {
      if (removed.contains(pair.server())) {
        draining.add(pair);
      }
    }
    scheduleCloses(draining, start, windowNanos, "upstream server removed");
  }

  private void scheduleCloses(List<ConnectionPair> toClose, long start, long windowNanos, String reason) {
    int n = toClose.size();
    for (int i = 0; i < n; i++) {
      ConnectionPair pair = toClose.get(i);
      scheduledCloses.put(pair, new ScheduledClose(start + windowNanos * i / n, reason));
    }
    closeDue(System.nanoTime());
  }

  private void closeDue(long now) {
    if (scheduledCloses.isEmpty()) {
      return;
    }
    List<ConnectionPair> due = new ArrayList<>();
    scheduledCloses.forEach((pair, close) -> {
      if (now - close.atNanos >= 0) {
        due.add(pair);
      }
    });
    for (ConnectionPair pair : due) {
      pair.goAway(scheduledCloses.remove(pair).reason);
    }
  }

  /** Ends every connection at once; call on this loop. */
  public void abortAll() {
    for (ConnectionPair pair : new ArrayList<>(pairs)) {
      pair.finish();
    }
    upstreamKeepAlive.closeAll();
  }

  /** Connections on this loop; readable from any thread. */
  public int count() {
    return count;
  }

  public EventLoop loop() {
    return loop;
  }

  /** The settings a connection accepted now on this listener gets. */
  ProxySettings config(int listener) {
    return configs.get(listener);
  }

  Events events() {
    return events;
  }

  ClientLimits limits() {
    return limits;
  }

  /** The proxy's affinity cookie for clients of this listener, or null when it sets none. */
  AffinityCookie affinityCookie(int listener) {
    return affinityCookies.get(listener);
  }

  /** The idle keep-alive upstream connections of this loop. */
  UpstreamKeepAlive upstreamKeepAlive() {
    return upstreamKeepAlive;
  }

  Routing routing() {
    return routing;
  }

  TlsContexts tls() {
    return tls;
  }

  void remove(ConnectionPair pair) {
    pairs.remove(pair);
    scheduledCloses.remove(pair);
    count = pairs.size();
  }

  /** Snapshots of this loop's connections; call on this loop. */
  public List<ConnectionSnapshot> snapshots() {
    long now = System.nanoTime();
    List<ConnectionSnapshot> snapshots = new ArrayList<>(pairs.size());
    for (ConnectionPair pair : pairs) {
      snapshots.add(pair.snapshot(now));
    }
    return snapshots;
  }

  /** Closes the connection with this id, if it lives on this loop; call on this loop. */
  public boolean close(long id, int code, String reason) {
    for (ConnectionPair pair : pairs) {
      if (pair.id() == id) {
        pair.closeByAdmin(code, reason);
        return true;
      }
    }
    return false;
  }

  /** Reports the traffic of every open connection since the last report, summed per upstream server. */
  private void reportTraffic() {
    Map<URI, long[]> perServer = new HashMap<>();
    for (ConnectionPair pair : pairs) {
      pair.collectTraffic(perServer);
    }
    perServer.forEach((server, t) -> events.traffic(server, t));
  }

  private void tick(long now) {
    closeDue(now);
    upstreamKeepAlive.expire(now);
    if (now - nextTrafficReport > 0) {
      nextTrafficReport = now + TRAFFIC_REPORT_NANOS;
      reportTraffic();
    }
    if (pairs.isEmpty()) {
      return;
    }
    for (ConnectionPair pair : new ArrayList<>(pairs)) {
      pair.onTick(now);
    }
  }
}
