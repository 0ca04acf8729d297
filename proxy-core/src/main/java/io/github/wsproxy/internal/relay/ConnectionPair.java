package io.github.wsproxy.internal.relay;

import io.github.wsproxy.CloseInfo;
import io.github.wsproxy.ConnectionSnapshot;
import io.github.wsproxy.Message;
import io.github.wsproxy.internal.config.ProxySettings;
import io.github.wsproxy.internal.http.AffinityCookie;
import io.github.wsproxy.internal.http.HttpHead;
import io.github.wsproxy.internal.http.Rejection;
import io.github.wsproxy.internal.intercept.ConnectionHandle;
import io.github.wsproxy.internal.intercept.Direction;
import io.github.wsproxy.internal.intercept.InterceptorChain;
import io.github.wsproxy.internal.limits.ClientLimits;
import io.github.wsproxy.internal.loop.Accepted;
import io.github.wsproxy.internal.loop.Conduit;
import io.github.wsproxy.internal.loop.EventLoop;
import io.github.wsproxy.internal.route.ActiveRoute;
import io.github.wsproxy.internal.route.RouteTable;
import io.github.wsproxy.internal.upstream.ServerState;
import io.github.wsproxy.internal.upstream.UpstreamPool;
import io.github.wsproxy.internal.upstream.UpstreamSelection;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client connection and its upstream leg, from the client's first byte to the last close. Both
 * sockets live on one event loop; every method runs on it.
 *
 * <p>The pair holds what its phases share (the legs, the route, the interceptors' handle, the
 * {@link Timers} and the {@link ConnectionReport}) and moves from phase to phase: {@link
 * ClientHandshake}, then {@link UpstreamConnection}, then {@link OpenRelay}; a handshake that
 * fails ends in {@link Responding}. A plain HTTP request goes through an {@link HttpExchange}
 * instead of the open relay, after which a kept-alive client starts over with its next request. Each phase gets the readiness events and the deadline while it
 * is current.
 */
final class ConnectionPair implements ConnectionHandle.Control {
  private static final Logger log = LoggerFactory.getLogger(ConnectionPair.class);
  private static final AtomicLong IDS = new AtomicLong();

  private final long id = IDS.incrementAndGet();
  /** The proxy's affinity cookie for this client's listener; null when it sets none. */
  private final AffinityCookie affinityCookie;
  final LoopConnections owner;
  final ProxySettings config;
  final EventLoop loop;
  final InetSocketAddress clientAddress;
  final Leg client = new Leg(this, Direction.CLIENT_TO_UPSTREAM);
  private Leg upstream = new Leg(this, Direction.UPSTREAM_TO_CLIENT);
  final ConnectionReport report;
  final Timers timers;
  /** The current phase; null once the pair is finished. */
  private Phase phase;
  /** The open connection, once the handshake succeeded. */
  private OpenRelay relay;
  /** The routing table current when the request head was parsed, and the route chosen from it. */
  private RouteTable table;
  private ActiveRoute route;
  /** What interceptors see of this connection; null when there are none. */
  private ConnectionHandle handle;
  /** The servers of the upstream group tried for this connection; null before. */
  private UpstreamSelection upstreams;
  /** Whether the client was counted in by the proxy's limits (and must be counted out). */
  private boolean admitted;

  /**
   * Takes over a client socket: it is registered with the owner's loop, or closed when that or the
   * rest of the setup fails.
   */
  ConnectionPair(LoopConnections owner, Accepted socket, int listener) throws IOException {
    this.owner = owner;
    this.config = owner.config(listener);
    this.affinityCookie = owner.affinityCookie(listener);
    this.loop = owner.loop();
    Conduit conduit;
    try {
      conduit = loop.transport().adopt(socket, Conduit.OP_READ, client);
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
    client.attach(conduit);
    try {
      this.clientAddress = (InetSocketAddress) conduit.remoteAddress();
      this.report = new ConnectionReport(id, clientAddress, owner.events());
      this.timers = new Timers(this);
      timers.deadlineAt(report.startNanos() + config.handshakeTimeout().toNanos());
      this.phase = new ClientHandshake(this);
      if (owner.tls().listenerTls(listener)) {
        client.startTls(owner.tls().newServerSession(listener), loop);
      }
    } catch (IOException | RuntimeException e) {
      client.close(false);
      throw e;
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

  /** A readiness event on one of the pair's sockets: the current phase handles it. */
  void onReady(Leg leg, int readyOps) {
    Phase current = phase;
    if (current == null) {
      return;
    }
    if (handle != null) {
      report.enterMdc();
    }
    try {
      if (current == relay) {
        relay.onReady(leg, readyOps); // the hot path, called directly
      } else {
        current.onReady(leg, readyOps);
      }
    } catch (RuntimeException e) {
      log.error("connection {} failed unexpectedly", id, e);
      end("internal error: " + e);
    } finally {
      if (handle != null) {
        ConnectionReport.leaveMdc();
      }
    }
  }

  /** Called about every 100 ms: the timers enforce the current phase's deadline and the relay's timeouts. */
  void onTick(long now) {
    if (handle == null) {
      timers.onTick(now);
      return;
    }
    report.enterMdc();
    try {
      timers.onTick(now);
    } finally {
      ConnectionReport.leaveMdc();
    }
  }

  // ---------------------------------------------------------------- transitions

  /** Makes {@code next} the current phase and starts it. */
  void enter(Phase next) {
    phase = next;
    next.start();
  }

  /** Both handshakes succeeded: frames flow. */
  void open(OpenRelay open) {
    relay = open;
    enter(open);
  }

  /** The handshake fails: the client gets this error. */
  void reject(Rejection rejection) {
    report.status(rejection.status());
    report.note(rejection.reason());
    respond(rejection.toBytes());
  }

  /** Writes a complete HTTP response to the client, then closes once it has been read. */
  void respond(byte[] response) {
    report.reportOutcome(relay != null);
    upstream.close(true);
    if (client.tlsHandshaking()) {
      client.close(false); // refused before its TLS handshake (a limit): no HTTP can be spoken yet
      finish();
      return;
    }
    enter(new Responding(this, response));
  }

  /**
   * An HTTP exchange ended and the client's connection stays: the upstream's is closed (it was
   * asked to close), and the client's next request is read, starting with {@code pipelined}.
   */
  void keepAlive(byte[] pipelined, boolean upstreamReusable) {
    exchangeEnded(upstreamReusable);
    enter(new ClientHandshake(this, pipelined));
  }

  /** An HTTP exchange ended and the client's connection with it, once the client has read everything. */
  void closeAfterExchange(boolean upstreamReusable) {
    exchangeEnded(upstreamReusable);
    enter(new Responding(this, new byte[0]));
  }

  /** The upstream connection of an HTTP exchange goes back to the loop's keep-alive pool, or is closed. */
  private void exchangeEnded(boolean upstreamReusable) {
    if (upstreamReusable && upstreams.current() != null) {
      owner.upstreamKeepAlive().giveBack(upstreams.current(), upstream.detach(), loop.now());
    } else {
      upstream.close(false);
    }
    upstream = new Leg(this, Direction.UPSTREAM_TO_CLIENT);
    upstreams.release();
    upstreams = null;
  }

  /** Ends the connection now, saying why. */
  void end(String note) {
    report.note(note);
    finish();
  }

  /** Finishes once both legs are closed. */
  void finishIfBothClosed() {
    if (client.isClosed() && upstream.isClosed()) {
      finish();
    }
  }

  /** Closes whatever is still open, returns buffers, and writes the access log line. */
  void finish() {
    if (phase == null) {
      return;
    }
    phase = null;
    client.close(!client.sentCloseFrame());
    upstream.close(!upstream.sentCloseFrame());
    if (relay != null) {
      relay.release();
    }
    if (upstreams != null) {
      upstreams.release();
    }
    owner.remove(this);
    if (admitted) {
      owner.limits().release(clientAddress.getAddress());
    }
    report.logAccess(traffic(), upstreams);
    if (relay != null) {
      CloseInfo info = report.reportClose(relay.traffic());
      if (handle != null) {
        handle.closing();
        route.chain().notifyEach(id, "onClose", interceptor -> interceptor.onClose(handle, info));
      }
    }
  }

  // ---------------------------------------------------------------- shared state

  /** The current phase; null once finished. */
  Phase phase() {
    return phase;
  }

  Leg upstream() {
    return upstream;
  }

  /** The upstream leg failed and the next server is tried on a new one. */
  void replaceUpstreamLeg() {
    upstream.close(true);
    upstream = new Leg(this, Direction.UPSTREAM_TO_CLIENT);
  }

  /** The route (its upstreams, interceptors and timeouts) was chosen from {@code from}. */
  void routeChosen(RouteTable from, ActiveRoute chosen) {
    table = from;
    route = chosen;
    report.route(chosen.name());
  }

  RouteTable table() {
    return table;
  }

  ActiveRoute route() {
    return route;
  }

  InterceptorChain chain() {
    return route.chain();
  }

  /** Interceptors will see this connection through {@code connectionHandle}. */
  void intercepted(ConnectionHandle connectionHandle) {
    handle = connectionHandle;
    handle.bind(this);
    report.enterMdc();
  }

  ConnectionHandle handle() {
    return handle;
  }

  /** The servers tried for this connection. */
  void serving(UpstreamSelection selection) {
    upstreams = selection;
  }

  /** The server the request's affinity cookie names in {@code pool}, or null (no cookie, or an unknown id). */
  ServerState affinityServer(UpstreamPool pool, HttpHead request) {
    AffinityCookie cookie = affinityCookie;
    String id = cookie == null ? null : cookie.find(request);
    return id == null ? null : pool.byAffinityId(cookie, id);
  }

  /**
   * The {@code Set-Cookie} line pinning the client to the server that answered, or null when the
   * proxy sets no affinity cookie or the request already carries that server's id.
   */
  String affinityCookieField(HttpHead request) {
    AffinityCookie cookie = affinityCookie;
    if (cookie == null || upstreams == null || upstreams.current() == null) {
      return null;
    }
    String id = upstreams.current().affinityId(cookie);
    return id.equals(cookie.find(request)) ? null : cookie.setCookie(id);
  }

  /** Tells every interceptor of a failure. */
  void notifyError(Throwable failure) {
    route.chain().notifyEach(id, "onError", interceptor -> interceptor.onError(handle, failure));
  }

  private long[] traffic() {
    return relay == null ? new long[4] : relay.traffic();
  }

  // ---------------------------------------------------------------- the handle's control

  @Override
  public void execute(Runnable task) {
    loop.execute(() -> {
      report.enterMdc();
      try {
        task.run();
      } finally {
        ConnectionReport.leaveMdc();
      }
    });
  }

  @Override
  public void inject(Direction direction, Message message, int bytes) {
    if (relay == null) {
      handle.released(bytes);
    } else {
      relay.inject(direction, message, bytes);
    }
  }

  @Override
  public void close(int code, String reason) {
    if (relay != null) {
      relay.close(code, reason);
    }
  }

  // ---------------------------------------------------------------- what the loop asks

  long id() {
    return id;
  }

  /** The proxy ends this connection (shutdown, draining): when open, 1001 on both legs; else it ends now. */
  void goAway(String reason) {
    if (phase != null) {
      phase.goAway(reason);
    }
  }

  /** An operator closes this connection: both sides get the code, a handshake is cut off. */
  void closeByAdmin(int code, String reason) {
    if (phase != null) {
      phase.closeByAdmin(code, reason);
    }
  }

  /** The upstream server this connection uses or is trying; null before one is chosen or after the end. */
  ServerState server() {
    return upstreams == null ? null : upstreams.current();
  }

  /** What this connection looks like now, for the admin view. */
  ConnectionSnapshot snapshot(long now) {
    return report.snapshot(now, phase == null ? "closing" : phase.name(), traffic());
  }

  /** Adds this connection's traffic since the last report to its server's sum. */
  void collectTraffic(Map<URI, long[]> perServer) {
    if (relay != null && phase != null) {
      report.collectTraffic(relay.traffic(), perServer);
    }
  }

  /**
   * The client's certificate, verified during the TLS handshake (mTLS), or null: no TLS listener,
   * client authentication off, or (with it optional) no certificate presented.
   */
  X509Certificate clientCertificate() {
    return client.peerCertificate();
  }
}
