/**
 * Reusable {@link io.github.wsproxy.Interceptor}s, each tested against a real upstream and client:
 * {@link io.github.wsproxy.examples.interceptors.BearerTokenAuth}, {@link
 * io.github.wsproxy.examples.interceptors.FirstMessageAuth}, {@link
 * io.github.wsproxy.examples.interceptors.RateLimiter}, {@link
 * io.github.wsproxy.examples.interceptors.RequestIdHeader}, {@link
 * io.github.wsproxy.examples.interceptors.MessageStats}, {@link
 * io.github.wsproxy.examples.interceptors.WordFilter}, {@link
 * io.github.wsproxy.examples.interceptors.TopicFilter}, and the JSON ones ({@link
 * io.github.wsproxy.examples.interceptors.JsonMessageLogger}, {@link
 * io.github.wsproxy.examples.interceptors.JsonFieldRenamer}), which need {@code
 * com.fasterxml.jackson.core:jackson-databind} on your class path: {@code wsproxy-examples} declares
 * it optional.
 *
 * <p><b>Logging.</b> These classes and WsProxy itself log through the SLF4J API only. {@code
 * wsproxy-examples} brings no SLF4J binding: add one (logback-classic, slf4j-simple, log4j-slf4j2-impl).
 * With no binding nothing is logged, not even the access log (logger {@code io.github.wsproxy.access});
 * SLF4J prints one warning saying so at startup.
 */
package io.github.wsproxy.examples.interceptors;
