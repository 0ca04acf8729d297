package io.github.wsproxy.internal.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.wsproxy.internal.limits.AddressRange;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The heads of a plain exchange on each leg: checks, hop-by-hop removal, forwarding and framing fields. */
class PlainHeadsTest {
  private static final URI UPSTREAM = URI.create("ws://10.0.0.7:8080/app");
  private static final InetSocketAddress CLIENT = new InetSocketAddress("192.0.2.1", 50000);
  private static final InetSocketAddress TRUSTED_PROXY = new InetSocketAddress("10.1.2.3", 50000);
  private static final Forwarding FORWARDING = new Forwarding(false, false, List.of(AddressRange.parse("10.0.0.0/8")));

  @Test
  void hostileHeadsAreAlreadyRefusedByTheParser() {
    for (String head : new String[] {
        "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\nX-B: c\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rX-B: c\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\0\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\n",
        "GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n"}) {
      byte[] bytes = head.getBytes(StandardCharsets.ISO_8859_1);
      assertThatThrownBy(() -> HttpHead.parse(bytes, bytes.length, false)).as(head)
          .isInstanceOf(MalformedHttpException.class);
    }
  }

  @Test
  void requestChecks() throws Exception {
    PlainHeads.checkRequest(Heads.request("GET /a?b HTTP/1.1\nHost: x"));
    PlainHeads.checkRequest(Heads.request("GET / HTTP/1.0"));
    assertRefused("GET / HTTP/1.1", "exactly one Host header is required");
    assertRefused("GET / HTTP/1.1\nHost: a\nHost: b", "exactly one Host header is required");
    assertRefused("GET / HTTP/1.0\nHost: a\nHost: b", "exactly one Host header is required");
    assertRefused("GET http://x/ HTTP/1.1\nHost: x", "absolute path");
    assertRefused("OPTIONS * HTTP/1.1\nHost: x", "absolute path");
    assertRefused("GET / HTTP/2.0\nHost: x", "HTTP/1.0 and HTTP/1.1");
    assertRefused("GET / HTTP/1.2\nHost: x", "HTTP/1.0 and HTTP/1.1");
    assertRefused("CONNECT /x HTTP/1.1\nHost: x", "CONNECT");
  }

  @Test
  void hopByHopFieldsAndThoseConnectionNamesAreNotForwarded() throws Exception {
    HttpHead request = Heads.request("GET / HTTP/1.1\nHost: x\nConnection: keep-alive, X-Secret\nKeep-Alive: 5\n"
        + "TE: trailers\nTrailer: X-Sum\nUpgrade: h2c\nProxy-Authorization: basic a\nProxy-Connection: close\n"
        + "X-Secret: 1\nAccept: */*\nX-Forwarded-For: 6.6.6.6\nContent-Length: 0\nCookie: a=b");
    assertThat(PlainHeads.forwardedRequestFields(request))
        .containsExactly(new HttpHead.Field("Accept", "*/*"), new HttpHead.Field("Cookie", "a=b"));
    assertThat(HopByHop.endToEnd(request.fields(), request.tokens("connection"), Set.of())).extracting(HttpHead.Field::name)
        .containsExactly("Host", "Accept", "X-Forwarded-For", "Content-Length", "Cookie");
  }

  @Test
  void upstreamRequestFromAnUntrustedClient() throws Exception {
    HttpHead client = Heads.request("POST /items?x=1 HTTP/1.1\nHost: example.com\nContent-Length: 3, 3\n"
        + "X-Forwarded-For: 6.6.6.6\nX-Forwarded-Proto: https\nConnection: keep-alive\nAccept: */*");
    byte[] head = PlainHeads.upstreamRequest(client, client.second(), PlainHeads.forwardedRequestFields(client),
        BodyFraming.ofRequest(client), FORWARDING, UPSTREAM, CLIENT, true, null);
    assertThat(new String(head, StandardCharsets.ISO_8859_1)).isEqualTo(
        "POST /app/items?x=1 HTTP/1.1\r\nHost: 10.0.0.7:8080\r\nAccept: */*\r\nContent-Length: 3\r\n"
            + "X-Forwarded-For: 192.0.2.1\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: example.com\r\n\r\n");
  }

  @Test
  void upstreamRequestFromATrustedProxyExtendsItsForwardingFields() throws Exception {
    HttpHead client = Heads.request("GET / HTTP/1.1\nHost: inner\nX-Forwarded-For: 6.6.6.6\n"
        + "X-Forwarded-Proto: https\nX-Forwarded-Host: outer.example");
    Forwarding preserving = new Forwarding(true, true, List.of(AddressRange.parse("10.0.0.0/8")));
    String head = new String(PlainHeads.upstreamRequest(client, "/", PlainHeads.forwardedRequestFields(client),
        BodyFraming.ofRequest(client), preserving, URI.create("ws://up"), TRUSTED_PROXY, false, "wsproxy"),
        StandardCharsets.ISO_8859_1);
    assertThat(head).isEqualTo("GET / HTTP/1.1\r\nHost: inner\r\nX-Forwarded-For: 6.6.6.6, 10.1.2.3\r\n"
        + "X-Forwarded-Proto: https\r\nX-Forwarded-Host: outer.example\r\nVia: 1.1 wsproxy\r\nConnection: close\r\n\r\n");
  }

  @Test
  void upstreamRequestKeepsTheCodingsOfAChunkedBody() throws Exception {
    HttpHead client = Heads.request("PUT /f HTTP/1.1\nHost: h\nTransfer-Encoding: gzip\nTransfer-Encoding: chunked");
    HttpHead sent = Heads.reparse(PlainHeads.upstreamRequest(client, "/f", PlainHeads.forwardedRequestFields(client),
        BodyFraming.ofRequest(client), FORWARDING, URI.create("ws://up:80"), CLIENT, true, null), false);
    assertThat(sent.fields()).contains(new HttpHead.Field("Transfer-Encoding", "gzip, chunked"));
    assertThat(sent.value("host")).isEqualTo("up");
    assertThat(BodyFraming.ofRequest(sent)).isEqualTo(BodyFraming.ofRequest(client));
  }

  @Test
  void fieldsAnInterceptorAddedCannotChangeTheFramingOrForwarding() throws Exception {
    HttpHead client = Heads.request("POST / HTTP/1.1\nHost: h\nContent-Length: 2");
    List<HttpHead.Field> fields = List.of(new HttpHead.Field("Transfer-Encoding", "chunked"),
        new HttpHead.Field("content-length", "100"), new HttpHead.Field("Connection", "close"),
        new HttpHead.Field("X-Forwarded-For", "6.6.6.6"), new HttpHead.Field("Host", "evil"),
        new HttpHead.Field("Proxy-Authorization", "x"), new HttpHead.Field("X-Added", "1"));
    HttpHead sent = Heads.reparse(PlainHeads.upstreamRequest(client, "/", fields, BodyFraming.ofRequest(client),
        FORWARDING, URI.create("ws://up"), CLIENT, true, null), false);
    assertThat(sent.fields()).containsExactly(new HttpHead.Field("Host", "up"), new HttpHead.Field("X-Added", "1"),
        new HttpHead.Field("Content-Length", "2"), new HttpHead.Field("X-Forwarded-For", "192.0.2.1"),
        new HttpHead.Field("X-Forwarded-Proto", "http"), new HttpHead.Field("X-Forwarded-Host", "h"));
  }

  @Test
  void http10RequestWithoutHostGetsTheUpstreamsAuthority() throws Exception {
    HttpHead client = Heads.request("GET / HTTP/1.0");
    HttpHead sent = Heads.reparse(PlainHeads.upstreamRequest(client, "/", List.of(), BodyFraming.ofRequest(client),
        new Forwarding(true, false, List.of()), URI.create("wss://up:443/"), CLIENT, true, "p"), false);
    assertThat(sent.value("host")).isEqualTo("up");
    assertThat(sent.count("x-forwarded-host")).isZero();
    assertThat(sent.value("via")).isEqualTo("1.0 p");
    assertThat(sent.third()).isEqualTo("HTTP/1.1");
  }

  @Test
  void clientResponseDropsHopByHopAndCollapsesTheLength() throws Exception {
    HttpHead response = Heads.response("HTTP/1.1 200 OK\nContent-Type: text/plain\nConnection: close, X-Internal\n"
        + "X-Internal: 1\nKeep-Alive: timeout=5\nContent-Length: 5\nContent-Length: 5\nProxy-Authenticate: x");
    String head = new String(PlainHeads.clientResponse(response, false, true, null,
        List.of("Set-Cookie: s=1; HttpOnly")), StandardCharsets.ISO_8859_1);
    assertThat(head).isEqualTo("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
        + "Set-Cookie: s=1; HttpOnly\r\n\r\n");
  }

  @Test
  void clientResponseOfAChunkedBody() throws Exception {
    HttpHead response = Heads.response("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\nTrailer: X-Sum");
    HttpHead kept = Heads.reparse(PlainHeads.clientResponse(response, false, true, null, List.of()), true);
    assertThat(kept.fields()).containsExactly(new HttpHead.Field("Transfer-Encoding", "chunked"));
    HttpHead stripped = Heads.reparse(PlainHeads.clientResponse(response, true, false, "wsproxy", List.of()), true);
    assertThat(stripped.fields()).containsExactly(new HttpHead.Field("Via", "1.1 wsproxy"),
        new HttpHead.Field("Connection", "close"));
    assertThat(BodyFraming.ofResponse(stripped, "GET").kind()).isEqualTo(BodyFraming.Kind.UNTIL_CLOSE);
  }

  @Test
  void clientResponseKeepsTheLengthOfAHeadOr304AndNoneOnA204Or1xx() throws Exception {
    HttpHead notModified = Heads.response("HTTP/1.1 304 Not Modified\nContent-Length: 10\nETag: \"a\"");
    assertThat(Heads.reparse(PlainHeads.clientResponse(notModified, false, true, null, List.of()), true).value("content-length"))
        .isEqualTo("10");
    HttpHead noContent = Heads.response("HTTP/1.1 204 No Content\nContent-Length: 0");
    assertThat(Heads.reparse(PlainHeads.clientResponse(noContent, false, true, null, List.of()), true).fields()).isEmpty();
    HttpHead interim = Heads.response("HTTP/1.1 100 Continue");
    assertThat(new String(PlainHeads.clientResponse(interim, false, true, null, List.of()), StandardCharsets.ISO_8859_1))
        .isEqualTo("HTTP/1.1 100 Continue\r\n\r\n");
  }

  @Test
  void clientResponseOfAnHttp10UpstreamKeepsItsReasonPhrase() throws Exception {
    HttpHead response = Heads.response("HTTP/1.0 404 Nothing here, sorry\nServer: old");
    assertThat(new String(PlainHeads.clientResponse(response, false, false, "p", List.of()), StandardCharsets.ISO_8859_1))
        .isEqualTo("HTTP/1.1 404 Nothing here, sorry\r\nServer: old\r\nVia: 1.0 p\r\nConnection: close\r\n\r\n");
  }

  @Test
  void clientResponseWithInvalidLengthIsRefused() throws Exception {
    HttpHead response = Heads.response("HTTP/1.1 200 OK\nContent-Length: 1, 2");
    assertThatThrownBy(() -> PlainHeads.clientResponse(response, false, true, null, List.of()))
        .isInstanceOf(MalformedHttpException.class);
  }

  @Test
  void upstreamTargetUnderThePrefix() {
    assertThat(Forwarding.upstreamTarget("", "/a?b")).isEqualTo("/a?b");
    assertThat(Forwarding.upstreamTarget("/", "/a")).isEqualTo("/a");
    assertThat(Forwarding.upstreamTarget("/app", "/a")).isEqualTo("/app/a");
    assertThat(Forwarding.upstreamTarget("/app/", "/a")).isEqualTo("/app/a");
  }

  private static void assertRefused(String head, String message) {
    assertThatThrownBy(() -> PlainHeads.checkRequest(Heads.request(head))).as(head)
        .isInstanceOf(MalformedHttpException.class).hasMessageContaining(message);
  }
}
