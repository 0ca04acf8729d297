package io.github.wsproxy.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CompareOptionsTest {

  @Test
  void httpScenariosAreKnownButNotRunByDefault() {
    CompareOptions defaults = CompareOptions.parse(new String[] {"--target", "wsproxy=ws://127.0.0.1:1/@0"});
    assertThat(defaults.scenarios()).doesNotContainAnyElementsOf(CompareOptions.HTTP_SCENARIOS);
    assertThat(defaults.httpBytes()).isEqualTo(1L << 30);
    assertThat(defaults.longPolls()).isEqualTo(2000);
    CompareOptions http = CompareOptions.parse(new String[] {"--target", "wsproxy=ws://127.0.0.1:1/@0",
        "--scenarios", "http-get,http-longpoll", "--http-bytes", "64M", "--long-polls", "10"});
    assertThat(http.scenarios()).containsExactly("http-get", "http-longpoll");
    assertThat(http.httpBytes()).isEqualTo(64L << 20);
    assertThat(http.longPolls()).isEqualTo(10);
    assertThatThrownBy(() -> CompareOptions.parse(new String[] {"--target", "wsproxy=ws://127.0.0.1:1/@0", "--scenarios", "http-post"}))
        .hasMessageContaining("unknown scenario http-post");
  }

  @Test
  void byteCountsWithBinarySuffixes() {
    assertThat(CompareOptions.bytes("1000")).isEqualTo(1000);
    assertThat(CompareOptions.bytes("4k")).isEqualTo(4096);
    assertThat(CompareOptions.bytes("1G")).isEqualTo(1L << 30);
    assertThat(Compare.binary(1L << 30)).isEqualTo("1 GiB");
    assertThat(Compare.binary(64L << 20)).isEqualTo("64 MiB");
    assertThat(Compare.binary(1000)).isEqualTo("1000 B");
  }

  @Test
  void echoAndHandshakeScenariosRunOnTheNioClientUnlessTheJdkOneIsAskedFor() {
    String[] plain = {"--target", "wsproxy=ws://127.0.0.1:1/@0", "--scenarios", "small,idle"};
    CompareOptions defaults = CompareOptions.parse(plain);
    assertThat(defaults.load()).isEqualTo(EchoLoad.Client.NIO);
    assertThat(new Compare(defaults).report(1, "")).contains("- echo and handshake scenarios' load generator: a light raw WebSocket client over NIO");
    CompareOptions jdk = CompareOptions.parse(new String[] {"--target", "wsproxy=ws://127.0.0.1:1/@0", "--load", "jdk"});
    assertThat(jdk.load()).isEqualTo(EchoLoad.Client.JDK);
    assertThat(new Compare(jdk).report(1, "")).contains("- echo and handshake scenarios' load generator: java.net.http's WebSocket client");
    CompareOptions tls = CompareOptions.parse(new String[] {"--target", "wsproxy=wss://127.0.0.1:1/@0"});
    assertThat(new Compare(tls).report(1, "")).contains("- echo and handshake scenarios' load generator: java.net.http's WebSocket client");
    assertThat(new Compare(CompareOptions.parse(new String[] {"--target", "wsproxy=ws://127.0.0.1:1/@0", "--scenarios", "handshake"}))
        .report(1, "")).contains("- echo and handshake scenarios' load generator: a light raw WebSocket client over NIO")
        .contains("idle and resumed (wss:// only) stay on java.net.http's");
    assertThat(new Compare(CompareOptions.parse(new String[] {"--target", "wsproxy=ws://127.0.0.1:1/@0", "--scenarios", "idle"}))
        .report(1, "")).doesNotContain("echo scenarios");
    assertThatThrownBy(() -> CompareOptions.parse(new String[] {"--target", "wsproxy=ws://127.0.0.1:1/@0", "--load", "netty"}))
        .hasMessageContaining("--load: nio or jdk");
  }
}
