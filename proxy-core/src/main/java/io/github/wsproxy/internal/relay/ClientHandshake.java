package io.github.wsproxy.internal.relay;

import io.github.wsproxy.Interceptor;
import io.github.wsproxy.internal.config.ProxySettings;
import io.github.wsproxy.internal.http.BodyFraming;
import io.github.wsproxy.internal.http.HandshakeTranslator;
import io.github.wsproxy.internal.http.HeadReader;
import io.github.wsproxy.internal.http.HttpHead;
import io.github.wsproxy.internal.http.MalformedHttpException;
import io.github.wsproxy.internal.http.PlainHeads;
import io.github.wsproxy.internal.http.Rejection;
import io.github.wsproxy.internal.intercept.ConnectionHandle;
import io.github.wsproxy.internal.intercept.Direction;
import io.github.wsproxy.internal.intercept.InterceptorChain;
import io.github.wsproxy.internal.intercept.Outcome;
import io.github.wsproxy.internal.intercept.RequestHandshake;
import io.github.wsproxy.internal.loop.Conduit;
import io.github.wsproxy.internal.route.ActiveRoute;
import io.github.wsproxy.internal.route.RouteTable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's side of the handshake: completes its TLS handshake (on a TLS listener), reads and
 * checks its request head, chooses the route, and runs the interceptors' handshake hooks, which
 * may answer later (the interceptor timeout bounds them). Then the upstream is connected, or the
 * client gets its rejection. The handshake timeout bounds reading the head.
 *
 * <p>A request without an upgrade is a plain HTTP request (unless plain HTTP is off): its body's
 * framing is checked (the request smuggling rules, 400; a declared length over the limit, 413) and
 * it goes the same way, to an {@link HttpExchange} once connected. Every request's framing is
 * checked, upgrades included. On a connection kept alive after an exchange, this phase reads the
 * next request; the client may leave, or stay silent until the handshake timeout, without an answer.
 */
final class ClientHandshake extends Phase {
  private static final Logger log = LoggerFactory.getLogger(ClientHandshake.class);

  private final ProxySettings config;
  private final HeadReader head;
  /** Bytes of the next request that came with the previous exchange; null when none. */
  private byte[] pipelined;
  /** Whether this is a further request on a connection kept alive after an HTTP exchange. */
  private final boolean keptAlive;
  private HttpHead request;
  /** The framing of a plain request's body; null for an upgrade. */
  private BodyFraming plainFraming;
  private HandshakeTranslator translator;
  private EarlyClientBytes early;
  /** Set once the head is read and interceptors are to see it; null when there are none. */
  private RequestHandshake handshake;
  /** The hook running (or outstanding). */
  private int hookIndex;

  ClientHandshake(ConnectionPair pair) {
    super(pair);
    this.config = pair.config;
    this.head = new HeadReader(config.maxHeaderBytes());
    this.keptAlive = false;
  }

  /**
   * The next request on a connection kept alive after an HTTP exchange.
   *
   * @param pipelined what the client sent after the previous request, the start of this one
   */
  ClientHandshake(ConnectionPair pair, byte[] pipelined) {
    super(pair);
    this.config = pair.config;
    this.head = new HeadReader(config.maxHeaderBytes());
    this.keptAlive = true;
    this.pipelined = pipelined;
  }

  @Override
  void start() {
    if (!keptAlive) {
      return;
    }
    pair.timers.deadlineIn(config.handshakeTimeout());
    pair.client.interest(Conduit.OP_READ, true);
    if (pipelined.length > 0) {
      head.append(ByteBuffer.wrap(pipelined));
      pipelined = null;
      onRequestBytes();
    }
  }

  @Override
  void onReady(Leg leg, int readyOps) {
    if (leg.tlsHandshaking()) {
      continueTlsHandshake(leg);
      return;
    }
    if ((readyOps & Conduit.OP_READ) == 0 || leg.isClosed()) {
      return;
    }
    int n;
    try {
      n = handshake != null ? early.read(pair.loop.buffers()) : leg.readHandshake(pair.loop.buffers(), -1, head::append);
    } catch (IOException e) {
      clientFailed(e);
      return;
    }
    if (n < 0) {
      clientLeft();
    } else if (n > 0 && handshake == null) {
      onRequestBytes();
    }
  }

  private void continueTlsHandshake(Leg leg) {
    try {
      if (leg.advanceTls()) {
        pair.report.clientTls(leg.tlsProtocol(), leg.peerCertificate());
      }
    } catch (IOException e) {
      log.debug("connection {}: client TLS handshake failed", pair.id(), e);
      pair.report.note("client TLS handshake failed: " + e.getMessage());
      pair.client.close(false);
      pair.finish();
    }
  }

  @Override
  void onDeadline(long now) {
    if (handshake != null) {
      Interceptor late = pair.chain().get(hookIndex);
      log.error("connection {}: interceptor {} did not answer onHandshake within {}", pair.id(), late,
          config.interceptorTimeout());
      pair.reject(Rejection.of(504, "interceptor " + late + " did not answer within " + config.interceptorTimeout()));
    } else if (keptAlive && head.length() == 0) {
      pair.end("kept-alive connection idle for " + config.handshakeTimeout());
    } else if (pair.client.tlsHandshaking()) {
      pair.report.note("TLS handshake not completed within " + config.handshakeTimeout());
      pair.client.close(false);
      pair.finish();
    } else {
      pair.reject(Rejection.of(408, "handshake not completed within " + config.handshakeTimeout()));
    }
  }

  private void onRequestBytes() {
    if (head.overLimit()) {
      pair.reject(Rejection.of(431, "request head larger than " + config.maxHeaderBytes() + " bytes"));
      return;
    }
    if (!head.complete()) {
      return;
    }
    try {
      request = head.parse(false);
    } catch (MalformedHttpException e) {
      pair.reject(Rejection.of(400, e.getMessage()));
      return;
    }
    pair.report.requestRead(request.first(), request.second());
    early = new EarlyClientBytes(pair.client, config.maxHeaderBytes(), head.remainder());
    boolean plain = config.plainHttp() && !request.tokens("upgrade").contains("websocket");
    if (plain) {
      pair.report.plainRequest();
    }
    BodyFraming framing;
    try {
      framing = BodyFraming.ofRequest(request); // the smuggling rules hold for upgrades too
      if (plain) {
        PlainHeads.checkRequest(request);
      }
    } catch (MalformedHttpException e) {
      pair.reject(Rejection.of(400, e.getMessage()));
      return;
    }
    if (plain && framing.exceeds(config.maxRequestBodyBytes())) {
      pair.reject(Rejection.of(413, "request body larger than " + config.maxRequestBodyBytes() + " bytes"));
      return;
    }
    if (!chooseRoute()) {
      return;
    }
    InterceptorChain chain = pair.chain();
    if (plain) {
      plainFraming = framing;
    } else {
      translator = new HandshakeTranslator(config, request,
          !chain.decodes(Direction.CLIENT_TO_UPSTREAM) && !chain.decodes(Direction.UPSTREAM_TO_CLIENT),
          pair.owner.limits().trustedProxies());
      Rejection rejection = translator.check();
      if (rejection != null) {
        pair.reject(rejection);
        return;
      }
    }
    early.pauseWhenFull();
    if (chain.isEmpty()) {
      connectUpstream();
      return;
    }
    ConnectionHandle handle = new ConnectionHandle(pair.id(), pair.clientAddress, pair.clientCertificate(),
        request.second(), config.maxMessageBytes());
    pair.intercepted(handle);
    handshake = new RequestHandshake(handle, request,
        plain ? PlainHeads.forwardedRequestFields(request) : translator.forwardedFields());
    pair.timers.deadlineIn(config.interceptorTimeout());
    runHandshakeHooks(0);
  }

  /** Takes the route, its interceptors and timeouts from the current table; false after a 404. */
  private boolean chooseRoute() {
    RouteTable table = pair.owner.routing().current();
    ActiveRoute route = table.match(request.value("host"), request.second());
    if (route == null) {
      pair.reject(Rejection.of(404, "no route for host " + request.value("host") + " and path " + request.second()));
      return false;
    }
    pair.routeChosen(table, route);
    return true;
  }

  /** Runs the handshake hooks from {@code index} on; stops at an outstanding stage. */
  private void runHandshakeHooks(int index) {
    InterceptorChain chain = pair.chain();
    for (int i = index; i < chain.size() && !handshake.isRejected(); i++) {
      Interceptor interceptor = chain.get(i);
      hookIndex = i;
      Outcome<Void> outcome;
      try {
        CompletionStage<Void> stage = interceptor.onHandshake(handshake);
        int hook = i;
        outcome = Outcome.of(stage, (ignored, failure) -> pair.execute(() -> handshakeHookDone(hook, failure)));
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
      pair.reject(new Rejection(chosen.status(), lines, "rejected by interceptor " + chain.get(hookIndex), chosen.body()));
      return;
    }
    connectUpstream();
  }

  private void handshakeHookDone(int hook, Throwable failure) {
    if (pair.phase() != this || hookIndex != hook) {
      return;
    }
    if (failure != null) {
      handshakeHookFailed(pair.chain().get(hook), Outcome.unwrap(failure));
    } else {
      runHandshakeHooks(hook + 1);
    }
  }

  private void handshakeHookFailed(Interceptor interceptor, Throwable failure) {
    log.error("connection {}: interceptor {} failed in onHandshake", pair.id(), interceptor, failure);
    pair.notifyError(failure);
    pair.reject(Rejection.of(500, "interceptor " + interceptor + " failed"));
  }

  private void connectUpstream() {
    pair.enter(new UpstreamConnection(pair, request, translator, plainFraming, handshake, early));
  }
}
