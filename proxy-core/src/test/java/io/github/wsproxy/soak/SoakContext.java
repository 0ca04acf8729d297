package io.github.wsproxy.soak;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What every client session of a soak run shares.
 *
 * @param stats the counters and problems
 * @param proxyPort the proxy's port on 127.0.0.1
 * @param http the JDK client the {@link JdkSession}s use
 * @param timers runs session watchdogs and starts the next session of a slot
 * @param sessionTimeout a session still running after this long has hung: a problem
 */
record SoakContext(SoakStats stats, int proxyPort, HttpClient http, ScheduledExecutorService timers,
    Duration sessionTimeout) {

  URI uri(String path) {
    return URI.create("ws://127.0.0.1:" + proxyPort + path);
  }
}
