package io.github.wsproxy.examples.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.testing.JdkTestClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The chat demo without a browser: the page, the proxy's checks and the room broadcast. */
class ChatDemoTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private ChatDemo demo;
  private final List<JdkTestClient> clients = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    demo = ChatDemo.start(new InetSocketAddress("127.0.0.1", 0));
  }

  @AfterEach
  void stop() {
    clients.forEach(JdkTestClient::close);
    demo.close();
  }

  @Test
  void servesThePageWithTheProxysUrl() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> page = http.send(HttpRequest.newBuilder(demo.pageUri()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
    assertThat(page.body()).contains("const PROXY_URL = \"" + demo.proxyUri() + "\";").doesNotContain("${");
    HttpResponse<String> other = http.send(HttpRequest.newBuilder(demo.pageUri().resolve("/favicon.ico")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(other.statusCode()).isEqualTo(404);
  }

  @Test
  void broadcastsToTheRoomThroughTheWordFilter() throws Exception {
    JdkTestClient alice = join("lobby", "alice");
    assertThat(awaitContaining(alice, "\"proxy\"")).matches("\\{\"proxy\":\"you are in room lobby, connection \\d+\"}");
    JdkTestClient bob = join("lobby", "bob");
    JdkTestClient carol = join("kitchen", "carol");
    assertThat(awaitContaining(alice, "\"joined\":\"bob\"")).isEqualTo("{\"joined\":\"bob\"}");

    alice.sendText("oh darn it");
    assertThat(awaitContaining(bob, "\"from\"")).isEqualTo("{\"from\":\"alice\",\"text\":\"oh *** it\"}");
    assertThat(awaitContaining(alice, "\"from\"")).isEqualTo("{\"from\":\"alice\",\"text\":\"oh *** it\"}");

    carol.sendText("hello kitchen");
    assertThat(awaitContaining(carol, "\"from\"")).isEqualTo("{\"from\":\"carol\",\"text\":\"hello kitchen\"}");
  }

  @Test
  void theProxyRefusesAnotherOriginAndAClientWithoutARoom() {
    URI lobby = URI.create(demo.proxyUri() + "?room=lobby");
    assertThat(JdkTestClient.handshakeFailureStatus(lobby, List.of(), Map.of("Origin", "http://evil.example")))
        .isEqualTo(403);
    assertThat(JdkTestClient.handshakeFailureStatus(demo.proxyUri(), List.of(), Map.of("Origin", origin())))
        .isEqualTo(400);
  }

  @Test
  void runSaysWhichPortItCannotBindAndReturns1() throws Exception {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int taken = demo.pageUri().getPort();
    assertThat(ChatDemo.run(new InetSocketAddress("127.0.0.1", taken), new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true)))
        .isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("wsproxy: chat demo: cannot listen on 127.0.0.1:" + taken);
  }

  private JdkTestClient join(String room, String name) throws IOException {
    JdkTestClient client = JdkTestClient.connect(URI.create(demo.proxyUri() + "?room=" + room + "&name=" + name),
        List.of(), Map.of("Origin", origin()));
    clients.add(client);
    return client;
  }

  private String origin() {
    String page = demo.pageUri().toString();
    return page.substring(0, page.length() - 1);
  }

  /** The first text message containing {@code part}, skipping others (join notices arrive in any order). */
  private static String awaitContaining(JdkTestClient client, String part) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      String text = client.awaitText(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
      if (text.contains(part)) {
        return text;
      }
    }
  }
}
