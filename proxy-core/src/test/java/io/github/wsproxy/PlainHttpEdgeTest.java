package io.github.wsproxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.Background;
import io.github.wsproxy.testing.HttpHead;
import io.github.wsproxy.testing.RawClient;
import io.github.wsproxy.testing.RawUpstream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Plain HTTP at its edges, byte by byte against a raw upstream and a raw client: hostile requests
 * (400 and close, nothing smuggled), body limits (413), bad upstream answers (502), responses
 * without bodies, interim responses, long polls and streams governed by the read timeout, and an
 * upstream stalling mid-body.
 */
class PlainHttpEdgeTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  private RawUpstream upstream;
  private WsProxy proxy;

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  /** Scripts answer one request and close, without saying so: the proxy keeps no upstream connection. */
  private void start(RawUpstream.Script script, WsProxy.Builder builder) throws Exception {
    upstream = RawUpstream.start(script);
    proxy = HandshakeTest.startProxy(builder.upstream(upstream.uri()).upstreamKeepAlive(0));
  }

  private HttpHead exchange(String request) throws Exception {
    try (RawClient client = RawClient.connect(proxy.port())) {
      client.sendRaw(request);
      HttpHead response = client.readResponse(DEADLINE);
      if (response.statusCode() >= 400) {
        assertThat(client.awaitEof(DEADLINE)).as(request).isTrue();
      }
      return response;
    }
  }

  @Test
  void answersHostileRequestsWith400AndNeverRelaysThem() throws Exception {
    start(RawUpstream.rejecting(200, "OK", Map.of(), "relayed"), WsProxy.builder());
    String upgrade = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    List<String> hostile = List.of(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nhello!",
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello",
        "GET / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nX-Bare: a\rb\r\n\r\n",
        "GET / HTTP/1.1\nHost: x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nX-Nul: a\0b\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
        "GET http://evil/ HTTP/1.1\r\nHost: x\r\n\r\n",
        upgrade + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        upgrade + "Content-Length: 1\r\nContent-Length: 2\r\n\r\n");
    for (String request : hostile) {
      assertThat(exchange(request).statusCode()).as(request).isEqualTo(400);
    }
    assertThat(upstream.connectionCount()).isZero();

    // a chunked body is checked as it streams: the upstream may see the head, never a bad chunk
    for (String body : List.of("zz\r\nhello\r\n0\r\n\r\n", "5\r\nhello\n0\r\n\r\n", "-5\r\nhello\r\n0\r\n\r\n",
        "5 \r\nhello\r\n0\r\n\r\n", "5\r\nhello world\r\n0\r\n\r\n")) {
      String request = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body;
      assertThat(exchange(request).statusCode()).as(request).isEqualTo(400);
    }
  }

  @Test
  void answers413ForBodiesOverTheLimit() throws Exception {
    start(c -> {
      HttpHead request = c.readRequest();
      c.respond(200, "OK", Map.of(), request.body());
    }, WsProxy.builder().maxRequestBodyBytes(10));
    assertThat(exchange("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world").statusCode())
        .isEqualTo(413);
    assertThat(upstream.connectionCount()).isZero();
    assertThat(exchange("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n").statusCode()).isEqualTo(413);
    HttpHead fits = exchange("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhelloworld");
    assertThat(fits.statusCode()).isEqualTo(200);
    assertThat(fits.bodyText()).isEqualTo("helloworld");
  }

  @Test
  void answers502ForMalformedOrOversizedUpstreamResponses() throws Exception {
    start(c -> {
      HttpHead request = c.readRequest();
      switch (request.target()) {
        case "/both":
          c.sendRaw("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
          break;
        case "/garbage":
          c.sendRaw("HTTP/1.1 two hundred\r\n\r\n");
          break;
        case "/huge":
          c.sendRaw("HTTP/1.1 200 OK\r\nX-Big: " + "a".repeat(4096) + "\r\n\r\n");
          break;
        default:
          c.sendRaw("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
      }
    }, WsProxy.builder().maxHeaderBytes(2048));
    for (String path : List.of("/both", "/garbage", "/huge", "/switch")) {
      assertThat(exchange("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").statusCode()).as(path).isEqualTo(502);
    }
  }

  @Test
  void relaysResponsesWithoutBodiesAndInterimResponses() throws Exception {
    start(c -> {
      HttpHead request = c.readRequest();
      switch (request.target()) {
        case "/head":
          c.sendRaw("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
          break;
        case "/204":
          c.sendRaw("HTTP/1.1 204 No Content\r\n\r\n");
          break;
        case "/304":
          c.sendRaw("HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n");
          break;
        default: // 100-continue: the body comes only after the interim response
          c.sendRaw("HTTP/1.1 100 Continue\r\n\r\n");
          byte[] body = c.readBytes("5\r\nhello\r\n0\r\nX-Sum: 5\r\n\r\n".length(), DEADLINE);
          c.respond(201, "Created", Map.of(), body);
      }
    }, WsProxy.builder());
    try (RawClient client = RawClient.connect(proxy.port())) {
      client.sendRaw("HEAD /head HTTP/1.1\r\nHost: x\r\n\r\n");
      String head = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"; // and no body
      assertThat(new String(client.readBytes(head.length(), DEADLINE), StandardCharsets.US_ASCII)).isEqualTo(head);
      client.sendRaw("GET /204 HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(client.readResponse(DEADLINE).statusCode()).isEqualTo(204);
      client.sendRaw("GET /304 HTTP/1.1\r\nHost: x\r\n\r\n");
      HttpHead notModified = client.readResponse(DEADLINE);
      assertThat(notModified.statusCode()).isEqualTo(304);
      assertThat(notModified.header("ETag")).isEqualTo("\"x\"");
      assertThat(client.buffered()).isZero();

      client.sendRaw("POST /continue HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n");
      assertThat(client.readResponse(DEADLINE).statusCode()).isEqualTo(100);
      client.sendRaw("5\r\nhello\r\n0\r\nX-Sum: 5\r\n\r\n"); // with a trailer
      HttpHead created = client.readResponse(DEADLINE);
      assertThat(created.statusCode()).isEqualTo(201);
      assertThat(created.bodyText()).isEqualTo("5\r\nhello\r\n0\r\nX-Sum: 5\r\n\r\n");
    }
    assertThat(upstream.requests()).extracting(r -> r.header("Expect")).contains("100-continue");
  }

  @Test
  void longPollsAndStreamsLastAsLongAsBytesKeepComingWithinTheReadTimeout() throws Exception {
    Duration readTimeout = Duration.ofMillis(600);
    start(c -> {
      HttpHead request = c.readRequest();
      if (request.target().equals("/poll")) {
        Thread.sleep(readTimeout.toMillis() * 2 / 3); // a long poll answered after readTimeout/2
        c.respond(200, "OK", Map.of(), "event".getBytes(StandardCharsets.UTF_8));
      } else {
        c.sendRaw("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int i = 0; i < 5; i++) {
          c.sendRaw("7\r\ndata: " + i + "\r\n");
          Thread.sleep(readTimeout.toMillis() / 2);
        }
        c.sendRaw("0\r\n\r\n");
      }
    }, WsProxy.builder().readTimeout(readTimeout));
    HttpHead poll = exchange("GET /poll HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(poll.bodyText()).isEqualTo("event");

    try (RawClient client = RawClient.connect(proxy.port())) {
      client.sendRaw("GET /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      HttpHead events = client.readResponse(DEADLINE);
      assertThat(events.header("Transfer-Encoding")).isEqualTo("chunked");
      String first = new String(client.readBytes(10, DEADLINE), StandardCharsets.US_ASCII);
      assertThat(first).isEqualTo("7\r\ndata: 0");
      assertThat(client.awaitEof(DEADLINE)).isTrue();
      assertThat(client.buffered()).isEqualTo(4 * 12 + 2 + 5);
    }
  }

  @Test
  void aClientLeavingDuringALongPollEndsTheUpstreamConnection() throws Exception {
    start(c -> {
      c.readRequest();
      c.awaitEof(Duration.ofSeconds(60)); // a long poll, never answered
    }, WsProxy.builder());
    try (RawClient client = RawClient.connect(proxy.port())) {
      client.sendRaw("GET /poll HTTP/1.1\r\nHost: x\r\n\r\n");
      upstream.awaitRequests(1, DEADLINE);
    }
    upstream.awaitScriptsFinished(1, DEADLINE); // the proxy closed it, long before the poll's end
  }

  @Test
  void aResponseInFlightCompletesWhenTheProxyShutsDown() throws Exception {
    CountDownLatch answer = new CountDownLatch(1);
    start(c -> {
      c.readRequest();
      answer.await();
      c.respond(200, "OK", Map.of(), "last words".getBytes(StandardCharsets.UTF_8));
    }, WsProxy.builder().closeTimeout(Duration.ofSeconds(10)).eventLoops(1));
    CompletableFuture<Void> closing;
    try (RawClient client = RawClient.connect(proxy.port())) {
      client.sendRaw("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
      upstream.awaitRequests(1, DEADLINE);
      closing = Background.run(proxy::close);
      Await.until(() -> refused(proxy.port()), DEADLINE, "the proxy stopped accepting");
      answer.countDown();
      HttpHead response = client.readResponse(DEADLINE);
      assertThat(response.bodyText()).isEqualTo("last words");
      assertThat(client.awaitEof(DEADLINE)).isTrue();
    }
    closing.get(5, TimeUnit.SECONDS); // once the client has closed too
  }

  private static boolean refused(int port) {
    try (Socket probe = new Socket("127.0.0.1", port)) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  @Test
  void relaysAResponseThatStartsBeforeTheRequestBodyIsComplete() throws Exception {
    start(c -> { // answers after the request line, never reading the body
      byte[] head = c.readBytes("POST /upload HTTP/1.1\r\n".length(), DEADLINE);
      assertThat(new String(head, StandardCharsets.US_ASCII)).startsWith("POST /upload");
      c.respond(403, "Forbidden", Map.of(), "no uploads".getBytes(StandardCharsets.UTF_8));
    }, WsProxy.builder());
    try (RawClient client = RawClient.connect(proxy.port())) {
      client.sendRaw("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nfirst bytes");
      HttpHead early = client.readResponse(DEADLINE);
      assertThat(early.statusCode()).isEqualTo(403);
      assertThat(early.bodyText()).isEqualTo("no uploads");
      assertThat(early.header("Connection")).isEqualTo("close");
      assertThat(client.awaitEof(DEADLINE)).isTrue();
    }
  }

  @Test
  void givesAnHttp10ClientTheContentOfAChunkedResponseUntilTheClose() throws Exception {
    start(c -> {
      c.readRequest();
      c.sendRaw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n");
    }, WsProxy.builder());
    try (RawClient client = RawClient.connect(proxy.port())) {
      client.sendRaw("GET / HTTP/1.0\r\n\r\n");
      HttpHead response = client.readResponse(DEADLINE);
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.hasHeader("Transfer-Encoding")).isFalse();
      assertThat(response.header("Connection")).isEqualTo("close");
      assertThat(client.awaitEof(DEADLINE)).isTrue();
      assertThat(new String(client.readBytes(client.buffered(), DEADLINE), StandardCharsets.US_ASCII))
          .isEqualTo("hello world");
    }
  }

  @Test
  void endsTheClientConnectionWhenTheUpstreamStallsMidBody() throws Exception {
    start(c -> {
      c.readRequest();
      c.sendRaw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
      c.awaitEof(DEADLINE);
    }, WsProxy.builder().readTimeout(Duration.ofMillis(300)));
    try (RawClient client = RawClient.connect(proxy.port())) {
      client.sendRaw("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(client.readResponse(DEADLINE).statusCode()).isEqualTo(200);
      assertThat(new String(client.readBytes(10, DEADLINE), StandardCharsets.US_ASCII)).isEqualTo("5\r\nhello\r\n");
      assertThat(client.awaitEof(DEADLINE)).isTrue();
      assertThat(client.buffered()).isZero(); // no last chunk: the body is visibly cut short
    }
  }
}
