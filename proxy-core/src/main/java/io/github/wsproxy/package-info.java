/**
 * The public API of WsProxy: {@link io.github.wsproxy.WsProxy}, the facade an application builds,
 * starts, reconfigures and closes, and the value and callback types its configuration is made of
 * (routes, upstream groups and their balancing and health checks, TLS settings, interceptors and
 * the handshake and message views they see, event listeners and the snapshots the admin methods
 * return).
 *
 * <p>Everything else lives under {@code io.github.wsproxy.internal} and is not API. This package
 * may use the internal packages to implement itself (the facade hands its settings to the engine);
 * the internal packages may use the value and callback types here, but never the facade {@code
 * WsProxy} itself: they read their configuration from {@code internal.config.ProxySettings}.
 */
package io.github.wsproxy;
