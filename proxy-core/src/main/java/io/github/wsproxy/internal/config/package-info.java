/**
 * The proxy's configuration as the engine sees it: {@code ProxySettings}, immutable and validated,
 * built by {@code WsProxy.Builder} through {@code SettingsBuilder}, and {@code Checks}, the
 * argument checks every configuration builder shares (the proxy's, a route's, an upstream group's,
 * a health check's).
 *
 * <p>A package of its own, not the engine's package, so that the packages the engine is made of
 * (relay, route, tls) can read their settings without depending on the engine. May depend on the
 * public value types ({@code Route}, {@code UpstreamGroup}, {@code Interceptor}, ...) and on
 * {@code internal.limits} (to validate trusted proxy addresses); never on the facade {@code WsProxy}
 * nor on any other internal package.
 */
package io.github.wsproxy.internal.config;
