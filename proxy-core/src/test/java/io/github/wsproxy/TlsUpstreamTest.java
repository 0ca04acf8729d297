package io.github.wsproxy;

import static io.github.wsproxy.HandshakeTest.startProxy;
import static io.github.wsproxy.HandshakeTest.uri;
import static io.github.wsproxy.TlsFixtures.CLIENT;
import static io.github.wsproxy.TlsFixtures.DIR;
import static io.github.wsproxy.TlsFixtures.RENEWED;
import static io.github.wsproxy.TlsFixtures.SERVER;
import static io.github.wsproxy.TlsFixtures.serverNames;
import static io.github.wsproxy.TlsFixtures.wss;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.HttpHead;
import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.RawUpstream;
import io.github.wsproxy.testing.TestCertificate;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** wss:// upstreams: TLS on the upstream leg, certificate and host name verified, SNI sent. */
class TlsUpstreamTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  static RawUpstream upstream;
  static RawUpstream wrongName;
  static RawUpstream mutual;

  @BeforeAll
  static void startTlsUpstreams() throws Exception {
    upstream = TlsFixtures.tlsEcho(SERVER, null);
    wrongName = TlsFixtures.tlsEcho(CLIENT, null);
    mutual = TlsFixtures.tlsEcho(SERVER, CLIENT);
  }

  @AfterAll
  static void stopTlsUpstreams() {
    upstream.close();
    wrongName.close();
    mutual.close();
  }

  @Test
  void relaysToAWssUpstreamItTrustsUnderItsNameWithSni() throws Exception {
    try (WsProxy proxy = startProxy(WsProxy.builder().upstream(wss(upstream, "localhost") + "/secure")
            .upstreamTls(UpstreamTls.trusting(SERVER.certificatePem())));
        JdkTestClient client = JdkTestClient.connect(uri(proxy, "/chat"))) {
      client.sendText("over tls");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("over tls");
      TlsFixtures.assertEchoes(client, 1024 * 1024 + 3);
      assertThat(upstream.requests()).extracting(HttpHead::target).contains("/secure/chat");
      assertThat(serverNames(upstream)).containsExactly("localhost");
    }
  }

  @Test
  void trustsAPkcs12TrustStore() throws Exception {
    try (WsProxy proxy = startProxy(WsProxy.builder().upstream(wss(upstream, "localhost"))
            .upstreamTls(UpstreamTls.trustingKeyStore(SERVER.keyStore(), TestCertificate.PASSWORD)));
        JdkTestClient client = JdkTestClient.connect(uri(proxy, "/"))) {
      client.sendText("trusted");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("trusted");
    }
  }

  @Test
  void answers502WhenTheUpstreamCertificateIsNotTrusted() throws Exception {
    try (WsProxy jdkTrust = startProxy(WsProxy.builder().upstream(wss(upstream, "localhost")));
        WsProxy otherTrust = startProxy(WsProxy.builder().upstream(wss(upstream, "localhost"))
            .upstreamTls(UpstreamTls.trusting(RENEWED.certificatePem())))) {
      assertThat(JdkTestClient.handshakeFailureStatus(uri(jdkTrust, "/"))).isEqualTo(502);
      assertThat(JdkTestClient.handshakeFailureStatus(uri(otherTrust, "/"))).isEqualTo(502);
    }
  }

  @Test
  void answers502WhenTheCertificateDoesNotNameTheUpstreamHost() throws Exception {
    try (WsProxy proxy = startProxy(WsProxy.builder().upstream(wss(wrongName, "localhost"))
        .upstreamTls(UpstreamTls.trusting(CLIENT.certificatePem())))) {
      assertThat(JdkTestClient.handshakeFailureStatus(uri(proxy, "/"))).isEqualTo(502);
    }
  }

  @Test
  void insecureSkipVerifyAcceptsAnyCertificateForAnyName() throws Exception {
    try (WsProxy proxy = startProxy(WsProxy.builder().upstream(wss(wrongName, "localhost"))
            .upstreamTlsInsecureSkipVerify(true));
        JdkTestClient client = JdkTestClient.connect(uri(proxy, "/"))) {
      client.sendText("unverified");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("unverified");
    }
  }

  @Test
  void presentsItsClientCertificateToAnUpstreamThatRequiresOne() throws Exception {
    UpstreamTls trust = UpstreamTls.trusting(SERVER.certificatePem());
    try (WsProxy without = startProxy(WsProxy.builder().upstream(wss(mutual, "localhost")).upstreamTls(trust));
        WsProxy with = startProxy(WsProxy.builder().upstream(wss(mutual, "localhost"))
            .upstreamTls(trust.withClientPem(CLIENT.certificatePem(), CLIENT.privateKeyPem())));
        JdkTestClient client = JdkTestClient.connect(uri(with, "/"))) {
      client.sendText("mutual");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("mutual");
      assertThat(JdkTestClient.handshakeFailureStatus(uri(without, "/"))).isEqualTo(502);
    }
  }

  @Test
  void failsOverFromAServerWhoseCertificateDoesNotVerifyToTheNextOne() throws Exception {
    int refusedBefore = wrongName.connectionCount();
    UpstreamGroup group = UpstreamGroup.builder()
        .server(URI.create(wss(wrongName, "localhost")), 1).server(URI.create(wss(upstream, "localhost")), 1).build();
    try (WsProxy proxy = startProxy(WsProxy.builder().upstream(group)
            .upstreamTls(UpstreamTls.trusting(SERVER.certificatePem())));
        JdkTestClient first = JdkTestClient.connect(uri(proxy, "/"));
        JdkTestClient second = JdkTestClient.connect(uri(proxy, "/"))) {
      first.sendText("one");
      second.sendText("two");
      assertThat(first.awaitText(DEADLINE)).isEqualTo("one");
      assertThat(second.awaitText(DEADLINE)).isEqualTo("two");
      assertThat(wrongName.connectionCount()).as("the unverified server was tried").isGreaterThan(refusedBefore);
    }
  }

  @Test
  void activeHealthChecksSpeakTlsAndVerifyTheCertificate() throws Exception {
    UpstreamGroup group = UpstreamGroup.builder()
        .server(URI.create(wss(upstream, "localhost")), 1).server(URI.create(wss(wrongName, "localhost")), 1)
        .healthCheck(HealthCheck.webSocket("/health").interval(Duration.ofMillis(100)).timeout(Duration.ofSeconds(5)))
        .build();
    try (WsProxy proxy = startProxy(WsProxy.builder().upstream(group)
        .upstreamTls(UpstreamTls.trusting(SERVER.certificatePem())))) {
      Await.until(() -> proxy.upstreamStates().get(1).health() == UpstreamState.Health.DOWN, DEADLINE,
          "the server with the wrong name is down");
      Await.until(() -> upstream.requests().stream().anyMatch(r -> r.target().equals("/health")), DEADLINE,
          "a probe handshake over TLS");
      Await.until(() -> proxy.upstreamStates().get(0).health() == UpstreamState.Health.UP, DEADLINE,
          "the server with the right name is up");
    }
  }

  @Test
  void rejectsBadUpstreamTlsSettingsNamingThem() {
    assertThatThrownBy(() -> UpstreamTls.trusting(DIR.resolve("missing.pem")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("upstreamTls trustedCertificates: no such file");
    assertThatThrownBy(() -> UpstreamTls.trusting(SERVER.keyStore()))
        .hasMessageStartingWith("upstreamTls trustedCertificates: ").hasMessageContaining("not a PEM file");
    assertThatThrownBy(() -> UpstreamTls.trustingKeyStore(SERVER.keyStore(), "wrong"))
        .hasMessageStartingWith("upstreamTls trustStore password: wrong password");
    assertThatThrownBy(() -> UpstreamTls.systemTrust().withClientPem(CLIENT.certificatePem(), SERVER.privateKeyPem()))
        .hasMessageStartingWith("upstreamTls clientCertificate privateKey: ");
    assertThatThrownBy(() -> WsProxy.builder().upstream("wss://127.0.0.1:1")
        .upstreamTls(UpstreamTls.of(TestCertificate.context(null))).upstreamTlsInsecureSkipVerify(true).build())
        .hasMessageStartingWith("upstreamTlsInsecureSkipVerify");
  }
}
