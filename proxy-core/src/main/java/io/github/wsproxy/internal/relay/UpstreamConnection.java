package io.github.wsproxy.internal.relay;

import io.github.wsproxy.UpstreamGroup;
import io.github.wsproxy.internal.config.ProxySettings;
import io.github.wsproxy.internal.http.BadUpstreamException;
import io.github.wsproxy.internal.http.BodyFraming;
import io.github.wsproxy.internal.http.HandshakeTranslator;
import io.github.wsproxy.internal.http.HeadReader;
import io.github.wsproxy.internal.http.HttpHead;
import io.github.wsproxy.internal.http.HttpResponses;
import io.github.wsproxy.internal.http.MalformedHttpException;
import io.github.wsproxy.internal.http.Rejection;
import io.github.wsproxy.internal.intercept.RequestHandshake;
import io.github.wsproxy.internal.loop.Conduit;
import io.github.wsproxy.internal.route.ActiveRoute;
import io.github.wsproxy.internal.upstream.ServerState;
import io.github.wsproxy.internal.upstream.UpstreamPool;
import io.github.wsproxy.internal.upstream.UpstreamSelection;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstream side of the handshake: picks a server of the upstream group, connects without
 * blocking (TLS for wss://), sends the translated request, and reads the answer. A failure or a 5xx
 * answer moves on to the next server while there is one; the upstream's 101 earns the client its
 * 101 and opens the connection; any other answer is relayed to the client as it is. The connect
 * timeout bounds all tries together. A plain HTTP request goes on to an {@link HttpExchange} as
 * soon as the connection (and its TLS) is up: only connecting fails over.
 */
final class UpstreamConnection extends Phase {
  private static final Logger log = LoggerFactory.getLogger(UpstreamConnection.class);
  private static final int MAX_RELAYED_ERROR_BODY = 64 * 1024;

  private enum Step { CONNECTING, HANDSHAKE, RELAYING_REJECTION, SWITCHING }

  private final ProxySettings config;
  private final HttpHead request;
  /** Rewrites an upgrade's heads; null for a plain request. */
  private final HandshakeTranslator translator;
  /** The framing of a plain request's body; null for an upgrade. */
  private final BodyFraming plainFraming;
  /** What the interceptors made of the request; null when there are none. */
  private final RequestHandshake handshake;
  private EarlyClientBytes early;
  /** The plain request goes out on a kept-alive connection (retried once on a new one if that fails). */
  private boolean reused;
  /** A retry of a plain request: a new connection, not a kept one. */
  private boolean freshOnly;
  private Step step = Step.CONNECTING;
  private UpstreamPool pool;
  private UpstreamSelection upstreams;
  private SocketAddress address;
  private long connectStartNanos;
  /** The upstream's answer as it arrives; its remainder is the start of the relayed stream. */
  private HeadReader head;
  private HttpHead answer;

  UpstreamConnection(ConnectionPair pair, HttpHead request, HandshakeTranslator translator,
      BodyFraming plainFraming, RequestHandshake handshake, EarlyClientBytes early) {
    super(pair);
    this.config = pair.config;
    this.request = request;
    this.translator = translator;
    this.plainFraming = plainFraming;
    this.handshake = handshake;
    this.early = early;
  }

  @Override
  void start() {
    ActiveRoute route = pair.route();
    pair.timers.deadlineIn(route.timeouts().connect());
    if (upstreams != null) { // a plain request again, after its kept-alive connection failed
      connectTo(upstreams.current());
      return;
    }
    UpstreamGroup chosen = handshake == null ? null : handshake.upstream();
    try {
      pool = chosen == null ? route.pool() : pair.owner.routing().poolOf(pair.table(), chosen);
    } catch (IllegalStateException e) {
      log.error("connection {}: {}", pair.id(), e.getMessage());
      pair.reject(Rejection.of(500, e.getMessage()));
      return;
    }
    upstreams = pool.select(request, pair.clientAddress, pair.affinityServer(pool, request));
    pair.serving(upstreams);
    ServerState first = upstreams.first();
    if (first == null) {
      pair.reject(Rejection.of(upstreams.unavailableStatus(), upstreams.unavailableReason()));
      return;
    }
    connectTo(first);
  }

  @Override
  void onReady(Leg leg, int readyOps) {
    if ((readyOps & Conduit.OP_CONNECT) != 0) {
      finishConnect();
    }
    if (leg.tlsHandshaking()) {
      continueTlsHandshake();
      return;
    }
    if ((readyOps & Conduit.OP_WRITE) != 0 && leg.hasHandshakeOut()) {
      flushHandshake(leg);
    }
    if ((readyOps & Conduit.OP_READ) != 0 && !leg.isClosed() && pair.phase() == this) {
      if (leg.direction.fromClient()) {
        readEarlyClientBytes();
      } else {
        readAnswer(leg);
      }
    }
  }

  private void readEarlyClientBytes() {
    try {
      if (early.read(pair.loop.buffers()) < 0) {
        clientLeft();
      }
    } catch (IOException e) {
      clientFailed(e);
    }
  }

  private void readAnswer(Leg leg) {
    int n;
    try {
      n = leg.readHandshake(pair.loop.buffers(), -1, head::append);
    } catch (IOException e) {
      upstreamFailed(Rejection.of(502, "upstream failed during the handshake: " + e.getMessage()));
      return;
    }
    if (n < 0 && step == Step.RELAYING_REJECTION) {
      respondWithUpstreamRejection();
    } else if (n < 0) {
      upstreamFailed(Rejection.of(502, "upstream closed the connection during the handshake"));
    } else if (n > 0) {
      onAnswerBytes();
    }
  }

  @Override
  void onDeadline(long now) {
    if (step == Step.CONNECTING || step == Step.HANDSHAKE) {
      upstreams.timedOut();
    }
    pair.reject(Rejection.of(504, "upstream did not complete the handshake within " + pair.route().timeouts().connect()));
  }

  private void connectTo(ServerState server) {
    pair.report.tryingServer(server.url());
    if (plainFraming != null && !freshOnly && reuseKeptConnection(server)) {
      return;
    }
    pool.resolve(server, pair.loop, this::connect,
        e -> upstreamFailed(Rejection.of(502, "cannot resolve upstream host: " + e.getMessage())));
  }

  /** Sends a plain request on a kept-alive connection to {@code server}, if there is one. */
  private boolean reuseKeptConnection(ServerState server) {
    Leg.Socket kept = pair.owner.upstreamKeepAlive().take(server);
    if (kept == null) {
      return false;
    }
    pair.upstream().adopt(kept, pair.loop);
    try {
      address = kept.conduit().remoteAddress() instanceof InetSocketAddress inet ? inet : null;
    } catch (IOException e) {
      address = null;
    }
    pair.report.upstreamAddress(address);
    reused = true;
    sendRequest();
    return true;
  }

  /**
   * The kept-alive connection a plain request without a body went out on failed before any answer
   * (the server had closed it meanwhile): the request goes once more, on a new connection to the
   * same server.
   *
   * @param pipelined what the client sent after the request
   */
  private void retryOnNewConnection(byte[] pipelined) {
    pair.replaceUpstreamLeg();
    early = new EarlyClientBytes(pair.client, config.maxHeaderBytes(), pipelined);
    reused = false;
    freshOnly = true;
    step = Step.CONNECTING;
    pair.enter(this);
  }

  /** The current upstream server failed: the next one is tried, or the client gets the rejection. */
  private void upstreamFailed(Rejection rejection) {
    if (!retryUpstream(rejection.reason())) {
      pair.reject(rejection);
    }
  }

  /** The current upstream server failed: true when the next one is being tried. */
  private boolean retryUpstream(String reason) {
    if (pair.phase() != this || (step != Step.CONNECTING && step != Step.HANDSHAKE)) {
      return false;
    }
    ServerState next = upstreams.failed(reason);
    if (next == null) {
      return false;
    }
    pair.replaceUpstreamLeg();
    address = null;
    pair.report.upstreamAddress(null);
    step = Step.CONNECTING;
    connectTo(next);
    return true;
  }

  private void connect(SocketAddress resolved) {
    if (pair.phase() != this || step != Step.CONNECTING) {
      return;
    }
    address = resolved;
    pair.report.upstreamAddress(resolved);
    connectStartNanos = System.nanoTime();
    Leg upstream = pair.upstream();
    Conduit socket;
    try {
      socket = pair.loop.transport().connect(resolved, upstream);
    } catch (IOException e) {
      connectFailed(e);
      return;
    }
    upstream.attach(socket);
    if (socket.isConnected()) {
      onConnected();
    }
  }

  private void finishConnect() {
    try {
      if (pair.upstream().finishConnect()) {
        onConnected();
      }
    } catch (IOException e) {
      connectFailed(e);
    }
  }

  /**
   * The connect failed: the next server is tried, unless the proxy had no file descriptor left for
   * the socket; then the proxy is overloaded, not the server, and the client gets 503 with
   * Retry-After at once (no failover, the server is not counted as failed).
   */
  private void connectFailed(IOException e) {
    if (Rejection.outOfDescriptors(e)) {
      pair.reject(Rejection.overloaded(e));
    } else {
      upstreamFailed(Rejection.of(502, "cannot connect to upstream: " + e.getMessage()));
    }
  }

  private void onConnected() {
    pair.report.connected(Duration.ofNanos(System.nanoTime() - connectStartNanos));
    Leg upstream = pair.upstream();
    upstream.interest(Conduit.OP_CONNECT, false);
    URI server = upstreams.current().url();
    if ("wss".equalsIgnoreCase(server.getScheme())) {
      try {
        upstream.startTls(pair.owner.tls().newUpstreamSession(server.getHost(),
            ((InetSocketAddress) address).getPort()), pair.loop);
      } catch (IOException e) {
        upstreamFailed(Rejection.of(502, "cannot start TLS with upstream: " + e.getMessage()));
        return;
      }
      continueTlsHandshake();
      return;
    }
    sendRequest();
  }

  /** Drives the upstream leg's TLS handshake; once complete the request is sent. */
  private void continueTlsHandshake() {
    try {
      if (!pair.upstream().advanceTls()) {
        return;
      }
    } catch (IOException e) {
      upstreamFailed(Rejection.of(502, "TLS handshake with upstream failed: " + e.getMessage()));
      return;
    }
    sendRequest();
  }

  private void sendRequest() {
    if (plainFraming != null) {
      pair.enter(new HttpExchange(pair, request, plainFraming, handshake, upstreams, early.take(),
          reused ? this::retryOnNewConnection : null));
      return;
    }
    step = Step.HANDSHAKE;
    head = new HeadReader(config.maxHeaderBytes());
    Leg upstream = pair.upstream();
    upstream.interest(Conduit.OP_READ, true);
    URI server = upstreams.current().url();
    String target = pair.route().upstreamTarget(handshake == null ? request.second() : handshake.upstreamTarget());
    byte[] requestHead = translator.upstreamRequest(server, pair.clientAddress, target,
        handshake == null ? translator.forwardedFields() : handshake.upstreamFields());
    upstream.sendHandshake(requestHead);
    flushHandshake(upstream);
  }

  private void flushHandshake(Leg leg) {
    try {
      if (!leg.flushHandshake()) {
        return;
      }
    } catch (IOException e) {
      if (leg.direction.fromClient()) {
        clientFailed(e);
      } else {
        upstreamFailed(Rejection.of(502, "upstream failed during the handshake: " + e.getMessage()));
      }
      return;
    }
    if (leg.direction.fromClient() && step == Step.SWITCHING) {
      pair.open(new OpenRelay(pair, translator.compressionNegotiated(), translator.chosenProtocol(),
          head.remainder(), early.take()));
    }
  }

  private void onAnswerBytes() {
    if (step == Step.RELAYING_REJECTION) {
      if (rejectionComplete()) {
        respondWithUpstreamRejection();
      }
      return;
    }
    if (step != Step.HANDSHAKE) {
      return;
    }
    if (head.overLimit()) {
      upstreamFailed(Rejection.of(502, "upstream handshake answer larger than " + config.maxHeaderBytes() + " bytes"));
      return;
    }
    if (!head.complete()) {
      return;
    }
    try {
      answer = head.parse(true);
    } catch (MalformedHttpException e) {
      upstreamFailed(Rejection.of(502, "malformed upstream handshake answer: " + e.getMessage()));
      return;
    }
    if (!answer.second().equals("101")) {
      if (answer.second().startsWith("5") && retryUpstream("answered " + answer.second())) {
        return;
      }
      step = Step.RELAYING_REJECTION;
      pair.report.status(Integer.parseInt(answer.second()));
      if (rejectionComplete()) {
        respondWithUpstreamRejection();
      }
      return;
    }
    byte[] switching;
    try {
      switching = translator.clientSwitchingProtocols(answer);
    } catch (BadUpstreamException e) {
      upstreamFailed(Rejection.of(502, e.getMessage()));
      return;
    }
    String affinity = pair.affinityCookieField(request);
    if (affinity != null) {
      switching = HttpResponses.withField(switching, affinity);
    }
    upstreams.succeeded();
    pair.report.status(101);
    step = Step.SWITCHING;
    pair.upstream().interest(Conduit.OP_READ, false);
    pair.client.sendHandshake(switching);
    flushHandshake(pair.client);
  }

  /** Whether the upstream's non-101 answer has its whole body. */
  private boolean rejectionComplete() {
    int bodyLength = head.remainder().length;
    if (bodyLength > MAX_RELAYED_ERROR_BODY) {
      return true;
    }
    String contentLength = answer.value("content-length");
    if (contentLength != null) {
      try {
        return bodyLength >= Long.parseLong(contentLength.strip());
      } catch (NumberFormatException e) {
        return true;
      }
    }
    if (answer.tokens("transfer-encoding").contains("chunked")) {
      byte[] body = head.remainder();
      return body.length >= 5
          && new String(body, body.length - 5, 5, StandardCharsets.ISO_8859_1).equals("0\r\n\r\n");
    }
    return false;
  }

  private void respondWithUpstreamRejection() {
    byte[] headBytes = HandshakeTranslator.relayedErrorHead(answer);
    byte[] body = head.remainder();
    int bodyLength = Math.min(body.length, MAX_RELAYED_ERROR_BODY);
    byte[] all = new byte[headBytes.length + bodyLength];
    System.arraycopy(headBytes, 0, all, 0, headBytes.length);
    System.arraycopy(body, 0, all, headBytes.length, bodyLength);
    pair.report.note("upstream answered " + pair.report.status());
    pair.respond(all);
  }
}
