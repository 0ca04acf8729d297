package io.github.wsproxy;

import static io.github.wsproxy.TlsFixtures.RENEWED;
import static io.github.wsproxy.TlsFixtures.SERVER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.TestCertificate;
import io.github.wsproxy.testing.TestUpstream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Several listen addresses, each plain or TLS, like nginx listening on 80 and 443 at once. */
class ListenersTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  private static final SSLContext TRUSTS_SERVER = TestCertificate.context(null, SERVER);
  private static final SSLContext TRUSTS_RENEWED = TestCertificate.context(null, RENEWED);

  @RegisterExtension
  final Resources resources = new Resources();

  @Test
  void aPlainAndATlsListenerServeTheSameUpstreamAndSayWhichProtoTheClientUsed() throws Exception {
    TestUpstream echo = resources.echo();
    WsProxy proxy = resources.proxy(p -> p.upstream(echo.uri().toString())
        .listener(new InetSocketAddress("127.0.0.1", 0), ServerTls.fromPem(SERVER.certificatePem(), SERVER.privateKeyPem()))
        .listener(new InetSocketAddress("127.0.0.1", 0), null));
    List<InetSocketAddress> bound = proxy.boundAddresses();
    assertThat(bound).hasSize(3).doesNotHaveDuplicates();
    assertThat(bound.get(0).getPort()).isEqualTo(proxy.port());

    echoOn(resources.track(JdkTestClient.connect(URI.create("ws://127.0.0.1:" + bound.get(0).getPort() + "/a"))), "plain");
    echoOn(resources.track(JdkTestClient.connect(URI.create("wss://localhost:" + bound.get(1).getPort() + "/b"),
        TRUSTS_SERVER)), "tls");
    echoOn(resources.track(JdkTestClient.connect(URI.create("ws://127.0.0.1:" + bound.get(2).getPort() + "/c"))), "plain2");

    assertThat(echo.awaitHandshakes(3, DEADLINE)).extracting(h -> h.resource() + " " + h.header("X-Forwarded-Proto"))
        .containsExactlyInAnyOrder("/a http", "/b https", "/c http");
  }

  @Test
  void aReconfigurationReadsTheListenersCertificatesAgain() throws Exception {
    TestUpstream echo = resources.echo();
    WsProxy proxy = resources.proxy(p -> p.upstream(echo.uri().toString())
        .listener(new InetSocketAddress("127.0.0.1", 0), ServerTls.fromPem(SERVER.certificatePem(), SERVER.privateKeyPem())));
    URI tls = URI.create("wss://localhost:" + proxy.boundAddresses().get(1).getPort() + "/");
    JdkTestClient before = resources.track(JdkTestClient.connect(tls, TRUSTS_SERVER));

    List<String> needRestart = proxy.reconfigure(WsProxy.builder().upstream(echo.uri().toString())
        .listen(proxy.listenAddress()).eventLoops(2)
        .listener(new InetSocketAddress("127.0.0.1", 0), ServerTls.fromPem(RENEWED.certificatePem(), RENEWED.privateKeyPem()))
        .build());

    assertThat(needRestart).isEmpty();
    echoOn(resources.track(JdkTestClient.connect(tls, TRUSTS_RENEWED)), "renewed");
    assertThatThrownBy(() -> JdkTestClient.connect(tls, TRUSTS_SERVER)).isInstanceOf(IOException.class);
    echoOn(before, "kept its session");
  }

  @Test
  void aListenerOnTheListenAddressIsRefused() {
    InetSocketAddress address = new InetSocketAddress("127.0.0.1", 18080);
    assertThatIllegalStateException().isThrownBy(() -> WsProxy.builder().upstream("ws://127.0.0.1:1").listen(address)
        .listener(address, null).build()).withMessage("listener: /127.0.0.1:18080 is already a listen address");
  }

  private static void echoOn(JdkTestClient client, String text) throws IOException {
    client.sendText(text);
    assertThat(client.awaitText(DEADLINE)).isEqualTo(text);
  }
}
