package io.github.wsproxy.internal.upstream;

import io.github.wsproxy.UpstreamGroup;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The proxy's configured upstream group, and the groups interceptors chose for single connections
 * ({@link io.github.wsproxy.Handshake#setUpstream}), each with its own running state (connection
 * counts, passive health), kept per group instance.
 */
public final class UpstreamPools {
  /** More distinct groups than this means an interceptor builds a new group per connection. */
  static final int MAX_CHOSEN_GROUPS = 1024;

  private final UpstreamPool configured;
  private final UpstreamResolver resolver;
  private final Map<UpstreamGroup, UpstreamPool> chosen = new ConcurrentHashMap<>();

  public UpstreamPools(UpstreamPool configured, UpstreamResolver resolver) {
    this.configured = configured;
    this.resolver = resolver;
  }

  /** The pool of the proxy's own upstream group. */
  public UpstreamPool configured() {
    return configured;
  }

  /**
   * The pool of a group an interceptor chose (groups have identity: the same instance, the same
   * pool).
   *
   * @throws IllegalStateException when interceptors have chosen more than 1024 distinct groups
   */
  public UpstreamPool of(UpstreamGroup group) {
    if (group == configured.group()) {
      return configured;
    }
    UpstreamPool pool = chosen.get(group);
    if (pool != null) {
      return pool;
    }
    if (chosen.size() >= MAX_CHOSEN_GROUPS) {
      throw new IllegalStateException("interceptors chose more than " + MAX_CHOSEN_GROUPS
          + " distinct upstream groups: create each group once and reuse it");
    }
    return chosen.computeIfAbsent(group, key -> new UpstreamPool(key, resolver));
  }

  /** Expires passive-health windows of every pool. */
  public void tick(long now) {
    configured.tick(now);
    for (UpstreamPool pool : chosen.values()) {
      pool.tick(now);
    }
  }
}
