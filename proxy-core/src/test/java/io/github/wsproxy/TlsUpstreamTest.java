package io.github.wsproxy;

import static io.github.wsproxy.HandshakeTest.startProxy;
import static io.github.wsproxy.HandshakeTest.uri;
import static io.github.wsproxy.TlsFixtures.CLIENT;
import static io.github.wsproxy.TlsFixtures.DIR;
import static io.github.wsproxy.TlsFixtures.RENEWED;
import static io.github.wsproxy.TlsFixtures.SERVER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.wsproxy.TlsFixtures.TlsEcho;
import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.TestCertificate;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** wss:// upstreams: TLS on the upstream leg, certificate and host name verified, SNI sent. */
class TlsUpstreamTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  static TlsEcho upstream;
  static TlsEcho wrongName;
  static TlsEcho mutual;

  @BeforeAll
  static void startTlsUpstreams() throws Exception {
    upstream = TlsEcho.start(SERVER, null);
    wrongName = TlsEcho.start(CLIENT, null);
    mutual = TlsEcho.start(SERVER, CLIENT);
  }

  @AfterAll
  static void stopTlsUpstreams() throws Exception {
    upstream.close();
    wrongName.close();
    mutual.close();
  }

  @Test
  void relaysToAWssUpstreamItTrustsUnderItsNameWithSni() throws Exception {
    try (WsProxy proxy = startProxy(WsProxy.builder().upstream(upstream.uri("localhost") + "/secure")
            .upstreamTls(UpstreamTls.trusting(SERVER.certificatePem())));
        JdkTestClient client = JdkTestClient.connect(uri(proxy, "/chat"))) {
      client.sendText("over tls");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("over tls");
      byte[] large = new byte[3 * 1024 * 1024];
      large[large.length - 1] = 42;
      client.sendBinary(large);
      assertThat(client.awaitBinary(DEADLINE)).isEqualTo(large);
      assertThat(upstream.resources).contains("/secure/chat");
      assertThat(upstream.serverNames).contains("localhost");
    }
  }

  @Test
  void trustsAPkcs12TrustStore() throws Exception {
    try (WsProxy proxy = startProxy(WsProxy.builder().upstream(upstream.uri("localhost"))
            .upstreamTls(UpstreamTls.trustingKeyStore(SERVER.keyStore(), TestCertificate.PASSWORD)));
        JdkTestClient client = JdkTestClient.connect(uri(proxy, "/"))) {
      client.sendText("trusted");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("trusted");
    }
  }

  @Test
  void answers502WhenTheUpstreamCertificateIsNotTrusted() throws Exception {
    try (WsProxy jdkTrust = startProxy(WsProxy.builder().upstream(upstream.uri("localhost")));
        WsProxy otherTrust = startProxy(WsProxy.builder().upstream(upstream.uri("localhost"))
            .upstreamTls(UpstreamTls.trusting(RENEWED.certificatePem())))) {
      assertThat(JdkTestClient.handshakeFailureStatus(uri(jdkTrust, "/"))).isEqualTo(502);
      assertThat(JdkTestClient.handshakeFailureStatus(uri(otherTrust, "/"))).isEqualTo(502);
    }
  }

  @Test
  void answers502WhenTheCertificateDoesNotNameTheUpstreamHost() throws Exception {
    try (WsProxy proxy = startProxy(WsProxy.builder().upstream(wrongName.uri("localhost"))
        .upstreamTls(UpstreamTls.trusting(CLIENT.certificatePem())))) {
      assertThat(JdkTestClient.handshakeFailureStatus(uri(proxy, "/"))).isEqualTo(502);
    }
  }

  @Test
  void insecureSkipVerifyAcceptsAnyCertificateForAnyName() throws Exception {
    try (WsProxy proxy = startProxy(WsProxy.builder().upstream(wrongName.uri("localhost"))
            .upstreamTlsInsecureSkipVerify(true));
        JdkTestClient client = JdkTestClient.connect(uri(proxy, "/"))) {
      client.sendText("unverified");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("unverified");
    }
  }

  @Test
  void presentsItsClientCertificateToAnUpstreamThatRequiresOne() throws Exception {
    UpstreamTls trust = UpstreamTls.trusting(SERVER.certificatePem());
    try (WsProxy without = startProxy(WsProxy.builder().upstream(mutual.uri("localhost")).upstreamTls(trust));
        WsProxy with = startProxy(WsProxy.builder().upstream(mutual.uri("localhost")).connectTimeout(Duration.ofSeconds(3))
            .upstreamTls(trust.withClientPem(CLIENT.certificatePem(), CLIENT.privateKeyPem())));
        JdkTestClient client = JdkTestClient.connect(uri(with, "/"))) {
      client.sendText("mutual");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("mutual");
      assertThat(JdkTestClient.handshakeFailureStatus(uri(without, "/"))).isEqualTo(502);
    }
  }

  @Test
  void rejectsBadUpstreamTlsSettingsNamingThem() {
    assertThatThrownBy(() -> UpstreamTls.trusting(DIR.resolve("missing.pem")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("trustedCertificates: no such file");
    assertThatThrownBy(() -> UpstreamTls.trusting(SERVER.keyStore()))
        .hasMessageStartingWith("trustedCertificates: ").hasMessageContaining("not a PEM file");
    assertThatThrownBy(() -> UpstreamTls.trustingKeyStore(SERVER.keyStore(), "wrong"))
        .hasMessageStartingWith("trustStore password: wrong password");
    assertThatThrownBy(() -> UpstreamTls.systemTrust().withClientPem(CLIENT.certificatePem(), SERVER.privateKeyPem()))
        .hasMessageStartingWith("clientCertificate privateKey: ");
    assertThatThrownBy(() -> WsProxy.builder().upstream("ws://127.0.0.1:1").upstreamTls(UpstreamTls.systemTrust()).build())
        .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("upstreamTls");
    assertThatThrownBy(() -> WsProxy.builder().upstream("wss://127.0.0.1:1")
        .upstreamTls(UpstreamTls.of(TestCertificate.context(null))).upstreamTlsInsecureSkipVerify(true).build())
        .hasMessageStartingWith("upstreamTlsInsecureSkipVerify");
  }
}
