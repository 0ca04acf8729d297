package io.github.wsproxy.internal.config;

import io.github.wsproxy.Interceptor;
import io.github.wsproxy.IoTransport;
import io.github.wsproxy.ProxyEventListener;
import io.github.wsproxy.Route;
import io.github.wsproxy.ServerTls;
import io.github.wsproxy.UpstreamGroup;
import io.github.wsproxy.UpstreamTls;
import io.github.wsproxy.internal.limits.AddressRange;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * A proxy's whole configuration, validated and immutable: what {@code WsProxy.Builder} builds, what
 * {@code WsProxy}'s accessors return and what the engine ({@code ProxyServer} and everything it
 * creates) runs with. Each accessor, and each setter of its {@link SettingsBuilder}, means what the setter
 * of the same name on {@code WsProxy.Builder} documents; the setters validate as documented there.
 *
 * <p>{@link #upstreamGroup()} and {@link #routes()} are the routing this object was built with; a
 * running engine is given later routing through {@code ProxyServer.reconfigure}, while the facade
 * keeps its current settings as {@link #withRouting a copy with the new routing}.
 */
public final class ProxySettings {
  static final ProxyEventListener NO_EVENTS = new ProxyEventListener() {};

  /**
   * Each setting by the name of its setter, in declaration order: what {@link #changesTo} compares.
   * The routing ({@code upstream}, {@code route}) is not among them: it is replaced as a whole.
   */
  private static final Map<String, Function<ProxySettings, Object>> SETTINGS = settings();
  /** The settings a running proxy cannot change without binding its sockets or threads again. */
  private static final Set<String> NEED_RESTART =
      Set.of("listen", "listener", "eventLoops", "acceptBacklog", "transport", "upstreamKeepAlive",
          "upstreamKeepAliveTimeout");

  final InetSocketAddress listenAddress;
  final List<Listener> moreListeners;
  final UpstreamGroup upstreamGroup;
  final List<Route> routes;
  final Duration drainTimeout;
  final Duration closeSpread;
  final Duration readTimeout;
  final Duration sendTimeout;
  final Duration connectTimeout;
  final Duration handshakeTimeout;
  final Duration closeTimeout;
  final int maxHeaderBytes;
  final long maxMessageBytes;
  final boolean validateUtf8;
  final boolean preserveHost;
  final boolean permessageDeflate;
  final int nonUpgradeStatus;
  final boolean plainHttp;
  final long maxRequestBodyBytes;
  final int upstreamKeepAlive;
  final Duration upstreamKeepAliveTimeout;
  final String affinityCookieName;
  final Duration affinityCookieMaxAge;
  final byte[] affinityCookieSecret;
  final int eventLoops;
  final int acceptBacklog;
  final IoTransport transport;
  final ServerTls listenTls;
  /** The trust upstream connections are made with: the configured one, made to trust everything when insecure. */
  final UpstreamTls upstreamTls;
  /** The trust as configured, for {@link #newBuilder()}. */
  final UpstreamTls configuredUpstreamTls;
  final boolean upstreamTlsInsecureSkipVerify;
  final List<Interceptor> interceptors;
  final ProxyEventListener eventListener;
  final Duration interceptorTimeout;
  final int maxConnections;
  final int maxConnectionsPerIp;
  final int maxHandshakesPerSecondPerIp;
  final long maxFrameBytes;
  final List<String> allowedOrigins;
  final List<String> trustedProxies;
  final Duration clientPingInterval;
  final Duration upstreamPingInterval;
  final Duration pongTimeout;

  ProxySettings(SettingsBuilder builder, UpstreamGroup upstreamGroup, List<Route> routes, UpstreamTls upstreamTls) {
    this.listenAddress = builder.listenAddress;
    this.moreListeners = List.copyOf(builder.moreListeners);
    this.upstreamGroup = upstreamGroup;
    this.routes = routes;
    this.drainTimeout = builder.drainTimeout;
    this.closeSpread = builder.closeSpread;
    this.readTimeout = builder.readTimeout;
    this.sendTimeout = builder.sendTimeout;
    this.connectTimeout = builder.connectTimeout;
    this.handshakeTimeout = builder.handshakeTimeout;
    this.closeTimeout = builder.closeTimeout;
    this.maxHeaderBytes = builder.maxHeaderBytes;
    this.maxMessageBytes = builder.maxMessageBytes;
    this.validateUtf8 = builder.validateUtf8;
    this.preserveHost = builder.preserveHost;
    this.permessageDeflate = builder.permessageDeflate;
    this.nonUpgradeStatus = builder.nonUpgradeStatus;
    this.plainHttp = builder.plainHttp;
    this.maxRequestBodyBytes = builder.maxRequestBodyBytes;
    this.upstreamKeepAlive = builder.upstreamKeepAlive;
    this.upstreamKeepAliveTimeout = builder.upstreamKeepAliveTimeout;
    this.affinityCookieName = builder.affinityCookieName;
    this.affinityCookieMaxAge = builder.affinityCookieMaxAge;
    this.affinityCookieSecret = builder.affinityCookieSecret;
    this.eventLoops = builder.eventLoops;
    this.acceptBacklog = builder.acceptBacklog;
    this.transport = builder.transport;
    this.listenTls = builder.listenTls;
    this.upstreamTls = upstreamTls;
    this.configuredUpstreamTls = builder.upstreamTls;
    this.upstreamTlsInsecureSkipVerify = builder.upstreamTlsInsecureSkipVerify;
    this.interceptors = List.copyOf(builder.interceptors);
    this.eventListener = builder.eventListener;
    this.interceptorTimeout = builder.interceptorTimeout;
    this.maxConnections = builder.maxConnections;
    this.maxConnectionsPerIp = builder.maxConnectionsPerIp;
    this.maxHandshakesPerSecondPerIp = builder.maxHandshakesPerSecondPerIp;
    this.maxFrameBytes = builder.maxFrameBytes;
    this.allowedOrigins = builder.allowedOrigins;
    this.trustedProxies = builder.trustedProxies;
    this.clientPingInterval = builder.clientPingInterval;
    this.upstreamPingInterval = builder.upstreamPingInterval;
    this.pongTimeout = builder.pongTimeout;
  }

  /** A builder holding these settings (the trust as configured), to derive other settings. */
  public SettingsBuilder newBuilder() {
    return new SettingsBuilder(this);
  }

  /**
   * These settings with another upstream group and routes.
   *
   * @throws IllegalArgumentException when the routing is incomplete (as {@link SettingsBuilder#build} says)
   */
  public ProxySettings withRouting(UpstreamGroup upstream, List<Route> routes) {
    List<Route> copy = checkRouting(upstream, routes, IllegalArgumentException::new);
    return new ProxySettings(newBuilder(), upstream, copy, upstreamTls);
  }

  /**
   * These settings as a running proxy can adopt them from {@code next}: {@code next}'s settings,
   * with the listen addresses, event loops, accept backlog and transport kept from these (they
   * need a restart). The listeners' TLS comes from {@code next} while the addresses are the same.
   */
  public ProxySettings reloadableFrom(ProxySettings next) {
    SettingsBuilder kept = next.newBuilder();
    kept.listenAddress = listenAddress;
    if (!moreAddresses().equals(next.moreAddresses())) {
      kept.moreListeners.clear();
      kept.moreListeners.addAll(moreListeners);
    }
    kept.eventLoops = eventLoops;
    kept.acceptBacklog = acceptBacklog;
    kept.transport = transport;
    return new ProxySettings(kept, next.upstreamGroup, next.routes, next.upstreamTls);
  }

  /**
   * The names of the settings (their setters' names) that differ in {@code next}, in two lists:
   * those a running proxy applies to new connections, and those that need a restart.
   */
  public Changes changesTo(ProxySettings next) {
    List<String> applied = new ArrayList<>();
    List<String> needRestart = new ArrayList<>();
    SETTINGS.forEach((name, value) -> {
      if (!Objects.equals(value.apply(this), value.apply(next))) {
        (NEED_RESTART.contains(name) ? needRestart : applied).add(name);
      }
    });
    return new Changes(List.copyOf(applied), List.copyOf(needRestart));
  }

  /**
   * What a reconfiguration changed.
   *
   * @param applied the settings new connections get from now on
   * @param needRestart the settings that stay as they are until the proxy is started again
   */
  public record Changes(List<String> applied, List<String> needRestart) {}

  private List<InetSocketAddress> moreAddresses() {
    return moreListeners.stream().map(Listener::address).toList();
  }

  private static Map<String, Function<ProxySettings, Object>> settings() {
    Map<String, Function<ProxySettings, Object>> all = new LinkedHashMap<>();
    all.put("listen", ProxySettings::listenAddress);
    all.put("listener", ProxySettings::moreAddresses);
    all.put("listener TLS", s -> s.moreListeners.stream().map(Listener::tls).toList());
    all.put("drainTimeout", ProxySettings::drainTimeout);
    all.put("closeSpread", ProxySettings::closeSpread);
    all.put("readTimeout", ProxySettings::readTimeout);
    all.put("sendTimeout", ProxySettings::sendTimeout);
    all.put("connectTimeout", ProxySettings::connectTimeout);
    all.put("handshakeTimeout", ProxySettings::handshakeTimeout);
    all.put("closeTimeout", ProxySettings::closeTimeout);
    all.put("maxHeaderBytes", ProxySettings::maxHeaderBytes);
    all.put("maxMessageBytes", ProxySettings::maxMessageBytes);
    all.put("validateUtf8", ProxySettings::validateUtf8);
    all.put("preserveHost", ProxySettings::preserveHost);
    all.put("permessageDeflate", ProxySettings::permessageDeflate);
    all.put("nonUpgradeStatus", ProxySettings::nonUpgradeStatus);
    all.put("eventLoops", ProxySettings::eventLoops);
    all.put("acceptBacklog", ProxySettings::acceptBacklog);
    all.put("transport", ProxySettings::transport);
    all.put("listenTls", ProxySettings::listenTls);
    all.put("upstreamTls", s -> s.configuredUpstreamTls);
    all.put("upstreamTlsInsecureSkipVerify", ProxySettings::upstreamTlsInsecureSkipVerify);
    all.put("interceptor", ProxySettings::interceptors);
    all.put("eventListener", ProxySettings::eventListener);
    all.put("interceptorTimeout", ProxySettings::interceptorTimeout);
    all.put("maxConnections", ProxySettings::maxConnections);
    all.put("maxConnectionsPerIp", ProxySettings::maxConnectionsPerIp);
    all.put("maxHandshakesPerSecondPerIp", ProxySettings::maxHandshakesPerSecondPerIp);
    all.put("maxFrameBytes", ProxySettings::maxFrameBytes);
    all.put("allowedOrigins", ProxySettings::allowedOrigins);
    all.put("trustedProxies", ProxySettings::trustedProxies);
    all.put("clientPingInterval", ProxySettings::clientPingInterval);
    all.put("upstreamPingInterval", ProxySettings::upstreamPingInterval);
    all.put("pongTimeout", ProxySettings::pongTimeout);
    return Collections.unmodifiableMap(all);
  }

  /** The routes, copied, when {@code upstream} and they make a whole configuration; else {@code error}. */
  static <E extends RuntimeException> List<Route> checkRouting(UpstreamGroup upstream, List<Route> routes,
      Function<String, E> error) {
    List<Route> copy = List.copyOf(routes);
    if (upstream == null && copy.isEmpty()) {
      throw error.apply("upstream is required: call upstream(\"ws://host:port\")");
    }
    Set<String> names = new HashSet<>();
    for (Route route : copy) {
      if (!names.add(route.name())) {
        throw error.apply("route: the name " + route.name() + " is used twice");
      }
      if (upstream == null && route.upstream() == null) {
        throw error.apply("upstream is required: route " + route.name()
            + " has no upstream of its own, and the proxy has none");
      }
    }
    return copy;
  }

  public InetSocketAddress listenAddress() {
    return listenAddress;
  }

  /** Every listener: the first is {@link #listenAddress()} with {@link #listenTls()}, then those added. */
  public List<Listener> listeners() {
    List<Listener> all = new ArrayList<>(1 + moreListeners.size());
    all.add(new Listener(listenAddress, listenTls));
    all.addAll(moreListeners);
    return all;
  }

  /** These settings as a connection accepted on {@code listener} sees them: its address and TLS as the listen ones. */
  public ProxySettings forListener(Listener listener) {
    if (listener.address().equals(listenAddress) && Objects.equals(listener.tls(), listenTls)) {
      return this;
    }
    SettingsBuilder view = newBuilder();
    view.listenAddress = listener.address();
    view.listenTls = listener.tls();
    return new ProxySettings(view, upstreamGroup, routes, upstreamTls);
  }

  /** The first server of {@link #upstreamGroup()}, or null when there is no such group. */
  public URI upstream() {
    return upstreamGroup == null ? null : upstreamGroup.servers().get(0).url();
  }

  /** The proxy's own upstream group; null when every route has its own. */
  public UpstreamGroup upstreamGroup() {
    return upstreamGroup;
  }

  /** The routes in the order they are tried; unmodifiable, possibly empty. */
  public List<Route> routes() {
    return routes;
  }

  public Duration drainTimeout() {
    return drainTimeout;
  }

  public Duration closeSpread() {
    return closeSpread;
  }

  public Duration readTimeout() {
    return readTimeout;
  }

  public Duration sendTimeout() {
    return sendTimeout;
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  public Duration handshakeTimeout() {
    return handshakeTimeout;
  }

  public Duration closeTimeout() {
    return closeTimeout;
  }

  public int maxHeaderBytes() {
    return maxHeaderBytes;
  }

  public long maxMessageBytes() {
    return maxMessageBytes;
  }

  public boolean validateUtf8() {
    return validateUtf8;
  }

  public boolean preserveHost() {
    return preserveHost;
  }

  public boolean permessageDeflate() {
    return permessageDeflate;
  }

  public int nonUpgradeStatus() {
    return nonUpgradeStatus;
  }

  public boolean plainHttp() {
    return plainHttp;
  }

  public long maxRequestBodyBytes() {
    return maxRequestBodyBytes;
  }

  public int upstreamKeepAlive() {
    return upstreamKeepAlive;
  }

  public Duration upstreamKeepAliveTimeout() {
    return upstreamKeepAliveTimeout;
  }

  /** The affinity cookie's name, or null when the proxy sets none. */
  public String affinityCookieName() {
    return affinityCookieName;
  }

  public Duration affinityCookieMaxAge() {
    return affinityCookieMaxAge;
  }

  /** The key of the affinity cookie's server ids, or null for one random per process. */
  public byte[] affinityCookieSecret() {
    return affinityCookieSecret == null ? null : affinityCookieSecret.clone();
  }

  public int eventLoops() {
    return eventLoops;
  }

  public int acceptBacklog() {
    return acceptBacklog;
  }

  public IoTransport transport() {
    return transport;
  }

  /** The listener's TLS, or null for plain {@code ws://}. */
  public ServerTls listenTls() {
    return listenTls;
  }

  /**
   * The trust {@code wss://} upstream connections are made with: as configured (null: the JDK's CA
   * certificates), or trusting everything when {@link #upstreamTlsInsecureSkipVerify()} is on.
   */
  public UpstreamTls upstreamTls() {
    return upstreamTls;
  }

  public boolean upstreamTlsInsecureSkipVerify() {
    return upstreamTlsInsecureSkipVerify;
  }

  /** The interceptors in the order they are called; unmodifiable, possibly empty. */
  public List<Interceptor> interceptors() {
    return interceptors;
  }

  /** The event listener; a no-op one when none was set, never null. */
  public ProxyEventListener eventListener() {
    return eventListener;
  }

  public Duration interceptorTimeout() {
    return interceptorTimeout;
  }

  public int maxConnections() {
    return maxConnections;
  }

  public int maxConnectionsPerIp() {
    return maxConnectionsPerIp;
  }

  public int maxHandshakesPerSecondPerIp() {
    return maxHandshakesPerSecondPerIp;
  }

  public long maxFrameBytes() {
    return maxFrameBytes;
  }

  /** The allowed {@code Origin} values; unmodifiable, empty when any origin is allowed. */
  public List<String> allowedOrigins() {
    return allowedOrigins;
  }

  /** The trusted proxies' IP literals and CIDR blocks; unmodifiable, possibly empty. */
  public List<String> trustedProxies() {
    return trustedProxies;
  }

  public Duration clientPingInterval() {
    return clientPingInterval;
  }

  public Duration upstreamPingInterval() {
    return upstreamPingInterval;
  }

  public Duration pongTimeout() {
    return pongTimeout;
  }
}
