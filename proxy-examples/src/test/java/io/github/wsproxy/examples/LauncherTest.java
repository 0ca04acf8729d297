package io.github.wsproxy.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.github.wsproxy.Balance;
import io.github.wsproxy.IoTransport;
import io.github.wsproxy.ServerTls;
import io.github.wsproxy.TlsEngine;
import io.github.wsproxy.UpstreamGroup;
import io.github.wsproxy.WsProxy;
import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.RecordedClose;
import io.github.wsproxy.testing.TestCertificate;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class LauncherTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  @Test
  void mapsEveryFlagOntoTheBuilder() {
    WsProxy proxy = LauncherOptions.parse(
        "--listen", "127.0.0.1:0", "--upstream", "ws://127.0.0.1:8282/base",
        "--read-timeout", "300s", "--send-timeout", "5m", "--connect-timeout", "500ms",
        "--handshake-timeout", "2s", "--close-timeout", "1s", "--max-header-bytes", "8K",
        "--max-message-bytes", "1MiB", "--event-loops", "3", "--transport", "nio", "--non-upgrade-status", "404",
        "--no-plain-http", "--max-request-body-bytes", "2MiB", "--upstream-keepalive", "8",
        "--upstream-keepalive-timeout", "20s", "--affinity-cookie-max-age", "60m", "--affinity-cookie", "SRV",
        "--preserve-host", "--no-permessage-deflate", "--no-utf8-validation",
        "--interceptor", "io.github.wsproxy.examples.interceptors.RequestIdHeader",
        "--interceptor", "io.github.wsproxy.examples.interceptors.MessageStats",
        "--interceptor-timeout", "2s", "--max-connections", "500", "--max-connections-per-ip", "20",
        "--max-handshakes-per-second-per-ip", "7", "--max-frame-bytes", "64K", "--allowed-origin", "https://a.example",
        "--allowed-origin", "https://b.example", "--trusted-proxy", "10.0.0.0/8", "--client-ping-interval", "30s",
        "--upstream-ping-interval", "20s", "--pong-timeout", "3s").builder().build();

    assertThat(proxy.listenAddress().getPort()).isZero();
    assertThat(proxy.upstream()).hasToString("ws://127.0.0.1:8282/base");
    assertThat(proxy.readTimeout()).isEqualTo(Duration.ofSeconds(300));
    assertThat(proxy.sendTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(proxy.connectTimeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(proxy.handshakeTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(proxy.closeTimeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(proxy.maxHeaderBytes()).isEqualTo(8192);
    assertThat(proxy.maxMessageBytes()).isEqualTo(1 << 20);
    assertThat(proxy.eventLoops()).isEqualTo(3);
    assertThat(proxy.transport()).isEqualTo(IoTransport.NIO);
    assertThat(proxy.nonUpgradeStatus()).isEqualTo(404);
    assertThat(proxy.plainHttp()).isFalse();
    assertThat(proxy.maxRequestBodyBytes()).isEqualTo(2 << 20);
    assertThat(proxy.upstreamKeepAlive()).isEqualTo(8);
    assertThat(proxy.affinityCookieName()).isEqualTo("SRV");
    assertThat(proxy.upstreamKeepAliveTimeout()).isEqualTo(Duration.ofSeconds(20));
    assertThat(proxy.preserveHost()).isTrue();
    assertThat(proxy.permessageDeflate()).isFalse();
    assertThat(proxy.validateUtf8()).isFalse();
    assertThat(proxy.interceptors()).extracting(i -> i.getClass().getSimpleName())
        .containsExactly("RequestIdHeader", "MessageStats");
    assertThat(proxy.interceptorTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(proxy.maxConnections()).isEqualTo(500);
    assertThat(proxy.maxConnectionsPerIp()).isEqualTo(20);
    assertThat(proxy.maxHandshakesPerSecondPerIp()).isEqualTo(7);
    assertThat(proxy.maxFrameBytes()).isEqualTo(65536);
    assertThat(proxy.allowedOrigins()).containsExactly("https://a.example", "https://b.example");
    assertThat(proxy.trustedProxies()).containsExactly("10.0.0.0/8");
    assertThat(proxy.clientPingInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(proxy.upstreamPingInterval()).isEqualTo(Duration.ofSeconds(20));
    assertThat(proxy.pongTimeout()).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void mapsRepeatedUpstreamsAndGroupFlagsOntoAnUpstreamGroup() {
    UpstreamGroup group = LauncherOptions.parse(
        "--upstream", "ws://127.0.0.1:8281;weight=3", "--upstream", "ws://127.0.0.1:8282",
        "--upstream", "ws://127.0.0.1:8289;backup", "--balance", "hash:cookie:sid", "--upstream-max-connections", "5",
        "--max-tries", "2", "--max-fails", "3", "--fail-timeout", "2s", "--health-check", "ws:/health",
        "--health-interval", "1s", "--health-timeout", "300ms").builder().build().upstreamGroup();

    assertThat(group.servers()).containsExactly(
        new UpstreamGroup.Server(URI.create("ws://127.0.0.1:8281"), 3, false),
        new UpstreamGroup.Server(URI.create("ws://127.0.0.1:8282"), 1, false),
        new UpstreamGroup.Server(URI.create("ws://127.0.0.1:8289"), 1, true));
    assertThat(group.balance()).isEqualTo(Balance.hashCookie("sid"));
    assertThat(group.maxConnections()).isEqualTo(5);
    assertThat(group.maxTries()).isEqualTo(2);
    assertThat(group.maxFails()).isEqualTo(3);
    assertThat(group.failTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(group.healthCheck().path()).isEqualTo("/health");
    assertThat(group.healthCheck().interval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(group.healthCheck().timeout()).isEqualTo(Duration.ofMillis(300));
  }

  @Test
  void parsesEveryBalancePolicy() {
    assertThat(LauncherOptions.balance("round-robin")).isEqualTo(Balance.roundRobin());
    assertThat(LauncherOptions.balance("least-conn")).isEqualTo(Balance.leastConnections());
    assertThat(LauncherOptions.balance("hash:ip")).isEqualTo(Balance.hashClientIp());
    assertThat(LauncherOptions.balance("hash:header:X-User")).isEqualTo(Balance.hashHeader("X-User"));
    assertThat(LauncherOptions.balance("hash:query:room")).isEqualTo(Balance.hashQuery("room"));
    assertThatThrownBy(() -> LauncherOptions.balance("hash:header:")).hasMessageContaining("hashHeader");
  }

  @Test
  void rejectsBadFlagsWithOneLineNamingTheFlagAndExitCode2() {
    String[][] cases = {
        {"--read-timeout", "soon"}, {"--listen", "nowhere"}, {"--bogus"}, {"--upstream", "http://x"},
        {"--max-message-bytes", "lots"}, {"--event-loops", "0"}, {"--transport", "epoll"},
        {"--send-timeout"},
        {"--tls-cert", "/no/such.pem", "--tls-key", "/no/such.key"}, {"--tls-client-auth", "required"},
        {"--tls-keystore", "/no/such.p12", "--tls-keystore-password", "env:WSPROXY_NO_SUCH_VARIABLE"},
        {"--upstream-ca", "/no/such.pem"},
        {"--balance", "random"}, {"--upstream", "ws://127.0.0.1:1;heavy"}, {"--upstream", "ws://127.0.0.1:1;weight=0"},
        {"--health-check", "udp"}, {"--upstream", "ws://127.0.0.1:1;backup"}, {"--max-tries", "0"},
        {"--health-interval", "1s", "--upstream", "ws://127.0.0.1:1"},
        {"--interceptor", "java.lang.String"}, {"--interceptor", "no.such.Type"},
        {"--interceptor", "io.github.wsproxy.examples.interceptors.RateLimiter"}, {"--demo", "ticker"}};
    for (String[] args : cases) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code = Launcher.run(args, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true));
      String message = err.toString(StandardCharsets.UTF_8);
      assertThat(code).as(String.join(" ", args)).isEqualTo(2);
      assertThat(message.strip()).as(String.join(" ", args)).startsWith("wsproxy: " + args[0]).doesNotContain("\n");
    }
  }

  @Test
  void aRepeatedSingleValueFlagIsRefusedNamingTheFlagInsteadOfTheLastOneWinning() {
    assertThatThrownBy(() -> LauncherOptions.parse("--read-timeout", "1s", "--read-timeout", "2s"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("--read-timeout: given twice; it takes one value").hasMessageContaining("--listen");
    assertThat(LauncherOptions.parse("--upstream", "ws://127.0.0.1:1", "--upstream", "ws://127.0.0.1:2")
        .builder().build().upstreamGroup().servers()).hasSize(2);
  }

  @Test
  void aDurationWithoutAUnitSuggestsOne() {
    Run run = run("--read-timeout", "300");

    assertThat(run.code).isEqualTo(2);
    assertThat(run.err.strip()).isEqualTo("wsproxy: --read-timeout: a duration needs a unit: write 300s (or 300ms, 300m),"
        + " got \"300\"");
  }

  @Test
  @Timeout(30) // a demo that ignored --listen would run on its default port until stopped
  void demoChatServesItsPageOnTheListenAddress() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Run run = run("--demo", "chat", "--listen", "127.0.0.1:" + taken.getLocalPort());

      assertThat(run.code).isEqualTo(1);
      assertThat(run.err).startsWith("wsproxy: chat demo: cannot listen on 127.0.0.1:" + taken.getLocalPort());
    }
  }

  @Test
  void theConsoleClientPrintsTheStatusAndBodyOfARefusedHandshake() throws Exception {
    HttpServer refusing = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    refusing.createContext("/", exchange -> {
      try (exchange) {
        byte[] body = "no token\n".getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(401, body.length);
        exchange.getResponseBody().write(body);
      }
    });
    refusing.start();
    try {
      String url = "ws://127.0.0.1:" + refusing.getAddress().getPort() + "/chat";
      Run run = run("--client", url);

      assertThat(run.code).isEqualTo(1);
      assertThat(run.err.strip()).isEqualTo("wsproxy: --client: cannot connect to " + url + ": HTTP 401 no token");
    } finally {
      refusing.stop(0);
    }
  }

  @Test
  void demoChatAsksForTheChatDemo() {
    assertThat(LauncherOptions.parse("--demo", "chat").chatDemoRequested()).isTrue();
    assertThat(LauncherOptions.parse().chatDemoRequested()).isFalse();
  }

  @Test
  void helpListsEveryFlag() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = Launcher.run(new String[] {"--help"}, new PrintStream(out, true), System.err);

    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("--listen", "--upstream", "--read-timeout",
        "--send-timeout", "--connect-timeout", "--handshake-timeout", "--close-timeout", "--max-header-bytes",
        "--max-message-bytes", "--event-loops", "--transport", "--non-upgrade-status", "--preserve-host",
        "--no-permessage-deflate", "--no-utf8-validation", "--interceptor", "--interceptor-timeout", "--client",
        "--help", "--balance", "--upstream-max-connections", "--max-connections", "--max-connections-per-ip",
        "--max-handshakes-per-second-per-ip", "--max-frame-bytes", "--allowed-origin", "--trusted-proxy",
        "--client-ping-interval", "--upstream-ping-interval", "--pong-timeout", "--max-tries", "--max-fails", "--fail-timeout", "--health-check",
        "--health-interval", "--health-timeout", ";weight=N", ";backup", "--demo chat", "--tls-keystore",
        "--tls-keystore-password", "--tls-cert", "--tls-key", "--tls-client-auth", "--tls-client-ca",
        "--tls-protocols", "--tls-reload-interval", "--tls-engine", "--upstream-ca", "--upstream-truststore",
        "--upstream-truststore-password", "--upstream-client-cert", "--upstream-client-key",
        "--upstream-tls-insecure-skip-verify");
  }

  @Test
  void readsTheAffinityCookieSecretFromAFile(@TempDir Path dir) throws Exception {
    Path secret = Files.write(dir.resolve("secret"), "sixteen or more bytes".getBytes(StandardCharsets.US_ASCII));
    assertThat(LauncherOptions.parse("--upstream", "ws://127.0.0.1:8282", "--affinity-cookie", "SRV",
        "--affinity-cookie-secret-file", secret.toString()).builder().build().affinityCookieName()).isEqualTo("SRV");
    assertThatThrownBy(() -> LauncherOptions.parse("--affinity-cookie-secret-file", dir.resolve("none").toString()))
        .hasMessageContaining("cannot read");
    Path tooShort = Files.write(dir.resolve("short"), new byte[4]);
    assertThatThrownBy(() -> LauncherOptions.parse("--affinity-cookie-secret-file", tooShort.toString()))
        .hasMessageContaining("at least 16 bytes");
  }

  @Test
  void mapsTheTlsFlagsOntoTheBuilder(@TempDir Path dir) throws Exception {
    TestCertificate server = TestCertificate.generate(dir, "server", "localhost", "dns:localhost");
    WsProxy proxy = LauncherOptions.parse("--upstream", "wss://localhost:8443",
        "--tls-cert", server.certificatePem().toString(), "--tls-key", server.privateKeyPem().toString(),
        "--tls-client-auth", "optional", "--tls-client-ca", server.certificatePem().toString(),
        "--tls-protocols", "TLSv1.3", "--tls-reload-interval", "0s", "--tls-engine", "jdk",
        "--upstream-ca", server.certificatePem().toString(),
        "--upstream-client-cert", server.certificatePem().toString(),
        "--upstream-client-key", server.privateKeyPem().toString(),
        "--upstream-tls-insecure-skip-verify").builder().build();

    assertThat(proxy.listenTls().clientAuth()).isEqualTo(ServerTls.ClientAuth.OPTIONAL);
    assertThat(proxy.listenTls().protocols()).containsExactly("TLSv1.3");
    assertThat(proxy.listenTls().reloadCheckInterval()).isZero();
    assertThat(proxy.listenTls().files()).contains(server.certificatePem(), server.privateKeyPem());
    assertThat(proxy.upstreamTls()).isNotNull();
    assertThat(proxy.upstreamTlsInsecureSkipVerify()).isTrue();
    assertThat(proxy.listenTls().engine()).isEqualTo(TlsEngine.JDK);
    assertThat(proxy.upstreamTls().engine()).isEqualTo(TlsEngine.JDK);
    assertThat(LauncherOptions.parse("--upstream", "wss://localhost:8443", "--tls-engine", "native").builder().build()
        .upstreamTls().engine()).as("the JDK's CAs, on the native engine").isEqualTo(TlsEngine.NATIVE);
    assertThatThrownBy(() -> LauncherOptions.parse("--upstream", "wss://localhost:8443", "--tls-engine", "openssl"))
        .hasMessageStartingWith("--tls-engine: expected auto, jdk or native");

    WsProxy fromKeyStore = LauncherOptions.parse("--listen", "127.0.0.1:0",
        "--tls-keystore", server.keyStore().toString(), "--tls-keystore-password", TestCertificate.PASSWORD)
        .builder().upstream("ws://127.0.0.1:1").build();
    assertThat(fromKeyStore.listenTls().files()).containsExactly(server.keyStore());
    assertThatThrownBy(() -> LauncherOptions.parse("--tls-keystore", server.keyStore().toString(),
        "--tls-keystore-password", "wrong")).hasMessageStartingWith("--tls-keystore: listenTls keyStore password");
  }

  @Test
  void aRepeatedListenBindsEachAddressAndTlsGoesToThoseMarkedTls(@TempDir Path dir) throws Exception {
    TestCertificate server = TestCertificate.generate(dir, "server", "localhost", "dns:localhost");
    LauncherOptions options = LauncherOptions.parse("--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0;tls",
        "--tls-cert", server.certificatePem().toString(), "--tls-key", server.privateKeyPem().toString());
    try (Launcher.Running running = Launcher.start(options)) {
      List<InetSocketAddress> bound = running.proxy().boundAddresses();
      assertThat(bound).hasSize(2);
      assertThat(running.banner()).contains("also on:  127.0.0.1:" + bound.get(1).getPort());
      try (JdkTestClient plain = JdkTestClient.connect(URI.create("ws://127.0.0.1:" + bound.get(0).getPort() + "/"));
          JdkTestClient tls = JdkTestClient.connect(URI.create("wss://localhost:" + bound.get(1).getPort() + "/"),
              TestCertificate.context(null, server))) {
        plain.sendText("plain");
        tls.sendText("tls");
        assertThat(plain.awaitText(DEADLINE)).isEqualTo("plain");
        assertThat(tls.awaitText(DEADLINE)).isEqualTo("tls");
      }
    }
    assertThatThrownBy(() -> LauncherOptions.parse("--listen", "127.0.0.1:0;tls"))
        .hasMessage("--listen: ;tls needs --tls-keystore or --tls-cert");
    assertThatThrownBy(() -> LauncherOptions.parse("--listen", "127.0.0.1:0;ssl"))
        .hasMessageStartingWith("--listen: expected HOST:PORT or HOST:PORT;tls");
  }

  @Test
  void parsesDurationsAndSizes() {
    assertThat(LauncherOptions.duration("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(LauncherOptions.duration("3m")).isEqualTo(Duration.ofMinutes(3));
    assertThat(LauncherOptions.size("64KiB")).isEqualTo(65536);
    assertThat(LauncherOptions.size("2M")).isEqualTo(2 << 20);
    assertThatThrownBy(() -> LauncherOptions.duration("5h")).hasMessageContaining("\"5h\"");
    assertThatThrownBy(() -> LauncherOptions.size("-")).hasMessageContaining("\"-\"");
  }

  @Test
  void withoutUpstreamRunsTheDemoEchoServerBehindTheProxy() throws Exception {
    LauncherOptions options = LauncherOptions.parse("--listen", "127.0.0.1:0");
    try (Launcher.Running running = Launcher.start(options);
        JdkTestClient client = JdkTestClient.connect(running.proxyUri())) {
      client.sendText("hello through the proxy");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("hello through the proxy");
      assertThat(running.banner()).contains("--client " + running.proxyUri());

      running.close();

      RecordedClose close = client.awaitClose(DEADLINE);
      assertThat(close.code()).isEqualTo(1001);
    }
  }

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Launcher.run(args, new PrintStream(out, true), new PrintStream(err, true));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
