package io.github.wsproxy.internal.config;

import io.github.wsproxy.Interceptor;
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
import java.util.Map;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * A proxy's whole configuration, validated and immutable: what {@code WsProxy.Builder} builds, what
 * {@code WsProxy}'s accessors return and what the engine ({@code ProxyServer} and everything it
 * creates) runs with. Each accessor, and each setter of its {@link Builder}, means what the setter
 * of the same name on {@code WsProxy.Builder} documents; the setters validate as documented there.
 *
 * <p>{@link #upstreamGroup()} and {@link #routes()} are the routing this object was built with; a
 * running engine is given later routing through {@code ProxyServer.reconfigure}, while the facade
 * keeps its current settings as {@link #withRouting a copy with the new routing}.
 */
public final class ProxySettings {
  private static final ProxyEventListener NO_EVENTS = new ProxyEventListener() {};

  /**
   * Each setting by the name of its setter, in declaration order: what {@link #changesTo} compares.
   * The routing ({@code upstream}, {@code route}) is not among them: it is replaced as a whole.
   */
  private static final Map<String, Function<ProxySettings, Object>> SETTINGS = settings();
  /** The settings a running proxy cannot change without binding its sockets or threads again. */
  private static final Set<String> NEED_RESTART =
      Set.of("listen", "listener", "eventLoops", "acceptBacklog", "upstreamKeepAlive", "upstreamKeepAliveTimeout");

  private final InetSocketAddress listenAddress;
  private final List<Listener> moreListeners;
  private final UpstreamGroup upstreamGroup;
  private final List<Route> routes;
  private final Duration drainTimeout;
  private final Duration closeSpread;
  private final Duration readTimeout;
  private final Duration sendTimeout;
  private final Duration connectTimeout;
  private final Duration handshakeTimeout;
  private final Duration closeTimeout;
  private final int maxHeaderBytes;
  private final long maxMessageBytes;
  private final boolean validateUtf8;
  private final boolean preserveHost;
  private final boolean permessageDeflate;
  private final int nonUpgradeStatus;
  private final boolean plainHttp;
  private final long maxRequestBodyBytes;
  private final int upstreamKeepAlive;
  private final Duration upstreamKeepAliveTimeout;
  private final String affinityCookieName;
  private final Duration affinityCookieMaxAge;
  private final byte[] affinityCookieSecret;
  private final int eventLoops;
  private final int acceptBacklog;
  private final ServerTls listenTls;
  /** The trust upstream connections are made with: the configured one, made to trust everything when insecure. */
  private final UpstreamTls upstreamTls;
  /** The trust as configured, for {@link #newBuilder()}. */
  private final UpstreamTls configuredUpstreamTls;
  private final boolean upstreamTlsInsecureSkipVerify;
  private final List<Interceptor> interceptors;
  private final ProxyEventListener eventListener;
  private final Duration interceptorTimeout;
  private final int maxConnections;
  private final int maxConnectionsPerIp;
  private final int maxHandshakesPerSecondPerIp;
  private final long maxFrameBytes;
  private final List<String> allowedOrigins;
  private final List<String> trustedProxies;
  private final Duration clientPingInterval;
  private final Duration upstreamPingInterval;
  private final Duration pongTimeout;

  private ProxySettings(Builder builder, UpstreamGroup upstreamGroup, List<Route> routes, UpstreamTls upstreamTls) {
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
  public Builder newBuilder() {
    return new Builder(this);
  }

  /**
   * These settings with another upstream group and routes.
   *
   * @throws IllegalArgumentException when the routing is incomplete (as {@link Builder#build} says)
   */
  public ProxySettings withRouting(UpstreamGroup upstream, List<Route> routes) {
    List<Route> copy = checkRouting(upstream, routes, IllegalArgumentException::new);
    return new ProxySettings(newBuilder(), upstream, copy, upstreamTls);
  }

  /**
   * These settings as a running proxy can adopt them from {@code next}: {@code next}'s settings,
   * with the listen addresses, event loops and accept backlog kept from these (they need a
   * restart). The listeners' TLS comes from {@code next} while the addresses are the same.
   */
  public ProxySettings reloadableFrom(ProxySettings next) {
    Builder kept = next.newBuilder();
    kept.listenAddress = listenAddress;
    if (!moreAddresses().equals(next.moreAddresses())) {
      kept.moreListeners.clear();
      kept.moreListeners.addAll(moreListeners);
    }
    kept.eventLoops = eventLoops;
    kept.acceptBacklog = acceptBacklog;
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
  private static <E extends RuntimeException> List<Route> checkRouting(UpstreamGroup upstream, List<Route> routes,
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
    Builder view = newBuilder();
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

  /**
   * Collects and validates settings: each setter throws {@link IllegalArgumentException} naming the
   * setting (the messages {@code WsProxy.Builder} documents); {@link #build} checks what only the
   * whole configuration can tell. Starts from the defaults documented on {@code WsProxy.Builder}.
   * Not thread-safe.
   */
  public static final class Builder {
    private InetSocketAddress listenAddress = new InetSocketAddress("127.0.0.1", 8080);
    private final List<Listener> moreListeners = new ArrayList<>();
    private UpstreamGroup upstream;
    private final List<Route> routes = new ArrayList<>();
    private Duration drainTimeout = Duration.ZERO;
    private Duration closeSpread = Duration.ZERO;
    private Duration readTimeout = Duration.ofSeconds(60);
    private Duration sendTimeout = Duration.ofSeconds(60);
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration handshakeTimeout = Duration.ofSeconds(10);
    private Duration closeTimeout = Duration.ofSeconds(5);
    private int maxHeaderBytes = 16 * 1024;
    private long maxMessageBytes = 16L * 1024 * 1024;
    private boolean validateUtf8 = true;
    private boolean preserveHost;
    private boolean permessageDeflate = true;
    private int nonUpgradeStatus = 426;
    private boolean plainHttp = true;
    private long maxRequestBodyBytes = 16L * 1024 * 1024;
    private int upstreamKeepAlive = 32;
    private Duration upstreamKeepAliveTimeout = Duration.ofSeconds(60);
    private String affinityCookieName;
    private Duration affinityCookieMaxAge = Duration.ZERO;
    private byte[] affinityCookieSecret;
    private int eventLoops = Runtime.getRuntime().availableProcessors();
    private int acceptBacklog = 1024;
    private ServerTls listenTls;
    private UpstreamTls upstreamTls;
    private boolean upstreamTlsInsecureSkipVerify;
    private final List<Interceptor> interceptors = new ArrayList<>();
    private ProxyEventListener eventListener = NO_EVENTS;
    private Duration interceptorTimeout = Duration.ofSeconds(10);
    private int maxConnections = 10_000;
    private int maxConnectionsPerIp = Integer.MAX_VALUE;
    private int maxHandshakesPerSecondPerIp = 0;
    private long maxFrameBytes = 16L * 1024 * 1024;
    private List<String> allowedOrigins = List.of();
    private List<String> trustedProxies = List.of();
    private Duration clientPingInterval = Duration.ZERO;
    private Duration upstreamPingInterval = Duration.ZERO;
    private Duration pongTimeout = Duration.ofSeconds(10);

    /** A builder with the default settings. */
    public Builder() {}

    private Builder(ProxySettings settings) {
      this.listenAddress = settings.listenAddress;
      this.moreListeners.addAll(settings.moreListeners);
      this.upstream = settings.upstreamGroup;
      this.routes.addAll(settings.routes);
      this.drainTimeout = settings.drainTimeout;
      this.closeSpread = settings.closeSpread;
      this.readTimeout = settings.readTimeout;
      this.sendTimeout = settings.sendTimeout;
      this.connectTimeout = settings.connectTimeout;
      this.handshakeTimeout = settings.handshakeTimeout;
      this.closeTimeout = settings.closeTimeout;
      this.maxHeaderBytes = settings.maxHeaderBytes;
      this.maxMessageBytes = settings.maxMessageBytes;
      this.validateUtf8 = settings.validateUtf8;
      this.preserveHost = settings.preserveHost;
      this.permessageDeflate = settings.permessageDeflate;
      this.nonUpgradeStatus = settings.nonUpgradeStatus;
      this.plainHttp = settings.plainHttp;
      this.maxRequestBodyBytes = settings.maxRequestBodyBytes;
      this.upstreamKeepAlive = settings.upstreamKeepAlive;
      this.upstreamKeepAliveTimeout = settings.upstreamKeepAliveTimeout;
      this.affinityCookieName = settings.affinityCookieName;
      this.affinityCookieMaxAge = settings.affinityCookieMaxAge;
      this.affinityCookieSecret = settings.affinityCookieSecret;
      this.eventLoops = settings.eventLoops;
      this.acceptBacklog = settings.acceptBacklog;
      this.listenTls = settings.listenTls;
      this.upstreamTls = settings.configuredUpstreamTls;
      this.upstreamTlsInsecureSkipVerify = settings.upstreamTlsInsecureSkipVerify;
      this.interceptors.addAll(settings.interceptors);
      this.eventListener = settings.eventListener;
      this.interceptorTimeout = settings.interceptorTimeout;
      this.maxConnections = settings.maxConnections;
      this.maxConnectionsPerIp = settings.maxConnectionsPerIp;
      this.maxHandshakesPerSecondPerIp = settings.maxHandshakesPerSecondPerIp;
      this.maxFrameBytes = settings.maxFrameBytes;
      this.allowedOrigins = settings.allowedOrigins;
      this.trustedProxies = settings.trustedProxies;
      this.clientPingInterval = settings.clientPingInterval;
      this.upstreamPingInterval = settings.upstreamPingInterval;
      this.pongTimeout = settings.pongTimeout;
    }

    public Builder listen(InetSocketAddress address) {
      Objects.requireNonNull(address, "listen");
      if (address.isUnresolved()) {
        throw new IllegalArgumentException("listen: address is unresolved: " + address);
      }
      this.listenAddress = address;
      return this;
    }

    public Builder listener(InetSocketAddress address, ServerTls tls) {
      Objects.requireNonNull(address, "listener");
      if (address.isUnresolved()) {
        throw new IllegalArgumentException("listener: address is unresolved: " + address);
      }
      moreListeners.add(new Listener(address, tls));
      return this;
    }

    public Builder upstream(UpstreamGroup group) {
      this.upstream = Objects.requireNonNull(group, "upstream");
      return this;
    }

    public Builder route(Route route) {
      Objects.requireNonNull(route, "route");
      if (routes.stream().anyMatch(existing -> existing.name().equals(route.name()))) {
        throw new IllegalArgumentException("route: the name " + route.name() + " is already used");
      }
      routes.add(route);
      return this;
    }

    public Builder drainTimeout(Duration timeout) {
      this.drainTimeout = Checks.zeroOrPositive("drainTimeout", timeout);
      return this;
    }

    public Builder closeSpread(Duration window) {
      this.closeSpread = Checks.zeroOrPositive("closeSpread", window);
      return this;
    }

    public Builder readTimeout(Duration timeout) {
      this.readTimeout = Checks.positive("readTimeout", timeout);
      return this;
    }

    public Builder sendTimeout(Duration timeout) {
      this.sendTimeout = Checks.positive("sendTimeout", timeout);
      return this;
    }

    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = Checks.positive("connectTimeout", timeout);
      return this;
    }

    public Builder handshakeTimeout(Duration timeout) {
      this.handshakeTimeout = Checks.positive("handshakeTimeout", timeout);
      return this;
    }

    public Builder closeTimeout(Duration timeout) {
      this.closeTimeout = Checks.positive("closeTimeout", timeout);
      return this;
    }

    public Builder maxHeaderBytes(int bytes) {
      if (bytes < 1024 || bytes > 1024 * 1024) {
        throw new IllegalArgumentException(
            "maxHeaderBytes must be between 1024 and 1048576, was " + bytes);
      }
      this.maxHeaderBytes = bytes;
      return this;
    }

    public Builder maxMessageBytes(long bytes) {
      this.maxMessageBytes = Checks.atLeast("maxMessageBytes", 125L, bytes);
      return this;
    }

    public Builder validateUtf8(boolean validate) {
      this.validateUtf8 = validate;
      return this;
    }

    public Builder preserveHost(boolean preserve) {
      this.preserveHost = preserve;
      return this;
    }

    public Builder permessageDeflate(boolean passThrough) {
      this.permessageDeflate = passThrough;
      return this;
    }

    public Builder nonUpgradeStatus(int status) {
      if (status < 400 || status > 499) {
        throw new IllegalArgumentException("nonUpgradeStatus must be a 4xx status, was " + status);
      }
      this.nonUpgradeStatus = status;
      return this;
    }

    public Builder plainHttp(boolean relay) {
      this.plainHttp = relay;
      return this;
    }

    public Builder maxRequestBodyBytes(long bytes) {
      this.maxRequestBodyBytes = Checks.atLeast("maxRequestBodyBytes", 0L, bytes);
      return this;
    }

    public Builder upstreamKeepAlive(int idlePerServer) {
      this.upstreamKeepAlive = Checks.atLeast("upstreamKeepAlive", 0, idlePerServer);
      return this;
    }

    public Builder affinityCookie(String name, Duration maxAge) {
      this.affinityCookieName = name;
      this.affinityCookieMaxAge = Checks.atLeast("affinityCookie maxAge", Duration.ZERO, maxAge);
      return this;
    }

    public Builder affinityCookieSecret(byte[] secret) {
      if (secret != null && secret.length < 16) {
        throw new IllegalArgumentException("affinityCookieSecret must have at least 16 bytes, had " + secret.length);
      }
      this.affinityCookieSecret = secret == null ? null : secret.clone();
      return this;
    }

    public Builder upstreamKeepAliveTimeout(Duration timeout) {
      this.upstreamKeepAliveTimeout = Checks.atLeast("upstreamKeepAliveTimeout", Duration.ofMillis(1), timeout);
      return this;
    }

    public Builder eventLoops(int threads) {
      if (threads < 1 || threads > 256) {
        throw new IllegalArgumentException("eventLoops must be between 1 and 256, was " + threads);
      }
      this.eventLoops = threads;
      return this;
    }

    public Builder listenTls(ServerTls tls) {
      this.listenTls = Objects.requireNonNull(tls, "listenTls");
      return this;
    }

    public Builder eventListener(ProxyEventListener listener) {
      this.eventListener = Objects.requireNonNull(listener, "eventListener");
      return this;
    }

    public Builder interceptor(Interceptor interceptor) {
      this.interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
      return this;
    }

    public Builder upstreamTls(UpstreamTls tls) {
      this.upstreamTls = Objects.requireNonNull(tls, "upstreamTls");
      return this;
    }

    public Builder interceptorTimeout(Duration timeout) {
      this.interceptorTimeout = Checks.positive("interceptorTimeout", timeout);
      return this;
    }

    public Builder upstreamTlsInsecureSkipVerify(boolean insecure) {
      this.upstreamTlsInsecureSkipVerify = insecure;
      return this;
    }

    public Builder maxConnections(int connections) {
      this.maxConnections = Checks.atLeast("maxConnections", 1, connections);
      return this;
    }

    public Builder maxConnectionsPerIp(int connections) {
      this.maxConnectionsPerIp = Checks.atLeast("maxConnectionsPerIp", 1, connections);
      return this;
    }

    public Builder maxHandshakesPerSecondPerIp(int handshakes) {
      if (handshakes < 0) {
        throw new IllegalArgumentException("maxHandshakesPerSecondPerIp must be 0 (off) or more, was " + handshakes);
      }
      this.maxHandshakesPerSecondPerIp = handshakes;
      return this;
    }

    public Builder maxFrameBytes(long bytes) {
      this.maxFrameBytes = Checks.atLeast("maxFrameBytes", 125L, bytes);
      return this;
    }

    public Builder allowedOrigins(List<String> origins) {
      List<String> copy = List.copyOf(origins);
      for (String origin : copy) {
        if (origin.isBlank() || origin.chars().anyMatch(ch -> ch <= 0x20 || ch >= 0x7F)) {
          throw new IllegalArgumentException("allowedOrigins: not an origin: \"" + origin + "\"");
        }
      }
      this.allowedOrigins = copy;
      return this;
    }

    public Builder trustedProxies(List<String> addresses) {
      List<String> copy = List.copyOf(addresses);
      for (String address : copy) {
        try {
          AddressRange.parse(address);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("trustedProxies: " + e.getMessage());
        }
      }
      this.trustedProxies = copy;
      return this;
    }

    public Builder clientPingInterval(Duration interval) {
      this.clientPingInterval = Checks.zeroOrPositive("clientPingInterval", interval);
      return this;
    }

    public Builder upstreamPingInterval(Duration interval) {
      this.upstreamPingInterval = Checks.zeroOrPositive("upstreamPingInterval", interval);
      return this;
    }

    public Builder pongTimeout(Duration timeout) {
      this.pongTimeout = Checks.positive("pongTimeout", timeout);
      return this;
    }

    public Builder acceptBacklog(int backlog) {
      this.acceptBacklog = Checks.atLeast("acceptBacklog", 1, backlog);
      return this;
    }

    /**
     * The settings, once the configuration is whole.
     *
     * @param trustEverything turns a trust (the configured one, else the JDK's) into one accepting
     *     any certificate; applied when {@code upstreamTlsInsecureSkipVerify} is on ({@code
     *     UpstreamTls} keeps that conversion to its own package)
     * @throws IllegalStateException naming the setting when the configuration is incomplete
     */
    public ProxySettings build(UnaryOperator<UpstreamTls> trustEverything) {
      Set<InetSocketAddress> addresses = new HashSet<>();
      addresses.add(listenAddress);
      for (Listener listener : moreListeners) {
        if (listener.address().getPort() != 0 && !addresses.add(listener.address())) {
          throw new IllegalStateException("listener: " + listener.address() + " is already a listen address");
        }
      }
      List<Route> copy = checkRouting(upstream, routes, IllegalStateException::new);
      UpstreamTls effective = !upstreamTlsInsecureSkipVerify ? upstreamTls
          : trustEverything.apply(upstreamTls == null ? UpstreamTls.systemTrust() : upstreamTls);
      return new ProxySettings(this, upstream, copy, effective);
    }
  }
}
