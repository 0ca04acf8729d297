package io.github.wsproxy.examples.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.WsProxyExtension;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Prometheus scrapes the proxy's metrics over HTTP. */
class PrometheusScrapeTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  @RegisterExtension
  WsProxyExtension proxy = WsProxyExtension.echo().proxy(b -> b.eventListener(new MicrometerEventListener(registry)));

  private final HttpClient http = HttpClient.newHttpClient();
  private PrometheusEndpoint endpoint;

  @AfterEach
  void stop() {
    if (endpoint != null) {
      endpoint.close();
    }
  }

  @Test
  void scrapesHandshakesTrafficClosesAndLatencyHistograms() throws Exception {
    endpoint = PrometheusEndpoint.start(new InetSocketAddress("127.0.0.1", 0), registry);
    String upstream = "127.0.0.1:" + proxy.upstream().port();
    try (JdkTestClient client = proxy.connectJdk()) {
      client.sendText("one");
      client.sendText("two");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("one");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("two");
      assertThat(scrape()).contains("wsproxy_connections_active{upstream=\"" + upstream + "\"} 1.0");
      client.sendClose(1000, "bye");
      client.awaitClose(DEADLINE);
    }
    Await.until(() -> scrape().contains("wsproxy_connections_active{upstream=\"" + upstream + "\"} 0.0"),
        DEADLINE, "the connection counted out");
    String metrics = scrape();
    assertThat(metrics)
        .contains("wsproxy_handshakes_total{outcome=\"101\",status=\"101\",upstream=\"" + upstream + "\"} 1.0")
        .contains("wsproxy_messages_total{direction=\"client_to_upstream\",upstream=\"" + upstream + "\"} 2.0")
        .contains("wsproxy_messages_total{direction=\"upstream_to_client\",upstream=\"" + upstream + "\"} 2.0")
        .contains("wsproxy_closes_total{closed_by=\"client\",code=\"1000\",side=\"client\",upstream=\"" + upstream + "\"} 1.0")
        .contains("wsproxy_upstream_connect_seconds_bucket{upstream=\"" + upstream + "\",le=")
        .contains("wsproxy_handshake_seconds_count{outcome=\"101\",upstream=\"" + upstream + "\"} 1");
  }

  @Test
  void countsPlainHttpRequests() throws Exception {
    endpoint = PrometheusEndpoint.start(new InetSocketAddress("127.0.0.1", 0), registry);
    String upstream = "127.0.0.1:" + proxy.upstream().port();
    HttpResponse<String> response = http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.proxy().port() + "/page")).build(),
        HttpResponse.BodyHandlers.ofString());
    String status = Integer.toString(response.statusCode());
    Await.until(() -> scrape().contains("wsproxy_http_requests_total{outcome=\"" + status.charAt(0) + "xx\",status=\""
        + status + "\",upstream=\"" + upstream + "\"} 1.0"), DEADLINE, "the request counted");
    assertThat(scrape())
        .contains("wsproxy_http_request_seconds_count{outcome=\"" + status.charAt(0) + "xx\",upstream=\"" + upstream + "\"} 1")
        .contains("wsproxy_bytes_total{direction=\"upstream_to_client\",upstream=\"" + upstream + "\"}")
        .doesNotContain("wsproxy_handshakes_total");
  }

  private String scrape() {
    try {
      HttpResponse<String> response = http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.address().getPort() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      return response.body();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
