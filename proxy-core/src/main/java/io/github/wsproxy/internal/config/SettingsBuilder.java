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
 * Collects and validates settings: each setter throws {@link IllegalArgumentException} naming the
 * setting (the messages {@code WsProxy.Builder} documents); {@link #build} checks what only the
 * whole configuration can tell. Starts from the defaults documented on {@code WsProxy.Builder}.
 * Not thread-safe.
 */
public final class SettingsBuilder {
  InetSocketAddress listenAddress = new InetSocketAddress("127.0.0.1", 8080);
  final List<Listener> moreListeners = new ArrayList<>();
  UpstreamGroup upstream;
  final List<Route> routes = new ArrayList<>();
  Duration drainTimeout = Duration.ZERO;
  Duration closeSpread = Duration.ZERO;
  Duration readTimeout = Duration.ofSeconds(60);
  Duration sendTimeout = Duration.ofSeconds(60);
  Duration connectTimeout = Duration.ofSeconds(10);
  Duration handshakeTimeout = Duration.ofSeconds(10);
  Duration closeTimeout = Duration.ofSeconds(5);
  int maxHeaderBytes = 16 * 1024;
  long maxMessageBytes = 16L * 1024 * 1024;
  boolean validateUtf8 = true;
  boolean preserveHost;
  boolean permessageDeflate = true;
  int nonUpgradeStatus = 426;
  boolean plainHttp = true;
  long maxRequestBodyBytes = 16L * 1024 * 1024;
  int upstreamKeepAlive = 32;
  Duration upstreamKeepAliveTimeout = Duration.ofSeconds(60);
  String affinityCookieName;
  Duration affinityCookieMaxAge = Duration.ZERO;
  byte[] affinityCookieSecret;
  /**
   * Half the processors: one loop per core lost to one loop per two cores wherever the load shared
   * the cores (run-vs-nginx of 2026-12-06, README "Event loops").
   */
  int eventLoops = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
  int acceptBacklog = 1024;
  IoTransport transport = IoTransport.AUTO;
  ServerTls listenTls;
  UpstreamTls upstreamTls;
  boolean upstreamTlsInsecureSkipVerify;
  final List<Interceptor> interceptors = new ArrayList<>();
  ProxyEventListener eventListener = ProxySettings.NO_EVENTS;
  Duration interceptorTimeout = Duration.ofSeconds(10);
  int maxConnections = 10_000;
  int maxConnectionsPerIp = Integer.MAX_VALUE;
  int maxHandshakesPerSecondPerIp = 0;
  long maxFrameBytes = 16L * 1024 * 1024;
  List<String> allowedOrigins = List.of();
  List<String> trustedProxies = List.of();
  Duration clientPingInterval = Duration.ZERO;
  Duration upstreamPingInterval = Duration.ZERO;
  Duration pongTimeout = Duration.ofSeconds(10);

  /** A builder with the default settings. */
  public SettingsBuilder() {}

  SettingsBuilder(ProxySettings settings) {
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
    this.transport = settings.transport;
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

  public SettingsBuilder listen(InetSocketAddress address) {
    Objects.requireNonNull(address, "listen");
    if (address.isUnresolved()) {
      throw new IllegalArgumentException("listen: address is unresolved: " + address);
    }
    this.listenAddress = address;
    return this;
  }

  public SettingsBuilder listener(InetSocketAddress address, ServerTls tls) {
    Objects.requireNonNull(address, "listener");
    if (address.isUnresolved()) {
      throw new IllegalArgumentException("listener: address is unresolved: " + address);
    }
    moreListeners.add(new Listener(address, tls));
    return this;
  }

  public SettingsBuilder upstream(UpstreamGroup group) {
    this.upstream = Objects.requireNonNull(group, "upstream");
    return this;
  }

  public SettingsBuilder route(Route route) {
    Objects.requireNonNull(route, "route");
    if (routes.stream().anyMatch(existing -> existing.name().equals(route.name()))) {
      throw new IllegalArgumentException("route: the name " + route.name() + " is already used");
    }
    routes.add(route);
    return this;
  }

  public SettingsBuilder drainTimeout(Duration timeout) {
    this.drainTimeout = Checks.zeroOrPositive("drainTimeout", timeout);
    return this;
  }

  public SettingsBuilder closeSpread(Duration window) {
    this.closeSpread = Checks.zeroOrPositive("closeSpread", window);
    return this;
  }

  public SettingsBuilder readTimeout(Duration timeout) {
    this.readTimeout = Checks.positive("readTimeout", timeout);
    return this;
  }

  public SettingsBuilder sendTimeout(Duration timeout) {
    this.sendTimeout = Checks.positive("sendTimeout", timeout);
    return this;
  }

  public SettingsBuilder connectTimeout(Duration timeout) {
    this.connectTimeout = Checks.positive("connectTimeout", timeout);
    return this;
  }

  public SettingsBuilder handshakeTimeout(Duration timeout) {
    this.handshakeTimeout = Checks.positive("handshakeTimeout", timeout);
    return this;
  }

  public SettingsBuilder closeTimeout(Duration timeout) {
    this.closeTimeout = Checks.positive("closeTimeout", timeout);
    return this;
  }

  public SettingsBuilder maxHeaderBytes(int bytes) {
    if (bytes < 1024 || bytes > 1024 * 1024) {
      throw new IllegalArgumentException(
          "maxHeaderBytes must be between 1024 and 1048576, was " + bytes);
    }
    this.maxHeaderBytes = bytes;
    return this;
  }

  public SettingsBuilder maxMessageBytes(long bytes) {
    this.maxMessageBytes = Checks.atLeast("maxMessageBytes", 125L, bytes);
    return this;
  }

  public SettingsBuilder validateUtf8(boolean validate) {
    this.validateUtf8 = validate;
    return this;
  }

  public SettingsBuilder preserveHost(boolean preserve) {
    this.preserveHost = preserve;
    return this;
  }

  public SettingsBuilder permessageDeflate(boolean passThrough) {
    this.permessageDeflate = passThrough;
    return this;
  }

  public SettingsBuilder nonUpgradeStatus(int status) {
    if (status < 400 || status > 499) {
      throw new IllegalArgumentException("nonUpgradeStatus must be a 4xx status, was " + status);
    }
    this.nonUpgradeStatus = status;
    return this;
  }

  public SettingsBuilder plainHttp(boolean relay) {
    this.plainHttp = relay;
    return this;
  }

  public SettingsBuilder maxRequestBodyBytes(long bytes) {
    this.maxRequestBodyBytes = Checks.atLeast("maxRequestBodyBytes", 0L, bytes);
    return this;
  }

  public SettingsBuilder upstreamKeepAlive(int idlePerServer) {
    this.upstreamKeepAlive = Checks.atLeast("upstreamKeepAlive", 0, idlePerServer);
    return this;
  }

  public SettingsBuilder affinityCookie(String name, Duration maxAge) {
    this.affinityCookieName = name;
    this.affinityCookieMaxAge = Checks.atLeast("affinityCookie maxAge", Duration.ZERO, maxAge);
    return this;
  }

  public SettingsBuilder affinityCookieSecret(byte[] secret) {
    if (secret != null && secret.length < 16) {
      throw new IllegalArgumentException("affinityCookieSecret must have at least 16 bytes, had " + secret.length);
    }
    this.affinityCookieSecret = secret == null ? null : secret.clone();
    return this;
  }

  public SettingsBuilder upstreamKeepAliveTimeout(Duration timeout) {
    this.upstreamKeepAliveTimeout = Checks.atLeast("upstreamKeepAliveTimeout", Duration.ofMillis(1), timeout);
    return this;
  }

  public SettingsBuilder eventLoops(int threads) {
    if (threads < 1 || threads > 256) {
      throw new IllegalArgumentException("eventLoops must be between 1 and 256, was " + threads);
    }
    this.eventLoops = threads;
    return this;
  }

  public SettingsBuilder transport(IoTransport transport) {
    this.transport = Objects.requireNonNull(transport, "transport");
    return this;
  }

  public SettingsBuilder listenTls(ServerTls tls) {
    this.listenTls = Objects.requireNonNull(tls, "listenTls");
    return this;
  }

  public SettingsBuilder eventListener(ProxyEventListener listener) {
    this.eventListener = Objects.requireNonNull(listener, "eventListener");
    return this;
  }

  public SettingsBuilder interceptor(Interceptor interceptor) {
    this.interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
    return this;
  }

  public SettingsBuilder upstreamTls(UpstreamTls tls) {
    this.upstreamTls = Objects.requireNonNull(tls, "upstreamTls");
    return this;
  }

  public SettingsBuilder interceptorTimeout(Duration timeout) {
    this.interceptorTimeout = Checks.positive("interceptorTimeout", timeout);
    return this;
  }

  public SettingsBuilder upstreamTlsInsecureSkipVerify(boolean insecure) {
    this.upstreamTlsInsecureSkipVerify = insecure;
    return this;
  }

  public SettingsBuilder maxConnections(int connections) {
    this.maxConnections = Checks.atLeast("maxConnections", 1, connections);
    return this;
  }

  public SettingsBuilder maxConnectionsPerIp(int connections) {
    this.maxConnectionsPerIp = Checks.atLeast("maxConnectionsPerIp", 1, connections);
    return this;
  }

  public SettingsBuilder maxHandshakesPerSecondPerIp(int handshakes) {
    if (handshakes < 0) {
      throw new IllegalArgumentException("maxHandshakesPerSecondPerIp must be 0 (off) or more, was " + handshakes);
    }
    this.maxHandshakesPerSecondPerIp = handshakes;
    return this;
  }

  public SettingsBuilder maxFrameBytes(long bytes) {
    this.maxFrameBytes = Checks.atLeast("maxFrameBytes", 125L, bytes);
    return this;
  }

  public SettingsBuilder allowedOrigins(List<String> origins) {
    List<String> copy = List.copyOf(origins);
    for (String origin : copy) {
      if (origin.isBlank() || origin.chars().anyMatch(ch -> ch <= 0x20 || ch >= 0x7F)) {
        throw new IllegalArgumentException("allowedOrigins: not an origin: \"" + origin + "\"");
      }
    }
    this.allowedOrigins = copy;
    return this;
  }

  public SettingsBuilder trustedProxies(List<String> addresses) {
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

  public SettingsBuilder clientPingInterval(Duration interval) {
    this.clientPingInterval = Checks.zeroOrPositive("clientPingInterval", interval);
    return this;
  }

  public SettingsBuilder upstreamPingInterval(Duration interval) {
    this.upstreamPingInterval = Checks.zeroOrPositive("upstreamPingInterval", interval);
    return this;
  }

  public SettingsBuilder pongTimeout(Duration timeout) {
    this.pongTimeout = Checks.positive("pongTimeout", timeout);
    return this;
  }

  public SettingsBuilder acceptBacklog(int backlog) {
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
    List<Route> copy = ProxySettings.checkRouting(upstream, routes, IllegalStateException::new);
    UpstreamTls effective = !upstreamTlsInsecureSkipVerify ? upstreamTls
        : trustEverything.apply(upstreamTls == null ? UpstreamTls.systemTrust() : upstreamTls);
    return new ProxySettings(this, upstream, copy, effective);
  }
}
