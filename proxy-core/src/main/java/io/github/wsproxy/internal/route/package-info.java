/**
 * Routing of a started proxy: {@code Routing}, the live reference to the current {@code
 * RouteTable}, replaced as a whole on reconfigure; the table itself (one upstream pool, interceptor
 * chain and set of timeouts per route); {@code ActiveRoute}, what a connection takes from its route;
 * and {@code Timeouts}, a route's timeouts resolved against the proxy's settings once per table.
 *
 * <p>May depend on the public value types, {@code internal.config}, {@code internal.intercept},
 * {@code internal.loop}, {@code internal.tls} and {@code internal.upstream}; not on {@code
 * internal.relay} nor on the engine.
 */
package io.github.wsproxy.internal.route;
