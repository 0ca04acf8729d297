package io.github.wsproxy;

import io.github.wsproxy.internal.config.Checks;
import io.github.wsproxy.internal.http.UpstreamUrls;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The upstream WebSocket servers a proxy balances connections over, like nginx's {@code upstream}
 * block: primary servers with weights, backup servers (used only when no primary is available), a
 * per-server connection cap, a {@link Balance balancing policy}, failover and health settings.
 * Immutable, so several proxies (or, later, several routes) can share one; the running state
 * (connection counts, health) belongs to each started proxy.
 *
 * <pre>{@code
 * UpstreamGroup chat = UpstreamGroup.builder()
 *     .server("ws://10.0.0.1:8282", 3)
 *     .server("ws://10.0.0.2:8282", 1)
 *     .backup("ws://10.0.0.9:8282")
 *     .maxConnections(10_000)
 *     .balance(Balance.hashCookie("sid"))
 *     .healthCheck(HealthCheck.webSocket("/health").interval(Duration.ofSeconds(2)))
 *     .build();
 * WsProxy proxy = WsProxy.builder().upstream(chat).build();
 * }</pre>
 *
 * <p>Failover (like nginx's {@code proxy_next_upstream error timeout http_5xx}): when connecting to
 * a server fails, or it closes or garbles the handshake, or answers with a 5xx status, the next
 * server is tried, up to {@link #maxTries()} servers and within the proxy's {@code connectTimeout}
 * for all tries together. A 4xx answer (401, 403, 404...) is the upstream's decision and is relayed
 * to the client. When every try failed the client gets 502 (or the last server's own 5xx answer),
 * 504 when the connect timeout ran out, and 503 when every available server is at its connection cap.
 *
 * <p>Passive health (nginx semantics): a server that fails {@link #maxFails()} times within
 * {@link #failTimeout()} is skipped for {@code failTimeout}, then tried again. As in nginx, a
 * group of a single server is never skipped for passive failures.
 */
public final class UpstreamGroup {

  /**
   * One server of a group.
   *
   * @param url {@code ws://} or {@code wss://host[:port][/path-prefix]}; the client's path and query are appended
   * @param weight its share of connections relative to the others (1-1000)
   * @param backup whether it is used only when no primary server is available (every primary is
   *     down, failed, already tried by this connection, or at its connection cap)
   */
  public record Server(URI url, int weight, boolean backup) {}

  private static final int MAX_WEIGHT = 1000;

  private final List<Server> servers;
  private final Balance balance;
  private final int maxConnections;
  private final int requestedMaxTries;
  private final int maxFails;
  private final Duration failTimeout;
  private final HealthCheck healthCheck;
  private final UpstreamListener listener;

  private UpstreamGroup(Builder builder) {
    this.servers = List.copyOf(builder.servers);
    this.balance = builder.balance;
    this.maxConnections = builder.maxConnections;
    this.requestedMaxTries = builder.maxTries;
    this.maxFails = builder.maxFails;
    this.failTimeout = builder.failTimeout;
    this.healthCheck = builder.healthCheck;
    this.listener = builder.listener;
  }

  /**
   * A builder with no servers and the defaults documented on its setters.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A group of one server, weight 1, with the defaults: what {@link WsProxy.Builder#upstream(URI)}
   * uses.
   *
   * @param url the server's URL
   * @return a group of that one server
   */
  public static UpstreamGroup of(URI url) {
    return builder().server(url, 1).build();
  }

  /**
   * A builder initialised with this group's configuration.
   *
   * @return a new builder holding this group's servers and settings
   */
  public Builder newBuilder() {
    return new Builder(this);
  }

  /**
   * Every server, primaries and backups, in the order they were added.
   *
   * @return the servers; unmodifiable
   */
  public List<Server> servers() {
    return servers;
  }

  /**
   * See {@link Builder#balance(Balance)}.
   *
   * @return how a server is chosen
   */
  public Balance balance() {
    return balance;
  }

  /**
   * See {@link Builder#maxConnections(int)}; 0 means no cap.
   *
   * @return the most connections one server carries at a time
   */
  public int maxConnections() {
    return maxConnections;
  }

  /**
   * See {@link Builder#maxTries(int)}; never more than the number of servers.
   *
   * @return how many servers one connection may try
   */
  public int maxTries() {
    return requestedMaxTries == 0 ? servers.size() : Math.min(requestedMaxTries, servers.size());
  }

  /**
   * See {@link Builder#maxFails(int)}.
   *
   * @return the failures after which a server is skipped; 0 when passive health is off
   */
  public int maxFails() {
    return maxFails;
  }

  /**
   * See {@link Builder#failTimeout(Duration)}.
   *
   * @return the window of the failures, and how long a failed server is skipped
   */
  public Duration failTimeout() {
    return failTimeout;
  }

  /**
   * See {@link Builder#healthCheck(HealthCheck)}; null when there is no active check.
   *
   * @return the active health check, or null
   */
  public HealthCheck healthCheck() {
    return healthCheck;
  }

  /**
   * See {@link Builder#listener(UpstreamListener)}.
   *
   * @return the listener of health changes
   */
  public UpstreamListener listener() {
    return listener;
  }

  @Override
  public String toString() {
    StringBuilder out = new StringBuilder("UpstreamGroup{");
    for (Server server : servers) {
      out.append(server.url()).append(server.weight() == 1 ? "" : ";weight=" + server.weight())
          .append(server.backup() ? ";backup" : "").append(' ');
    }
    return out.append("balance=").append(balance).append('}').toString();
  }

  /**
   * Checks an upstream URL: {@code ws://} or {@code wss://host[:port][/path]} without query, fragment or user info.
   *
   * @throws IllegalArgumentException naming {@code upstream}
   */
  static URI checkUrl(URI url) {
    Objects.requireNonNull(url, "upstream");
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("ws") && !scheme.equals("wss") && !scheme.equals(UpstreamUrls.UNIX_SCHEME)) {
      throw new IllegalArgumentException("upstream: scheme must be ws://, wss:// or ws+unix:, was: " + url);
    }
    if (scheme.equals(UpstreamUrls.UNIX_SCHEME)) {
      if (url.getRawAuthority() != null || url.getPath() == null || !url.getPath().startsWith("/")
          || url.getPath().startsWith("/:") || url.getRawQuery() != null || url.getRawFragment() != null) {
        throw new IllegalArgumentException(
            "upstream: a UNIX socket URL is ws+unix:/path/to/socket or ws+unix:/path/to/socket:/prefix, was: " + url);
      }
      return url;
    }
    if (url.getHost() == null || url.getHost().isEmpty()) {
      throw new IllegalArgumentException("upstream: URL has no host: " + url);
    }
    if (url.getRawQuery() != null || url.getRawFragment() != null || url.getRawUserInfo() != null) {
      throw new IllegalArgumentException(
          "upstream: URL must not carry a query, fragment or user info: " + url);
    }
    return url;
  }

  /** Parses and checks an upstream URL, like {@link #checkUrl(URI)}. */
  static URI parseUrl(String url) {
    Objects.requireNonNull(url, "upstream");
    try {
      return checkUrl(new URI(url));
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("upstream: not a URL: " + url + " (" + e.getReason() + ")");
    }
  }

  /**
   * Collects an {@link UpstreamGroup}. Every setter validates its argument and throws {@link
   * IllegalArgumentException} naming the setting. Not thread-safe.
   */
  public static final class Builder {
    private final List<Server> servers = new ArrayList<>();
    private Balance balance = Balance.roundRobin();
    private int maxConnections;
    private int maxTries;
    private int maxFails = 1;
    private Duration failTimeout = Duration.ofSeconds(10);
    private HealthCheck healthCheck;
    private UpstreamListener listener = new UpstreamListener() {};

    private Builder() {}

    private Builder(UpstreamGroup group) {
      this.servers.addAll(group.servers);
      this.balance = group.balance;
      this.maxConnections = group.maxConnections;
      this.maxTries = group.requestedMaxTries;
      this.maxFails = group.maxFails;
      this.failTimeout = group.failTimeout;
      this.healthCheck = group.healthCheck;
      this.listener = group.listener;
    }

    /**
     * Adds a primary server with weight 1.
     *
     * @param url the server's URL
     * @return this builder
     */
    public Builder server(String url) {
      return server(parseUrl(url), 1);
    }

    /**
     * Adds a primary server with a weight (1-1000).
     *
     * @param url the server's URL
     * @param weight the server's weight; 1 to 1000
     * @return this builder
     */
    public Builder server(String url, int weight) {
      return server(parseUrl(url), weight);
    }

    /**
     * Adds a primary server with a weight (1-1000).
     *
     * @param url the server's URL
     * @param weight the server's weight; 1 to 1000
     * @return this builder
     */
    public Builder server(URI url, int weight) {
      return add(new Server(checkUrl(url), weight, false));
    }

    /**
     * Adds a backup server, used only when no primary server is available.
     *
     * @param url the server's URL
     * @return this builder
     */
    public Builder backup(String url) {
      return backup(parseUrl(url), 1);
    }

    /**
     * Adds a backup server with a weight among the backups (1-1000).
     *
     * @param url the server's URL
     * @param weight the server's weight among the backups; 1 to 1000
     * @return this builder
     */
    public Builder backup(String url, int weight) {
      return backup(parseUrl(url), weight);
    }

    /**
     * Adds a backup server with a weight among the backups (1-1000).
     *
     * @param url the server's URL
     * @param weight the server's weight among the backups; 1 to 1000
     * @return this builder
     */
    public Builder backup(URI url, int weight) {
      return add(new Server(checkUrl(url), weight, true));
    }

    /**
     * Adds a server as described.
     *
     * @param server the server; its URL not yet in the group, its weight 1 to 1000
     * @return this builder
     */
    public Builder add(Server server) {
      Objects.requireNonNull(server, "server");
      checkUrl(server.url());
      if (server.weight() < 1 || server.weight() > MAX_WEIGHT) {
        throw new IllegalArgumentException("weight must be between 1 and 1000, was " + server.weight()
            + " for " + server.url());
      }
      for (Server existing : servers) {
        if (existing.url().equals(server.url())) {
          throw new IllegalArgumentException("server: " + server.url() + " is already in the group");
        }
      }
      servers.add(server);
      return this;
    }

    /**
     * How a server is chosen for each connection. Default {@link Balance#roundRobin()}.
     *
     * @param balance the balancing policy; not null
     * @return this builder
     */
    public Builder balance(Balance balance) {
      this.balance = Objects.requireNonNull(balance, "balance");
      return this;
    }

    /**
     * The most connections any one server carries at a time (nginx's {@code max_conns}); a server
     * at its cap is skipped, and when every available server is at its cap the client gets {@code
     * 503 Service Unavailable}. Default 0: no cap.
     *
     * @param connections the cap per server; 0 for none
     * @return this builder
     */
    public Builder maxConnections(int connections) {
      this.maxConnections = Checks.atLeast("maxConnections", 0, connections);
      return this;
    }

    /**
     * How many servers one connection may try before the client gets an error (nginx's {@code
     * proxy_next_upstream_tries}); each server is tried at most once. Default: every server.
     *
     * @param tries the most servers tried per connection; at least 1
     * @return this builder
     */
    public Builder maxTries(int tries) {
      this.maxTries = Checks.atLeast("maxTries", 1, tries);
      return this;
    }

    /**
     * Failures within {@link #failTimeout(Duration)} after which a server is skipped for {@code
     * failTimeout} (nginx's {@code max_fails}); 0 disables passive health. A failure is a refused
     * or failed connect, a broken or timed-out handshake, or a 5xx answer. Default 1.
     *
     * @param fails the failures that mark a server failed; 0 disables passive health
     * @return this builder
     */
    public Builder maxFails(int fails) {
      this.maxFails = Checks.atLeast("maxFails", 0, fails);
      return this;
    }

    /**
     * The window in which {@link #maxFails(int)} failures mark a server failed, and how long it is
     * then skipped (nginx's {@code fail_timeout}). Default 10 s.
     *
     * @param timeout the window and the skip time; at least 1 ms
     * @return this builder
     */
    public Builder failTimeout(Duration timeout) {
      this.failTimeout = Checks.atLeast("failTimeout", Duration.ofMillis(1), timeout);
      return this;
    }

    /**
     * An active health check, or null (the default) for none.
     *
     * @param check the health check, or null for none
     * @return this builder
     */
    public Builder healthCheck(HealthCheck check) {
      this.healthCheck = check;
      return this;
    }

    /**
     * Hears about health changes of this group's servers. Default: a no-op listener.
     *
     * @param listener the listener; not null
     * @return this builder
     */
    public Builder listener(UpstreamListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Returns the group.
     *
     * @return a new group with this builder's servers and settings
     * @throws IllegalStateException when it has no primary server
     */
    public UpstreamGroup build() {
      if (servers.stream().allMatch(Server::backup)) {
        throw new IllegalStateException("upstream group needs at least one primary server: call server(\"ws://host:port\")");
      }
      return new UpstreamGroup(this);
    }
  }
}
