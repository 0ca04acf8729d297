package io.github.wsproxy.internal.tls;

import java.security.Provider;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.conscrypt.Conscrypt;

/**
 * The only class that touches Conscrypt, an optional dependency: its provider is made once, on the
 * first use, and every method works (answering "not native") when Conscrypt is absent or its
 * native library does not load.
 */
final class NativeTls {
  private NativeTls() {}

  /** Why the native engine cannot be used, or null when it can. */
  static String unavailableReason() {
    return Holder.UNAVAILABLE;
  }

  /** Conscrypt's provider; only when {@link #unavailableReason()} is null. */
  static Provider provider() {
    return Holder.PROVIDER;
  }

  /** Conscrypt's version, e.g. {@code 2.5.2}. */
  static String version() {
    Conscrypt.Version version = Conscrypt.version();
    return version.major() + "." + version.minor() + "." + version.patch();
  }

  static boolean isNative(SSLContext context) {
    return Holder.PROVIDER != null && Conscrypt.isConscrypt(context);
  }

  static boolean isNative(SSLEngine engine) {
    return Holder.PROVIDER != null && Conscrypt.isConscrypt(engine);
  }

  /**
   * Turns on session tickets, which a Conscrypt engine neither offers (client) nor issues (server)
   * by default, unlike the JDK's. The server's ticket keys are BoringSSL's own: random, in this
   * process only, rotated every two days (the previous key still decrypts).
   */
  static void enableSessionTickets(SSLEngine engine) {
    if (isNative(engine)) {
      Conscrypt.setUseSessionTickets(engine, true);
    }
  }

  private static final class Holder {
    static final Provider PROVIDER;
    static final String UNAVAILABLE;

    static {
      Provider provider = null;
      String reason = null;
      try {
        Class.forName("org.conscrypt.Conscrypt", false, NativeTls.class.getClassLoader());
        provider = Conscrypt.newProvider();
      } catch (ClassNotFoundException e) {
        reason = "it is not on the class path";
      } catch (LinkageError | RuntimeException e) {
        reason = "its native library does not load here: " + e;
      }
      PROVIDER = provider;
      UNAVAILABLE = reason;
    }
  }
}
