package io.github.wsproxy;

/**
 * Which TLS implementation terminates {@code wss://} connections: the JDK's own (JSSE), or the
 * native one, <a href="https://netty.io/wiki/forked-tomcat-native.html">Netty's OpenSSL engine</a>
 * on BoringSSL ({@code netty-tcnative-boringssl-static}), which does a handshake at a fraction of
 * the JDK's CPU cost. Set it per leg with {@link ServerTls#withEngine(TlsEngine)} and {@link
 * UpstreamTls#withEngine(TlsEngine)}; the engine each leg uses is logged at start (INFO).
 *
 * <p>The native engine is an optional dependency: add {@code io.netty:netty-handler} and {@code
 * io.netty:netty-tcnative-boringssl-static} (with the classifier of the platform, e.g. {@code
 * linux-x86_64}, or without one for all platforms) to the class path; the launcher jar bundles
 * them for Linux on x86-64.
 */
public enum TlsEngine {
  /**
   * The default: {@link #NATIVE} when Netty's OpenSSL engine is on the class path and its native
   * library loads on this platform, else {@link #JDK}. The system property {@code wsproxy.tlsEngine}
   * ({@code JDK} or {@code NATIVE}) overrides this choice, for instance to compare both without a
   * code change.
   */
  AUTO,
  /** The JDK's own TLS (the default JSSE provider); needs nothing beyond the JDK. */
  JDK,
  /**
   * Netty's OpenSSL engine on BoringSSL; choosing it when it is not on the class path, or its
   * native library does not load, fails at configuration with an {@link IllegalArgumentException}
   * naming the setting.
   */
  NATIVE
}
