package io.github.wsproxy.internal.tls;

import io.github.wsproxy.TlsEngine;
import io.github.wsproxy.internal.config.AutoOverride;
import java.security.Provider;
import javax.net.ssl.SSLContext;

/**
 * Resolves a {@link TlsEngine} setting to the JSSE provider that makes the TLS contexts: null for
 * the JDK's default provider, or the native engine's (Netty's OpenSSL engine on netty-tcnative)
 * when it is on the class path and its native library loads. Netty's classes are touched only
 * through {@link NativeTls}, so that this class works without them.
 */
public final class TlsProviders {
  /** The system property that overrides {@link TlsEngine#AUTO}: {@code JDK} or {@code NATIVE}. */
  public static final String AUTO_PROPERTY = "wsproxy.tlsEngine";

  private TlsProviders() {}

  /**
   * The engine {@code engine} stands for on this class path: {@link TlsEngine#JDK} or {@link
   * TlsEngine#NATIVE}, never AUTO.
   *
   * @param setting the setting named in the exception, e.g. {@code listenTls engine}
   * @throws IllegalArgumentException naming {@code setting} if NATIVE is asked for (or forced by
   *     the system property) and unavailable, or the system property has an unknown value
   */
  public static TlsEngine resolve(String setting, TlsEngine engine) {
    switch (engine) {
      case JDK:
        return TlsEngine.JDK;
      case NATIVE:
        String missing = NativeTls.unavailableReason();
        if (missing != null) {
          throw new IllegalArgumentException(setting + ": NATIVE needs Netty's OpenSSL engine "
              + "(io.netty:netty-handler and io.netty:netty-tcnative-boringssl-static) on the class path, "
              + "with a native library for this platform; "
              + missing + ". Use TlsEngine.JDK or AUTO instead.");
        }
        return TlsEngine.NATIVE;
      default:
        String value = System.getProperty(AUTO_PROPERTY);
        TlsEngine forced = AutoOverride.forced(setting, AUTO_PROPERTY, value, TlsEngine.class);
        if (forced == null) {
          return NativeTls.unavailableReason() == null ? TlsEngine.NATIVE : TlsEngine.JDK;
        }
        return resolve(AutoOverride.describe(setting, AUTO_PROPERTY, value), forced);
    }
  }

  /** The native engines made and not yet released (a test checks that none leaks). */
  public static long nativeEnginesInUse() {
    return NativeTls.enginesInUse();
  }

  /**
   * The TLS record buffers allocated so far in this process (they are pooled per event loop, so this
   * stays small however many records pass); for tests.
   */
  public static long recordBuffersAllocated() {
    return TlsBuffers.allocated();
  }

  /** The provider of a resolved engine: the native engine's for NATIVE, null (the JDK's default) for JDK. */
  public static Provider provider(TlsEngine resolved) {
    return resolved == TlsEngine.NATIVE ? NativeTls.provider() : null;
  }

  /** Names the implementation behind a context, for the log: {@code native (netty-tcnative ...)} or {@code JDK (...)}. */
  public static String describe(SSLContext context) {
    Provider provider = context.getProvider();
    if (NativeTls.isNative(context)) {
      return "native (" + NativeTls.version() + ")";
    }
    return "JDK (" + provider.getName() + ", Java " + Runtime.version() + ")";
  }
}
