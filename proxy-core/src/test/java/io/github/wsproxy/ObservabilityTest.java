package io.github.wsproxy;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.WsProxyExtension;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/** The event listener, the admin view and the MDC keys, with real peers. */
class ObservabilityTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  /** Records every event. */
  static final class Recorder extends ProxyEventListener {
    final List<HandshakeOutcome> handshakes = new CopyOnWriteArrayList<>();
    final List<CloseInfo> closes = new CopyOnWriteArrayList<>();
    final AtomicLong messagesFromClient = new AtomicLong();
    final AtomicLong bytesFromUpstream = new AtomicLong();

    @Override
    public void onHandshake(HandshakeOutcome outcome) {
      handshakes.add(outcome);
    }

    @Override
    public void onTraffic(URI upstream, long bytesFromClient, long msgsFromClient, long bytesUp, long msgsUp) {
      messagesFromClient.addAndGet(msgsFromClient);
      bytesFromUpstream.addAndGet(bytesUp);
    }

    @Override
    public void onClose(URI upstream, CloseInfo info) {
      closes.add(info);
    }
  }

  /** Notes the MDC connection key while it runs. */
  static final class MdcWatcher extends Interceptor {
    final List<String> seen = new CopyOnWriteArrayList<>();

    @Override
    public CompletionStage<Void> onHandshake(Handshake handshake) {
      seen.add("handshake " + MDC.get("wsproxy.conn") + " " + handshake.connection().id());
      return PROCEED;
    }

    @Override
    public Message onClientMessage(ProxyConnection connection, Message message) {
      seen.add("message " + MDC.get("wsproxy.conn") + " " + connection.id() + " " + (MDC.get("wsproxy.upstream") != null));
      return message;
    }
  }

  final Recorder events = new Recorder();
  final MdcWatcher mdc = new MdcWatcher();

  @RegisterExtension
  WsProxyExtension proxy = WsProxyExtension.echo().interceptor(mdc)
      .proxy(b -> b.eventListener(events).allowedOrigins(List.of("https://ok.example")));

  @Test
  void reportsHandshakesTrafficAndClosesToTheListener() throws Exception {
    try (JdkTestClient client = JdkTestClient.connect(proxy.proxyUri("/feed"))) {
      for (int i = 0; i < 3; i++) {
        client.sendText("m" + i);
        assertThat(client.awaitText(DEADLINE)).isEqualTo("m" + i);
      }
      client.sendClose(1000, "done");
      client.awaitClose(DEADLINE);
    }
    assertThat(JdkTestClient.handshakeFailureStatus(proxy.proxyUri("/"), List.of(),
        Map.of("Origin", "https://evil.example"))).isEqualTo(403);
    Await.until(() -> events.closes.size() == 1 && events.handshakes.size() == 2, DEADLINE, "events reported");

    HandshakeOutcome opened = events.handshakes.get(0);
    assertThat(opened.status()).isEqualTo(101);
    assertThat(opened.target()).isEqualTo("/feed");
    assertThat(opened.upstream()).isEqualTo(proxy.upstream().uri());
    assertThat(opened.connectTime()).isNotNull().isPositive();
    assertThat(opened.handshakeTime()).isGreaterThanOrEqualTo(opened.connectTime());
    HandshakeOutcome refused = events.handshakes.get(1);
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.upstream()).isNull();

    assertThat(events.messagesFromClient).hasValue(3);
    assertThat(events.bytesFromUpstream.get()).isGreaterThanOrEqualTo(3 * 4);
    CloseInfo close = events.closes.get(0);
    assertThat(close.closedBy()).isEqualTo(CloseInfo.Initiator.CLIENT);
    assertThat(close.clientCode()).isEqualTo(1000);
  }

  @Test
  void listsLiveConnectionsAndClosesOneById() throws Exception {
    JdkTestClient first = proxy.connectJdk("/one");
    JdkTestClient second = proxy.connectJdk("/two");
    first.sendText("hello");
    assertThat(first.awaitText(DEADLINE)).isEqualTo("hello");

    List<ConnectionSnapshot> live = proxy.proxy().connections();
    assertThat(live).extracting(ConnectionSnapshot::target).containsExactly("/one", "/two");
    assertThat(live).extracting(ConnectionSnapshot::state).containsOnly("open");
    assertThat(live.get(0).messagesFromClient()).isEqualTo(1);
    assertThat(live.get(0).upstream()).isEqualTo(proxy.upstream().uri());

    assertThat(proxy.proxy().closeConnection(live.get(1).id(), 4001, "closed by an operator")).isTrue();
    assertThat(second.awaitClose(DEADLINE).code()).isEqualTo(4001);
    assertThat(proxy.upstream().awaitCloses(1, DEADLINE).get(0).code()).isEqualTo(4001);
    assertThat(proxy.proxy().closeConnection(987_654, 4001, "nobody")).isFalse();
    Await.until(() -> proxy.proxy().connections().size() == 1, DEADLINE, "one connection left");
    first.sendText("still here");
    assertThat(first.awaitText(DEADLINE)).isEqualTo("still here");
  }

  @Test
  void interceptorsRunWithTheConnectionInTheMdc() throws Exception {
    try (JdkTestClient client = proxy.connectJdk()) {
      client.sendText("x");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("x");
    }
    assertThat(mdc.seen).hasSize(2);
    String[] handshake = mdc.seen.get(0).split(" ");
    assertThat(handshake[1]).isEqualTo(handshake[2]);
    String[] message = mdc.seen.get(1).split(" ");
    assertThat(message[1]).isEqualTo(message[2]);
    assertThat(message[3]).isEqualTo("true");
    assertThat(MDC.get("wsproxy.conn")).isNull();
  }

  @Test
  void reportsA502ForARefusedUpstream() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    Recorder recorder = new Recorder();
    try (WsProxy refused = WsProxy.builder().listen(new java.net.InetSocketAddress("127.0.0.1", 0))
        .upstream("ws://127.0.0.1:" + closedPort).eventListener(recorder).build()) {
      refused.start();
      assertThat(JdkTestClient.handshakeFailureStatus(URI.create("ws://127.0.0.1:" + refused.port() + "/")))
          .isEqualTo(502);
      Await.until(() -> !recorder.handshakes.isEmpty(), DEADLINE, "outcome reported");
      assertThat(recorder.handshakes.get(0).status()).isEqualTo(502);
      assertThat(recorder.handshakes.get(0).connectTime()).isNull();
    }
  }

  /** Something a test does while the access log is captured. */
  interface Traffic {
    void run() throws Exception;
  }

  /** Runs {@code traffic} and returns the first access log line it wrote. */
  static ILoggingEvent firstAccessLine(Traffic traffic) throws Exception {
    Logger access = (Logger) LoggerFactory.getLogger("io.github.wsproxy.access");
    ListAppender<ILoggingEvent> lines = new ListAppender<>() {
      @Override
      protected void append(ILoggingEvent event) {
        event.prepareForDeferredProcessing();
        super.append(event);
      }
    };
    lines.start();
    access.addAppender(lines);
    access.setLevel(Level.INFO);
    try {
      traffic.run();
      Await.until(() -> !lines.list.isEmpty(), DEADLINE, "an access log line");
      return lines.list.get(0);
    } finally {
      access.detachAppender(lines);
      access.setLevel(null);
    }
  }

  @Test
  void writesOneAccessLogLinePerConnectionInTheDocumentedFormat() throws Exception {
    ILoggingEvent line = firstAccessLine(() -> {
      try (JdkTestClient client = proxy.connectJdk("/log?x=1")) {
        client.sendText("hi");
        assertThat(client.awaitText(DEADLINE)).isEqualTo("hi");
        client.sendClose(1000, "");
        client.awaitClose(DEADLINE);
      }
    });
    assertThat(line.getFormattedMessage()).matches("conn=\\d+ client=127\\.0\\.0\\.1:\\d+ request=\"GET /log\\?x=1\" "
        + "upstream=127\\.0\\.0\\.1:\\d+ status=101 duration=\\d+ms up=\\d+B/1msg down=\\d+B/1msg "
        + "close=client:1000,upstream:1000 note=\"\"");
    assertThat(line.getMDCPropertyMap()).containsKeys("wsproxy.conn", "wsproxy.client", "wsproxy.upstream");
  }

  @Test
  void namesTheRouteAtTheEndOfTheAccessLogLine() throws Exception {
    try (WsProxy routed = WsProxy.builder().listen(new java.net.InetSocketAddress("127.0.0.1", 0))
        .upstream(proxy.upstream().uri()).route(Route.builder("chat").path("/chat").build()).build()) {
      routed.start();
      ILoggingEvent line = firstAccessLine(() -> {
        try (JdkTestClient client = JdkTestClient.connect(URI.create("ws://127.0.0.1:" + routed.port() + "/chat/1"))) {
          client.sendText("hi");
          assertThat(client.awaitText(DEADLINE)).isEqualTo("hi");
        }
      });
      assertThat(line.getFormattedMessage()).contains("request=\"GET /chat/1\"").endsWith(" route=chat");
    }
  }
}
