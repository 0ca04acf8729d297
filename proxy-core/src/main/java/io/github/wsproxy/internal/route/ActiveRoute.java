package io.github.wsproxy.internal.route;

import io.github.wsproxy.internal.intercept.InterceptorChain;
import io.github.wsproxy.internal.upstream.UpstreamPool;

/**
 * What a connection takes from its route when its request head is parsed: the upstream pool, the
 * interceptor chain (the proxy's interceptors, then the route's) and the timeouts.
 *
 * @param name the route's name, or null for the proxy's own upstream (no routes configured)
 */
public record ActiveRoute(String name, UpstreamPool pool, InterceptorChain chain, Timeouts timeouts) {}
