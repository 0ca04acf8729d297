package io.github.wsproxy;

import io.github.wsproxy.internal.ProxyServer;
import io.github.wsproxy.internal.config.ProxySettings;
import io.github.wsproxy.internal.config.SettingsBuilder;
import io.github.wsproxy.internal.frame.WebSocketProtocol;
import io.github.wsproxy.internal.http.HttpHead;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A WebSocket reverse proxy embedded in the application: it accepts WebSocket clients on one or
 * more listen addresses and relays each connection, frame by frame, to an upstream WebSocket
 * server; requests without an upgrade are relayed as plain HTTP/1.1 to the same upstream, as
 * nginx's recipe does for its {@code location /} ({@link Builder#plainHttp(boolean)}).
 *
 * <p>Build one with {@link #builder()}; the instance is immutable configuration plus a lifecycle.
 * {@link #start()} binds and returns once the proxy is listening; {@link #close()} stops it
 * gracefully, {@link #shutdown(Duration)} after a grace period. All relaying happens on a fixed
 * number of event-loop threads ({@link Builder#eventLoops(int)}), whatever the number of
 * connections. Requests can be {@link Route routed} by host and path to several upstream groups;
 * the routing, and every other setting that needs no new listen socket, can be replaced while the
 * proxy runs ({@link #reconfigure}); open connections keep the settings they started with.
 *
 * <p>WsProxy logs through the SLF4J API only: with no SLF4J binding on the class path nothing is
 * logged, not even the access log (logger {@code io.github.wsproxy.access}).
 *
 * <pre>{@code
 * WsProxy proxy = WsProxy.builder()
 *     .listen(new InetSocketAddress("127.0.0.1", 8080))
 *     .upstream("ws://127.0.0.1:8282")
 *     .readTimeout(Duration.ofSeconds(300))
 *     .sendTimeout(Duration.ofSeconds(300))
 *     .build();
 * proxy.start();
 * // ...
 * proxy.close();
 * }</pre>
 *
 * <p>This class is thread-safe: {@code start}, {@code close}, {@code reconfigure} and the
 * accessors may be called from any thread.
 */
public final class WsProxy implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WsProxy.class);

  /** Replaced by {@link #reconfigure} with a copy holding the new routing. */
  private volatile ProxySettings settings;

  private final Object lifecycleLock = new Object();
  private volatile boolean draining;
  private ProxyServer server;
  private boolean closed;

  private WsProxy(ProxySettings settings) {
    this.settings = settings;
  }

  /**
   * Returns a builder with the defaults documented on each of its setters.
   *
   * @return a new builder with the default settings
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns a builder initialised with this proxy's configuration, to derive another proxy.
   *
   * @return a new builder holding this proxy's settings, routes and interceptors
   */
  public Builder newBuilder() {
    return new Builder(settings.newBuilder());
  }

  /**
   * Binds the listen address and starts the event loops; returns once the proxy accepts
   * connections.
   *
   * @throws IOException if the address cannot be bound
   * @throws IllegalStateException if the proxy was already started or closed
   */
  public void start() throws IOException {
    synchronized (lifecycleLock) {
      if (closed) {
        throw new IllegalStateException("proxy is closed");
      }
      if (server != null) {
        throw new IllegalStateException("proxy is already started");
      }
      server = ProxyServer.start(settings);
    }
  }

  /**
   * Replaces the proxy's upstream group and routes at once, on a running proxy too: every
   * connection accepted from now on is routed by the new configuration, connections already open
   * stay on their upstream untouched. Servers that remain (the same URL in the proxy's own group,
   * or in the route of the same name) keep their connection counts and health. Connections to a
   * server that is gone are drained: closed with 1001 after {@link Builder#drainTimeout} if one is
   * set (spread over {@link Builder#closeSpread}), otherwise left to end by themselves. Health
   * checks of the old groups stop, those of the new ones start.
   *
   * @param upstream the proxy's own group; may be null when every route has its own
   * @param routes the routes, in the order they are tried; empty when the upstream serves every
   *     request
   * @throws IllegalArgumentException when the configuration is incomplete (as {@link Builder#build()} says)
   * @throws IllegalStateException when the proxy is closed
   */
  public void reconfigure(UpstreamGroup upstream, List<Route> routes) {
    ProxySettings reconfigured = settings.withRouting(upstream, routes);
    synchronized (lifecycleLock) {
      if (closed) {
        throw new IllegalStateException("proxy is closed");
      }
      settings = reconfigured;
      if (server != null) {
        server.reconfigure(reconfigured);
      }
    }
  }

  /**
   * Takes every setting of {@code newConfig} that can change while the proxy runs (what {@code
   * nginx -s reload} does): its upstream group and routes (as {@link #reconfigure(UpstreamGroup,
   * List)} says), timeouts, limits, keepalive, allowed origins, trusted proxies, interceptors,
   * event listener, upstream trust and the listeners' certificates (their files are read now).
   * Connections accepted from now on get them; open connections keep the settings they started
   * with. The listen addresses ({@link Builder#listen}, {@link Builder#listener}), {@link
   * Builder#eventLoops}, {@link Builder#acceptBacklog} and {@link Builder#transport} need a
   * restart: they keep their current values, and their names are returned. The log names every
   * changed setting, applied or not.
   *
   * @param newConfig a proxy built with the new settings, not started (only its configuration is
   *     read)
   * @return the names (as the {@link Builder} setters') of the changed settings that need a
   *     restart and were not applied; empty when everything was applied
   * @throws IllegalArgumentException when a listener's certificate files cannot be used; then
   *     nothing changed
   * @throws IllegalStateException when the proxy is closed
   */
  public List<String> reconfigure(WsProxy newConfig) {
    ProxySettings next = newConfig.settings;
    synchronized (lifecycleLock) {
      if (closed) {
        throw new IllegalStateException("proxy is closed");
      }
      ProxySettings.Changes changes = settings.changesTo(next);
      ProxySettings reconfigured = settings.reloadableFrom(next);
      if (server != null) {
        server.reconfigure(reconfigured);
      }
      settings = reconfigured;
      log.info("reconfigured: upstreams and routes replaced; changed: {}; need a restart, kept: {}",
          changes.applied().isEmpty() ? "nothing else" : String.join(", ", changes.applied()),
          changes.needRestart().isEmpty() ? "none" : String.join(", ", changes.needRestart()));
      return changes.needRestart();
    }
  }

  /**
   * Replaces the proxy's own upstream group, keeping the routes; see {@link #reconfigure}.
   *
   * @param group the new upstream group for requests no route of its own serves; not null
   */
  public void replaceUpstream(UpstreamGroup group) {
    synchronized (lifecycleLock) {
      reconfigure(Objects.requireNonNull(group, "upstream"), settings.routes());
    }
  }

  /**
   * Replaces the routes, keeping the proxy's own upstream group; see {@link #reconfigure}.
   *
   * @param routes the new routes, in the order they are tried; may be empty when the proxy has its
   *     own group
   */
  public void replaceRoutes(List<Route> routes) {
    synchronized (lifecycleLock) {
      reconfigure(settings.upstreamGroup(), routes);
    }
  }

  /**
   * Stops the proxy, letting connections finish: stops accepting at once (new clients are refused),
   * waits up to {@code grace} for open connections to end by themselves, then sends the rest 1001
   * (Going Away), spread over {@link Builder#closeSpread} if set, waits up to {@link #closeTimeout()}
   * for their close handshakes, closes every socket and joins the event-loop threads. Returns when
   * done; {@code shutdown(Duration.ZERO)} is {@link #close()}. Idempotent, like {@code close()}.
   *
   * @param grace how long to wait for open connections to end by themselves; zero or positive
   */
  public void shutdown(Duration grace) {
    Objects.requireNonNull(grace, "grace");
    if (grace.isNegative()) {
      throw new IllegalArgumentException("grace must not be negative, was " + grace);
    }
    ProxyServer toStop;
    synchronized (lifecycleLock) {
      if (closed) {
        return;
      }
      closed = true;
      toStop = server;
    }
    if (toStop != null) {
      toStop.shutdown(grace.toNanos(), grace.isZero() ? 0 : settings.closeSpread().toNanos());
    }
  }

  /**
   * The port the proxy listens on: the configured one, or the one the system chose when the
   * listen address had port 0.
   *
   * @return the port the proxy is bound to
   * @throws IllegalStateException if the proxy is not started
   */
  public int port() {
    return boundAddress().getPort();
  }

  /**
   * The address the proxy listens on, with its actual port.
   *
   * @return the bound address of the listen socket
   * @throws IllegalStateException if the proxy is not started
   */
  public InetSocketAddress boundAddress() {
    synchronized (lifecycleLock) {
      if (server == null) {
        throw new IllegalStateException("proxy is not started");
      }
      return server.boundAddress();
    }
  }

  /**
   * Reads the listener's certificate files again (see {@link ServerTls}): new TLS handshakes use the
   * new certificate, open connections keep theirs. Callable from any thread.
   *
   * @throws IllegalStateException if the proxy is not started or has no {@link Builder#listenTls}
   * @throws IllegalArgumentException naming the bad setting if the files cannot be used; the
   *     current certificate stays
   */
  public void reloadCertificates() {
    ProxyServer running;
    synchronized (lifecycleLock) {
      if (server == null || closed) {
        throw new IllegalStateException("proxy is not running");
      }
      running = server;
    }
    running.tls().reloadServerCertificates();
  }

  /**
   * Stops the proxy gracefully: stops accepting, sends every open connection's client and
   * upstream a close frame with 1001 (Going Away), waits up to {@link #closeTimeout()} for the
   * close handshakes, then closes every socket and joins the event-loop threads. Idempotent.
   */
  @Override
  public void close() {
    shutdown(Duration.ZERO);
  }

  /**
   * The address of every listener, with its actual port: the {@link Builder#listen} one first,
   * then those of {@link Builder#listener}, in the order they were added.
   *
   * @return the bound addresses of the listen sockets
   * @throws IllegalStateException if the proxy is not started
   */
  public List<InetSocketAddress> boundAddresses() {
    return running().boundAddresses();
  }

  /**
   * The address to listen on, as configured (its port may be 0).
   *
   * @return the configured listen address
   */
  public InetSocketAddress listenAddress() {
    return settings.listenAddress();
  }

  /**
   * The upstream WebSocket URL (the current group's first server), or null when the proxy has no
   * group of its own (every route has one); its path, if any, prefixes every request's path.
   *
   * @return the first server of the proxy's own group, or null
   */
  public URI upstream() {
    return settings.upstream();
  }

  /**
   * The proxy's own upstream servers and how they are balanced (the current ones); null when only
   * routes have groups.
   *
   * @return the proxy's own upstream group, or null
   */
  public UpstreamGroup upstreamGroup() {
    return settings.upstreamGroup();
  }

  /**
   * The routes (the current ones), in the order they were added; empty: the upstream serves every
   * request.
   *
   * @return the current routes; unmodifiable, possibly empty
   */
  public List<Route> routes() {
    return settings.routes();
  }

  /**
   * See {@link Builder#drainTimeout}.
   *
   * @return the drain timeout; {@link Duration#ZERO} when removed servers' connections are left
   *     open
   */
  public Duration drainTimeout() {
    return settings.drainTimeout();
  }

  /**
   * See {@link Builder#closeSpread}.
   *
   * @return the close spread window; {@link Duration#ZERO} when closes are not spread
   */
  public Duration closeSpread() {
    return settings.closeSpread();
  }

  /**
   * A snapshot of the health and connection count of every server of the proxy's own upstream
   * group, in the group's order; empty when it has none.
   *
   * @return one state per server of the proxy's own group
   * @throws IllegalStateException if the proxy is not started
   */
  public List<UpstreamState> upstreamStates() {
    return upstreamStates("");
  }

  /**
   * Like {@link #upstreamStates()} for the group of the route with this name (the proxy's own
   * group for a route without one, and for {@code ""}); empty for an unknown name.
   *
   * @param route the name of a route, or {@code ""} for the proxy's own group
   * @return one state per server of that route's group
   * @throws IllegalStateException if the proxy is not started
   */
  public List<UpstreamState> upstreamStates(String route) {
    return running().upstreamStates(route);
  }

  /**
   * The live connections (handshaking, open or closing), gathered from every event loop: an admin
   * view. Call it from an application thread, not from an interceptor or listener callback.
   *
   * @return a snapshot of each live connection
   * @throws IllegalStateException if the proxy is not started, or when called on an event loop
   */
  public List<ConnectionSnapshot> connections() {
    return running().connections();
  }

  /**
   * Closes one connection by its id (see {@link #connections()}): both sides get a close frame
   * with this code and reason; a connection still in its handshake is cut off.
   *
   * @param id the connection's id, as in {@link ConnectionSnapshot}
   * @param code the close code sent to both sides; one that may be sent on the wire
   * @param reason the close reason sent to both sides; not null
   * @return whether a connection with that id was found
   * @throws IllegalArgumentException if the code cannot be sent in a close frame
   * @throws IllegalStateException if the proxy is not started, or when called on an event loop
   */
  public boolean closeConnection(long id, int code, String reason) {
    if (!WebSocketProtocol.isValidCloseCode(code)) {
      throw new IllegalArgumentException("close code " + code + " cannot be sent in a close frame");
    }
    return running().closeConnection(id, code, Objects.requireNonNull(reason, "reason"));
  }

  /**
   * Whether the proxy accepts new clients: true from {@link #start()} until a {@link
   * #shutdown(Duration) shutdown} (or {@link #close()}) begins, false before and after. During a
   * shutdown's grace period open connections still relay, but this is already false, so a
   * readiness probe built on it tells a load balancer to stop sending new clients at once.
   *
   * @return whether the proxy is started and no shutdown has begun
   */
  public boolean isAccepting() {
    synchronized (lifecycleLock) {
      return server != null && !closed;
    }
  }

  /**
   * Begins draining the proxy before stopping it: {@link #isReady()} turns false at once, so a
   * load balancer whose health check reads it stops sending new clients, while the proxy still
   * accepts and relays as before. Follow it with {@link #shutdown(Duration)} once the balancer had
   * time to notice (a few health-check intervals): then no client the balancer sent in the
   * meantime is refused. A drain is not undone. Idempotent.
   */
  public void drain() {
    if (!draining) {
      draining = true;
      log.info("draining: not ready for new clients, still accepting until the shutdown");
    }
  }

  /**
   * Whether {@link #drain()} or a {@link #shutdown(Duration) shutdown} has begun.
   *
   * @return whether the proxy is draining or shutting down
   */
  public boolean isDraining() {
    synchronized (lifecycleLock) {
      return draining || closed;
    }
  }

  /**
   * Whether a load balancer should send this proxy new clients: it {@link #isAccepting() accepts},
   * is not {@link #drain() draining}, and at least one server of its current upstream groups (its
   * own and its routes') is usable ({@link UpstreamState.Health#UP}, neither failed nor down).
   * What an admin endpoint's {@code /readyz} answers.
   *
   * @return whether the proxy accepts clients, is not draining, and has a usable upstream server
   */
  public boolean isReady() {
    ProxyServer running;
    synchronized (lifecycleLock) {
      if (server == null || closed || draining) {
        return false;
      }
      running = server;
    }
    return running.anyServerUp();
  }

  private ProxyServer running() {
    synchronized (lifecycleLock) {
      if (server == null) {
        throw new IllegalStateException("proxy is not started");
      }
      return server;
    }
  }

  /**
   * See {@link Builder#readTimeout(Duration)}.
   *
   * @return the idle timeout of a connection
   */
  public Duration readTimeout() {
    return settings.readTimeout();
  }

  /**
   * See {@link Builder#sendTimeout(Duration)}.
   *
   * @return how long a write may make no progress
   */
  public Duration sendTimeout() {
    return settings.sendTimeout();
  }

  /**
   * See {@link Builder#connectTimeout(Duration)}.
   *
   * @return how long connecting to the upstream and its handshake answer may take
   */
  public Duration connectTimeout() {
    return settings.connectTimeout();
  }

  /**
   * See {@link Builder#handshakeTimeout(Duration)}.
   *
   * @return how long a client may take to send its handshake request
   */
  public Duration handshakeTimeout() {
    return settings.handshakeTimeout();
  }

  /**
   * See {@link Builder#closeTimeout(Duration)}.
   *
   * @return how long a closing connection waits for its peers' close frames
   */
  public Duration closeTimeout() {
    return settings.closeTimeout();
  }

  /**
   * See {@link Builder#maxHeaderBytes(int)}.
   *
   * @return the largest accepted handshake head, in bytes
   */
  public int maxHeaderBytes() {
    return settings.maxHeaderBytes();
  }

  /**
   * See {@link Builder#maxMessageBytes(long)}.
   *
   * @return the largest relayed message, in bytes
   */
  public long maxMessageBytes() {
    return settings.maxMessageBytes();
  }

  /**
   * See {@link Builder#validateUtf8(boolean)}.
   *
   * @return whether text messages are checked for valid UTF-8
   */
  public boolean validateUtf8() {
    return settings.validateUtf8();
  }

  /**
   * See {@link Builder#preserveHost(boolean)}.
   *
   * @return whether the upstream receives the client's {@code Host} header
   */
  public boolean preserveHost() {
    return settings.preserveHost();
  }

  /**
   * See {@link Builder#permessageDeflate(boolean)}.
   *
   * @return whether a client's permessage-deflate offer is passed to the upstream
   */
  public boolean permessageDeflate() {
    return settings.permessageDeflate();
  }

  /**
   * See {@link Builder#nonUpgradeStatus(int)}.
   *
   * @return the status answered to a request that is not a WebSocket upgrade
   */
  public int nonUpgradeStatus() {
    return settings.nonUpgradeStatus();
  }

  /**
   * See {@link Builder#plainHttp(boolean)}.
   *
   * @return whether requests without an upgrade are relayed as HTTP
   */
  public boolean plainHttp() {
    return settings.plainHttp();
  }

  /**
   * See {@link Builder#maxRequestBodyBytes(long)}.
   *
   * @return the largest relayed HTTP request body, in bytes; 0 for no limit
   */
  public long maxRequestBodyBytes() {
    return settings.maxRequestBodyBytes();
  }

  /**
   * See {@link Builder#upstreamKeepAlive(int)}.
   *
   * @return idle keep-alive upstream connections kept per server and event loop; 0 when off
   */
  public int upstreamKeepAlive() {
    return settings.upstreamKeepAlive();
  }

  /**
   * See {@link Builder#upstreamKeepAliveTimeout(Duration)}.
   *
   * @return how long an idle keep-alive upstream connection is kept
   */
  public Duration upstreamKeepAliveTimeout() {
    return settings.upstreamKeepAliveTimeout();
  }

  /**
   * See {@link Builder#affinityCookie(String, Duration)}.
   *
   * @return the affinity cookie's name, or null when the proxy sets none
   */
  public String affinityCookieName() {
    return settings.affinityCookieName();
  }

  /**
   * See {@link Builder#eventLoops(int)}.
   *
   * @return the number of event-loop threads
   */
  public int eventLoops() {
    return settings.eventLoops();
  }

  /**
   * See {@link Builder#transport(IoTransport)}.
   *
   * @return the transport setting (AUTO unless set); the transport in use is logged at start
   */
  public IoTransport transport() {
    return settings.transport();
  }

  /**
   * See {@link Builder#listenTls(ServerTls)}; null for a plain {@code ws://} listener.
   *
   * @return the listener's TLS configuration, or null
   */
  public ServerTls listenTls() {
    return settings.listenTls();
  }

  /**
   * The TLS configuration for {@code wss://} upstream servers (see {@link Builder#upstreamTls});
   * null when not set: the JDK's CA certificates are trusted.
   *
   * @return the upstream TLS configuration, or null
   */
  public UpstreamTls upstreamTls() {
    return settings.upstreamTls();
  }

  /**
   * See {@link Builder#upstreamTlsInsecureSkipVerify(boolean)}.
   *
   * @return whether upstream certificates are accepted without verification
   */
  public boolean upstreamTlsInsecureSkipVerify() {
    return settings.upstreamTlsInsecureSkipVerify();
  }

  /**
   * See {@link Builder#acceptBacklog(int)}.
   *
   * @return the listen socket's accept backlog
   */
  public int acceptBacklog() {
    return settings.acceptBacklog();
  }

  /**
   * See {@link Builder#eventListener}.
   *
   * @return the event listener, or null when none was set
   */
  public ProxyEventListener eventListener() {
    return settings.eventListener();
  }

  /**
   * The interceptors, in the order they are called (see {@link Builder#interceptor}).
   *
   * @return the interceptors; unmodifiable, possibly empty
   */
  public List<Interceptor> interceptors() {
    return settings.interceptors();
  }

  /**
   * See {@link Builder#interceptorTimeout(Duration)}.
   *
   * @return how long an interceptor's asynchronous answer may take
   */
  public Duration interceptorTimeout() {
    return settings.interceptorTimeout();
  }

  /**
   * See {@link Builder#maxConnections}.
   *
   * @return the most client connections open at once
   */
  public int maxConnections() {
    return settings.maxConnections();
  }

  /**
   * See {@link Builder#maxConnectionsPerIp}.
   *
   * @return the most connections open at once from one client IP address
   */
  public int maxConnectionsPerIp() {
    return settings.maxConnectionsPerIp();
  }

  /**
   * See {@link Builder#maxHandshakesPerSecondPerIp}.
   *
   * @return the most new connections per second from one client IP address; 0 for no limit
   */
  public int maxHandshakesPerSecondPerIp() {
    return settings.maxHandshakesPerSecondPerIp();
  }

  /**
   * See {@link Builder#maxFrameBytes}.
   *
   * @return the largest relayed frame, in bytes
   */
  public long maxFrameBytes() {
    return settings.maxFrameBytes();
  }

  /**
   * See {@link Builder#allowedOrigins}.
   *
   * @return the allowed {@code Origin} values; empty when any origin is allowed
   */
  public List<String> allowedOrigins() {
    return settings.allowedOrigins();
  }

  /**
   * See {@link Builder#trustedProxies}.
   *
   * @return the trusted proxies' addresses and CIDR blocks; possibly empty
   */
  public List<String> trustedProxies() {
    return settings.trustedProxies();
  }

  /**
   * See {@link Builder#clientPingInterval}.
   *
   * @return the client leg's ping interval; {@link Duration#ZERO} when off
   */
  public Duration clientPingInterval() {
    return settings.clientPingInterval();
  }

  /**
   * See {@link Builder#upstreamPingInterval}.
   *
   * @return the upstream leg's ping interval; {@link Duration#ZERO} when off
   */
  public Duration upstreamPingInterval() {
    return settings.upstreamPingInterval();
  }

  /**
   * See {@link Builder#pongTimeout}.
   *
   * @return how long a peer has to answer the proxy's own ping
   */
  public Duration pongTimeout() {
    return settings.pongTimeout();
  }

  @Override
  public String toString() {
    ProxySettings current = settings;
    return "WsProxy{listen=" + current.listenAddress() + ", upstream=" + current.upstreamGroup()
        + (current.routes().isEmpty() ? "" : ", routes=" + current.routes()) + "}";
  }

  /**
   * Collects a {@link WsProxy}'s configuration. Every setter validates its argument and throws
   * {@link IllegalArgumentException} naming the setting; {@link #build()} checks what only the
   * whole configuration can tell. Not thread-safe; the built proxy is immutable.
   */
  public static final class Builder {
    private final SettingsBuilder settings;

    private Builder() {
      this(new SettingsBuilder());
    }

    private Builder(SettingsBuilder settings) {
      this.settings = settings;
    }

    /**
     * The address to accept clients on; port 0 picks a free port. Default 127.0.0.1:8080.
     *
     * @param address the address to listen on; resolved, not null
     * @return this builder
     */
    public Builder listen(InetSocketAddress address) {
      settings.listen(address);
      return this;
    }

    /**
     * The upstream WebSocket server, as a {@code ws://} or {@code wss://host[:port][/path-prefix]}
     * URL. The request path and query of each client are appended to the path prefix. For {@code
     * wss://} the upstream's certificate is verified against the host name (which is also sent as
     * SNI) with {@link #upstreamTls}'s trust. Required.
     *
     * @param url the upstream URL
     * @return this builder
     * @throws IllegalArgumentException naming {@code upstream} if the URL is not a usable ws URL
     */
    public Builder upstream(String url) {
      return upstream(UpstreamGroup.parseUrl(url));
    }

    /**
     * Like {@link #upstream(String)}.
     *
     * @param url the upstream URL
     * @return this builder
     */
    public Builder upstream(URI url) {
      return upstream(UpstreamGroup.of(url));
    }

    /**
     * Adds a further address to accept clients on, besides {@link #listen}'s: plain {@code ws://}
     * when {@code tls} is null, else {@code wss://} with this certificate (like nginx's several
     * {@code listen} lines, e.g. 80 and 443 at once). Each listener serves the same routes;
     * {@code X-Forwarded-Proto} says which kind the client used. Call it once per further
     * address. Default: none.
     *
     * @param address the address to bind; port 0 picks a free port
     * @param tls the listener's certificate, or null for plain {@code ws://}
     * @return this builder
     * @throws IllegalArgumentException naming {@code listener} when the address is unresolved
     */
    public Builder listener(InetSocketAddress address, ServerTls tls) {
      settings.listener(address, tls);
      return this;
    }

    /**
     * Several upstream servers, balanced and failed over as the group says; replaces any earlier
     * upstream.
     *
     * @param group the upstream servers and their balancing; not null
     * @return this builder
     */
    public Builder upstream(UpstreamGroup group) {
      settings.upstream(group);
      return this;
    }

    /**
     * Adds a route (repeatable): requests for its hosts and path go to its upstream group, with its
     * timeouts and interceptors; see {@link Route} for how a route is chosen. Once there are
     * routes, a request no route matches gets {@code 404}; without routes the proxy's upstream
     * serves every request. Route names must be unique.
     *
     * @param route the route to add; not null, its name not used by an earlier route
     * @return this builder
     */
    public Builder route(Route route) {
      settings.route(route);
      return this;
    }

    /**
     * What happens to the open connections of an upstream server that a {@link
     * WsProxy#reconfigure} removed: {@link Duration#ZERO} (the default) leaves them open until they
     * end by themselves; a positive duration closes them with 1001 (Going Away) that long after the
     * removal, spread over {@link #closeSpread}. New connections never go to a removed server.
     *
     * @param timeout how long after the removal the connections are closed; zero or positive
     * @return this builder
     */
    public Builder drainTimeout(Duration timeout) {
      settings.drainTimeout(timeout);
      return this;
    }

    /**
     * The window over which the proxy spreads its own 1001 closes of many connections (draining a
     * removed server, the end of {@link WsProxy#shutdown(Duration)}'s grace period), evenly, so
     * their clients do not all reconnect to the remaining servers at once (HAProxy's {@code
     * close-spread-time}). Default {@link Duration#ZERO}: all at once. {@link WsProxy#close()}
     * never waits for it.
     *
     * @param window the window over which closes are spread; zero or positive
     * @return this builder
     */
    public Builder closeSpread(Duration window) {
      settings.closeSpread(window);
      return this;
    }

    /**
     * Closes a connection when no data has moved in either direction for this long, like nginx's
     * {@code proxy_read_timeout} on an upgraded connection. Both the client and the upstream get a
     * close frame with 1001 (Going Away) and reason "idle timeout". Default 60 s.
     *
     * @param timeout how long a connection may be idle; positive
     * @return this builder
     */
    public Builder readTimeout(Duration timeout) {
      settings.readTimeout(timeout);
      return this;
    }

    /**
     * Closes a connection when a write to one side makes no progress for this long (the peer
     * stopped reading), like nginx's {@code proxy_send_timeout}. The stalled side's TCP
     * connection is closed (it cannot take a close frame); the other side gets a close frame:
     * 1011 (Internal Error) when the upstream stalled, 1001 (Going Away) when the client stalled.
     * Default 60 s.
     *
     * @param timeout how long a write may make no progress; positive
     * @return this builder
     */
    public Builder sendTimeout(Duration timeout) {
      settings.sendTimeout(timeout);
      return this;
    }

    /**
     * Time allowed for connecting to the upstream and receiving its handshake answer; past it the
     * client gets {@code 504 Gateway Timeout}. Default 10 s.
     *
     * @param timeout how long connecting and the upstream's handshake answer may take; positive
     * @return this builder
     */
    public Builder connectTimeout(Duration timeout) {
      settings.connectTimeout(timeout);
      return this;
    }

    /**
     * Time allowed for a client to send its complete handshake request after connecting; a client
     * that stalls longer (slowloris) is disconnected. Default 10 s.
     *
     * @param timeout how long a client may take to send its handshake request; positive
     * @return this builder
     */
    public Builder handshakeTimeout(Duration timeout) {
      settings.handshakeTimeout(timeout);
      return this;
    }

    /**
     * Time a closing connection waits for its peers' close frames before its sockets are closed
     * anyway; also bounds the wait of {@link WsProxy#close()}. Default 5 s.
     *
     * @param timeout how long to wait for the peers' close frames; positive
     * @return this builder
     */
    public Builder closeTimeout(Duration timeout) {
      settings.closeTimeout(timeout);
      return this;
    }

    /**
     * The largest handshake request head (request line and headers) accepted from a client; a
     * larger one gets {@code 431 Request Header Fields Too Large}. The same limit bounds the
     * upstream's handshake answer. Default 16 KiB; at least 1 KiB.
     *
     * @param bytes the largest handshake head, in bytes; between 1 KiB and 1 MiB
     * @return this builder
     */
    public Builder maxHeaderBytes(int bytes) {
      settings.maxHeaderBytes(bytes);
      return this;
    }

    /**
     * The largest message (sum of its frames' payloads) relayed in either direction; a larger one
     * closes the connection with 1009 (Message Too Big) on both sides before any of the offending
     * frame is relayed. Default 16 MiB.
     *
     * @param bytes the largest message, in bytes; at least 125
     * @return this builder
     */
    public Builder maxMessageBytes(long bytes) {
      settings.maxMessageBytes(bytes);
      return this;
    }

    /**
     * Whether text messages are checked for valid UTF-8 as they pass; an invalid one closes the
     * connection with 1007 on both sides. Compressed (permessage-deflate) messages are relayed
     * without inflating them, so they are not checked: the receiving endpoint checks them after
     * inflating. Default true.
     *
     * @param validate whether to check text messages for valid UTF-8
     * @return this builder
     */
    public Builder validateUtf8(boolean validate) {
      settings.validateUtf8(validate);
      return this;
    }

    /**
     * Whether the upstream receives the client's {@code Host} header (true) or the upstream URL's
     * host and port (false, the default, like nginx's default {@code proxy_set_header Host
     * $proxy_host}). The client's host is always sent as {@code X-Forwarded-Host}.
     *
     * @param preserve true to send the client's {@code Host} header, false for the upstream URL's
     *     host and port
     * @return this builder
     */
    public Builder preserveHost(boolean preserve) {
      settings.preserveHost(preserve);
      return this;
    }

    /**
     * Whether a client's permessage-deflate offer is passed to the upstream (true, the default),
     * so compressed frames flow end to end without the proxy inflating them; false strips the
     * offer, so the connection is uncompressed.
     *
     * @param passThrough true to pass the offer to the upstream, false to strip it
     * @return this builder
     */
    public Builder permessageDeflate(boolean passThrough) {
      settings.permessageDeflate(passThrough);
      return this;
    }

    /**
     * The HTTP status answered to a request that is not a WebSocket upgrade when {@link
     * #plainHttp(boolean) plainHttp} is off. Default 426 (Upgrade Required); any 4xx status is
     * accepted.
     *
     * @param status the status to answer; a 4xx status
     * @return this builder
     */
    public Builder nonUpgradeStatus(int status) {
      settings.nonUpgradeStatus(status);
      return this;
    }

    /**
     * Whether requests without an upgrade are relayed to the same route and upstream group as
     * HTTP/1.1, as nginx's recipe does under {@code location /}: pages, socket.io's polling
     * transport, SockJS's {@code /info}, SignalR's {@code /negotiate}, health checks. They get the
     * same balancing, failover, timeouts, forwarding headers and handshake hooks ({@link
     * Handshake#isUpgrade()} tells them apart); bodies stream through without message hooks.
     * Default true; false makes a WebSocket-only proxy that answers such requests with {@link
     * #nonUpgradeStatus(int)}.
     *
     * @param relay true to relay plain HTTP requests, false to answer them with the non-upgrade status
     * @return this builder
     */
    public Builder plainHttp(boolean relay) {
      settings.plainHttp(relay);
      return this;
    }

    /**
     * The largest request body relayed for a plain HTTP request; a larger one gets 413 (Content Too
     * Large): before anything is relayed when its {@code Content-Length} says so, at the limit when
     * it is chunked. Default 16 MiB, as {@link #maxMessageBytes(long)}.
     *
     * @param bytes the largest request body in bytes; 0 for no limit
     * @return this builder
     */
    public Builder maxRequestBodyBytes(long bytes) {
      settings.maxRequestBodyBytes(bytes);
      return this;
    }

    /**
     * How many idle upstream connections plain HTTP requests keep open per upstream server and
     * event loop for the next request, as nginx's {@code keepalive N;} with {@code
     * proxy_set_header Connection "";}. A connection goes back only after a response read
     * completely; a request that fails on one before any of its response was relayed is sent once
     * more on a new connection when its method is idempotent and it has no body. Default 32; 0
     * closes every upstream connection after its response ({@code Connection: close}, as nginx's
     * recipe).
     *
     * @param idlePerServer idle connections kept per server and event loop; 0 for none
     * @return this builder
     */
    public Builder upstreamKeepAlive(int idlePerServer) {
      settings.upstreamKeepAlive(idlePerServer);
      return this;
    }

    /**
     * Pins each client to one upstream server with a cookie the proxy inserts, as HAProxy's {@code
     * cookie SRV insert}: for socket.io, SockJS or SignalR behind several servers, whose sessions
     * start with HTTP requests (long polling, {@code /negotiate}) and must reach the server that
     * later takes the WebSocket, also for many users behind one NAT (where {@link Balance#hashClientIp()}
     * fails). The first response, plain HTTP or the WebSocket's 101, sets the cookie, naming the
     * chosen server by an opaque id (a keyed hash of its URL, random per proxy process); later
     * requests carrying it go to that server while it is healthy and below its cap, else to another
     * as balanced, and the cookie is replaced. The cookie is {@code HttpOnly}, {@code SameSite=Lax},
     * {@code Path=/}, and {@code Secure} on a TLS listener. It applies to every upstream group of
     * the proxy. Default: off.
     *
     * @param name the cookie's name, an HTTP token (e.g. {@code WSPROXY_SERVER}); null turns it off
     * @param maxAge the cookie's lifetime; {@link Duration#ZERO} for a session cookie
     * @return this builder
     * @throws IllegalArgumentException if the name is not a token or the lifetime is negative
     */
    public Builder affinityCookie(String name, Duration maxAge) {
      if (name != null && !HttpHead.isToken(name)) {
        throw new IllegalArgumentException("affinityCookie name must be an HTTP token, was " + name);
      }
      settings.affinityCookie(name, maxAge);
      return this;
    }

    /**
     * The key of the {@link #affinityCookie(String, Duration) affinity cookie}'s server ids. Proxy
     * instances behind one load balancer that share it name the servers alike, so a cookie set by
     * one is honoured by the others. Default: a random key per process (cookies then pin a client
     * only through the proxy that set them, and not across its restarts).
     *
     * @param secret at least 16 secret bytes (copied); null for a random key per process
     * @return this builder
     * @throws IllegalArgumentException if the secret is shorter than 16 bytes
     */
    public Builder affinityCookieSecret(byte[] secret) {
      settings.affinityCookieSecret(secret);
      return this;
    }

    /**
     * How long an idle keep-alive upstream connection is kept before the proxy closes it. Default
     * 60 s; keep it below the upstream server's own idle timeout.
     *
     * @param timeout the idle time after which a kept connection is closed
     * @return this builder
     */
    public Builder upstreamKeepAliveTimeout(Duration timeout) {
      settings.upstreamKeepAliveTimeout(timeout);
      return this;
    }

    /**
     * The number of event-loop threads that carry all connections; a connection and its upstream
     * leg live on one loop for their whole life. Default: half the available processors, at least
     * one (the README's "Event loops" section has the measurements behind it).
     *
     * @param threads the number of event-loop threads; between 1 and 256
     * @return this builder
     */
    public Builder eventLoops(int threads) {
      settings.eventLoops(threads);
      return this;
    }

    /**
     * How the event loops do their socket I/O. Default {@link IoTransport#AUTO}: io_uring where
     * this runtime (Java 22+) and kernel support it, else NIO; the system property {@code
     * wsproxy.transport} ({@code NIO} or {@code IO_URING}) overrides AUTO. The transport chosen is
     * logged at start (INFO), with the reason when AUTO falls back to NIO.
     *
     * @param transport the transport; not null. {@link IoTransport#IO_URING} where it cannot run
     *     makes {@link WsProxy#start()} fail with an {@link java.io.IOException} saying why
     * @return this builder
     */
    public Builder transport(IoTransport transport) {
      settings.transport(transport);
      return this;
    }

    /**
     * Serves {@code wss://}: TLS on the client leg with this certificate (and optional client
     * certificate authentication); the upstream then gets {@code X-Forwarded-Proto: https}.
     * Default: none, plain {@code ws://}.
     *
     * @param tls the listener's certificate and client authentication settings; not null
     * @return this builder
     */
    public Builder listenTls(ServerTls tls) {
      settings.listenTls(tls);
      return this;
    }

    /**
     * The listener that gets handshake outcomes, traffic and closes, for metrics. Default: none.
     *
     * @param listener the listener to notify; not null
     * @return this builder
     */
    public Builder eventListener(ProxyEventListener listener) {
      settings.eventListener(listener);
      return this;
    }

    /**
     * Adds an interceptor to the chain; interceptors are called in the order they were added. One
     * instance serves every connection. See {@link Interceptor} for what it may do and its
     * threading rules.
     *
     * @param interceptor the interceptor to add; not null
     * @return this builder
     */
    public Builder interceptor(Interceptor interceptor) {
      settings.interceptor(interceptor);
      return this;
    }

    /**
     * Trust and client certificate for a {@code wss://} upstream. Default {@link
     * UpstreamTls#systemTrust()}: the JDK's CA certificates, no client certificate. Host name
     * verification and SNI stay on whatever the trust.
     *
     * @param tls the trust and client certificate for {@code wss://} upstreams; not null
     * @return this builder
     */
    public Builder upstreamTls(UpstreamTls tls) {
      settings.upstreamTls(tls);
      return this;
    }

    /**
     * Time an interceptor's asynchronous answer may take: a handshake stage still outstanding after
     * it gets the client {@code 504}; a message stage, close code 1011 on both sides. Default 10 s.
     *
     * @param timeout how long an asynchronous answer may take; positive
     * @return this builder
     */
    public Builder interceptorTimeout(Duration timeout) {
      settings.interceptorTimeout(timeout);
      return this;
    }

    /**
     * DANGEROUS: accept any certificate from a {@code wss://} upstream, for any host name, so
     * anyone on the path can impersonate it. For tests against throw-away certificates only; the
     * proxy logs a warning when it starts with this on. Default false.
     *
     * @param insecure true to skip verifying upstream certificates
     * @return this builder
     */
    public Builder upstreamTlsInsecureSkipVerify(boolean insecure) {
      settings.upstreamTlsInsecureSkipVerify(insecure);
      return this;
    }

    /**
     * The most client connections open at once (handshaking or relaying); one more gets {@code 503
     * Service Unavailable} at once. Each connection holds two sockets. Default 10,000.
     *
     * @param connections the most connections open at once; at least 1
     * @return this builder
     */
    public Builder maxConnections(int connections) {
      settings.maxConnections(connections);
      return this;
    }

    /**
     * The most connections open at once from one client IP address; one more gets {@code 429 Too
     * Many Requests}. Default: no limit, since behind a load balancer or a NAT many clients share
     * an address.
     *
     * @param connections the most connections open at once from one address; at least 1
     * @return this builder
     */
    public Builder maxConnectionsPerIp(int connections) {
      settings.maxConnectionsPerIp(connections);
      return this;
    }

    /**
     * The most new connections per second from one client IP address (a token bucket allowing
     * bursts of that size); more get {@code 429 Too Many Requests}. 0, the default, means no limit.
     *
     * @param handshakes the most new connections per second from one address; 0 for no limit
     * @return this builder
     */
    public Builder maxHandshakesPerSecondPerIp(int handshakes) {
      settings.maxHandshakesPerSecondPerIp(handshakes);
      return this;
    }

    /**
     * The largest single frame relayed in either direction; a larger one closes the connection with
     * 1009 on both sides before any of it is relayed. Default 16 MiB.
     *
     * @param bytes the largest frame, in bytes; at least 125
     * @return this builder
     */
    public Builder maxFrameBytes(long bytes) {
      settings.maxFrameBytes(bytes);
      return this;
    }

    /**
     * The only {@code Origin} values a handshake may carry (exact, case-insensitive matches such as
     * {@code https://app.example}); another origin gets {@code 403 Forbidden}. Requests without an
     * {@code Origin} header (non-browser clients) are let through: browsers always send it, and it
     * is browsers that cross-site WebSocket hijacking abuses. Empty, the default, allows any origin.
     *
     * @param origins the allowed origins; empty to allow any
     * @return this builder
     */
    public Builder allowedOrigins(List<String> origins) {
      settings.allowedOrigins(origins);
      return this;
    }

    /**
     * The addresses (IP literals or CIDR blocks, e.g. {@code 10.0.0.0/8}) of proxies in front of
     * this one whose {@code X-Forwarded-For}, {@code X-Forwarded-Proto} and {@code
     * X-Forwarded-Host} are believed: for them the client's address is appended to their {@code
     * X-Forwarded-For}. From any other peer those headers are replaced, so a client cannot spoof
     * its address. Default: none.
     *
     * @param addresses the trusted proxies, as IP literals or CIDR blocks
     * @return this builder
     * @throws IllegalArgumentException naming {@code trustedProxies} for an entry that is not an IP
     *     literal or CIDR block
     */
    public Builder trustedProxies(List<String> addresses) {
      settings.trustedProxies(addresses);
      return this;
    }

    /**
     * How long the client leg may be silent before the proxy sends it a ping of its own; a client
     * that then sends nothing (no pong, no data) within {@link #pongTimeout} is treated as vanished:
     * its socket is closed and the upstream gets 1001. The pongs that answer the proxy's pings are
     * not relayed. {@link Duration#ZERO}, the default, sends no pings.
     *
     * @param interval how long the client leg may be silent before a ping; zero for no pings
     * @return this builder
     */
    public Builder clientPingInterval(Duration interval) {
      settings.clientPingInterval(interval);
      return this;
    }

    /**
     * Like {@link #clientPingInterval} for the upstream leg: an upstream that does not answer is
     * treated as vanished, and the client gets 1011. Default {@link Duration#ZERO}: off.
     *
     * @param interval how long the upstream leg may be silent before a ping; zero for no pings
     * @return this builder
     */
    public Builder upstreamPingInterval(Duration interval) {
      settings.upstreamPingInterval(interval);
      return this;
    }

    /**
     * How long a peer has to answer the proxy's own ping. Default 10 s.
     *
     * @param timeout how long a peer has to answer a ping; positive
     * @return this builder
     */
    public Builder pongTimeout(Duration timeout) {
      settings.pongTimeout(timeout);
      return this;
    }

    /**
     * The listen socket's accept backlog. Default 1024.
     *
     * @param backlog the accept backlog; at least 1
     * @return this builder
     */
    public Builder acceptBacklog(int backlog) {
      settings.acceptBacklog(backlog);
      return this;
    }

    /**
     * Returns the proxy, not yet started.
     *
     * @return a new proxy with this builder's configuration
     * @throws IllegalStateException naming the setting when the configuration is incomplete
     */
    public WsProxy build() {
      return new WsProxy(settings.build(UpstreamTls::trustingEverything));
    }
  }
}
