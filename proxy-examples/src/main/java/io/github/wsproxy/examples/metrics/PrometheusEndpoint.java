package io.github.wsproxy.examples.metrics;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** Serves a Prometheus registry's scrape at {@code GET /metrics} on a JDK HTTP server (one thread). */
public final class PrometheusEndpoint implements AutoCloseable {
  private final HttpServer server;

  private PrometheusEndpoint(HttpServer server) {
    this.server = server;
  }

  /** Starts serving; port 0 picks a free port. */
  public static PrometheusEndpoint start(InetSocketAddress address, PrometheusMeterRegistry registry)
      throws IOException {
    HttpServer server = HttpServer.create(address, 16);
    server.createContext("/metrics", exchange -> {
      byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    return new PrometheusEndpoint(server);
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
