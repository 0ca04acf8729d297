package io.github.wsproxy.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.Balance;
import io.github.wsproxy.Route;
import io.github.wsproxy.UpstreamGroup;
import io.github.wsproxy.WsProxy;
import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.TestUpstream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's configuration file: parsing, --check, and reloading a running proxy. */
class ConfigFileTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  @TempDir
  Path dir;

  @Test
  void theDocumentedExampleDescribesEverySetting() {
    ConfigFile.Result result = ConfigFile.load(Path.of("wsproxy.example.properties"));

    assertThat(result.problems()).isEmpty();
    WsProxy proxy = result.proxy();
    assertThat(proxy.listenAddress().getPort()).isEqualTo(8080);
    assertThat(proxy.readTimeout()).isEqualTo(Duration.ofSeconds(300));
    assertThat(proxy.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(proxy.maxConnections()).isEqualTo(20_000);
    assertThat(proxy.permessageDeflate()).isTrue();
    assertThat(proxy.interceptors()).extracting(i -> i.getClass().getSimpleName()).containsExactly("RequestIdHeader");
    assertThat(proxy.drainTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(proxy.closeSpread()).isEqualTo(Duration.ofSeconds(10));
    assertThat(result.shutdownGrace()).isEqualTo(Duration.ofSeconds(20));
    assertThat(proxy.upstreamGroup().servers()).containsExactly(
        new UpstreamGroup.Server(URI.create("ws://127.0.0.1:8281"), 3, false),
        new UpstreamGroup.Server(URI.create("ws://127.0.0.1:8282"), 1, false),
        new UpstreamGroup.Server(URI.create("ws://127.0.0.1:8289"), 1, true));
    assertThat(proxy.upstreamGroup().balance()).isEqualTo(Balance.leastConnections());
    assertThat(proxy.upstreamGroup().maxFails()).isEqualTo(3);

    assertThat(proxy.routes()).extracting(Route::name).containsExactly("chat", "feed");
    Route chat = proxy.routes().get(0);
    assertThat(chat.hosts()).containsExactly("chat.example.com", "*.chat.example.com");
    assertThat(chat.path()).isEqualTo("/chat");
    assertThat(chat.upstream().servers()).extracting(UpstreamGroup.Server::url)
        .containsExactly(URI.create("ws://127.0.0.1:8381"), URI.create("ws://127.0.0.1:8382"));
    assertThat(chat.upstream().balance()).isEqualTo(Balance.hashCookie("sid"));
    assertThat(chat.upstream().healthCheck().interval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(chat.readTimeout()).isEqualTo(Duration.ofMinutes(10));
    assertThat(chat.interceptors()).extracting(i -> i.getClass().getSimpleName()).containsExactly("MessageStats");
    Route feed = proxy.routes().get(1);
    assertThat(feed.upstream()).isNull();
    assertThat(feed.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(feed.readTimeout()).isNull();
  }

  @Test
  void checkPrintsEveryErrorWithItsLineAndExitsNonZero() throws Exception {
    Path file = write("bad.properties",
        "# a broken file",
        "listen=127.0.0.1:0",
        "readTimeout=soon",
        "upstream.1=http://127.0.0.1:1",
        "noSuchSetting=1",
        "route.chat.path=chat",
        "route.chat.upstream.1=ws://127.0.0.1:1;heavy",
        "eventLoops=0",
        "readTimeout=5s",
        "this line has no separator",
        "preserveHost=perhaps",
        "maxTries.2=3",
        "route.api.readTimeout=1s",
        "tlsKey=/nowhere/key.pem");

    Checked checked = check(file);

    assertThat(checked.code).isEqualTo(1);
    assertThat(checked.out).doesNotContain("ok");
    assertThat(checked.errLines()).containsExactly(
        file + ":3: readTimeout: expected a duration like 500ms, 30s or 5m, got \"soon\"",
        file + ":4: upstream.1: upstream: scheme must be ws://, wss:// or ws+unix:, was: http://127.0.0.1:1",
        file + ":5: noSuchSetting: unknown key",
        file + ":6: route.chat.path: expected a path prefix like /chat, was \"chat\"",
        file + ":7: route.chat.upstream.1: unknown server option \"heavy\" (weight=N or backup)",
        file + ":8: eventLoops: eventLoops must be between 1 and 256, was 0",
        file + ":9: readTimeout: duplicate key, first set on line 3",
        file + ":10: expected key=value, got \"this line has no separator\"",
        file + ":11: preserveHost: expected true or false, got \"perhaps\"",
        file + ":12: maxTries.2: takes no index: write maxTries=...",
        file + ":14: tlsKey: needs --tls-keystore or --tls-cert");
  }

  @Test
  void checkReportsARouteWithoutAnyUpstreamOnItsLine() throws Exception {
    Path file = write("lonely.properties", "listen=127.0.0.1:0", "route.api.path=/api");

    Checked checked = check(file);

    assertThat(checked.code).isEqualTo(1);
    assertThat(checked.errLines()).singleElement().asString().startsWith(file + ":2: upstream is required")
        .contains("route api");
  }

  @Test
  void checkSaysOkForAValidFile() throws Exception {
    Path file = write("good.properties", "listen=127.0.0.1:0", "upstream=ws://127.0.0.1:8282");

    Checked checked = check(file);

    assertThat(checked.code).isZero();
    assertThat(checked.out.strip()).isEqualTo("wsproxy: configuration " + file + " ok");
    assertThat(checked.err).isEmpty();
  }

  @Test
  void flagsBesideConfigOverrideTheFileAndCheckReportsWhatTheyReplaced() throws Exception {
    Path file = write("base.properties", "listen=127.0.0.1:0", "readTimeout=60s", "upstream.1=ws://127.0.0.1:8281",
        "upstream.2=ws://127.0.0.1:8282", "permessageDeflate=true");
    String[] overrides = {"--read-timeout", "300s", "--upstream", "ws://127.0.0.1:9001", "--no-permessage-deflate",
        "--max-connections", "7"};

    Checked checked = check(file, overrides);

    assertThat(checked.code).isZero();
    assertThat(checked.out.lines()).containsExactly("wsproxy: configuration " + file + " ok",
        "  command line: --read-timeout 300s replaces line 2 readTimeout=60s",
        "  command line: --upstream ws://127.0.0.1:9001 replaces line 3 upstream.1=ws://127.0.0.1:8281,"
            + " line 4 upstream.2=ws://127.0.0.1:8282",
        "  command line: --no-permessage-deflate replaces line 5 permessageDeflate=true",
        "  command line: --max-connections 7 (not in the file)");
    WsProxy merged = ConfigFile.load(file, LauncherOptions.parse(overrides).settings()).proxy();
    assertThat(merged.readTimeout()).isEqualTo(Duration.ofSeconds(300));
    assertThat(merged.upstreamGroup().servers()).extracting(UpstreamGroup.Server::url)
        .containsExactly(URI.create("ws://127.0.0.1:9001"));
    assertThat(merged.permessageDeflate()).isFalse();
    assertThat(merged.maxConnections()).isEqualTo(7);
  }

  @Test
  void aBadFlagBesideConfigIsABadCommandLineAndTheClientDoesNotComeAlong() {
    assertThat(check(Path.of("x.properties"), "--read-timeout", "soon").err())
        .startsWith("wsproxy: --read-timeout: expected a duration");
    Checked client = check(Path.of("x.properties"), "--client", "ws://127.0.0.1:1/");
    assertThat(client.code).isEqualTo(2);
    assertThat(client.err).startsWith("wsproxy: --config: --client runs something else than the proxy");
  }

  @Test
  void anOverrideAppliesAgainOnReload() throws Exception {
    try (TestUpstream a = TestUpstream.startEcho(); TestUpstream b = TestUpstream.startEcho()) {
      Path file = write("over.properties", "listen=127.0.0.1:0", "upstream.1=" + a.uri());
      List<LauncherOptions.Setting> overrides = LauncherOptions.parse("--upstream", b.uri().toString()).settings();
      try (Launcher.Running running = Launcher.start(ConfigFile.load(file, overrides), file, overrides)) {
        write("over.properties", "listen=127.0.0.1:0", "upstream.1=" + a.uri(), "readTimeout=30s");
        assertThat(running.reload()).isTrue();
        JdkTestClient.connect(running.proxyUri()).close();
        assertThat(b.handshakes()).hasSize(1);
        assertThat(a.handshakes()).isEmpty();
      }
    }
  }

  @Test
  void reloadAppliesEverySettingThatNeedsNoRestartAndKeepsTheListenAddressAndTheMetrics() throws Exception {
    try (TestUpstream a = TestUpstream.startEcho()) {
      Path file = write("full.properties", "listen=127.0.0.1:0", "adminListen=127.0.0.1:0", "upstream.1=" + a.uri());
      try (Launcher.Running running = Launcher.start(ConfigFile.load(file), file)) {
        int port = running.proxy().port();
        write("full.properties", "listen=127.0.0.1:1", "adminListen=127.0.0.1:0", "upstream.1=" + a.uri(),
            "readTimeout=300ms", "allowedOrigin.1=https://app.example", "eventLoops=3");

        assertThat(running.reload()).isTrue();
        assertThat(running.proxy().readTimeout()).isEqualTo(Duration.ofMillis(300));
        assertThat(running.proxy().allowedOrigins()).containsExactly("https://app.example");
        assertThat(running.proxy().port()).isEqualTo(port);
        try (JdkTestClient idle = JdkTestClient.connect(running.proxyUri())) {
          assertThat(idle.awaitClose(DEADLINE).reason()).isEqualTo("idle timeout");
        }
        HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + running.adminAddress().getPort() + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.body()).as("the metrics listener survives the reload").contains("status=\"101\"");
      }
    }
  }

  @Test
  void reloadReplacesUpstreamsAndRoutesLiveAndAnInvalidFileKeepsTheRunningOnes() throws Exception {
    try (TestUpstream a = TestUpstream.startEcho(); TestUpstream b = TestUpstream.startEcho();
        TestUpstream c = TestUpstream.startEcho()) {
      Path file = write("live.properties", "listen=127.0.0.1:0", "upstream.1=" + a.uri());
      try (Launcher.Running running = Launcher.start(ConfigFile.load(file), file);
          JdkTestClient old = JdkTestClient.connect(running.proxyUri())) {
        write("live.properties", "listen=127.0.0.1:0", "upstream.1=" + b.uri(), "route.main.path=/",
            "route.news.path=/news", "route.news.upstream.1=" + c.uri());

        assertThat(running.reload()).isTrue();
        JdkTestClient.connect(running.proxyUri()).close();
        JdkTestClient.connect(running.proxyUri().resolve("/news")).close();
        assertThat(b.handshakes()).hasSize(1);
        assertThat(c.handshakes()).extracting(h -> h.resource()).containsExactly("/news");
        old.sendText("still on a");
        assertThat(old.awaitText(DEADLINE)).isEqualTo("still on a");

        write("live.properties", "listen=127.0.0.1:0", "upstream.1=" + a.uri(), "readTimeout=never");
        assertThat(running.reload()).isFalse();
        JdkTestClient.connect(running.proxyUri()).close();
        assertThat(b.handshakes()).hasSize(2);
        assertThat(running.proxy().routes()).extracting(Route::name).containsExactly("main", "news");
        assertThat(a.handshakes()).hasSize(1);
      }
    }
  }

  private record Checked(int code, String out, String err) {
    List<String> errLines() {
      return err.lines().toList();
    }
  }

  private static Checked check(Path file, String... flags) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> args = new ArrayList<>(List.of("--config", file.toString(), "--check"));
    args.addAll(List.of(flags));
    int code = Launcher.run(args.toArray(String[]::new), new PrintStream(out, true), new PrintStream(err, true));
    return new Checked(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private Path write(String name, String... lines) throws Exception {
    return Files.write(dir.resolve(name), List.of(lines));
  }
}
