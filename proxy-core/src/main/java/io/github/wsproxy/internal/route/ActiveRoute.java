package io.github.wsproxy.internal.route;

import io.github.wsproxy.internal.intercept.InterceptorChain;
import io.github.wsproxy.internal.upstream.UpstreamPool;

/**
 * What a connection takes from its route when its request head is parsed: the upstream pool, the
 * interceptor chain (the proxy's interceptors, then the route's), the timeouts, and the path
 * prefix stripped from the target sent upstream.
 *
 * @param name the route's name, or null for the proxy's own upstream (no routes configured)
 * @param strippedPrefix the route's path prefix when it strips it, else null
 */
public record ActiveRoute(String name, UpstreamPool pool, InterceptorChain chain, Timeouts timeouts,
    String strippedPrefix) {

  /**
   * The request target to send upstream (before the upstream URL's path): {@code target} without
   * the stripped prefix when it begins with it at a segment boundary (an empty rest becomes
   * {@code /}), else {@code target} unchanged.
   */
  public String upstreamTarget(String target) {
    if (strippedPrefix == null || !RouteTable.pathMatches(strippedPrefix, pathOf(target))) {
      return target;
    }
    String rest = target.substring(strippedPrefix.endsWith("/") ? strippedPrefix.length() - 1 : strippedPrefix.length());
    return rest.isEmpty() || rest.charAt(0) == '?' ? "/" + rest : rest;
  }

  private static String pathOf(String target) {
    int query = target.indexOf('?');
    return query < 0 ? target : target.substring(0, query);
  }
}
