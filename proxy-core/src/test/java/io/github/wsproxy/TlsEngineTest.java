package io.github.wsproxy;

import static io.github.wsproxy.HandshakeTest.startProxy;
import static io.github.wsproxy.TlsFixtures.SERVER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.wsproxy.internal.tls.TlsMaterial;
import io.github.wsproxy.internal.tls.TlsProviders;
import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.RawUpstream;
import io.github.wsproxy.testing.TestCertificate;
import io.github.wsproxy.testing.TestUpstream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The TLS engine setting and session resumption, on both engines. The build runs the TLS tests
 * twice: with AUTO as it is (the native engine, netty-tcnative being on the test class path) and with
 * AUTO forced to the JDK's engine by the system property.
 */
class TlsEngineTest {
  TestUpstream upstream;

  @BeforeEach
  void startUpstream() throws Exception {
    upstream = TestUpstream.startEcho();
  }

  @AfterEach
  void stopUpstream() {
    upstream.close();
  }

  @Test
  void autoIsTheNativeEngineUnlessTheSystemPropertyForcesTheJdks() {
    ServerTls tls = ServerTls.fromPem(SERVER.certificatePem(), SERVER.privateKeyPem());
    String forced = System.getProperty(TlsProviders.AUTO_PROPERTY);
    assertThat(tls.engine()).isEqualTo(TlsEngine.AUTO);
    assertThat(TlsProviders.describe(tls.loadContext())).startsWith("JDK".equals(forced) ? "JDK (" : "native (netty-tcnative");
    assertThat(TlsProviders.describe(tls.withEngine(TlsEngine.JDK).loadContext())).startsWith("JDK (");
    assertThat(TlsProviders.describe(tls.withEngine(TlsEngine.NATIVE).loadContext())).startsWith("native (netty-tcnative");
    assertThat(TlsProviders.describe(UpstreamTls.trusting(SERVER.certificatePem()).withEngine(TlsEngine.NATIVE)
        .sslContext())).startsWith("native (netty-tcnative");
  }

  /**
   * Record buffers come from the loop's pool for every read and write, however the engine counts
   * its sizes: Netty's engine raises them past 17 KiB after the first large record, and a buffer of
   * that size was allocated anew (and its native memory kept until a garbage collection) for every
   * record, which took a proxy relaying 64 KiB messages past 1 GiB of RSS.
   */
  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"JDK", "NATIVE"})
  void bulkTrafficReusesTheRecordBuffers(TlsEngine engine) throws Exception {
    ServerTls tls = ServerTls.fromPem(SERVER.certificatePem(), SERVER.privateKeyPem()).withEngine(engine);
    try (WsProxy proxy = startProxy(WsProxy.builder().upstream(upstream.uri()).listenTls(tls));
        JdkTestClient connection = JdkTestClient.connect(URI.create("wss://localhost:" + proxy.port() + "/"),
            TestCertificate.context(null, SERVER))) {
      TlsFixtures.assertEchoes(connection, 256 * 1024); // the pool is warm, the engine's sizes final
      long before = TlsProviders.recordBuffersAllocated();
      for (int i = 0; i < 32; i++) {
        TlsFixtures.assertEchoes(connection, 256 * 1024);
      }
      assertThat(TlsProviders.recordBuffersAllocated() - before)
          .as("record buffers allocated for 512 records each way").isLessThan(16);
    }
  }

  /** The client's trust manager checks the server's certificate on every full handshake, never on a resumed one. */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"JDK, TLSv1.3", "JDK, TLSv1.2", "NATIVE, TLSv1.3", "NATIVE, TLSv1.2"})
  void aSecondConnectionFromTheSameClientResumesItsSession(TlsEngine engine, String protocol) throws Exception {
    CountingTrust trust = new CountingTrust();
    SSLContext client = SSLContext.getInstance(protocol);
    client.init(null, new TrustManager[] {trust}, new SecureRandom());
    ServerTls tls = ServerTls.fromPem(SERVER.certificatePem(), SERVER.privateKeyPem()).withEngine(engine)
        .withProtocols(protocol);
    try (WsProxy proxy = startProxy(WsProxy.builder().upstream(upstream.uri()).listenTls(tls))) {
      URI uri = URI.create("wss://localhost:" + proxy.port() + "/");
      for (int i = 0; i < 3; i++) {
        try (JdkTestClient connection = JdkTestClient.connect(uri, client)) {
          TlsFixtures.assertEchoes(connection, 100); // the session ticket (TLS 1.3) has arrived
        }
      }
    }
    assertThat(trust.fullHandshakes).as("full handshakes of 3 connections").hasValue(1);
  }

  /**
   * The upstream leg mirrors the listener's: the proxy, client of a {@code wss://} upstream, checks
   * the upstream's certificate on the first connection only and resumes the session on the next.
   */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"JDK, TLSv1.3", "JDK, TLSv1.2", "NATIVE, TLSv1.3", "NATIVE, TLSv1.2"})
  void aSecondConnectionToTheSameTlsUpstreamResumesItsSession(TlsEngine engine, String protocol) throws Exception {
    CountingTrust trust = new CountingTrust();
    SSLContext proxyClient = engine == TlsEngine.JDK ? SSLContext.getInstance(protocol)
        : SSLContext.getInstance(protocol, TlsProviders.provider(TlsProviders.resolve("test", engine)));
    proxyClient.init(null, new TrustManager[] {trust}, new SecureRandom());
    try (RawUpstream tlsUpstream = TlsFixtures.tlsEcho(SERVER, null);
        WsProxy proxy = startProxy(WsProxy.builder().upstream(TlsFixtures.wss(tlsUpstream, "localhost"))
            .upstreamTls(UpstreamTls.of(proxyClient)))) {
      for (int i = 0; i < 3; i++) {
        try (JdkTestClient connection = JdkTestClient.connect(HandshakeTest.uri(proxy, "/"))) {
          TlsFixtures.assertEchoes(connection, 100); // the upstream's session ticket (TLS 1.3) has arrived
        }
      }
      assertThat(tlsUpstream.connections()).as("TLS connections to the upstream").hasSize(3);
      assertThat(((SSLSocket) tlsUpstream.connections().get(2).socket()).getSession().getProtocol()).isEqualTo(protocol);
    }
    assertThat(trust.fullHandshakes).as("full handshakes of 3 connections to the upstream").hasValue(1);
  }

  /**
   * The native engine holds a pipe (two descriptors) per session until it is freed: closed
   * connections must give them back at once, not at some later garbage collection.
   */
  @Test
  void closedConnectionsGiveBackTheNativeEnginesDescriptorsAtOnce() throws Exception {
    Path descriptors = Path.of("/proc/self/fd");
    assumeTrue(Files.isDirectory(descriptors), "no /proc to count descriptors");
    ServerTls tls = ServerTls.fromPem(SERVER.certificatePem(), SERVER.privateKeyPem()).withEngine(TlsEngine.NATIVE);
    SSLContext client = TestCertificate.context(null, SERVER);
    try (WsProxy proxy = startProxy(WsProxy.builder().upstream(upstream.uri()).listenTls(tls))) {
      URI uri = URI.create("wss://localhost:" + proxy.port() + "/");
      long before = pipes(descriptors);
      for (int i = 0; i < 150; i++) {
        try (JdkTestClient connection = JdkTestClient.connect(uri, client)) {
          TlsFixtures.assertEchoes(connection, 10);
        }
      }
      // a connection's pipe is freed when the proxy has closed it, a moment after the client's close
      Await.until(() -> pipes(descriptors) - before < 20, Duration.ofSeconds(10),
          "pipes held after 150 closed connections: " + (pipes(descriptors) - before) + " more than before");
    }
  }

  /**
   * Every native engine is freed (its SSL object is native memory that nothing else frees) however
   * its connection ends: closed by the client, reset, a failed or abandoned handshake, after a
   * certificate reload, and the proxy's own engines toward a wss:// upstream.
   */
  @Test
  void everyNativeEngineIsFreedHoweverItsConnectionEnds() throws Exception {
    long before = TlsProviders.nativeEnginesInUse();
    ServerTls tls = ServerTls.fromPem(SERVER.certificatePem(), SERVER.privateKeyPem()).withEngine(TlsEngine.NATIVE);
    SSLContext client = TestCertificate.context(null, SERVER);
    try (RawUpstream tlsUpstream = TlsFixtures.tlsEcho(SERVER, null);
        WsProxy proxy = startProxy(WsProxy.builder().upstream(TlsFixtures.wss(tlsUpstream, "localhost")).listenTls(tls)
            .upstreamTls(UpstreamTls.trusting(SERVER.certificatePem()).withEngine(TlsEngine.NATIVE)))) {
      URI uri = URI.create("wss://localhost:" + proxy.port() + "/");
      try (JdkTestClient open = JdkTestClient.connect(uri, client)) {
        TlsFixtures.assertEchoes(open, 10);
        assertThat(TlsProviders.nativeEnginesInUse() - before).as("engines of one open connection").isEqualTo(2);
        proxy.reloadCertificates(); // the open connection keeps its engine, made from the context replaced now
        TlsFixtures.assertEchoes(open, 10);
      }
      for (int i = 0; i < 5; i++) {
        try (JdkTestClient connection = JdkTestClient.connect(uri, client)) {
          TlsFixtures.assertEchoes(connection, 10);
        }
      }
      try (SSLSocket reset = (SSLSocket) client.getSocketFactory().createSocket("localhost", proxy.port())) {
        reset.startHandshake();
        reset.setSoLinger(true, 0); // close() resets the connection
      }
      try (Socket plain = new Socket("localhost", proxy.port())) { // no TLS at all: the handshake fails
        plain.getOutputStream().write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(plain.getInputStream().readAllBytes()).as("the proxy's alert").isNotEmpty();
      }
      try (Socket abandoned = new Socket("localhost", proxy.port())) { // half a record, then gone
        abandoned.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x00, (byte) 0xc8, 0x01});
      }
      Await.until(() -> TlsProviders.nativeEnginesInUse() == before, Duration.ofSeconds(10),
          "native engines freed (" + (TlsProviders.nativeEnginesInUse() - before) + " outstanding when the wait began)");
    }
  }

  private static long pipes(Path descriptors) {
    try (Stream<Path> entries = Files.list(descriptors)) {
      return entries.filter(fd -> {
        try {
          return Files.readSymbolicLink(fd).toString().startsWith("pipe:");
        } catch (IOException e) {
          return false; // closed since it was listed
        }
      }).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Trusts the test server's certificate, counting the checks. */
  private static final class CountingTrust extends X509ExtendedTrustManager {
    final AtomicInteger fullHandshakes = new AtomicInteger();
    private final X509ExtendedTrustManager trust = (X509ExtendedTrustManager)
        TlsMaterial.trustManagers("test", SERVER.certificatePem())[0];

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      fullHandshakes.incrementAndGet();
      trust.checkServerTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      fullHandshakes.incrementAndGet();
      trust.checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      fullHandshakes.incrementAndGet();
      trust.checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      trust.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      trust.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      trust.checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return trust.getAcceptedIssuers();
    }
  }
}
