package io.github.wsproxy.internal.tls;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
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

  /**
   * For a client engine toward an upstream, on top of {@link #enableSessionTickets}: TLS 1.2 and 1.3
   * only, as the JDK's engine offers (Conscrypt's would offer TLS 1.0 and 1.1 too).
   */
  static void configureClient(SSLEngine engine) {
    if (isNative(engine)) {
      enableSessionTickets(engine);
      engine.setEnabledProtocols(Arrays.stream(engine.getEnabledProtocols())
          .filter(protocol -> protocol.equals("TLSv1.2") || protocol.equals("TLSv1.3")).toArray(String[]::new));
    }
  }

  /**
   * The key managers with their private keys turned into the native engine's own once: given the
   * JDK's key objects, it would parse each key again on every handshake.
   */
  static KeyManager[] withNativeKeys(KeyManager[] keys) {
    if (keys == null) {
      return null;
    }
    KeyManager[] converted = keys.clone();
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] instanceof X509ExtendedKeyManager x509) {
        converted[i] = new NativeKeys(x509);
      }
    }
    return converted;
  }

  /** Hands out the private keys converted to Conscrypt's key classes, converting each once. */
  private static final class NativeKeys extends X509ExtendedKeyManager {
    private final X509ExtendedKeyManager keys;
    private final Map<String, PrivateKey> converted = new ConcurrentHashMap<>();

    NativeKeys(X509ExtendedKeyManager keys) {
      this.keys = keys;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return converted.computeIfAbsent(alias, a -> {
        PrivateKey key = keys.getPrivateKey(a);
        if (key == null || key.getEncoded() == null) {
          return key;
        }
        try {
          return KeyFactory.getInstance(key.getAlgorithm(), Holder.PROVIDER)
              .generatePrivate(new PKCS8EncodedKeySpec(key.getEncoded()));
        } catch (GeneralSecurityException e) {
          return key; // an algorithm Conscrypt has no key factory for: it converts it per handshake
        }
      });
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return keys.getCertificateChain(alias);
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return keys.getClientAliases(keyType, issuers);
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return keys.chooseClientAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      return keys.chooseEngineClientAlias(keyType, issuers, engine);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return keys.getServerAliases(keyType, issuers);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return keys.chooseServerAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      return keys.chooseEngineServerAlias(keyType, issuers, engine);
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
