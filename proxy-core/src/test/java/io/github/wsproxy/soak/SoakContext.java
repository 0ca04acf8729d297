package io.github.wsproxy.soak;

import io.github.wsproxy.ConnectionSnapshot;
import io.github.wsproxy.WsProxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What every client session of a soak run shares.
 *
 * @param stats the counters and problems
 * @param proxyPort the proxy's port on 127.0.0.1
 * @param http the JDK client the {@link JdkSession}s use
 * @param timers runs session watchdogs and starts the next session of a slot
 * @param sessionTimeout a session still running after this long has hung: a problem
 * @param upstreams the upstreams, to tell whether one restarted during a session
 * @param proxy the proxy, whose view of a hung session's connection the problem report includes
 * @param journal what the client, the proxy and the upstream saw of each running session
 */
record SoakContext(SoakStats stats, int proxyPort, HttpClient http, ScheduledExecutorService timers,
    Duration sessionTimeout, ChaosUpstreams upstreams, WsProxy proxy, SessionJournal journal) {

  /**
   * Whether 1001, 1011 or 1006 may end a session that began at {@code changesAtStart}: an upstream
   * restarted since, or is restarting (a stopping upstream still answers 1001 to connections it
   * accepted while stopping).
   */
  boolean restartExcuses(long changesAtStart, int code) {
    return (code == 1001 || code == 1011 || code == 1006)
        && (upstreams.changes() != changesAtStart || upstreams.restarting());
  }

  /** The proxy's view of the connections whose request target is {@code path}: where a hung session stands. */
  List<ConnectionSnapshot> connectionsTo(String path) {
    return proxy.connections().stream().filter(c -> path.equals(c.target())).toList();
  }

  URI uri(String path) {
    return URI.create("ws://127.0.0.1:" + proxyPort + path);
  }
}
