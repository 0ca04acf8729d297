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
}
