package io.github.wsproxy.internal.relay;

import io.github.wsproxy.CloseInfo;
import io.github.wsproxy.ConnectionSnapshot;
import io.github.wsproxy.HandshakeOutcome;
import io.github.wsproxy.Interceptor;
import io.github.wsproxy.Message;
import io.github.wsproxy.UpstreamGroup;
import io.github.wsproxy.internal.config.ProxySettings;
import io.github.wsproxy.internal.frame.CloseFrames;
import io.github.wsproxy.internal.frame.FrameEncoder;
import io.github.wsproxy.internal.frame.FrameScanner;
import io.github.wsproxy.internal.frame.WebSocketProtocol;
import io.github.wsproxy.internal.http.BadUpstreamException;
import io.github.wsproxy.internal.http.HandshakeTranslator;
import io.github.wsproxy.internal.intercept.ConnectionHandle;
import io.github.wsproxy.internal.intercept.InterceptorChain;
import io.github.wsproxy.internal.intercept.Outcome;
import io.github.wsproxy.internal.intercept.RequestHandshake;
import io.github.wsproxy.internal.limits.ClientLimits;
import io.github.wsproxy.internal.http.HeadReader;
import io.github.wsproxy.internal.http.HttpHead;
import io.github.wsproxy.internal.http.MalformedHttpException;
import io.github.wsproxy.internal.http.Rejection;
import io.github.wsproxy.internal.loop.BufferPool;
import io.github.wsproxy.internal.loop.EventLoop;
import io.github.wsproxy.internal.route.ActiveRoute;
import io.github.wsproxy.internal.route.RouteTable;
import io.github.wsproxy.internal.route.Timeouts;
import io.github.wsproxy.internal.upstream.ServerState;
import io.github.wsproxy.internal.upstream.UpstreamPool;
import io.github.wsproxy.internal.upstream.UpstreamSelection;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * A client connection and its upstream leg, from the client's first byte to the last close. Both
 * sockets live on one event loop; every method runs on it.
 *
 * <p>Handshake: the client's request head is read and checked, the upstream is connected without
 * blocking, the translated request sent, and only the upstream's 101 earns the client its 101;
 * anything else earns the client a complete HTTP response (the upstream's own status, 502, or 504).
 * Then two {@link Relay}s move frames, and the close handshake is relayed or, when the proxy ends
 * the connection itself, performed by the proxy on both legs.
 */
public final class ConnectionPair implements ConnectionHandle.Control {
  private static final Logger accessLog = LoggerFactory.getLogger("io.github.wsproxy.access");
  private static final Logger log = LoggerFactory.getLogger(ConnectionPair.class);
  private static final AtomicLong IDS = new AtomicLong();
  private static final int MAX_RELAYED_ERROR_BODY = 64 * 1024;
  private static final long IDLE_TLS_BUFFERS_NANOS = 1_000_000_000L;
  /** MDC key: the connection's id, as {@code conn=} in the access log. */
  public static final String MDC_CONNECTION = "wsproxy.conn";
  /** MDC key: the client's address. */
  public static final String MDC_CLIENT = "wsproxy.client";
  /** MDC key: the upstream server's address, or {@code -}. */
  public static final String MDC_UPSTREAM = "wsproxy.upstream";
  /** The payload of the proxy's own keepalive pings; pongs carrying it are not relayed. */
  private static final byte[] KEEPALIVE = "wsproxy-keepalive".getBytes(StandardCharsets.US_ASCII);

  private enum State {
    READING_REQUEST, INTERCEPTING, CONNECTING, UPSTREAM_HANDSHAKE, RELAYING_REJECTION, SWITCHING, RESPONDING, OPEN, CLOSING, DONE
  }

  private final long id = IDS.incrementAndGet();
  private final LoopConnections owner;
  private final ProxySettings config;
  private final EventLoop loop;
  private final Leg client = new Leg(this, true);
  private Leg upstream = new Leg(this, false);
  private final long startNanos = System.nanoTime();
  private final InetSocketAddress clientAddress;
  /** The route's interceptors; set with the route, once the request head is parsed. */
  private InterceptorChain chain;
  /** The routing table current when the request head was parsed, and the route chosen from it. */
  private RouteTable table;
  private ActiveRoute route;
  private Timeouts timeouts;
  /** What interceptors see of this connection; null when there are none. */
  private ConnectionHandle handle;
  private RequestHandshake handshake;
  private int hookIndex;
  private boolean opened;
  private CloseInfo.Initiator closedBy;
  /** The upstream group serving this connection: the proxy's, or the one an interceptor chose. */
  private UpstreamPool pool;
  private long requestNanos;
  /** The upstream server tried last (the one serving the connection once open); null before. */
  private URI upstreamUrl;
  private long connectStartNanos;
  private Duration connectTime;
  private boolean outcomeReported;
  /** Traffic already reported to the event listener: bytes, messages from the client; from the upstream. */
  private final long[] reportedTraffic = new long[4];
  /** Whether the client was counted in by the proxy's limits (and must be counted out). */
  private boolean admitted;
  private State state = State.READING_REQUEST;
  private long deadlineNanos;
  private long lastActivityNanos;
  private HeadReader head;
  /** The client's request head, kept only until the connection opens. */
  private HttpHead request;
  /** Method and target of the request (for the log and the admin view), null before it was read. */
  private String requestMethod;
  private String requestTarget;
  private HttpHead upstreamAnswer;
  private HandshakeTranslator translator;
  private byte[] earlyClientBytes;
  private UpstreamSelection upstreams;
  private InetSocketAddress upstreamAddress;
  private Relay toUpstream;
  private Relay toClient;
  private int status;
  private int clientCloseCode = -1;
  private int upstreamCloseCode = -1;
  private String note = "";

  ConnectionPair(LoopConnections owner, SocketChannel channel) throws IOException {
    this.owner = owner;
    this.config = owner.config();
    this.loop = owner.loop();
    this.clientAddress = (InetSocketAddress) channel.getRemoteAddress();
    this.head = new HeadReader(config.maxHeaderBytes());
    this.deadlineNanos = startNanos + config.handshakeTimeout().toNanos();
    client.attach(channel, loop.register(channel, SelectionKey.OP_READ, client));
    if (owner.tls().listenerTls()) {
      client.startTls(owner.tls().newServerSession(), loop);
    }
  }

  /** Counts the client in by the proxy's limits, or answers 503/429; call once it is tracked. */
  void admit() {
    ClientLimits.Refusal refusal = owner.limits().admit(clientAddress.getAddress());
    admitted = refusal == null;
    if (refusal == ClientLimits.Refusal.PROXY_FULL) {
      reject(Rejection.of(503, "the proxy holds its maximum of " + config.maxConnections() + " connections",
          "Retry-After: 1"));
    } else if (refusal == ClientLimits.Refusal.ADDRESS_FULL) {
      reject(Rejection.of(429, "too many connections from this address", "Retry-After: 1"));
    } else if (refusal == ClientLimits.Refusal.TOO_FAST) {
      reject(Rejection.of(429, "too many new connections per second from this address", "Retry-After: 1"));
    }
  }

  /** A readiness event on one of the pair's sockets. */
  void onReady(Leg leg, int readyOps) {
    if (state == State.DONE) {
      return;
    }
    if (handle != null) {
      enterMdc();
    }
    try {
      handleReady(leg, readyOps);
    } finally {
      if (handle != null) {
        leaveMdc();
      }
    }
  }

  private void handleReady(Leg leg, int readyOps) {
    try {
      if (state == State.OPEN || state == State.CLOSING) {
        if ((readyOps & SelectionKey.OP_WRITE) != 0) {
          relayTowards(leg).flush();
        }
        if ((readyOps & SelectionKey.OP_READ) != 0 && !leg.closed && state != State.DONE) {
          relayFrom(leg).onReadable();
        }
        return;
      }
      if ((readyOps & SelectionKey.OP_CONNECT) != 0) {
        finishConnect();
      }
      if (leg.tlsHandshaking()) {
        continueTlsHandshake(leg);
        return;
      }
      if ((readyOps & SelectionKey.OP_WRITE) != 0 && leg.handshakeOut != null) {
        flushHandshake(leg);
      }
      if ((readyOps & SelectionKey.OP_READ) != 0 && !leg.closed) {
        readHandshake(leg);
      }
    } catch (RuntimeException e) {
      log.error("connection {} failed unexpectedly", id, e);
      note = "internal error: " + e;
      finish();
    }
  }

  // ---------------------------------------------------------------- handshake

  private void readHandshake(Leg leg) {
    BufferPool pool = loop.buffers();
    ByteBuffer buffer = pool.acquire();
    boolean early = leg.isClient && state != State.READING_REQUEST && state != State.RESPONDING;
    if (early) {
      buffer.limit(Math.max(1, config.maxHeaderBytes() - earlyClientBytes.length));
    }
    try {
      int n = leg.read(buffer);
      buffer.flip();
      if (state == State.RESPONDING) {
        if (n < 0) {
          finish();
        }
        return;
      }
      if (n < 0) {
        handshakeEof(leg);
        return;
      }
      if (n > 0 && early) {
        keepEarlyClientBytes(buffer);
      } else if (n > 0) {
        head.append(buffer);
        if (leg.isClient) {
          onRequestBytes();
        } else {
          onUpstreamAnswerBytes();
        }
      }
    } catch (IOException e) {
      onHandshakeIoFailure(leg, e);
    } finally {
      pool.release(buffer);
    }
  }

  /**
   * Keeps frames a client sent after its request, before the upstream's answer; they go upstream
   * once the connection opens. Past {@link HeadReader}'s limit (the proxy's maxHeaderBytes), the
   * client is no longer read until then: the kernel's buffers hold the rest.
   */
  private void keepEarlyClientBytes(ByteBuffer bytes) {
    byte[] kept = Arrays.copyOf(earlyClientBytes, earlyClientBytes.length + bytes.remaining());
    bytes.get(kept, earlyClientBytes.length, bytes.remaining());
    earlyClientBytes = kept;
    pauseClientWhenEarlyBytesAreFull();
  }

  /** Stops reading the client once its early bytes reach maxHeaderBytes; {@link #open} reads it again. */
  private void pauseClientWhenEarlyBytesAreFull() {
    if (earlyClientBytes.length >= config.maxHeaderBytes()) {
      client.interest(SelectionKey.OP_READ, false);
    }
  }

  private void handshakeEof(Leg leg) {
    if (leg.isClient) {
      note = "client left during the handshake";
      finish();
    } else if (state == State.RELAYING_REJECTION) {
      respondWithUpstreamRejection();
    } else {
      upstreamFailed(Rejection.of(502, "upstream closed the connection during the handshake"));
    }
  }

  private void onHandshakeIoFailure(Leg leg, IOException e) {
    if (leg.isClient) {
      note = "client failed during the handshake: " + e.getMessage();
      finish();
    } else {
      upstreamFailed(Rejection.of(502, "upstream failed during the handshake: " + e.getMessage()));
    }
  }

  private void onRequestBytes() {
    if (state != State.READING_REQUEST) {
      return;
    }
    if (head.overLimit()) {
      reject(Rejection.of(431, "request head larger than " + config.maxHeaderBytes() + " bytes"));
      return;
    }
    if (!head.complete()) {
      return;
    }
    try {
      request = head.parse(false);
      requestMethod = request.first();
      requestTarget = request.second();
    } catch (MalformedHttpException e) {
      reject(Rejection.of(400, e.getMessage()));
      return;
    }
    earlyClientBytes = head.remainder();
    requestNanos = System.nanoTime();
    if (!chooseRoute()) {
      return;
    }
    translator = new HandshakeTranslator(config, request, !chain.decodes(true) && !chain.decodes(false),
        owner.limits().trustedProxies());
    Rejection rejection = translator.check();
    if (rejection != null) {
      reject(rejection);
      return;
    }
    pauseClientWhenEarlyBytesAreFull();
    if (chain.isEmpty()) {
      startConnecting();
      return;
    }
    handle = new ConnectionHandle(id, clientAddress, clientCertificate(), request.second(), config.maxMessageBytes());
    handle.bind(this);
    enterMdc();
    handshake = new RequestHandshake(handle, request, translator.forwardedFields());
    state = State.INTERCEPTING;
    deadlineNanos = System.nanoTime() + config.interceptorTimeout().toNanos();
    runHandshakeHooks(0);
  }

  /** Takes the route, its interceptors and timeouts from the current table; false after a 404. */
  private boolean chooseRoute() {
    table = owner.routing().current();
    route = table.match(request.value("host"), request.second());
    if (route == null) {
      reject(Rejection.of(404, "no route for host " + request.value("host") + " and path " + request.second()));
      return false;
    }
    chain = route.chain();
    timeouts = route.timeouts();
    return true;
  }

  // ---------------------------------------------------------------- interceptors

  /** Runs the handshake hooks from {@code index} on; stops at an outstanding stage. */
  private void runHandshakeHooks(int index) {
    List<Interceptor> interceptors = chain.all();
    for (int i = index; i < interceptors.size() && !handshake.isRejected(); i++) {
      Interceptor interceptor = interceptors.get(i);
      hookIndex = i;
      Outcome<Void> outcome;
      try {
        CompletionStage<Void> stage = interceptor.onHandshake(handshake);
        int hook = i;
        outcome = Outcome.of(stage, (ignored, failure) -> execute(() -> handshakeHookDone(hook, failure)));
      } catch (RuntimeException e) {
        handshakeHookFailed(interceptor, e);
        return;
      }
      if (!outcome.isDone()) {
        return;
      }
      if (outcome.failure() != null) {
        handshakeHookFailed(interceptor, Outcome.unwrap(outcome.failure()));
        return;
      }
    }
    RequestHandshake.Rejection chosen = handshake.rejection();
    if (chosen != null) {
      List<String> lines = new ArrayList<>();
      chosen.headers().forEach((name, value) -> lines.add(name + ": " + value));
      reject(new Rejection(chosen.status(), lines, "rejected by interceptor " + interceptors.get(hookIndex), chosen.body()));
      return;
    }
    startConnecting();
  }

  private void handshakeHookDone(int hook, Throwable failure) {
    if (state != State.INTERCEPTING || hookIndex != hook) {
      return;
    }
    if (failure != null) {
      handshakeHookFailed(chain.all().get(hook), Outcome.unwrap(failure));
    } else {
      runHandshakeHooks(hook + 1);
    }
  }

  private void handshakeHookFailed(Interceptor interceptor, Throwable failure) {
    log.error("connection {}: interceptor {} failed in onHandshake", id, interceptor, failure);
    notifyError(failure);
    reject(Rejection.of(500, "interceptor " + interceptor + " failed"));
  }

  /** An interceptor threw or timed out after the handshake: this connection ends with 1011. */
  void interceptorFailed(Interceptor interceptor, Throwable failure) {
    if (state != State.OPEN) {
      return;
    }
    log.error("connection {}: interceptor {} failed", id, interceptor, failure);
    notifyError(failure);
    note = "interceptor " + interceptor + " failed: " + failure;
    closedBy = CloseInfo.Initiator.PROXY;
    closeBoth(WebSocketProtocol.CLOSE_INTERNAL_ERROR, WebSocketProtocol.CLOSE_INTERNAL_ERROR, "interceptor failed");
  }

  /** An interceptor's stage completed and the pipeline moved on: write what it produced. */
  void pipelineProgressed(boolean fromClient) {
    if (state == State.OPEN || state == State.CLOSING) {
      (fromClient ? toUpstream : toClient).flush();
    }
  }

  private void notifyError(Throwable failure) {
    notifyInterceptors("onError", interceptor -> interceptor.onError(handle, failure));
  }

  /** Calls every interceptor; one that throws is logged, and the others are still called. */
  private void notifyInterceptors(String callback, Consumer<Interceptor> call) {
    for (Interceptor interceptor : chain.all()) {
      try {
        call.accept(interceptor);
      } catch (RuntimeException e) {
        log.warn("connection {}: interceptor {} failed in {}", id, interceptor, callback, e);
      }
    }
  }

  EventLoop loop() {
    return loop;
  }

  @Override
  public void execute(Runnable task) {
    loop.execute(() -> {
      enterMdc();
      try {
        task.run();
      } finally {
        leaveMdc();
      }
    });
  }

  /** Sets the MDC keys that log lines of interceptors (and of the proxy) carry while they run. */
  private void enterMdc() {
    MDC.put(MDC_CONNECTION, Long.toString(id));
    MDC.put(MDC_CLIENT, address(clientAddress));
    MDC.put(MDC_UPSTREAM, upstreamAddress == null ? "-" : address(upstreamAddress));
  }

  private static void leaveMdc() {
    MDC.remove(MDC_CONNECTION);
    MDC.remove(MDC_CLIENT);
    MDC.remove(MDC_UPSTREAM);
  }

  @Override
  public void inject(boolean towardsClient, Message message, int bytes) {
    if (state != State.OPEN) {
      handle.released(bytes);
      return;
    }
    byte[] payload = message.bytes();
    int opcode = message.isText() ? WebSocketProtocol.OPCODE_TEXT : WebSocketProtocol.OPCODE_BINARY;
    ByteBuffer frame = frameTowards(!towardsClient, opcode, true, payload, payload.length);
    (towardsClient ? toClient : toUpstream).inject(frame, bytes);
  }

  /** A frame of the proxy's own, masked with a fresh key when it goes to the upstream. */
  ByteBuffer frameTowards(boolean toUpstream, int opcode, boolean fin, byte[] payload, int length) {
    return FrameEncoder.encode(opcode, fin, payload, 0, length, toUpstream, toUpstream ? loop.masking().nextKey() : 0);
  }

  @Override
  public void close(int code, String reason) {
    if (state == State.OPEN) {
      closedBy = CloseInfo.Initiator.PROXY;
      closeBoth(code, code, reason);
    }
  }

  private void startConnecting() {
    state = State.CONNECTING;
    deadlineNanos = System.nanoTime() + timeouts.connect().toNanos();
    UpstreamGroup chosen = handshake == null ? null : handshake.upstream();
    try {
      pool = chosen == null ? route.pool() : owner.routing().poolOf(table, chosen);
    } catch (IllegalStateException e) {
      log.error("connection {}: {}", id, e.getMessage());
      reject(Rejection.of(500, e.getMessage()));
      return;
    }
    upstreams = pool.select(request, clientAddress);
    ServerState first = upstreams.first();
    if (first == null) {
      reject(Rejection.of(upstreams.unavailableStatus(), upstreams.unavailableReason()));
      return;
    }
    connectTo(first);
  }

  private void connectTo(ServerState server) {
    upstreamUrl = server.url();
    pool.resolve(server, loop, this::connect,
        e -> upstreamFailed(Rejection.of(502, "cannot resolve upstream host: " + e.getMessage())));
  }

  /** The current upstream server failed: the next one is tried, or the client gets the rejection. */
  private void upstreamFailed(Rejection rejection) {
    if (!retryUpstream(rejection.reason())) {
      reject(rejection);
    }
  }

  /** The current upstream server failed: true when the next one is being tried. */
  private boolean retryUpstream(String reason) {
    if (state != State.CONNECTING && state != State.UPSTREAM_HANDSHAKE) {
      return false;
    }
    ServerState next = upstreams.failed(reason);
    if (next == null) {
      return false;
    }
    upstream.close(true);
    upstream = new Leg(this, false);
    upstreamAddress = null;
    state = State.CONNECTING;
    connectTo(next);
    return true;
  }

  private void connect(InetSocketAddress address) {
    if (state != State.CONNECTING) {
      return;
    }
    upstreamAddress = address;
    connectStartNanos = System.nanoTime();
    try {
      // of the address's own family: a dual-stack socket would cost a system call more
      SocketChannel channel = SocketChannel.open(
          address.getAddress() instanceof Inet4Address ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6);
      channel.configureBlocking(false);
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      boolean connected = channel.connect(address);
      upstream.attach(channel, loop.register(channel, connected ? 0 : SelectionKey.OP_CONNECT, upstream));
      if (connected) {
        onUpstreamConnected();
      }
    } catch (IOException e) {
      upstreamFailed(Rejection.of(502, "cannot connect to upstream: " + e.getMessage()));
    }
  }

  private void finishConnect() {
    try {
      if (upstream.channel.finishConnect()) {
        onUpstreamConnected();
      }
    } catch (IOException e) {
      upstreamFailed(Rejection.of(502, "cannot connect to upstream: " + e.getMessage()));
    }
  }

  private void onUpstreamConnected() {
    connectTime = Duration.ofNanos(System.nanoTime() - connectStartNanos);
    upstream.interest(SelectionKey.OP_CONNECT, false);
    URI server = upstreams.current().url();
    if ("wss".equalsIgnoreCase(server.getScheme())) {
      try {
        upstream.startTls(owner.tls().newUpstreamSession(server.getHost(), upstreamAddress.getPort()), loop);
      } catch (IOException e) {
        upstreamFailed(Rejection.of(502, "cannot start TLS with upstream: " + e.getMessage()));
        return;
      }
      continueTlsHandshake(upstream);
      return;
    }
    sendUpstreamRequest();
  }

  /** Drives a leg's TLS handshake; once complete the client's request is read or the upstream's sent. */
  private void continueTlsHandshake(Leg leg) {
    try {
      if (!leg.advanceTls()) {
        return;
      }
    } catch (IOException e) {
      if (!leg.isClient) {
        upstreamFailed(Rejection.of(502, "TLS handshake with upstream failed: " + e.getMessage()));
        return;
      }
      log.debug("connection {}: client TLS handshake failed", id, e);
      note = "client TLS handshake failed: " + e.getMessage();
      client.close(false);
      finish();
      return;
    }
    if (!leg.isClient) {
      sendUpstreamRequest();
    }
  }

  private void sendUpstreamRequest() {
    state = State.UPSTREAM_HANDSHAKE;
    head = new HeadReader(config.maxHeaderBytes());
    upstream.interest(SelectionKey.OP_READ, true);
    URI server = upstreams.current().url();
    byte[] requestHead = handshake == null
        ? translator.upstreamRequest(server, clientAddress, request.second(), translator.forwardedFields())
        : translator.upstreamRequest(server, clientAddress, handshake.upstreamTarget(), handshake.upstreamFields());
    upstream.handshakeOut = ByteBuffer.wrap(requestHead);
    flushHandshake(upstream);
  }

  private void onUpstreamAnswerBytes() {
    if (state == State.RELAYING_REJECTION) {
      if (rejectionComplete()) {
        respondWithUpstreamRejection();
      }
      return;
    }
    if (state != State.UPSTREAM_HANDSHAKE) {
      return;
    }
    if (head.overLimit()) {
      upstreamFailed(Rejection.of(502, "upstream handshake answer larger than " + config.maxHeaderBytes() + " bytes"));
      return;
    }
    if (!head.complete()) {
      return;
    }
    HttpHead answer;
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
      upstreamAnswer = answer;
      state = State.RELAYING_REJECTION;
      status = Integer.parseInt(answer.second());
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
    upstreams.succeeded();
    status = 101;
    state = State.SWITCHING;
    upstream.interest(SelectionKey.OP_READ, false);
    client.handshakeOut = ByteBuffer.wrap(switching);
    flushHandshake(client);
  }

  /** Whether the upstream's non-101 answer has its whole body. */
  private boolean rejectionComplete() {
    int bodyLength = head.remainder().length;
    if (bodyLength > MAX_RELAYED_ERROR_BODY) {
      return true;
    }
    String contentLength = upstreamAnswer.value("content-length");
    if (contentLength != null) {
      try {
        return bodyLength >= Long.parseLong(contentLength.strip());
      } catch (NumberFormatException e) {
        return true;
      }
    }
    if (upstreamAnswer.tokens("transfer-encoding").contains("chunked")) {
      byte[] body = head.remainder();
      return body.length >= 5
          && new String(body, body.length - 5, 5, StandardCharsets.ISO_8859_1).equals("0\r\n\r\n");
    }
    return false;
  }

  private void respondWithUpstreamRejection() {
    byte[] headBytes = HandshakeTranslator.relayedErrorHead(upstreamAnswer);
    byte[] body = head.remainder();
    int bodyLength = Math.min(body.length, MAX_RELAYED_ERROR_BODY);
    byte[] all = new byte[headBytes.length + bodyLength];
    System.arraycopy(headBytes, 0, all, 0, headBytes.length);
    System.arraycopy(body, 0, all, headBytes.length, bodyLength);
    note = "upstream answered " + status;
    respond(all);
  }

  private void reject(Rejection rejection) {
    status = rejection.status();
    note = rejection.reason();
    respond(rejection.toBytes());
  }

  /** Writes a complete HTTP response to the client, then closes once it has been read. */
  private void respond(byte[] response) {
    reportOutcome();
    upstream.close(true);
    if (client.tlsHandshaking()) {
      client.close(false); // refused before its TLS handshake (a limit): no HTTP can be spoken yet
      finish();
      return;
    }
    state = State.RESPONDING;
    deadlineNanos = System.nanoTime() + config.closeTimeout().toNanos();
    client.interest(SelectionKey.OP_READ, false);
    client.handshakeOut = ByteBuffer.wrap(response);
    flushHandshake(client);
  }

  private void flushHandshake(Leg leg) {
    try {
      leg.write(leg.handshakeOut);
      if (!leg.flushTransport()) {
        leg.interest(SelectionKey.OP_WRITE, true);
        return;
      }
    } catch (IOException e) {
      onHandshakeIoFailure(leg, e);
      return;
    }
    if (leg.handshakeOut.hasRemaining()) {
      leg.interest(SelectionKey.OP_WRITE, true);
      return;
    }
    leg.handshakeOut = null;
    leg.interest(SelectionKey.OP_WRITE, false);
    if (!leg.isClient) {
      return;
    }
    if (state == State.SWITCHING) {
      open();
    } else if (state == State.RESPONDING) {
      lingerAfterResponse();
    }
  }

  /** Half-closes after a response and reads until the client closes, so the response is not reset away. */
  private void lingerAfterResponse() {
    try {
      client.shutdownOutput();
      client.interest(SelectionKey.OP_READ, true);
    } catch (IOException e) {
      finish();
    }
  }

  private void open() {
    state = State.OPEN;
    lastActivityNanos = System.nanoTime();
    toUpstream = newRelay(client, upstream);
    toClient = newRelay(upstream, client);
    if (translator.compressionNegotiated()) {
      toUpstream.scanner.allowCompression();
      toClient.scanner.allowCompression();
    }
    String chosenProtocol = translator.chosenProtocol();
    translator = null;
    request = null;
    byte[] earlyUpstreamBytes = head.remainder();
    head = null;
    client.interest(SelectionKey.OP_READ, true);
    upstream.interest(SelectionKey.OP_READ, true);
    opened = true;
    reportOutcome();
    if (handle != null) {
      handle.opened(chosenProtocol);
      handshake = null;
      for (Interceptor interceptor : chain.all()) {
        try {
          interceptor.onOpen(handle);
        } catch (RuntimeException e) {
          interceptorFailed(interceptor, e);
          break;
        }
      }
    }
    if (state != State.OPEN) {
      return;
    }
    toClient.feed(earlyUpstreamBytes);
    if (state == State.OPEN || state == State.CLOSING) {
      toUpstream.feed(earlyClientBytes);
    }
    earlyClientBytes = null;
  }

  private Relay newRelay(Leg src, Leg dst) {
    boolean decoded = chain.decodes(src.isClient);
    FrameScanner scanner = new FrameScanner(src.isClient, config.maxMessageBytes(), config.validateUtf8(),
        decoded ? null : loop.masking());
    scanner.limitFrames(config.maxFrameBytes());
    boolean pinged = !(src.isClient ? config.clientPingInterval() : config.upstreamPingInterval()).isZero();
    if (pinged) {
      scanner.recognisePongs(KEEPALIVE);
    }
    MessagePipeline pipeline = decoded ? new MessagePipeline(this, handle, chain, src.isClient) : null;
    return new Relay(src, dst, scanner, loop.buffers(), pipeline, bytes -> handle.released(bytes));
  }

  // ---------------------------------------------------------------- relay events

  void touch() {
    lastActivityNanos = loop.now();
  }

  void onCloseFrame(Leg from, int code, String reason) {
    if (closedBy == null) {
      closedBy = from.isClient ? CloseInfo.Initiator.CLIENT : CloseInfo.Initiator.UPSTREAM;
    }
    if (from.isClient) {
      clientCloseCode = code;
    } else {
      upstreamCloseCode = code;
    }
    from.closeReceived = true;
    startClosing();
    closeLegIfDone(from);
  }

  void onCloseSent(Leg to) {
    to.closeSent = true;
    closeLegIfDone(to);
  }

  void onViolation(Relay relay) {
    FrameScanner scanner = relay.scanner;
    if (state == State.CLOSING) {
      relay.src.close(true);
      finishIfBothClosed();
      return;
    }
    String reason = relay.src.name() + " " + scanner.violationReason();
    note = reason;
    closedBy = CloseInfo.Initiator.PROXY;
    if (scanner.violationMidFrame()) {
      relay.dst.close(true);
    }
    closeBoth(scanner.violationCode(), scanner.violationCode(), reason);
  }

  void onEof(Leg leg) {
    if (leg.closeReceived) {
      leg.close(false);
      finishIfBothClosed();
      return;
    }
    vanished(leg, false);
  }

  void onLegFailed(Leg leg, IOException e) {
    log.debug("connection {}: {} failed", id, leg.name(), e);
    vanished(leg, true);
  }

  private void vanished(Leg leg, boolean reset) {
    if (closedBy == null) {
      closedBy = leg.isClient ? CloseInfo.Initiator.CLIENT : CloseInfo.Initiator.UPSTREAM;
    }
    if (leg.isClient) {
      clientCloseCode = clientCloseCode < 0 ? WebSocketProtocol.CLOSE_ABNORMAL : clientCloseCode;
    } else {
      upstreamCloseCode = upstreamCloseCode < 0 ? WebSocketProtocol.CLOSE_ABNORMAL : upstreamCloseCode;
    }
    leg.close(reset);
    // The other leg may have been held back by the vanished one's backpressure: read it again, so
    // that its answer to the close frame it gets now comes through.
    relayTowards(leg).resumeSource();
    if (note.isEmpty()) {
      note = leg.name() + " vanished without a close frame";
    }
    if (leg.isClient) {
      sendOwnClose(toUpstream, WebSocketProtocol.CLOSE_GOING_AWAY, "client went away");
    } else {
      sendOwnClose(toClient, WebSocketProtocol.CLOSE_INTERNAL_ERROR, "upstream closed the connection without a close frame");
    }
    finishIfBothClosed();
  }

  /** The proxy ends the connection itself: both legs get a close frame. */
  private void closeBoth(int clientCode, int upstreamCode, String reason) {
    if (closedBy == null) {
      closedBy = CloseInfo.Initiator.PROXY;
    }
    if (note.isEmpty()) {
      note = reason;
    }
    sendOwnClose(toClient, clientCode, reason);
    sendOwnClose(toUpstream, upstreamCode, reason);
    finishIfBothClosed();
  }

  private void sendOwnClose(Relay relay, int code, String reason) {
    startClosing();
    relay.discarding = true;
    Leg dst = relay.dst;
    if (dst.closed || dst.closeSent || relay.hasPendingClose()) {
      return;
    }
    ByteBuffer frame = CloseFrames.of(code, reason, !dst.isClient, loop.masking().nextKey());
    if (!relay.sendOwnClose(frame)) {
      dst.close(true);
    }
  }

  private void startClosing() {
    if (handle != null) {
      handle.closing();
    }
    if (state == State.OPEN) {
      state = State.CLOSING;
      deadlineNanos = System.nanoTime() + config.closeTimeout().toNanos();
    }
  }

  /**
   * Closes a leg's TCP connection once its close handshake is complete, where the proxy is the
   * server (the client's leg). On the upstream's leg the proxy is the client: it waits for the
   * server to close first (RFC 6455 §7.1.1), so that TIME_WAIT stays with the server and not on
   * the proxy's ephemeral ports; {@link #onEof} closes it then, the close timeout at the latest.
   */
  private void closeLegIfDone(Leg leg) {
    if (leg.closeSent && leg.closeReceived && leg.isClient) {
      leg.close(false);
    }
    finishIfBothClosed();
  }

  private void finishIfBothClosed() {
    if (client.closed && upstream.closed && state != State.DONE) {
      finish();
    }
  }

  // ---------------------------------------------------------------- timers and lifecycle

  /** Called about every 100 ms: enforces the deadline of the current state and the relay timeouts. */
  void onTick(long now) {
    if (handle == null) {
      checkDeadlines(now);
      return;
    }
    enterMdc();
    try {
      checkDeadlines(now);
    } finally {
      leaveMdc();
    }
  }

  private void checkDeadlines(long now) {
    switch (state) {
      case READING_REQUEST:
        if (now - deadlineNanos > 0 && client.tlsHandshaking()) {
          note = "TLS handshake not completed within " + config.handshakeTimeout();
          client.close(false);
          finish();
        } else if (now - deadlineNanos > 0) {
          reject(Rejection.of(408, "handshake not completed within " + config.handshakeTimeout()));
        }
        break;
      case INTERCEPTING:
        if (now - deadlineNanos > 0) {
          Interceptor late = chain.all().get(hookIndex);
          log.error("connection {}: interceptor {} did not answer onHandshake within {}", id, late,
              config.interceptorTimeout());
          reject(Rejection.of(504, "interceptor " + late + " did not answer within " + config.interceptorTimeout()));
        }
        break;
      case CONNECTING:
      case UPSTREAM_HANDSHAKE:
      case RELAYING_REJECTION:
      case SWITCHING:
        if (now - deadlineNanos > 0) {
          if (state == State.CONNECTING || state == State.UPSTREAM_HANDSHAKE) {
            upstreams.timedOut();
          }
          reject(Rejection.of(504, "upstream did not complete the handshake within " + timeouts.connect()));
        }
        break;
      case OPEN:
        checkRelayTimeouts(now);
        if (state == State.OPEN && now - lastActivityNanos > IDLE_TLS_BUFFERS_NANOS) {
          client.releaseIdleTlsBuffers();
          upstream.releaseIdleTlsBuffers();
        }
        break;
      case RESPONDING:
      case CLOSING:
        if (now - deadlineNanos > 0) {
          boolean handshakeDone = client.closed && upstream.closeSent && upstream.closeReceived;
          note = note + (note.isEmpty() ? "" : "; ")
              + (handshakeDone ? "upstream kept its TCP connection open after the close handshake" : "close handshake timed out");
          finish();
        }
        break;
      default:
        break;
    }
  }

  private void checkRelayTimeouts(long now) {
    toUpstream.checkInterceptorTimeout(now, config.interceptorTimeout().toNanos());
    toClient.checkInterceptorTimeout(now, config.interceptorTimeout().toNanos());
    checkKeepalive(client, config.clientPingInterval(), now);
    checkKeepalive(upstream, config.upstreamPingInterval(), now);
    if (state != State.OPEN) {
      return;
    }
    long sendTimeout = timeouts.send().toNanos();
    if (stalledLongerThan(toClient, now, sendTimeout)) {
      note = "send timeout: client stopped reading";
      closedBy = CloseInfo.Initiator.PROXY;
      client.close(true);
      clientCloseCode = WebSocketProtocol.CLOSE_ABNORMAL;
      sendOwnClose(toUpstream, WebSocketProtocol.CLOSE_GOING_AWAY, "client send timeout");
    } else if (stalledLongerThan(toUpstream, now, sendTimeout)) {
      note = "send timeout: upstream stopped reading";
      closedBy = CloseInfo.Initiator.PROXY;
      upstream.close(true);
      upstreamCloseCode = WebSocketProtocol.CLOSE_ABNORMAL;
      sendOwnClose(toClient, WebSocketProtocol.CLOSE_INTERNAL_ERROR, "upstream send timeout");
    } else if (now - lastActivityNanos > timeouts.read().toNanos()) {
      closeBoth(WebSocketProtocol.CLOSE_GOING_AWAY, WebSocketProtocol.CLOSE_GOING_AWAY, "idle timeout");
    }
    finishIfBothClosed();
  }

  /**
   * Pings a leg that has been silent for {@code interval}, and treats it as vanished when it sends
   * nothing within the pong timeout after a ping.
   */
  private void checkKeepalive(Leg leg, Duration interval, long now) {
    if (interval.isZero() || state != State.OPEN || leg.closed) {
      return;
    }
    if (leg.pingSentNanos != 0) {
      if (leg.lastReadNanos - leg.pingSentNanos > 0) {
        leg.pingAnswered();
      } else if (now - leg.pingSentNanos > config.pongTimeout().toNanos()) {
        note = leg.name() + " did not answer a ping within " + config.pongTimeout();
        vanished(leg, true);
      }
    } else if (now - leg.lastReadNanos > interval.toNanos()) {
      leg.pingSentNanos = now;
      relayTowards(leg).sendPing(frameTowards(!leg.isClient, WebSocketProtocol.OPCODE_PING, true, KEEPALIVE, KEEPALIVE.length));
    }
  }

  private static boolean stalledLongerThan(Relay relay, long now, long timeout) {
    long since = relay.stalledSinceNanos();
    return since != 0 && now - since > timeout;
  }

  /** The proxy ends this connection (shutdown, draining): when open, 1001 on both legs; else it ends now. */
  void goAway(String reason) {
    if (state == State.OPEN) {
      closedBy = CloseInfo.Initiator.PROXY;
      closeBoth(WebSocketProtocol.CLOSE_GOING_AWAY, WebSocketProtocol.CLOSE_GOING_AWAY, reason);
    } else if (state != State.CLOSING && state != State.DONE) {
      note = reason;
      finish();
    }
  }

  /** The upstream server this connection uses or is trying; null before one is chosen or after the end. */
  ServerState server() {
    return upstreams == null ? null : upstreams.current();
  }

  /** Closes whatever is still open, returns buffers, and writes the access log line. */
  void finish() {
    if (state == State.DONE) {
      return;
    }
    state = State.DONE;
    client.close(!client.closeSent);
    upstream.close(!upstream.closeSent);
    if (toUpstream != null) {
      toUpstream.release();
      toClient.release();
    }
    if (upstreams != null) {
      upstreams.release();
    }
    owner.remove(this);
    if (admitted) {
      owner.limits().release(clientAddress.getAddress());
    }
    logAccess();
    if (opened) {
      notifyClose();
    }
  }

  private void notifyClose() {
    CloseInfo info = new CloseInfo(closedBy == null ? CloseInfo.Initiator.PROXY : closedBy,
        clientCloseCode, upstreamCloseCode, note,
        toUpstream.bytes, toUpstream.scanner.messages(), toClient.bytes, toClient.scanner.messages(),
        Duration.ofNanos(System.nanoTime() - startNanos));
    URI server = upstreamUrl;
    long[] rest = new long[4];
    if (addTrafficSinceReport(rest)) {
      owner.events().traffic(server, rest);
    }
    owner.events().close(server, info);
    if (handle == null) {
      return;
    }
    handle.closing();
    notifyInterceptors("onClose", interceptor -> interceptor.onClose(handle, info));
  }

  private void logAccess() {
    if (!accessLog.isInfoEnabled()) {
      return;
    }
    long millis = (System.nanoTime() - startNanos) / 1_000_000;
    String target = requestTarget == null ? "-" : '"' + requestMethod + ' ' + requestTarget + '"';
    accessLog.info("conn={} client={} request={} upstream={} status={} duration={}ms "
            + "up={}B/{}msg down={}B/{}msg close=client:{},upstream:{} note=\"{}\"{}{}",
        id, address(clientAddress), target, upstreamAddress == null ? "-" : address(upstreamAddress),
        status == 0 ? "-" : status, millis,
        toUpstream == null ? 0 : toUpstream.bytes, toUpstream == null ? 0 : toUpstream.scanner.messages(),
        toClient == null ? 0 : toClient.bytes, toClient == null ? 0 : toClient.scanner.messages(),
        code(clientCloseCode), code(upstreamCloseCode), note,
        upstreams == null || upstreams.failures().isEmpty() ? ""
            : " tries=" + upstreams.tries() + " failed=\"" + upstreams.failures() + '"',
        route == null || route.name() == null || route.name().isEmpty() ? "" : " route=" + route.name());
  }

  /** Tells the event listener how the handshake ended, once. */
  private void reportOutcome() {
    if (outcomeReported) {
      return;
    }
    outcomeReported = true;
    owner.events().handshake(new HandshakeOutcome(id, clientAddress, requestTarget,
        status == 0 ? (opened ? 101 : 500) : status, upstreamUrl, connectTime,
        requestNanos == 0 ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - requestNanos)));
  }

  long id() {
    return id;
  }

  /** What this connection looks like now, for the admin view. */
  ConnectionSnapshot snapshot(long now) {
    String phase = state == State.OPEN ? "open" : state == State.CLOSING || state == State.DONE ? "closing" : "handshake";
    return new ConnectionSnapshot(id, clientAddress, requestTarget,
        upstreamUrl, phase, Duration.ofNanos(now - startNanos),
        toUpstream == null ? 0 : toUpstream.bytes, toUpstream == null ? 0 : toUpstream.scanner.messages(),
        toClient == null ? 0 : toClient.bytes, toClient == null ? 0 : toClient.scanner.messages());
  }

  /** An operator closes this connection: both sides get the code, a handshake is cut off. */
  void closeByAdmin(int code, String reason) {
    if (state == State.OPEN) {
      note = "closed by the admin API";
      close(code, reason);
    } else if (state != State.CLOSING && state != State.DONE) {
      note = "closed by the admin API during the handshake";
      finish();
    }
  }

  /** Adds this connection's traffic since the last report to its server's sum. */
  void collectTraffic(Map<URI, long[]> perServer) {
    if (!opened || state == State.DONE) {
      return;
    }
    long[] delta = new long[4];
    if (addTrafficSinceReport(delta)) {
      long[] sum = perServer.computeIfAbsent(upstreamUrl, url -> new long[4]);
      for (int i = 0; i < 4; i++) {
        sum[i] += delta[i];
      }
    }
  }

  /** Fills {@code delta} with the traffic since the last report and marks it reported; false if none. */
  private boolean addTrafficSinceReport(long[] delta) {
    long[] now = {toUpstream.bytes, toUpstream.scanner.messages(), toClient.bytes, toClient.scanner.messages()};
    boolean any = false;
    for (int i = 0; i < 4; i++) {
      delta[i] = now[i] - reportedTraffic[i];
      reportedTraffic[i] = now[i];
      any |= delta[i] != 0;
    }
    return any;
  }

  private static String code(int code) {
    return code < 0 ? "-" : Integer.toString(code);
  }

  private static String address(InetSocketAddress address) {
    return address.getAddress().getHostAddress() + ":" + address.getPort();
  }

  /**
   * The client's certificate, verified during the TLS handshake (mTLS), or null: no TLS listener,
   * client authentication off, or (with it optional) no certificate presented.
   */
  public X509Certificate clientCertificate() {
    return client.tls == null ? null : client.tls.peerCertificate();
  }

  private Relay relayFrom(Leg leg) {
    return leg.isClient ? toUpstream : toClient;
  }

  private Relay relayTowards(Leg leg) {
    return leg.isClient ? toClient : toUpstream;
  }
}
