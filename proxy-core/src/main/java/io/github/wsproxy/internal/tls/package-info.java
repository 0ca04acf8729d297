/**
 * TLS on both legs: {@code TlsSession} drives one socket's {@code SSLEngine} without blocking its
 * loop; {@code TlsContexts} holds a running proxy's contexts (each listener's reloadable
 * {@code ServerCertificates}, the upstream trust, the executor for long handshake tasks);
 * {@code TlsMaterial} reads key stores and PEM files; {@code TlsProviders} and {@code NativeTls}
 * pick the engine (the JDK's, or the optional Netty OpenSSL engine), {@code DelegatedTasks} runs a session's
 * delegated tasks inline or off the loop as {@code TaskCosts} measured them, {@code TlsBuffers}
 * recycles record buffers per loop, and
 * {@code InsecureTrustManager} is what skipping verification means.
 *
 * <p>May depend on the public TLS settings types, {@code internal.config} and the JDK (plus
 * Netty, through {@code NativeTls} only); never on {@code internal.relay}, which drives it.
 */
package io.github.wsproxy.internal.tls;
