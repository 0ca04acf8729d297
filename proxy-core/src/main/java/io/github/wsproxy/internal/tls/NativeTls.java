package io.github.wsproxy.internal.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslCachingX509KeyManagerFactory;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.SimpleKeyManagerFactory;
import io.netty.handler.ssl.util.SimpleTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.Cleaner;
import java.security.KeyManagementException;
import java.security.KeyStore;
import java.security.Provider;
import java.security.SecureRandom;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * The only class that touches Netty's OpenSSL engine ({@code netty-handler} with {@code
 * netty-tcnative-boringssl-static}, optional dependencies): it offers that engine as a JSSE {@link
 * Provider} of {@code SSLContext}s, so that the rest of the code handles either engine the same
 * way. Every method works (answering
 * "not native") when Netty is absent or its native library does not load.
 *
 * <p>Why this engine: it reads and writes records straight from the caller's (direct) buffers and
 * BoringSSL frees its record buffers when a connection is idle, so an idle session holds little
 * beyond its SSL object, and no file descriptor.
 *
 * <p>A context of this provider makes a server engine from {@link SSLContext#createSSLEngine()}
 * and a client engine (with SNI, and a client session cache keyed by the peer) from {@link
 * SSLContext#createSSLEngine(String, int)}: Netty's engines cannot change mode. Its engines are
 * reference counted and hold native memory until {@link #release released}, which {@link
 * TlsSession#release()} does; its Netty contexts are released when the {@code SSLContext} is
 * collected (the engines still open keep theirs). Session resumption: TLS 1.3 tickets, and on the
 * server a bounded session cache for TLS 1.2 (Netty's defaults); the server's ticket keys are
 * BoringSSL's own, random, in this process only and rotated every two days (the previous key still
 * decrypts). Certificate checks and the choice of the server's key run as the engine's delegated
 * tasks ({@link DelegatedTasks}); each private key is converted to BoringSSL's form once per
 * context, not per handshake.
 */
final class NativeTls {
  /** The engines made and not yet released, for tests that check none leaks. */
  private static final AtomicLong ENGINES_IN_USE = new AtomicLong();

  private NativeTls() {}

  /** Why the native engine cannot be used, or null when it can. */
  static String unavailableReason() {
    return Holder.UNAVAILABLE;
  }

  /** The provider of the native engine's contexts; only when {@link #unavailableReason()} is null. */
  static Provider provider() {
    return Holder.PROVIDER;
  }

  /** The versions, e.g. {@code netty-tcnative 2.0.84.Final, BoringSSL, netty-handler 4.2.18.Final}. */
  static String version() {
    return "netty-tcnative " + mavenVersion("netty-tcnative-boringssl-static") + ", " + OpenSsl.versionString()
        + ", netty-handler " + mavenVersion("netty-handler");
  }

  /** The version in a Netty jar's Maven metadata, which a shaded jar keeps too; "?" when missing. */
  private static String mavenVersion(String artifact) {
    try (InputStream in = OpenSsl.class.getClassLoader()
        .getResourceAsStream("META-INF/maven/io.netty/" + artifact + "/pom.properties")) {
      if (in == null) {
        return "?";
      }
      Properties properties = new Properties();
      properties.load(in);
      return properties.getProperty("version", "?");
    } catch (IOException e) {
      return "?";
    }
  }

  static boolean isNative(SSLContext context) {
    return Holder.PROVIDER != null && context.getProvider() == Holder.PROVIDER;
  }

  static boolean isNative(SSLEngine engine) {
    return Holder.PROVIDER != null && engine instanceof ReferenceCountedOpenSslEngine;
  }

  /** Frees a native engine's SSL object now (once; a JDK engine is left alone). */
  static void release(SSLEngine engine) {
    if (isNative(engine)) {
      ReferenceCountedOpenSslEngine nativeEngine = (ReferenceCountedOpenSslEngine) engine;
      if (nativeEngine.refCnt() > 0 && nativeEngine.release()) {
        ENGINES_IN_USE.decrementAndGet();
      }
    }
  }

  /** The native engines made and not yet released. */
  static long enginesInUse() {
    return ENGINES_IN_USE.get();
  }

  /** A JSSE provider whose {@code SSLContext}s make Netty's OpenSSL engines. */
  private static final class NativeProvider extends Provider {
    private static final long serialVersionUID = 1L;

    NativeProvider(String version) {
      super("netty-tcnative", "1.0", "Netty's OpenSSL SSLEngine on BoringSSL (" + version + ")");
      for (String protocol : List.of("TLS", "TLSv1.3", "TLSv1.2")) {
        putService(new Service(this, "SSLContext", protocol, ContextSpi.class.getName(), null, null) {
          @Override
          public Object newInstance(Object constructorParameter) {
            return new ContextSpi(protocol.equals("TLSv1.2") ? new String[] {"TLSv1.2"}
                : new String[] {"TLSv1.3", "TLSv1.2"});
          }
        });
      }
    }
  }

  /**
   * The Netty contexts of one {@code SSLContext}, each made on first use; released by the cleaner
   * when that {@code SSLContext} is collected (an engine keeps its context until it is released).
   */
  private static final class Contexts implements Runnable {
    private final String[] protocols;
    private final KeyManager[] keys;
    private final TrustManager[] trust;
    private volatile SslContext server;
    private volatile SslContext client;

    Contexts(String[] protocols, KeyManager[] keys, TrustManager[] trust) {
      this.protocols = protocols;
      this.keys = keys;
      this.trust = trust;
    }

    synchronized SslContext server() {
      if (server == null) {
        if (keys == null) {
          throw new IllegalStateException("a server-side TLS context needs a key and certificate");
        }
        server = build(SslContextBuilder.forServer(cachedKeys(keys)));
      }
      return server;
    }

    synchronized SslContext client() {
      if (client == null) {
        SslContextBuilder builder = SslContextBuilder.forClient()
            .endpointIdentificationAlgorithm(null); // TlsContexts asks for it per engine, unless told not to
        if (keys != null) {
          builder.keyManager(cachedKeys(keys));
        }
        client = build(builder);
      }
      return client;
    }

    private SslContext build(SslContextBuilder builder) {
      if (trust != null) {
        builder.trustManager(new GivenTrust(trust));
      }
      try {
        return builder.sslProvider(SslProvider.OPENSSL_REFCNT)
            .protocols(protocols)
            .sessionCacheSize(TlsMaterial.SESSION_CACHE_SIZE)
            .sessionTimeout(TlsMaterial.SESSION_TIMEOUT_SECONDS)
            .build();
      } catch (SSLException e) {
        throw new IllegalStateException("cannot create a native TLS context: " + e.getMessage(), e);
      }
    }

    /** The cleaner's action: gives back this holder's reference to each Netty context. */
    @Override
    public synchronized void run() {
      ReferenceCountUtil.release(server);
      ReferenceCountUtil.release(client);
      server = null;
      client = null;
    }
  }

  /** The SSLContext implementation of {@link NativeProvider}. */
  private static final class ContextSpi extends SSLContextSpi {
    /** Netty's engines copy heap buffers through this one only; TlsSession hands them direct ones. */
    private static final ByteBufAllocator ALLOCATOR = new UnpooledByteBufAllocator(true, true);
    /** Releases the Netty contexts of collected SSLContexts: a daemon thread, from the first native context on. */
    private static final Cleaner CONTEXTS = Cleaner.create();
    private final String[] protocols;
    private Contexts contexts;

    ContextSpi(String[] protocols) {
      this.protocols = protocols;
    }

    @Override
    protected void engineInit(KeyManager[] keys, TrustManager[] trust, SecureRandom random)
        throws KeyManagementException {
      if (contexts != null) {
        throw new KeyManagementException("this TLS context is already initialised");
      }
      contexts = new Contexts(protocols, keys == null ? null : keys.clone(), trust == null ? null : trust.clone());
      CONTEXTS.register(this, contexts);
    }

    private Contexts contexts() {
      if (contexts == null) {
        throw new IllegalStateException("SSLContext is not initialized");
      }
      return contexts;
    }

    /** A server-side engine. */
    @Override
    protected SSLEngine engineCreateSSLEngine() {
      return counted(contexts().server().newEngine(ALLOCATOR));
    }

    /** A client-side engine toward {@code host}: SNI, and the sessions to resume with it. */
    @Override
    protected SSLEngine engineCreateSSLEngine(String host, int port) {
      return counted(contexts().client().newEngine(ALLOCATOR, host, port));
    }

    private static SSLEngine counted(SSLEngine engine) {
      ENGINES_IN_USE.incrementAndGet();
      return engine;
    }

    @Override
    protected SSLSessionContext engineGetServerSessionContext() {
      return contexts().server().sessionContext();
    }

    @Override
    protected SSLSessionContext engineGetClientSessionContext() {
      return contexts().client().sessionContext();
    }

    @Override
    protected SSLParameters engineGetDefaultSSLParameters() {
      return new SSLParameters(OpenSsl.availableJavaCipherSuites().toArray(new String[0]), protocols.clone());
    }

    @Override
    protected SSLParameters engineGetSupportedSSLParameters() {
      return engineGetDefaultSSLParameters();
    }

    @Override
    protected SSLSocketFactory engineGetSocketFactory() {
      throw new UnsupportedOperationException("the native TLS engine makes SSLEngines only, no sockets");
    }

    @Override
    protected SSLServerSocketFactory engineGetServerSocketFactory() {
      throw new UnsupportedOperationException("the native TLS engine makes SSLEngines only, no sockets");
    }
  }

  /**
   * Given key managers behind Netty's caching factory: each alias's key and chain are converted to
   * BoringSSL's form on first use, then reused by every handshake.
   */
  private static KeyManagerFactory cachedKeys(KeyManager[] keys) {
    return new OpenSslCachingX509KeyManagerFactory(new SimpleKeyManagerFactory() {
      @Override
      protected void engineInit(KeyStore keyStore, char[] password) {}

      @Override
      protected void engineInit(ManagerFactoryParameters parameters) {}

      @Override
      protected KeyManager[] engineGetKeyManagers() {
        return keys;
      }
    });
  }

  /** Given trust managers as a factory, as Netty's builder takes them. */
  private static final class GivenTrust extends SimpleTrustManagerFactory {
    private final TrustManager[] trust;

    GivenTrust(TrustManager[] trust) {
      this.trust = trust;
    }

    @Override
    protected void engineInit(KeyStore keyStore) {}

    @Override
    protected void engineInit(ManagerFactoryParameters parameters) {}

    @Override
    protected TrustManager[] engineGetTrustManagers() {
      return trust;
    }
  }

  private static final class Holder {
    static final Provider PROVIDER;
    static final String UNAVAILABLE;

    static {
      Provider provider = null;
      String reason = null;
      try {
        Class.forName("io.netty.handler.ssl.OpenSsl", false, NativeTls.class.getClassLoader());
        if (OpenSsl.isAvailable()) {
          provider = new NativeProvider(OpenSsl.versionString());
        } else {
          reason = "its native library does not load here: " + OpenSsl.unavailabilityCause();
        }
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
