package io.github.wsproxy;

import io.github.wsproxy.internal.config.Checks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Sends the requests for some hosts and paths to their own upstream group, with their own timeouts
 * and interceptors, like an nginx {@code server_name} plus {@code location} block. Immutable; add
 * routes with {@link WsProxy.Builder#route(Route)} and replace them on a running proxy with {@link
 * WsProxy#replaceRoutes(List)}.
 *
 * <pre>{@code
 * Route chat = Route.builder("chat")
 *     .host("chat.example.com").host("*.chat.example.com")
 *     .path("/chat")
 *     .upstream(chatServers)
 *     .readTimeout(Duration.ofMinutes(10))
 *     .interceptor(new BearerTokenAuth(...))
 *     .build();
 * }</pre>
 *
 * <p>Matching: a route matches a request when its host matches the request's {@code Host} (port
 * ignored, case-insensitive: an exact name, or {@code *.example.com} for any name ending in {@code
 * .example.com}; a route without hosts matches every host) and its path prefix matches the request
 * path at a segment boundary ({@code /chat} matches {@code /chat}, {@code /chat/room} and {@code
 * /chat?x=1}, not {@code /chatter}; a prefix ending in {@code /} matches everything under it). Of
 * the matching routes the one with the most specific host wins (exact, then the longest wildcard,
 * then none), then the longest path prefix. When a proxy has routes and none matches, the client
 * gets {@code 404}.
 *
 * <p>The client's path and query are sent upstream unchanged, after the upstream URL's own path
 * prefix. A route's interceptors run after the proxy-wide ones, and an interceptor's {@link
 * Handshake#setUpstream} still overrides the route's group.
 */
public final class Route {
  private final String name;
  private final List<String> hosts;
  private final String path;
  private final UpstreamGroup upstream;
  private final Duration readTimeout;
  private final Duration sendTimeout;
  private final Duration connectTimeout;
  private final boolean stripPrefix;
  private final List<Interceptor> interceptors;

  private Route(Builder builder) {
    this.name = builder.name;
    this.hosts = List.copyOf(builder.hosts);
    this.path = builder.path;
    this.upstream = builder.upstream;
    this.readTimeout = builder.readTimeout;
    this.sendTimeout = builder.sendTimeout;
    this.connectTimeout = builder.connectTimeout;
    this.stripPrefix = builder.stripPrefix;
    this.interceptors = List.copyOf(builder.interceptors);
  }

  /**
   * A builder for a route with a name, used in log lines and to keep the running state of its
   * servers across {@link WsProxy#replaceRoutes(List)} (a route of the same name with a server of
   * the same URL keeps that server's connection count and health).
   *
   * @param name the route's name; not blank, without whitespace
   * @return a new builder for a route of that name
   * @throws IllegalArgumentException naming {@code name} when it is blank or has whitespace
   */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /**
   * A builder initialised with this route.
   *
   * @return a new builder holding this route's settings
   */
  public Builder newBuilder() {
    return new Builder(this);
  }

  /**
   * See {@link #builder(String)}.
   *
   * @return the route's name
   */
  public String name() {
    return name;
  }

  /**
   * The host names it matches, lower-case; empty: every host. See {@link Builder#host}.
   *
   * @return the matched host names; unmodifiable, possibly empty
   */
  public List<String> hosts() {
    return hosts;
  }

  /**
   * The path prefix it matches. See {@link Builder#path}.
   *
   * @return the matched path prefix
   */
  public String path() {
    return path;
  }

  /**
   * Its upstream group, or null when it uses the proxy's own (see {@link
   * WsProxy.Builder#upstream}).
   *
   * @return the route's upstream group, or null
   */
  public UpstreamGroup upstream() {
    return upstream;
  }

  /**
   * Its read timeout, or null when it uses the proxy's.
   *
   * @return the route's read timeout, or null
   */
  public Duration readTimeout() {
    return readTimeout;
  }

  /**
   * Its send timeout, or null when it uses the proxy's.
   *
   * @return the route's send timeout, or null
   */
  public Duration sendTimeout() {
    return sendTimeout;
  }

  /**
   * Its connect timeout, or null when it uses the proxy's.
   *
   * @return the route's connect timeout, or null
   */
  public Duration connectTimeout() {
    return connectTimeout;
  }

  /**
   * Its own interceptors, called after the proxy-wide ones, in order.
   *
   * @return the route's interceptors; unmodifiable, possibly empty
   */
  public List<Interceptor> interceptors() {
    return interceptors;
  }

  /**
   * Whether the matched path prefix is removed from the request target sent upstream. See {@link
   * Builder#stripPrefix}.
   *
   * @return whether the route strips its path prefix
   */
  public boolean stripPrefix() {
    return stripPrefix;
  }

  @Override
  public String toString() {
    return "Route{" + name + ": " + (hosts.isEmpty() ? "*" : String.join(",", hosts)) + path
        + (stripPrefix ? " (stripped)" : "") + (upstream == null ? "" : " -> " + upstream) + "}";
  }

  /**
   * Collects a {@link Route}. Every setter validates its argument and throws {@link
   * IllegalArgumentException} naming the setting. Not thread-safe.
   */
  public static final class Builder {
    private final String name;
    private final List<String> hosts = new ArrayList<>();
    private String path = "/";
    private UpstreamGroup upstream;
    private Duration readTimeout;
    private Duration sendTimeout;
    private Duration connectTimeout;
    private boolean stripPrefix;
    private final List<Interceptor> interceptors = new ArrayList<>();

    private Builder(String name) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank() || name.chars().anyMatch(ch -> ch <= 0x20 || ch == 0x7F)) {
        throw new IllegalArgumentException("name: must be non-blank without whitespace, was \"" + name + "\"");
      }
      this.name = name;
    }

    private Builder(Route route) {
      this.name = route.name;
      this.hosts.addAll(route.hosts);
      this.path = route.path;
      this.upstream = route.upstream;
      this.readTimeout = route.readTimeout;
      this.sendTimeout = route.sendTimeout;
      this.connectTimeout = route.connectTimeout;
      this.stripPrefix = route.stripPrefix;
      this.interceptors.addAll(route.interceptors);
    }

    /**
     * Adds a host name the route matches (repeatable): {@code chat.example.com}, or {@code
     * *.example.com} for every name ending in {@code .example.com} (not {@code example.com}
     * itself). Without hosts the route matches every host.
     *
     * @param host a host name, or {@code *.} followed by a domain
     * @return this builder
     */
    public Builder host(String host) {
      Objects.requireNonNull(host, "host");
      String h = host.strip().toLowerCase(Locale.ROOT);
      String bare = h.startsWith("*.") ? h.substring(2) : h;
      if (bare.isEmpty() || !bare.matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")) {
        throw new IllegalArgumentException("host: expected a host name or *.domain, was \"" + host + "\"");
      }
      if (!hosts.contains(h)) {
        hosts.add(h);
      }
      return this;
    }

    /**
     * The path prefix the route matches, starting with {@code /}; matched at a segment boundary
     * (see {@link Route}). Default {@code /}: every path.
     *
     * @param prefix the path prefix, starting with {@code /}, without query or fragment
     * @return this builder
     */
    public Builder path(String prefix) {
      Objects.requireNonNull(prefix, "path");
      if (!prefix.startsWith("/") || prefix.indexOf('?') >= 0 || prefix.indexOf('#') >= 0
          || prefix.chars().anyMatch(ch -> ch <= 0x20 || ch >= 0x7F)) {
        throw new IllegalArgumentException("path: expected a path prefix like /chat, was \"" + prefix + "\"");
      }
      this.path = prefix;
      return this;
    }

    /**
     * The route's upstream group. Default: the proxy's own upstream.
     *
     * @param group the route's upstream servers and their balancing; not null
     * @return this builder
     */
    public Builder upstream(UpstreamGroup group) {
      this.upstream = Objects.requireNonNull(group, "upstream");
      return this;
    }

    /**
     * The route's upstream, one server: {@code ws://host[:port][/prefix]}.
     *
     * @param url the upstream server's URL
     * @return this builder
     */
    public Builder upstream(String url) {
      return upstream(UpstreamGroup.of(UpstreamGroup.parseUrl(url)));
    }

    /**
     * See {@link WsProxy.Builder#readTimeout}; default: the proxy's.
     *
     * @param timeout how long a connection may be idle; positive
     * @return this builder
     */
    public Builder readTimeout(Duration timeout) {
      this.readTimeout = Checks.atLeast("readTimeout", Duration.ofMillis(1), timeout);
      return this;
    }

    /**
     * See {@link WsProxy.Builder#sendTimeout}; default: the proxy's.
     *
     * @param timeout how long a write may make no progress; positive
     * @return this builder
     */
    public Builder sendTimeout(Duration timeout) {
      this.sendTimeout = Checks.atLeast("sendTimeout", Duration.ofMillis(1), timeout);
      return this;
    }

    /**
     * See {@link WsProxy.Builder#connectTimeout}; default: the proxy's.
     *
     * @param timeout how long connecting and the upstream's handshake answer may take; positive
     * @return this builder
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = Checks.atLeast("connectTimeout", Duration.ofMillis(1), timeout);
      return this;
    }

    /**
     * Whether the upstream gets the request target without the route's {@link #path} prefix, like
     * nginx's {@code location /chat/ { proxy_pass http://b/; }}: with path {@code /chat} (or
     * {@code /chat/}), a client's {@code /chat/room?id=7} goes upstream as {@code /room?id=7}, and
     * {@code /chat} itself as {@code /}. The upstream URL's own path, if any, is then prefixed as
     * always ({@code ws://b/app} makes it {@code /app/room?id=7}). Interceptors see and set the
     * client's target ({@link Handshake#upstreamTarget()}); the prefix is stripped when the
     * request is sent, if the target still begins with it. Default false: the whole path goes
     * upstream.
     *
     * @param strip true to remove the matched prefix from the target sent upstream
     * @return this builder
     */
    public Builder stripPrefix(boolean strip) {
      this.stripPrefix = strip;
      return this;
    }

    /**
     * Adds an interceptor for this route's connections, called after the proxy-wide ones.
     *
     * @param interceptor the interceptor to add; not null
     * @return this builder
     */
    public Builder interceptor(Interceptor interceptor) {
      this.interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
      return this;
    }

    /**
     * Returns the route.
     *
     * @return a new route with this builder's settings
     */
    public Route build() {
      return new Route(this);
    }
  }
}
