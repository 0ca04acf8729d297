package io.github.wsproxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.HttpHead;
import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.RawClient;
import io.github.wsproxy.testing.RawUpstream;
import io.github.wsproxy.testing.TestCertificate;
import io.github.wsproxy.testing.WireFrame;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Plain HTTP requests through the proxy (issue 14): relayed as HTTP/1.1 to the route's upstream,
 * bodies streamed both ways, the client's connection kept alive, an upgrade after plain requests
 * still a WebSocket. The upstream is the JDK's own HTTP server, the client the JDK's HttpClient or
 * a raw socket.
 */
class PlainHttpTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  private HttpServer upstream;
  private ExecutorService upstreamThreads;
  private WsProxy proxy;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void startUpstream() throws IOException {
    upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    upstreamThreads = Executors.newCachedThreadPool();
    upstream.setExecutor(upstreamThreads);
    upstream.createContext("/hello", exchange -> answer(exchange, 200, "hello " + exchange.getRequestURI()));
    upstream.createContext("/echo", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      exchange.getResponseHeaders().add("X-Seen-For", String.valueOf(exchange.getRequestHeaders().getFirst("X-Forwarded-For")));
      exchange.getResponseHeaders().add("X-Seen-Host", String.valueOf(exchange.getRequestHeaders().getFirst("Host")));
      answer(exchange, 200, body);
    });
    upstream.createContext("/chunked", exchange -> {
      exchange.getRequestBody().readAllBytes();
      exchange.sendResponseHeaders(200, 0); // chunked
      try (OutputStream out = exchange.getResponseBody()) {
        for (int i = 0; i < 100; i++) {
          out.write(("line " + i + "\n").getBytes(StandardCharsets.US_ASCII));
          out.flush();
        }
      }
    });
    upstream.createContext("/big", exchange -> {
      long size = Long.parseLong(exchange.getRequestURI().getQuery());
      exchange.sendResponseHeaders(200, size);
      byte[] block = new byte[64 * 1024];
      try (OutputStream out = exchange.getResponseBody()) {
        for (long sent = 0; sent < size; sent += block.length) {
          out.write(block, 0, (int) Math.min(block.length, size - sent));
        }
      }
    });
    upstream.createContext("/count", exchange -> {
      long n = 0;
      try (InputStream in = exchange.getRequestBody()) {
        byte[] block = new byte[64 * 1024];
        for (int r; (r = in.read(block)) >= 0; ) {
          n += r;
        }
      }
      answer(exchange, 200, Long.toString(n));
    });
    upstream.start();
  }

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
    upstream.stop(0);
    upstreamThreads.shutdownNow();
  }

  private static void answer(HttpExchange exchange, int status, String body) throws IOException {
    answer(exchange, status, body.getBytes(StandardCharsets.UTF_8));
  }

  private static void answer(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private URI upstreamUri() {
    return URI.create("ws://127.0.0.1:" + upstream.getAddress().getPort());
  }

  private WsProxy start(WsProxy.Builder builder) throws Exception {
    proxy = HandshakeTest.startProxy(builder);
    return proxy;
  }

  private URI at(String path) {
    return URI.create("http://127.0.0.1:" + proxy.port() + path);
  }

  @Test
  void relaysGetPostAndChunkedBodiesBothWays() throws Exception {
    start(WsProxy.builder().upstream(upstreamUri()));

    HttpResponse<String> get = http.send(HttpRequest.newBuilder(at("/hello?a=1")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(get.statusCode()).isEqualTo(200);
    assertThat(get.body()).isEqualTo("hello /hello?a=1");

    HttpResponse<String> post = http.send(HttpRequest.newBuilder(at("/echo"))
        .POST(HttpRequest.BodyPublishers.ofString("fixed body")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(post.body()).isEqualTo("fixed body");
    assertThat(post.headers().firstValue("X-Seen-For")).hasValue("127.0.0.1");
    assertThat(post.headers().firstValue("X-Seen-Host")).hasValue("127.0.0.1:" + upstream.getAddress().getPort());

    byte[] streamed = "chunked body ".repeat(5000).getBytes(StandardCharsets.US_ASCII);
    HttpResponse<byte[]> chunkedUp = http.send(HttpRequest.newBuilder(at("/echo"))
            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(streamed))).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(chunkedUp.body()).isEqualTo(streamed);

    HttpResponse<String> chunkedDown = http.send(HttpRequest.newBuilder(at("/chunked")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(chunkedDown.body()).startsWith("line 0\n").endsWith("line 99\n").hasLineCount(100);
  }

  @Test
  void stripsTheRoutePrefixFromPlainRequestsAsFromUpgrades() throws Exception {
    start(WsProxy.builder().upstream(upstreamUri())
        .route(Route.builder("app").path("/app/").stripPrefix(true).upstream(upstreamUri().toString()).build()));

    HttpResponse<String> get = http.send(HttpRequest.newBuilder(at("/app/hello?x=1")).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(get.statusCode()).isEqualTo(200);
    assertThat(get.body()).isEqualTo("hello /hello?x=1");
  }

  @Test
  void relaysOverATlsListenerAndMarksTheAffinityCookieSecure() throws Exception {
    start(WsProxy.builder().upstream(upstreamUri())
        .listenTls(ServerTls.fromKeyStore(TlsFixtures.SERVER.keyStore(), TestCertificate.PASSWORD))
        .affinityCookie("SRV", Duration.ZERO));
    HttpClient https = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .sslContext(TestCertificate.context(null, TlsFixtures.SERVER)).build();
    URI base = URI.create("https://localhost:" + proxy.port());
    byte[] body = "over tls ".repeat(20_000).getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < 3; i++) { // on one kept-alive TLS connection
      HttpResponse<byte[]> echoed = https.send(HttpRequest.newBuilder(base.resolve("/echo"))
          .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
      assertThat(echoed.body()).isEqualTo(body);
      assertThat(echoed.headers().firstValue("Set-Cookie")).hasValueSatisfying(cookie -> assertThat(cookie).endsWith("; Secure"));
    }
  }

  @Test
  void streamsLargeBodiesBothWays() throws Exception {
    start(WsProxy.builder().upstream(upstreamUri()).maxRequestBodyBytes(0));
    // 64 MiB by default (a shared CI machine); -Dwsproxy.http.streamBytes=1073741824 for the 1 GiB
    long size = Long.getLong("wsproxy.http.streamBytes", 64L * 1024 * 1024 + 7);

    HttpResponse<InputStream> down = http.send(HttpRequest.newBuilder(at("/big?" + size)).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    long read = 0;
    try (InputStream in = down.body()) {
      byte[] block = new byte[64 * 1024];
      for (int r; (r = in.read(block)) >= 0; ) {
        read += r;
      }
    }
    assertThat(read).isEqualTo(size);

    HttpResponse<String> up = http.send(HttpRequest.newBuilder(at("/count"))
            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ZeroStream(size))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(up.body()).isEqualTo(Long.toString(size));
  }

  @Test
  void keepsTheClientConnectionAliveAndUpgradesOnIt() throws Exception {
    try (RawUpstream raw = RawUpstream.start(c -> {
      HttpHead request = c.readRequest();
      if (request.headerHasToken("Upgrade", "websocket")) {
        c.accept(request);
        WireFrame frame = c.readFrame(DEADLINE);
        c.sendFrame(frame.unmaskedCopy());
        c.awaitEof(DEADLINE);
      } else {
        c.respond(200, "OK", List.of("X-Conn: " + request.header("Connection")), ("at " + request.target()).getBytes(StandardCharsets.UTF_8));
      }
    })) {
      start(WsProxy.builder().upstream(raw.uri()).upstreamKeepAlive(0)); // nginx's recipe: Connection: close
      try (RawClient client = RawClient.connect(proxy.port())) {
        client.sendRaw("GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n");
        HttpHead first = client.readResponse(DEADLINE);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.bodyText()).isEqualTo("at /one");
        assertThat(first.header("X-Conn")).isEqualTo("close");
        assertThat(first.hasHeader("Connection")).isFalse();
        HttpHead second = client.readResponse(DEADLINE);
        assertThat(second.bodyText()).isEqualTo("at /two");

        assertThat(client.handshake("/ws").statusCode()).isEqualTo(101);
        client.sendFrame(WireFrame.text("after plain requests"));
        assertThat(client.readFrame(DEADLINE).payloadText()).isEqualTo("after plain requests");
      }
      assertThat(raw.connectionCount()).isEqualTo(3);
      raw.assertNoFailures();
    }
  }

  @Test
  void keepsUpstreamConnectionsAliveAndSendsAnIdempotentRequestAgainWhenAKeptOneFails() throws Exception {
    try (RawUpstream raw = RawUpstream.start(c -> {
      try {
        for (int i = 0; ; i++) {
          HttpHead request = c.readRequest();
          if (request.target().startsWith("/drop") && (c.index() == 0 || request.method().equals("POST")) && i > 0) {
            c.abort(); // a kept connection the server has given up on
            return;
          }
          c.respond(200, "OK", List.of("X-Conn: " + request.header("Connection")), ("conn " + c.index()).getBytes(StandardCharsets.UTF_8));
        }
      } catch (AssertionError closed) {
        // the proxy closed the idle connection
      }
    })) {
      start(WsProxy.builder().upstream(raw.uri()).upstreamKeepAliveTimeout(Duration.ofMillis(300)));
      try (RawClient client = RawClient.connect(proxy.port())) {
        client.sendRaw("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        HttpHead first = client.readResponse(DEADLINE);
        assertThat(first.bodyText()).isEqualTo("conn 0");
        assertThat(first.header("X-Conn")).isEqualTo("null");
        client.sendRaw("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(client.readResponse(DEADLINE).bodyText()).as("kept upstream connection").isEqualTo("conn 0");
        client.sendRaw("GET /drop HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(client.readResponse(DEADLINE).bodyText()).as("sent again on a new connection").isEqualTo("conn 1");
        client.sendRaw("POST /drop HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx");
        assertThat(client.readResponse(DEADLINE).statusCode()).as("not idempotent: not sent again").isEqualTo(502);
      }
      raw.awaitScriptsFinished(2, DEADLINE);
      try (RawClient client = RawClient.connect(proxy.port())) {
        client.sendRaw("GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(client.readResponse(DEADLINE).bodyText()).isEqualTo("conn 2");
        raw.awaitScriptsFinished(3, DEADLINE); // closed once idle past upstreamKeepAliveTimeout
      }
      assertThat(raw.connectionCount()).isEqualTo(3);
    }
  }

  @Test
  void logsReportsAndInterceptsEveryRequest() throws Exception {
    List<HttpExchangeOutcome> exchanges = new CopyOnWriteArrayList<>();
    List<HandshakeOutcome> handshakes = new CopyOnWriteArrayList<>();
    List<Boolean> upgrades = new CopyOnWriteArrayList<>();
    ProxyEventListener listener = new ProxyEventListener() {
      @Override
      public void onHttpExchange(HttpExchangeOutcome outcome) {
        exchanges.add(outcome);
      }

      @Override
      public void onHandshake(HandshakeOutcome outcome) {
        handshakes.add(outcome);
      }
    };
    Interceptor guard = new Interceptor() {
      @Override
      public CompletionStage<Void> onHandshake(Handshake handshake) {
        upgrades.add(handshake.isUpgrade());
        if (handshake.header("Authorization") == null) {
          handshake.reject(401, Map.of("WWW-Authenticate", "Bearer"), "token needed");
        } else {
          handshake.setHeader("X-Forwarded-For", "spoofed by a hook").setTarget("/echo");
        }
        return PROCEED;
      }
    };
    start(WsProxy.builder().upstream(upstreamUri()).eventListener(listener).interceptor(guard));
    List<ILoggingEvent> lines = AccessLogCapture.lines(4, DEADLINE, () -> {
      HttpResponse<String> denied = http.send(HttpRequest.newBuilder(at("/page")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(denied.statusCode()).isEqualTo(401);
      assertThat(denied.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
      HttpResponse<String> post = http.send(HttpRequest.newBuilder(at("/page")).header("Authorization", "Bearer t")
          .POST(HttpRequest.BodyPublishers.ofString("abc")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(post.body()).as("target rewritten by the hook").isEqualTo("abc");
      assertThat(post.headers().firstValue("X-Seen-For")).as("forwarding fields stay the proxy's").hasValue("127.0.0.1");
      HttpResponse<String> get = http.send(HttpRequest.newBuilder(at("/page?q")).header("Authorization", "Bearer t")
          .build(), HttpResponse.BodyHandlers.ofString());
      assertThat(get.statusCode()).isEqualTo(200);
      HttpResponse<String> deniedOnTheSameConnection = http.send(HttpRequest.newBuilder(at("/page")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(deniedOnTheSameConnection.statusCode()).isEqualTo(401);
    });

    assertThat(lines.get(0).getFormattedMessage()).matches("conn=\\d+ client=127\\.0\\.0\\.1:\\d+ request=\"GET /page\" "
        + "upstream=- status=401 duration=\\d+ms up=0B down=\\d+B http tries=0 note=\"rejected by interceptor .*\"");
    assertThat(lines.get(1).getFormattedMessage()).matches("conn=\\d+ client=127\\.0\\.0\\.1:\\d+ request=\"POST /page\" "
        + "upstream=127\\.0\\.0\\.1:\\d+ status=200 duration=\\d+ms up=3B down=\\d+B http tries=1 note=\"\"");
    assertThat(lines.get(2).getFormattedMessage()).contains("request=\"GET /page?q\"", "status=200", "up=0B");
    assertThat(lines.get(3).getFormattedMessage()).as("nothing left from the kept-alive connection's last request")
        .contains("request=\"GET /page\" upstream=- status=401", "tries=0");
    Await.until(() -> exchanges.size() == 4, DEADLINE, "four exchanges reported");
    assertThat(exchanges).extracting(HttpExchangeOutcome::status).containsExactly(401, 200, 200, 401);
    assertThat(exchanges).extracting(HttpExchangeOutcome::method).containsExactly("GET", "POST", "GET", "GET");
    assertThat(exchanges.get(3).upstream()).isNull();
    assertThat(exchanges.get(1).bytesFromClient()).isEqualTo(3);
    assertThat(exchanges.get(1).bytesToClient()).isGreaterThan(3);
    assertThat(exchanges.get(1).attempts()).isEqualTo(1);
    assertThat(exchanges.get(1).upstream()).isEqualTo(upstreamUri());
    assertThat(handshakes).isEmpty();
    assertThat(upgrades).containsExactly(false, false, false, false);
  }

  @Test
  void webSocketsStillWorkAndPlainHttpCanBeTurnedOff() throws Exception {
    try (RawUpstream raw = RawUpstream.start(RawUpstream.echo())) {
      start(WsProxy.builder().upstream(raw.uri()).plainHttp(false));
      try (RawClient client = RawClient.connect(proxy.port())) {
        client.sendRaw("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(client.readResponse(DEADLINE).statusCode()).isEqualTo(426);
      }
      try (JdkTestClient client = JdkTestClient.connect(HandshakeTest.uri(proxy, "/"))) {
        client.sendText("ws");
        assertThat(client.awaitText(DEADLINE)).isEqualTo("ws");
      }
      assertThat(raw.connectionCount()).isEqualTo(1);
    }
  }

  /** {@code size} zero bytes, produced as read. */
  private static final class ZeroStream extends InputStream {
    private long left;

    ZeroStream(long size) {
      this.left = size;
    }

    @Override
    public int read() {
      return left-- > 0 ? 0 : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (left <= 0) {
        return -1;
      }
      int n = (int) Math.min(len, left);
      java.util.Arrays.fill(b, off, off + n, (byte) 0);
      left -= n;
      return n;
    }
  }
}
