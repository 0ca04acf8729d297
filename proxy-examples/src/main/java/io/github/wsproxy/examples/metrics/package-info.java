/**
 * Metrics and operator endpoints for a {@link io.github.wsproxy.WsProxy}, on its public API: {@link
 * io.github.wsproxy.examples.metrics.MicrometerEventListener} maps its events onto Micrometer
 * meters, {@link io.github.wsproxy.examples.metrics.PrometheusEndpoint} serves a Prometheus scrape,
 * {@link io.github.wsproxy.examples.metrics.AdminEndpoint} adds {@code /healthz} and {@code /readyz}
 * (the launcher's {@code --admin-listen}). They need {@code
 * io.micrometer:micrometer-registry-prometheus} on your class path: {@code wsproxy-examples}
 * declares it optional.
 *
 * <p><b>Logging.</b> WsProxy logs through the SLF4J API only, and {@code wsproxy-examples} brings no
 * SLF4J binding: with none on the class path nothing is logged, not even the access log (logger
 * {@code io.github.wsproxy.access}). These metrics do not depend on logging.
 */
package io.github.wsproxy.examples.metrics;
