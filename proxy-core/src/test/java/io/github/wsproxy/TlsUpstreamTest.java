package io.github.wsproxy;

import static io.github.wsproxy.HandshakeTest.startProxy;
import static io.github.wsproxy.HandshakeTest.uri;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.testing.JdkTestClient;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.java_websocket.WebSocket;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.DefaultSSLWebSocketServerFactory;
import org.java_websocket.server.WebSocketServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** wss:// upstreams: TLS on the upstream leg, certificate and host name verified. */
class TlsUpstreamTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  private static final char[] PASSWORD = "changeit".toCharArray();

  @TempDir
  static Path dir;
  static KeyStore keyStore;
  static TlsEcho upstream;

  @BeforeAll
  static void startTlsUpstream() throws Exception {
    Path store = dir.resolve("upstream.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "upstream", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
        "-dname", "CN=localhost", "-ext", "SAN=dns:localhost", "-storetype", "PKCS12",
        "-keystore", store.toString(), "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
        .redirectErrorStream(true).start();
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).as(new String(keytool.getInputStream().readAllBytes())).isZero();
    keyStore = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      keyStore.load(in, PASSWORD);
    }
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(keyStore, PASSWORD);
    SSLContext serverContext = SSLContext.getInstance("TLS");
    serverContext.init(keys.getKeyManagers(), null, null);
    upstream = new TlsEcho(serverContext);
    upstream.start();
    assertThat(upstream.started.await(10, TimeUnit.SECONDS)).isTrue();
  }

  @AfterAll
  static void stopTlsUpstream() throws Exception {
    upstream.stop(1000);
  }

  @Test
  void relaysToAWssUpstreamItTrustsUnderItsName() throws Exception {
    try (WsProxy proxy = startProxy(WsProxy.builder().upstream("wss://localhost:" + upstream.getPort() + "/secure")
            .upstreamSslContext(trusting(keyStore)));
        JdkTestClient client = JdkTestClient.connect(uri(proxy, "/chat"))) {
      client.sendText("over tls");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("over tls");
      byte[] large = new byte[3 * 1024 * 1024];
      large[large.length - 1] = 42;
      client.sendBinary(large);
      assertThat(client.awaitBinary(DEADLINE)).isEqualTo(large);
      assertThat(upstream.lastResource).isEqualTo("/secure/chat");
    }
  }

  @Test
  void answers502WhenTheUpstreamCertificateIsNotTrusted() throws Exception {
    try (WsProxy proxy = startProxy(WsProxy.builder().upstream("wss://localhost:" + upstream.getPort()))) {
      assertThat(JdkTestClient.handshakeFailureStatus(uri(proxy, "/"))).isEqualTo(502);
    }
  }

  @Test
  void answers502WhenTheCertificateDoesNotNameTheUpstreamHost() throws Exception {
    try (WsProxy proxy = startProxy(WsProxy.builder().upstream("wss://127.0.0.1:" + upstream.getPort())
        .upstreamSslContext(trusting(keyStore)))) {
      assertThat(JdkTestClient.handshakeFailureStatus(uri(proxy, "/"))).isEqualTo(502);
    }
  }

  private static SSLContext trusting(KeyStore store) throws Exception {
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(store);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return context;
  }

  /** A Java-WebSocket echo server behind TLS. */
  private static final class TlsEcho extends WebSocketServer {
    final CountDownLatch started = new CountDownLatch(1);
    volatile String lastResource;

    TlsEcho(SSLContext context) {
      super(new InetSocketAddress("127.0.0.1", 0));
      setWebSocketFactory(new DefaultSSLWebSocketServerFactory(context));
      setConnectionLostTimeout(0);
      setReuseAddr(true);
    }

    @Override
    public void onOpen(WebSocket conn, ClientHandshake handshake) {
      lastResource = handshake.getResourceDescriptor();
    }

    @Override
    public void onMessage(WebSocket conn, String message) {
      conn.send(message);
    }

    @Override
    public void onMessage(WebSocket conn, ByteBuffer message) {
      conn.send(message);
    }

    @Override
    public void onClose(WebSocket conn, int code, String reason, boolean remote) {}

    @Override
    public void onError(WebSocket conn, Exception ex) {}

    @Override
    public void onStart() {
      started.countDown();
    }
  }
}
