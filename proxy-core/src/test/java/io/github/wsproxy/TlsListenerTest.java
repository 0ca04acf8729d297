package io.github.wsproxy;

import static io.github.wsproxy.HandshakeTest.startProxy;
import static io.github.wsproxy.TlsFixtures.CLIENT;
import static io.github.wsproxy.TlsFixtures.DIR;
import static io.github.wsproxy.TlsFixtures.RENEWED;
import static io.github.wsproxy.TlsFixtures.SERVER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.spi.ILoggingEvent;
import io.github.wsproxy.ServerTls.ClientAuth;
import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.RawClient;
import io.github.wsproxy.testing.RawUpstream;
import io.github.wsproxy.testing.TestCertificate;
import io.github.wsproxy.testing.TestUpstream;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** wss:// clients: TLS terminated on the client leg. */
class TlsListenerTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  private static final SSLContext TRUSTS_SERVER = TestCertificate.context(null, SERVER);
  private static final SSLContext TRUSTS_RENEWED = TestCertificate.context(null, RENEWED);

  TestUpstream upstream;

  @BeforeEach
  void startUpstream() throws IOException {
    upstream = TestUpstream.startEcho();
  }

  @AfterEach
  void stopUpstream() {
    upstream.close();
  }

  @Test
  void servesWssFromAKeyStoreAndTellsTheUpstreamItWasHttps() throws Exception {
    try (WsProxy proxy = startProxy(proxy(ServerTls.fromKeyStore(SERVER.keyStore(), TestCertificate.PASSWORD)));
        JdkTestClient client = JdkTestClient.connect(wss(proxy, "/path?q=1"), TRUSTS_SERVER)) {
      client.sendText("secret");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("secret");
      TlsFixtures.assertEchoes(client, 3 * 1024 * 1024);
      assertThat(upstream.awaitHandshakes(1, DEADLINE).get(0).header("X-Forwarded-Proto")).isEqualTo("https");
      assertThat(upstream.handshakes().get(0).resource()).isEqualTo("/path?q=1");
    }
  }

  @Test
  void servesWssFromPemFiles() throws Exception {
    try (WsProxy proxy = startProxy(proxy(ServerTls.fromPem(SERVER.certificatePem(), SERVER.privateKeyPem())));
        JdkTestClient client = JdkTestClient.connect(wss(proxy, "/"), TRUSTS_SERVER)) {
      client.sendText("pem");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("pem");
      client.sendClose(1000, "bye");
      assertThat(client.awaitClose(DEADLINE).code()).isEqualTo(1000);
    }
  }

  @Test
  void acceptsOnlyTls12And13ByDefault() throws Exception {
    ServerTls tls = ServerTls.fromPem(SERVER.certificatePem(), SERVER.privateKeyPem());
    assertThat(tls.protocols()).containsExactly("TLSv1.3", "TLSv1.2");
    try (WsProxy both = startProxy(proxy(tls));
        WsProxy onlyTls12 = startProxy(proxy(tls.withProtocols("TLSv1.2")))) {
      assertThat(handshakeProtocol(both, "TLSv1.3")).isEqualTo("TLSv1.3");
      assertThat(handshakeProtocol(both, "TLSv1.2")).isEqualTo("TLSv1.2");
      assertThat(handshakeProtocol(onlyTls12, "TLSv1.2")).isEqualTo("TLSv1.2");
      assertThatThrownBy(() -> handshakeProtocol(onlyTls12, "TLSv1.3")).isInstanceOf(SSLHandshakeException.class);
    }
  }

  @Test
  void refusesTls12Renegotiation() throws Exception {
    try (WsProxy proxy = startProxy(proxy(ServerTls.fromPem(SERVER.certificatePem(), SERVER.privateKeyPem())));
        SSLSocket socket = (SSLSocket) TRUSTS_SERVER.getSocketFactory().createSocket("127.0.0.1", proxy.port())) {
      socket.setSoTimeout((int) DEADLINE.toMillis());
      socket.setEnabledProtocols(new String[] {"TLSv1.2"});
      socket.startHandshake();

      socket.startHandshake(); // renegotiates on the next read
      socket.setSoTimeout(3_000); // refused at once, not when the proxy's handshake timeout ends the connection
      assertThatThrownBy(() -> {
        if (socket.getInputStream().read() < 0) {
          throw new EOFException("closed");
        }
      }).as("the connection ends, no timeout").isInstanceOf(IOException.class)
          .isNotInstanceOf(SocketTimeoutException.class);
    }
  }

  @Test
  void aClientOverTheConnectionLimitIsClosedBeforeAnyTlsWork() throws Exception {
    try (WsProxy proxy = startProxy(proxy(ServerTls.fromPem(SERVER.certificatePem(), SERVER.privateKeyPem()))
            .maxConnections(1));
        JdkTestClient first = JdkTestClient.connect(wss(proxy, "/"), TRUSTS_SERVER)) {
      assertThatThrownBy(() -> JdkTestClient.connect(wss(proxy, "/"), TRUSTS_SERVER)).isInstanceOf(IOException.class);
      first.sendText("the first one stays");
      assertThat(first.awaitText(DEADLINE)).isEqualTo("the first one stays");
    }
  }

  @Test
  void rejectsBadListenerSettingsNamingThem() {
    assertThatThrownBy(() -> ServerTls.fromKeyStore(DIR.resolve("missing.p12"), "x"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("listenTls keyStore: no such file");
    assertThatThrownBy(() -> ServerTls.fromKeyStore(SERVER.keyStore(), "wrong"))
        .hasMessageStartingWith("listenTls keyStore password: wrong password");
    assertThatThrownBy(() -> ServerTls.fromKeyStore(SERVER.certificatePem(), "x"))
        .hasMessageStartingWith("listenTls keyStore: ");
    assertThatThrownBy(() -> ServerTls.fromPem(SERVER.certificatePem(), RENEWED.privateKeyPem()))
        .hasMessageStartingWith("listenTls privateKey: ").hasMessageContaining("does not belong");
    assertThatThrownBy(() -> ServerTls.fromPem(SERVER.privateKeyPem(), SERVER.privateKeyPem()))
        .hasMessageStartingWith("listenTls certificateChain: ").hasMessageContaining("no PEM \"CERTIFICATE\"");
    assertThatThrownBy(() -> ServerTls.fromPem(SERVER.certificatePem(), SERVER.certificatePem()))
        .hasMessageStartingWith("listenTls privateKey: ").hasMessageContaining("no PEM \"PRIVATE KEY\"");
    ServerTls tls = ServerTls.fromPem(SERVER.certificatePem(), SERVER.privateKeyPem());
    assertThatThrownBy(() -> tls.withClientAuth(ClientAuth.REQUIRED, null)).hasMessageStartingWith("listenTls clientAuth");
    assertThatThrownBy(() -> tls.withProtocols("SSLv2")).hasMessageStartingWith("listenTls protocols");
    assertThatThrownBy(() -> tls.withReloadCheckInterval(Duration.ofSeconds(-1)))
        .hasMessageStartingWith("listenTls reloadCheckInterval");
  }

  @Test
  void plaintextSpokenToTheTlsPortGetsACleanClose() throws Exception {
    try (WsProxy proxy = startProxy(proxy(ServerTls.fromPem(SERVER.certificatePem(), SERVER.privateKeyPem())));
        RawClient plain = RawClient.connect(proxy.port())) {
      plain.sendHandshakeRequest("/", Map.of());
      assertThat(plain.awaitEof(DEADLINE)).isTrue();
      assertThat(plain.wasReset()).isFalse();
      assertThat(plain.buffered()).as("one TLS alert record").isEqualTo(7);
      byte[] alert = plain.readBytes(7, DEADLINE);
      assertThat(alert[0]).as("record type alert").isEqualTo((byte) 0x15);
      assertThat(alert[5]).as("level fatal").isEqualTo((byte) 2);
      try (JdkTestClient client = JdkTestClient.connect(wss(proxy, "/"), TRUSTS_SERVER)) {
        client.sendText("still serving");
        assertThat(client.awaitText(DEADLINE)).isEqualTo("still serving");
      }
    }
  }

  @Test
  void silentOrStalledTcpPeersOnTheTlsPortCostNoCpuAndAreDroppedAfterTheHandshakeTimeout() throws Exception {
    Duration timeout = Duration.ofMillis(1500);
    try (WsProxy proxy = startProxy(proxy(ServerTls.fromPem(SERVER.certificatePem(), SERVER.privateKeyPem()))
            .handshakeTimeout(timeout).eventLoops(1));
        RawClient silent = RawClient.connect(proxy.port());
        RawClient stalled = RawClient.connect(proxy.port())) {
      long cpuBefore = TlsFixtures.loopCpuNanos(proxy);
      long start = System.nanoTime();
      stalled.sendRaw(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01}); // a ClientHello record head, then nothing
      assertThat(silent.awaitEof(DEADLINE)).isTrue();
      assertThat(stalled.awaitEof(DEADLINE)).isTrue();
      Duration waited = Duration.ofNanos(System.nanoTime() - start);
      long cpuMillis = (TlsFixtures.loopCpuNanos(proxy) - cpuBefore) / 1_000_000;
      assertThat(waited).isGreaterThanOrEqualTo(timeout.minusMillis(100));
      assertThat(cpuMillis).as("loop CPU over %s", waited).isLessThan(150);
    }
  }

  @Test
  void requiredClientCertificatesAreVerified() throws Exception {
    ServerTls tls = ServerTls.fromPem(SERVER.certificatePem(), SERVER.privateKeyPem())
        .withClientAuth(ClientAuth.REQUIRED, CLIENT.certificatePem());
    try (WsProxy proxy = startProxy(proxy(tls));
        JdkTestClient client = JdkTestClient.connect(wss(proxy, "/"), TestCertificate.context(CLIENT, SERVER))) {
      client.sendText("authenticated");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("authenticated");
      assertThatThrownBy(() -> JdkTestClient.connect(wss(proxy, "/"), TRUSTS_SERVER).close())
          .as("no client certificate").isInstanceOf(IOException.class);
      assertThatThrownBy(() -> JdkTestClient.connect(wss(proxy, "/"), TestCertificate.context(RENEWED, SERVER)).close())
          .as("untrusted client certificate").isInstanceOf(IOException.class);
      assertThat(upstream.handshakes()).hasSize(1);
    }
  }

  @Test
  void optionalClientCertificatesMayBeLeftOut() throws Exception {
    ServerTls tls = ServerTls.fromPem(SERVER.certificatePem(), SERVER.privateKeyPem())
        .withClientAuth(ClientAuth.OPTIONAL, CLIENT.certificatePem());
    try (WsProxy proxy = startProxy(proxy(tls))) {
      List<String> lines = AccessLogCapture.lines(2, DEADLINE, () -> {
        try (JdkTestClient anonymous = JdkTestClient.connect(wss(proxy, "/anonymous"), TRUSTS_SERVER);
            JdkTestClient authenticated = JdkTestClient.connect(wss(proxy, "/authenticated"),
                TestCertificate.context(CLIENT, SERVER))) {
          anonymous.sendText("a");
          authenticated.sendText("b");
          assertThat(anonymous.awaitText(DEADLINE)).isEqualTo("a");
          assertThat(authenticated.awaitText(DEADLINE)).isEqualTo("b");
        }
      }).stream().map(ILoggingEvent::getFormattedMessage).toList();
      assertThat(lines).as("the access log names the TLS protocol, and the client's certificate when it sent one")
          .anySatisfy(line -> assertThat(line).contains("/anonymous").endsWith(" tls=TLSv1.3"))
          .anySatisfy(line -> assertThat(line).contains("/authenticated")
              .endsWith(" tls=TLSv1.3 client_cert=\"CN=test-client\""));
    }
  }

  @Test
  void interceptorsSeeTheVerifiedClientCertificateAndRewriteMessagesOverTls() throws Exception {
    Interceptor subjectHeader = new Interceptor() {
      @Override
      public CompletionStage<Void> onHandshake(Handshake handshake) {
        X509Certificate certificate = handshake.connection().clientCertificate();
        handshake.setHeader("X-Client-Subject",
            certificate == null ? "none" : certificate.getSubjectX500Principal().getName());
        return PROCEED;
      }

      @Override
      public Message onUpstreamMessage(ProxyConnection connection, Message message) {
        return Message.text(message.text() + " (checked)");
      }
    };
    ServerTls tls = ServerTls.fromPem(SERVER.certificatePem(), SERVER.privateKeyPem())
        .withClientAuth(ClientAuth.OPTIONAL, CLIENT.certificatePem());
    try (WsProxy proxy = startProxy(proxy(tls).interceptor(subjectHeader));
        JdkTestClient authenticated = JdkTestClient.connect(wss(proxy, "/"), TestCertificate.context(CLIENT, SERVER));
        JdkTestClient anonymous = JdkTestClient.connect(wss(proxy, "/"), TRUSTS_SERVER)) {
      authenticated.sendText("hello");
      assertThat(authenticated.awaitText(DEADLINE)).isEqualTo("hello (checked)");
      assertThat(upstream.awaitHandshakes(2, DEADLINE)).extracting(h -> h.header("X-Client-Subject"))
          .containsExactlyInAnyOrder("CN=test-client", "none");
      TlsFixtures.assertEchoesText(anonymous, 70_000, " (checked)");
    }
  }

  @Test
  void keepalivePingsGoOverTls() throws Exception {
    try (WsProxy proxy = startProxy(proxy(ServerTls.fromPem(SERVER.certificatePem(), SERVER.privateKeyPem()))
            .clientPingInterval(Duration.ofMillis(200)));
        JdkTestClient client = JdkTestClient.connect(wss(proxy, "/"), TRUSTS_SERVER)) {
      assertThat(new String(client.awaitPing(DEADLINE), StandardCharsets.US_ASCII)).isEqualTo("wsproxy-keepalive");
      client.sendText("still open");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("still open");
    }
  }

  @Test
  void reloadedCertificatesServeNewConnectionsWhileOpenOnesContinue() throws Exception {
    Path certificate = DIR.resolve("api-reload.crt.pem");
    Path key = DIR.resolve("api-reload.key.pem");
    SERVER.copyPemTo(certificate, key);
    try (WsProxy proxy = startProxy(proxy(ServerTls.fromPem(certificate, key).withReloadCheckInterval(Duration.ZERO)));
        JdkTestClient before = JdkTestClient.connect(wss(proxy, "/"), TRUSTS_SERVER)) {
      assertThatThrownBy(() -> JdkTestClient.connect(wss(proxy, "/"), TRUSTS_RENEWED)).isInstanceOf(IOException.class);

      RENEWED.copyPemTo(certificate, key);
      proxy.reloadCertificates();

      try (JdkTestClient after = JdkTestClient.connect(wss(proxy, "/"), TRUSTS_RENEWED)) {
        after.sendText("new certificate");
        assertThat(after.awaitText(DEADLINE)).isEqualTo("new certificate");
      }
      assertThatThrownBy(() -> JdkTestClient.connect(wss(proxy, "/"), TRUSTS_SERVER)).isInstanceOf(IOException.class);
      before.sendText("old connection");
      assertThat(before.awaitText(DEADLINE)).isEqualTo("old connection");

      Files.copy(SERVER.certificatePem(), certificate, StandardCopyOption.REPLACE_EXISTING);
      assertThatThrownBy(proxy::reloadCertificates).hasMessageContaining("does not belong");
      JdkTestClient.connect(wss(proxy, "/"), TRUSTS_RENEWED).close();
    }
  }

  @Test
  void changedCertificateFilesAreReloadedOnTheirOwn() throws Exception {
    Path certificate = DIR.resolve("watch.crt.pem");
    Path key = DIR.resolve("watch.key.pem");
    SERVER.copyPemTo(certificate, key);
    try (WsProxy proxy = startProxy(proxy(ServerTls.fromPem(certificate, key)
        .withReloadCheckInterval(Duration.ofMillis(200))))) {
      RENEWED.copyPemTo(certificate, key);
      Await.until(() -> connects(wss(proxy, "/"), TRUSTS_RENEWED), DEADLINE, "the renewed certificate is served");
    }
  }

  @Test
  void proxiesWssToWss() throws Exception {
    try (RawUpstream tlsUpstream = TlsFixtures.tlsEcho(SERVER, null);
        WsProxy proxy = startProxy(WsProxy.builder().upstream(TlsFixtures.wss(tlsUpstream, "localhost"))
            .upstreamTls(UpstreamTls.trusting(SERVER.certificatePem()))
            .listenTls(ServerTls.fromKeyStore(SERVER.keyStore(), TestCertificate.PASSWORD)));
        JdkTestClient client = JdkTestClient.connect(wss(proxy, "/both"), TRUSTS_SERVER)) {
      TlsFixtures.assertEchoes(client, 2 * 1024 * 1024 + 17);
      assertThat(tlsUpstream.requests().get(0).target()).isEqualTo("/both");
    }
  }

  private WsProxy.Builder proxy(ServerTls tls) {
    return WsProxy.builder().upstream(upstream.uri()).listenTls(tls);
  }

  private static URI wss(WsProxy proxy, String path) {
    return URI.create("wss://localhost:" + proxy.port() + path);
  }

  private static boolean connects(URI uri, SSLContext context) {
    try {
      JdkTestClient.connect(uri, context).close();
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** A bare TLS handshake offering one protocol version; returns the negotiated one. */
  private static String handshakeProtocol(WsProxy proxy, String protocol) throws IOException {
    try (SSLSocket socket = (SSLSocket) TRUSTS_SERVER.getSocketFactory().createSocket("127.0.0.1", proxy.port())) {
      socket.setSoTimeout((int) DEADLINE.toMillis());
      socket.setEnabledProtocols(new String[] {protocol});
      socket.startHandshake();
      return socket.getSession().getProtocol();
    }
  }
}
