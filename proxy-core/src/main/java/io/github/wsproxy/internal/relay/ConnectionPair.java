package io.github.wsproxy.internal.relay;

import io.github.wsproxy.WsProxy;
import io.github.wsproxy.internal.frame.CloseCodes;
import io.github.wsproxy.internal.frame.CloseFrames;
import io.github.wsproxy.internal.frame.FrameScanner;
import io.github.wsproxy.internal.http.HeadReader;
import io.github.wsproxy.internal.http.HttpHead;
import io.github.wsproxy.internal.http.MalformedHttpException;
import io.github.wsproxy.internal.loop.BufferPool;
import io.github.wsproxy.internal.loop.EventLoop;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
public final class ConnectionPair {
  private static final Logger accessLog = LoggerFactory.getLogger("io.github.wsproxy.access");
  private static final Logger log = LoggerFactory.getLogger(ConnectionPair.class);
  private static final AtomicLong IDS = new AtomicLong();
  private static final int MAX_RELAYED_ERROR_BODY = 64 * 1024;
  private static final long IDLE_TLS_BUFFERS_NANOS = 1_000_000_000L;

  private enum State {
    READING_REQUEST, CONNECTING, UPSTREAM_HANDSHAKE, RELAYING_REJECTION, SWITCHING, RESPONDING, OPEN, CLOSING, DONE
  }

  private final long id = IDS.incrementAndGet();
  private final LoopConnections owner;
  private final WsProxy config;
  private final EventLoop loop;
  private final Leg client = new Leg(this, true);
  private final Leg upstream = new Leg(this, false);
  private final long startNanos = System.nanoTime();
  private final InetSocketAddress clientAddress;
  private State state = State.READING_REQUEST;
  private long deadlineNanos;
  private long lastActivityNanos;
  private HeadReader head;
  private HttpHead request;
  private HttpHead upstreamAnswer;
  private HandshakeTranslator translator;
  private byte[] earlyClientBytes;
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

  /** A readiness event on one of the pair's sockets. */
  void onReady(Leg leg, int readyOps) {
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
      if (n > 0) {
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

  private void handshakeEof(Leg leg) {
    if (leg.isClient) {
      note = "client left during the handshake";
      finish();
    } else if (state == State.RELAYING_REJECTION) {
      respondWithUpstreamRejection();
    } else {
      reject(Rejection.of(502, "upstream closed the connection during the handshake"));
    }
  }

  private void onHandshakeIoFailure(Leg leg, IOException e) {
    if (leg.isClient) {
      note = "client failed during the handshake: " + e.getMessage();
      finish();
    } else {
      reject(Rejection.of(502, "upstream failed during the handshake: " + e.getMessage()));
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
    } catch (MalformedHttpException e) {
      reject(Rejection.of(400, e.getMessage()));
      return;
    }
    earlyClientBytes = head.remainder();
    translator = new HandshakeTranslator(config, request);
    Rejection rejection = translator.check();
    if (rejection != null) {
      reject(rejection);
      return;
    }
    client.interest(SelectionKey.OP_READ, false);
    state = State.CONNECTING;
    deadlineNanos = System.nanoTime() + config.connectTimeout().toNanos();
    owner.resolver().resolve(loop, this::connect,
        e -> reject(Rejection.of(502, "cannot resolve upstream host: " + e.getMessage())));
  }

  private void connect(InetSocketAddress address) {
    if (state != State.CONNECTING) {
      return;
    }
    upstreamAddress = address;
    try {
      SocketChannel channel = SocketChannel.open();
      channel.configureBlocking(false);
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      boolean connected = channel.connect(address);
      upstream.attach(channel, loop.register(channel, connected ? 0 : SelectionKey.OP_CONNECT, upstream));
      if (connected) {
        onUpstreamConnected();
      }
    } catch (IOException e) {
      reject(Rejection.of(502, "cannot connect to upstream: " + e.getMessage()));
    }
  }

  private void finishConnect() {
    try {
      if (upstream.channel.finishConnect()) {
        onUpstreamConnected();
      }
    } catch (IOException e) {
      reject(Rejection.of(502, "cannot connect to upstream: " + e.getMessage()));
    }
  }

  private void onUpstreamConnected() {
    upstream.interest(SelectionKey.OP_CONNECT, false);
    if (owner.tls().upstreamTls()) {
      try {
        upstream.startTls(owner.tls().newUpstreamSession(config.upstream().getHost(), upstreamAddress.getPort()), loop);
      } catch (IOException e) {
        reject(Rejection.of(502, "cannot start TLS with upstream: " + e.getMessage()));
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
        reject(Rejection.of(502, "TLS handshake with upstream failed: " + e.getMessage()));
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
    upstream.handshakeOut = ByteBuffer.wrap(translator.upstreamRequest(clientAddress));
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
      reject(Rejection.of(502, "upstream handshake answer larger than " + config.maxHeaderBytes() + " bytes"));
      return;
    }
    if (!head.complete()) {
      return;
    }
    HttpHead answer;
    try {
      answer = head.parse(true);
    } catch (MalformedHttpException e) {
      reject(Rejection.of(502, "malformed upstream handshake answer: " + e.getMessage()));
      return;
    }
    if (!answer.second().equals("101")) {
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
      reject(Rejection.of(502, e.getMessage()));
      return;
    }
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
    upstream.close(true);
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
    BufferPool pool = loop.buffers();
    toUpstream = new Relay(client, upstream,
        new FrameScanner(true, config.maxMessageBytes(), config.validateUtf8(), loop.masking()), pool);
    toClient = new Relay(upstream, client,
        new FrameScanner(false, config.maxMessageBytes(), config.validateUtf8(), loop.masking()), pool);
    if (translator.compressionNegotiated()) {
      toUpstream.scanner.allowCompression();
      toClient.scanner.allowCompression();
    }
    byte[] earlyUpstreamBytes = head.remainder();
    head = null;
    client.interest(SelectionKey.OP_READ, true);
    upstream.interest(SelectionKey.OP_READ, true);
    toClient.feed(earlyUpstreamBytes);
    if (state == State.OPEN || state == State.CLOSING) {
      toUpstream.feed(earlyClientBytes);
    }
    earlyClientBytes = null;
  }

  // ---------------------------------------------------------------- relay events

  void touch() {
    lastActivityNanos = System.nanoTime();
  }

  void onCloseFrame(Leg from, int code, String reason) {
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
    if (leg.isClient) {
      clientCloseCode = clientCloseCode < 0 ? CloseCodes.ABNORMAL : clientCloseCode;
    } else {
      upstreamCloseCode = upstreamCloseCode < 0 ? CloseCodes.ABNORMAL : upstreamCloseCode;
    }
    leg.close(reset);
    if (note.isEmpty()) {
      note = leg.name() + " vanished without a close frame";
    }
    if (leg.isClient) {
      sendOwnClose(toUpstream, CloseCodes.GOING_AWAY, "client went away");
    } else {
      sendOwnClose(toClient, CloseCodes.INTERNAL_ERROR, "upstream closed the connection without a close frame");
    }
    finishIfBothClosed();
  }

  /** The proxy ends the connection itself: both legs get a close frame. */
  private void closeBoth(int clientCode, int upstreamCode, String reason) {
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
    if (state == State.OPEN) {
      state = State.CLOSING;
      deadlineNanos = System.nanoTime() + config.closeTimeout().toNanos();
    }
  }

  private void closeLegIfDone(Leg leg) {
    if (leg.closeSent && leg.closeReceived) {
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
      case CONNECTING:
      case UPSTREAM_HANDSHAKE:
      case RELAYING_REJECTION:
      case SWITCHING:
        if (now - deadlineNanos > 0) {
          reject(Rejection.of(504, "upstream did not complete the handshake within " + config.connectTimeout()));
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
          note = note + (note.isEmpty() ? "" : "; ") + "close handshake timed out";
          finish();
        }
        break;
      default:
        break;
    }
  }

  private void checkRelayTimeouts(long now) {
    long sendTimeout = config.sendTimeout().toNanos();
    if (stalledLongerThan(toClient, now, sendTimeout)) {
      note = "send timeout: client stopped reading";
      client.close(true);
      clientCloseCode = CloseCodes.ABNORMAL;
      sendOwnClose(toUpstream, CloseCodes.GOING_AWAY, "client send timeout");
    } else if (stalledLongerThan(toUpstream, now, sendTimeout)) {
      note = "send timeout: upstream stopped reading";
      upstream.close(true);
      upstreamCloseCode = CloseCodes.ABNORMAL;
      sendOwnClose(toClient, CloseCodes.INTERNAL_ERROR, "upstream send timeout");
    } else if (now - lastActivityNanos > config.readTimeout().toNanos()) {
      closeBoth(CloseCodes.GOING_AWAY, CloseCodes.GOING_AWAY, "idle timeout");
    }
    finishIfBothClosed();
  }

  private static boolean stalledLongerThan(Relay relay, long now, long timeout) {
    long since = relay.stalledSinceNanos();
    return since != 0 && now - since > timeout;
  }

  /** The proxy is shutting down: open connections get 1001 on both legs, others end now. */
  void goAway() {
    if (state == State.OPEN) {
      closeBoth(CloseCodes.GOING_AWAY, CloseCodes.GOING_AWAY, "proxy shutting down");
    } else if (state != State.CLOSING && state != State.DONE) {
      note = "proxy shutting down";
      finish();
    }
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
    owner.remove(this);
    logAccess();
  }

  private void logAccess() {
    if (!accessLog.isInfoEnabled()) {
      return;
    }
    long millis = (System.nanoTime() - startNanos) / 1_000_000;
    String target = request == null ? "-" : '"' + request.first() + ' ' + request.second() + '"';
    accessLog.info("conn={} client={} request={} upstream={} status={} duration={}ms "
            + "up={}B/{}msg down={}B/{}msg close=client:{},upstream:{} note=\"{}\"",
        id, address(clientAddress), target, upstreamAddress == null ? "-" : address(upstreamAddress),
        status == 0 ? "-" : status, millis,
        toUpstream == null ? 0 : toUpstream.bytes, toUpstream == null ? 0 : toUpstream.scanner.messages(),
        toClient == null ? 0 : toClient.bytes, toClient == null ? 0 : toClient.scanner.messages(),
        code(clientCloseCode), code(upstreamCloseCode), note);
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
