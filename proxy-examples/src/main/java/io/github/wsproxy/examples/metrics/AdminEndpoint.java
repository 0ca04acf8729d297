package io.github.wsproxy.examples.metrics;

import com.sun.net.httpserver.HttpServer;
import io.github.wsproxy.Route;
import io.github.wsproxy.UpstreamState;
import io.github.wsproxy.WsProxy;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * An operator's HTTP endpoint for a running {@link WsProxy}, on an address of its own (never the
 * proxy's listener), on the JDK's HTTP server (one thread):
 *
 * <ul>
 *   <li>{@code GET /metrics}: the Prometheus scrape of a registry fed by a {@link
 *       MicrometerEventListener} (handshakes by status, open connections, messages and bytes per
 *       direction, closes by code), plus {@code wsproxy_upstream_up} (1 while a server takes new
 *       connections, 0 while failed or down; tags {@code route} ({@code ""}: the proxy's own group),
 *       {@code upstream}) and {@code wsproxy_upstream_connections}, read at each scrape.
 *   <li>{@code GET /healthz}: 200 while the process serves.
 *   <li>{@code GET /readyz}: 200 while {@link WsProxy#isReady()}: the proxy accepts new clients, is
 *       not draining, and at least one upstream server takes connections; 503 otherwise, from the
 *       moment a drain ({@link WsProxy#drain()}) or a shutdown ({@link
 *       WsProxy#shutdown(java.time.Duration)}) begins, so that a load balancer stops sending new
 *       clients before the proxy stops listening.
 * </ul>
 *
 * <pre>{@code
 * PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
 * WsProxy proxy = WsProxy.builder().upstream("ws://127.0.0.1:8282")
 *     .eventListener(new MicrometerEventListener(registry)).build();
 * proxy.start();
 * AdminEndpoint admin = AdminEndpoint.start(new InetSocketAddress("127.0.0.1", 9090), proxy, registry);
 * }</pre>
 */
public final class AdminEndpoint implements AutoCloseable {
  private static final String TEXT = "text/plain; charset=utf-8";

  private final HttpServer server;

  private AdminEndpoint(HttpServer server) {
    this.server = server;
  }

  /**
   * Starts serving; port 0 picks a free port.
   *
   * @param address where to listen; must not be the proxy's listen address
   * @param proxy the started proxy whose upstream health is reported
   * @param registry the registry its {@link MicrometerEventListener} records into
   * @throws IOException when the address cannot be bound
   */
  public static AdminEndpoint start(InetSocketAddress address, WsProxy proxy, PrometheusMeterRegistry registry)
      throws IOException {
    MultiGauge up = MultiGauge.builder("wsproxy.upstream.up")
        .description("1 while the upstream server takes new connections, 0 while failed or down").register(registry);
    MultiGauge connections = MultiGauge.builder("wsproxy.upstream.connections")
        .description("Connections using the upstream server").register(registry);
    HttpServer server = HttpServer.create(address, 16);
    server.createContext("/metrics", exchange -> {
      List<MultiGauge.Row<?>> upRows = new ArrayList<>();
      List<MultiGauge.Row<?>> connectionRows = new ArrayList<>();
      forEachServer(proxy, (route, state) -> {
        Tags tags = Tags.of("route", route, "upstream",
            state.url().getAuthority() != null ? state.url().getAuthority() : state.url().toString());
        upRows.add(MultiGauge.Row.of(tags, state.health() == UpstreamState.Health.UP ? 1 : 0));
        connectionRows.add(MultiGauge.Row.of(tags, state.activeConnections()));
      });
      up.register(upRows, true);
      connections.register(connectionRows, true);
      PrometheusEndpoint.respond(exchange, 200, PrometheusEndpoint.PROMETHEUS_TEXT, registry.scrape());
    });
    server.createContext("/healthz", exchange -> PrometheusEndpoint.respond(exchange, 200, TEXT, "ok\n"));
    server.createContext("/readyz", exchange -> {
      String notReady = !proxy.isAccepting() ? "shutting down" : proxy.isDraining() ? "draining"
          : proxy.isReady() ? null : "no upstream server is up";
      PrometheusEndpoint.respond(exchange, notReady == null ? 200 : 503, TEXT, (notReady == null ? "ready" : notReady) + "\n");
    });
    server.start();
    return new AdminEndpoint(server);
  }

  /** Each server of the proxy's own group (route {@code ""}) and of every route with a group of its own. */
  private static void forEachServer(WsProxy proxy, BiConsumer<String, UpstreamState> visitor) {
    try {
      proxy.upstreamStates().forEach(state -> visitor.accept("", state));
      for (Route route : proxy.routes()) {
        if (route.upstream() != null) {
          proxy.upstreamStates(route.name()).forEach(state -> visitor.accept(route.name(), state));
        }
      }
    } catch (IllegalStateException e) {
      // the proxy stopped: it has no servers to report
    }
  }

  /** The address served, with its actual port. */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
