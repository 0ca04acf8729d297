package io.github.wsproxy.internal.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.internal.http.BodyFraming.Kind;
import org.junit.jupiter.api.Test;

/** Which connections outlive their exchange. */
class PersistenceTest {
  private static final BodyFraming LENGTH = new BodyFraming(Kind.LENGTH, 3);
  private static final BodyFraming UNTIL_CLOSE = new BodyFraming(Kind.UNTIL_CLOSE, -1);

  @Test
  void http11ClientKeepsItsConnectionByDefault() throws Exception {
    assertThat(Persistence.clientMayContinue(Heads.request("GET / HTTP/1.1\nHost: a"), LENGTH)).isTrue();
    assertThat(Persistence.clientMayContinue(Heads.request("GET / HTTP/1.1\nHost: a\nConnection: keep-alive"),
        new BodyFraming(Kind.CHUNKED, -1))).isTrue();
  }

  @Test
  void clientConnectionEndsOnCloseOrHttp10OrABodyEndingWithTheConnection() throws Exception {
    assertThat(Persistence.clientMayContinue(Heads.request("GET / HTTP/1.1\nHost: a\nConnection: Close"), LENGTH))
        .isFalse();
    assertThat(Persistence.clientMayContinue(Heads.request("GET / HTTP/1.1\nHost: a\nConnection: foo\nConnection: close"),
        LENGTH)).isFalse();
    assertThat(Persistence.clientMayContinue(Heads.request("GET / HTTP/1.0\nConnection: keep-alive"), LENGTH)).isFalse();
    assertThat(Persistence.clientMayContinue(Heads.request("GET / HTTP/1.1\nHost: a"), UNTIL_CLOSE)).isFalse();
  }

  @Test
  void upstreamConnectionIsPooledOnlyAfterACompleteExchangeWithoutClose() throws Exception {
    HttpHead ok = Heads.response("HTTP/1.1 200 OK\nContent-Length: 3");
    assertThat(Persistence.upstreamReusable(false, ok, LENGTH, true)).isTrue();
    assertThat(Persistence.upstreamReusable(false, ok, LENGTH, false)).as("exchange incomplete").isFalse();
    assertThat(Persistence.upstreamReusable(true, ok, LENGTH, true)).as("proxy asked to close").isFalse();
    assertThat(Persistence.upstreamReusable(false, Heads.response("HTTP/1.1 200 OK\nConnection: close"), LENGTH, true))
        .isFalse();
    assertThat(Persistence.upstreamReusable(false, Heads.response("HTTP/1.0 200 OK\nConnection: keep-alive"), LENGTH,
        true)).isFalse();
    assertThat(Persistence.upstreamReusable(false, Heads.response("HTTP/1.1 200 OK"), UNTIL_CLOSE, true)).isFalse();
  }
}
