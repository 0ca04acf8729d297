/**
 * What the interceptors see and how they are run: {@code InterceptorChain} (a route's interceptors,
 * which callbacks each overrides, and the walks that never pause), {@code RequestHandshake} (the
 * public {@code Handshake} of one request), {@code ConnectionHandle} (the public
 * {@code ProxyConnection} of one pair, safe from any thread, handing work to the pair's loop through
 * its {@code Control}), {@code Outcome} (picks up an interceptor's {@code CompletionStage} without a
 * task when it is already done) and {@code Direction} (client to upstream, or back).
 *
 * <p>May depend on the public API types, {@code internal.frame} and {@code internal.http}; never on
 * {@code internal.relay}, which drives it.
 */
package io.github.wsproxy.internal.intercept;
