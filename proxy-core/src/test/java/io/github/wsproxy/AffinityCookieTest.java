package io.github.wsproxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.internal.http.AffinityCookie;
import io.github.wsproxy.testing.HttpHead;
import io.github.wsproxy.testing.RawClient;
import io.github.wsproxy.testing.RawUpstream;
import io.github.wsproxy.testing.WireFrame;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The proxy-inserted affinity cookie (HAProxy's {@code cookie SRV insert}) pins a client's plain
 * requests and its WebSocket to one of two servers, and moves it when that server is gone.
 */
class AffinityCookieTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  private final RawUpstream alpha = start("alpha");
  private final RawUpstream beta = start("beta");
  private WsProxy proxy;

  private static RawUpstream start(String name) {
    try {
      return RawUpstream.start(c -> {
        try {
          while (true) {
            HttpHead request = c.readRequest();
            if (request.headerHasToken("Upgrade", "websocket")) {
              c.accept(request, "X-Server: " + name);
              c.sendFrame(WireFrame.text(name));
              c.awaitEof(DEADLINE);
              return;
            }
            c.respond(200, "OK", Map.of(), name.getBytes(StandardCharsets.UTF_8));
          }
        } catch (AssertionError closed) {
          // the proxy closed the connection
        }
      });
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
    alpha.close();
    beta.close();
  }

  private HttpHead get(RawClient client, String cookie) throws Exception {
    client.sendRaw("GET /name HTTP/1.1\r\nHost: x\r\n" + (cookie == null ? "" : "Cookie: a=b; " + cookie + "\r\n") + "\r\n");
    return client.readResponse(DEADLINE);
  }

  private static String cookieOf(HttpHead response) {
    String setCookie = response.header("Set-Cookie");
    assertThat(setCookie).matches("SRV=[A-Za-z0-9_-]{16}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax");
    return setCookie.substring(0, setCookie.indexOf(';'));
  }

  @Test
  void pinsPlainRequestsAndTheWebSocketToOneServerAndMovesWhenItIsGone() throws Exception {
    proxy = HandshakeTest.startProxy(WsProxy.builder()
        .upstream(UpstreamGroup.builder().server(alpha.uri().toString()).server(beta.uri().toString()).build())
        .affinityCookie("SRV", Duration.ofHours(1)));
    try (RawClient client = RawClient.connect(proxy.port())) {
      HttpHead first = get(client, null);
      String cookie = cookieOf(first);
      String pinned = first.bodyText();
      for (int i = 0; i < 6; i++) { // round robin would alternate
        HttpHead again = get(client, cookie);
        assertThat(again.bodyText()).isEqualTo(pinned);
        assertThat(again.hasHeader("Set-Cookie")).isFalse();
      }
      client.sendRaw("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nCookie: " + cookie
          + "\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
      HttpHead switched = client.readResponse(DEADLINE);
      assertThat(switched.statusCode()).isEqualTo(101);
      assertThat(switched.header("X-Server")).isEqualTo(pinned);
      assertThat(switched.hasHeader("Set-Cookie")).isFalse();
      assertThat(client.readFrame(DEADLINE).payloadText()).isEqualTo(pinned);
    }

    try (RawClient socket = RawClient.connect(proxy.port()); RawClient page = RawClient.connect(proxy.port())) {
      HttpHead switched = socket.handshake("/ws"); // without a cookie, the 101 sets one
      assertThat(switched.statusCode()).isEqualTo(101);
      assertThat(get(page, cookieOf(switched)).bodyText()).isEqualTo(switched.header("X-Server"));
    }

    try (RawClient client = RawClient.connect(proxy.port())) {
      HttpHead forged = get(client, "SRV=AAAAAAAAAAAAAAAA");
      assertThat(forged.statusCode()).isEqualTo(200);
      cookieOf(forged); // replaced
    }

    String cookie;
    String pinned;
    try (RawClient client = RawClient.connect(proxy.port())) {
      HttpHead first = get(client, null);
      cookie = cookieOf(first);
      pinned = first.bodyText();
    }
    (pinned.equals("alpha") ? alpha : beta).close();
    try (RawClient client = RawClient.connect(proxy.port())) {
      HttpHead moved = get(client, cookie);
      assertThat(moved.bodyText()).isEqualTo(pinned.equals("alpha") ? "beta" : "alpha");
      assertThat(cookieOf(moved)).isNotEqualTo(cookie);
      HttpHead stays = get(client, cookieOf(moved));
      assertThat(stays.bodyText()).isEqualTo(moved.bodyText());
    }
  }

  @Test
  void proxiesSharingASecretHonourEachOthersCookies() throws Exception {
    byte[] secret = "sixteen or more bytes".getBytes(StandardCharsets.US_ASCII);
    WsProxy.Builder shared = WsProxy.builder()
        .upstream(UpstreamGroup.builder().server(alpha.uri().toString()).server(beta.uri().toString()).build())
        .affinityCookie("SRV", Duration.ofHours(1)).affinityCookieSecret(secret);
    proxy = HandshakeTest.startProxy(shared);
    try (WsProxy other = HandshakeTest.startProxy(shared);
        WsProxy stranger = HandshakeTest.startProxy(shared.affinityCookieSecret(
            "another secret of sixteen bytes".getBytes(StandardCharsets.US_ASCII)));
        RawClient first = RawClient.connect(proxy.port());
        RawClient second = RawClient.connect(other.port());
        RawClient third = RawClient.connect(stranger.port())) {
      HttpHead pinned = get(first, null);
      for (int i = 0; i < 4; i++) {
        HttpHead elsewhere = get(second, cookieOf(pinned));
        assertThat(elsewhere.bodyText()).isEqualTo(pinned.bodyText());
        assertThat(elsewhere.hasHeader("Set-Cookie")).isFalse();
      }
      assertThat(cookieOf(get(third, cookieOf(pinned)))).as("another key: unknown id, replaced")
          .isNotEqualTo(cookieOf(pinned));
    }
  }

  @Test
  void isSecureOnATlsListenerAndOffByDefault() throws Exception {
    proxy = HandshakeTest.startProxy(WsProxy.builder().upstream(alpha.uri()));
    try (RawClient client = RawClient.connect(proxy.port())) {
      assertThat(get(client, null).hasHeader("Set-Cookie")).isFalse();
    }
    assertThat(new AffinityCookie("SRV", new byte[] {1}, 0, true).setCookie("id"))
        .isEqualTo("Set-Cookie: SRV=id; Path=/; HttpOnly; SameSite=Lax; Secure");
  }
}
