package io.github.wsproxy.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.Background;
import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.TestUpstream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The launcher's {@code --admin-listen}: metrics, liveness and readiness over HTTP, off the public listener. */
class AdminListenerTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void servesMetricsHealthAndReadinessAndTurnsUnreadyAsSoonAsTheShutdownBegins() throws Exception {
    try (TestUpstream upstream = TestUpstream.startEcho()) {
      Launcher.Running running = Launcher.start(LauncherOptions.parse("--listen", "127.0.0.1:0", "--admin-listen",
          "127.0.0.1:0", "--upstream", upstream.uri().toString(), "--shutdown-grace", "20s"));
      CompletableFuture<Void> shutdown = null;
      try (JdkTestClient client = JdkTestClient.connect(running.proxyUri())) {
        assertThat(running.adminAddress().getPort()).isNotEqualTo(running.proxy().port());
        assertThat(running.banner()).contains("admin:    http://127.0.0.1:" + running.adminAddress().getPort());
        assertThat(get(running, "/healthz")).isEqualTo("200 ok");
        assertThat(get(running, "/readyz")).isEqualTo("200 ready");
        client.sendText("hello");
        assertThat(client.awaitText(DEADLINE)).isEqualTo("hello");
        JdkTestClient.connect(running.proxyUri()).close();
        String server = "127.0.0.1:" + upstream.port();
        Await.until(() -> get(running, "/metrics").contains(
            "wsproxy_closes_total{closed_by=\"client\",code=\"1000\",side=\"client\",upstream=\"" + server + "\"} 1.0"),
            DEADLINE, "the second connection's close counted");
        Await.until(() -> get(running, "/metrics").contains(
            "wsproxy_messages_total{direction=\"upstream_to_client\",upstream=\"" + server + "\"} 1.0"),
            DEADLINE, "the echo counted");

        assertThat(get(running, "/metrics"))
            .contains("wsproxy_handshakes_total{outcome=\"101\",status=\"101\",upstream=\"" + server + "\"} 2.0")
            .contains("wsproxy_connections_active{upstream=\"" + server + "\"} 1.0")
            .contains("wsproxy_messages_total{direction=\"client_to_upstream\",upstream=\"" + server + "\"} 1.0")
            .containsPattern("wsproxy_bytes_total\\{direction=\"client_to_upstream\",upstream=\"" + server + "\"} [1-9]")
            .contains("wsproxy_upstream_up{route=\"\",upstream=\"" + server + "\"} 1.0")
            .contains("wsproxy_upstream_connections{route=\"\",upstream=\"" + server + "\"} 1.0");

        // SIGTERM's shutdown hook: /readyz says 503 at once, while the open connection has its grace
        shutdown = Background.run(running::close);
        Await.until(() -> get(running, "/readyz").equals("503 shutting down"), DEADLINE, "readiness dropped");
        assertThat(get(running, "/healthz")).isEqualTo("200 ok");
        client.sendText("still served");
        assertThat(client.awaitText(DEADLINE)).isEqualTo("still served");
      } finally {
        (shutdown == null ? Background.run(running::close) : shutdown).get();
      }
    }
  }

  @Test
  void withAnAcceptGraceIsUnreadyButStillAcceptsBeforeTheShutdownBegins() throws Exception {
    try (TestUpstream upstream = TestUpstream.startEcho()) {
      Launcher.Running running = Launcher.start(LauncherOptions.parse("--listen", "127.0.0.1:0", "--admin-listen",
          "127.0.0.1:0", "--upstream", upstream.uri().toString(), "--accept-grace", "3s"));
      CompletableFuture<Void> shutdown = Background.run(running::close);
      try {
        Await.until(() -> get(running, "/readyz").equals("503 draining"), DEADLINE, "readiness dropped");
        assertThat(running.proxy().isAccepting()).isTrue();
        try (JdkTestClient late = JdkTestClient.connect(running.proxyUri())) {
          late.sendText("a client the balancer sent before it noticed");
          assertThat(late.awaitText(DEADLINE)).isEqualTo("a client the balancer sent before it noticed");
        }
        assertThat(shutdown).isNotDone();
      } finally {
        shutdown.get();
      }
      assertThat(running.proxy().isAccepting()).isFalse();
    }
  }

  @Test
  void isUnreadyWhileNoUpstreamServerIsUp() throws Exception {
    int closedPort;
    try (TestUpstream gone = TestUpstream.startEcho()) {
      closedPort = gone.port();
    }
    try (Launcher.Running running = Launcher.start(LauncherOptions.parse("--listen", "127.0.0.1:0", "--admin-listen",
        "127.0.0.1:0", "--upstream", "ws://127.0.0.1:" + closedPort, "--health-check", "tcp",
        "--health-interval", "100ms"))) {
      Await.until(() -> get(running, "/readyz").equals("503 no upstream server is up"), DEADLINE, "upstream down");
      assertThat(get(running, "/metrics")).contains("wsproxy_upstream_up{route=\"\",upstream=\"127.0.0.1:" + closedPort
          + "\"} 0.0");
      assertThat(get(running, "/healthz")).isEqualTo("200 ok");
    }
  }

  @Test
  void isOffByDefault() throws Exception {
    try (TestUpstream upstream = TestUpstream.startEcho();
        Launcher.Running running = Launcher.start(LauncherOptions.parse("--listen", "127.0.0.1:0",
            "--upstream", upstream.uri().toString()))) {
      assertThat(running.adminAddress()).isNull();
      assertThat(running.banner()).doesNotContain("admin:");
    }
  }

  /** {@code STATUS BODY} of a GET on the admin listener. */
  private String get(Launcher.Running running, String path) {
    InetSocketAddress admin = running.adminAddress();
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.getPort() + path))
        .timeout(DEADLINE).build();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      return response.statusCode() + " " + (path.equals("/metrics") ? response.body() : response.body().strip());
    } catch (Exception e) {
      throw new AssertionError("GET " + path + " failed", e);
    }
  }
}
