package io.github.wsproxy;

import io.github.wsproxy.internal.tls.InsecureTrustManager;
import io.github.wsproxy.internal.tls.TlsMaterial;
import io.github.wsproxy.internal.tls.TlsProviders;
import java.nio.file.Path;
import java.util.Objects;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * TLS toward a {@code wss://} upstream: which certificates the proxy trusts, and the client
 * certificate it presents, if any. Set it with {@link WsProxy.Builder#upstreamTls(UpstreamTls)};
 * without it a {@code wss://} upstream is verified against the JDK's CA certificates. Whatever the
 * trust, the upstream's certificate must name the upstream URL's host (which is also sent as SNI),
 * unless {@link WsProxy.Builder#upstreamTlsInsecureSkipVerify(boolean)} says otherwise.
 *
 * <p>Immutable; every factory and {@code with...} method reads its files at once and throws {@link
 * IllegalArgumentException} naming the bad setting.
 */
public final class UpstreamTls {
  private final KeyManager[] keys;
  private final TrustManager[] trust;
  private final SSLContext context;
  private final boolean givenContext;
  private final TlsEngine engine;

  private UpstreamTls(KeyManager[] keys, TrustManager[] trust, SSLContext context, boolean givenContext,
      TlsEngine engine) {
    this.keys = keys;
    this.trust = trust;
    this.context = context;
    this.givenContext = givenContext;
    this.engine = engine;
  }

  private static UpstreamTls built(KeyManager[] keys, TrustManager[] trust, TlsEngine engine) {
    SSLContext context = TlsMaterial.context("upstreamTls", keys, trust, TlsProviders.resolve("upstreamTls engine", engine),
        false);
    return new UpstreamTls(keys, trust, context, false, engine);
  }

  /**
   * Trusts the JDK's CA certificates (the default).
   *
   * @return a configuration trusting the JDK's CA certificates, without client certificate
   */
  public static UpstreamTls systemTrust() {
    return built(null, null, TlsEngine.AUTO);
  }

  /**
   * Trusts the certificates of a PEM file (CA certificates, or the upstream's self-signed one).
   *
   * @param trustedCertificates the PEM file of the trusted certificates
   * @return a configuration trusting those certificates, without client certificate
   * @throws IllegalArgumentException naming {@code trustedCertificates} if the file is missing or invalid
   */
  public static UpstreamTls trusting(Path trustedCertificates) {
    Objects.requireNonNull(trustedCertificates, "trustedCertificates");
    return built(null, TlsMaterial.trustManagers("upstreamTls trustedCertificates", trustedCertificates),
        TlsEngine.AUTO);
  }

  /**
   * Trusts the certificate entries of a PKCS12 or JKS trust store.
   *
   * @param trustStore the trust store file
   * @param password the trust store's password
   * @return a configuration trusting those certificates, without client certificate
   * @throws IllegalArgumentException naming {@code trustStore} if the file is missing, not a key
   *     store, or the password is wrong
   */
  public static UpstreamTls trustingKeyStore(Path trustStore, String password) {
    Objects.requireNonNull(trustStore, "trustStore");
    Objects.requireNonNull(password, "password");
    return built(null, TlsMaterial.trustManagers("upstreamTls trustStore", trustStore, password), TlsEngine.AUTO);
  }

  /**
   * Uses a ready TLS context: its trust and its client certificate, if any.
   *
   * @param context the TLS context to make upstream connections with
   * @return a configuration using that context
   */
  public static UpstreamTls of(SSLContext context) {
    return new UpstreamTls(null, null, Objects.requireNonNull(context, "context"), true, null);
  }

  /**
   * Presents the private key entry of a PKCS12 or JKS key store as client certificate.
   *
   * @param keyStore the key store file
   * @param password the key store's password, also the key's
   * @return a copy of this configuration presenting that client certificate
   * @throws IllegalArgumentException naming {@code clientKeyStore} if the file is bad
   * @throws IllegalStateException if this configuration was made {@link #of(SSLContext) of a context}
   */
  public UpstreamTls withClientKeyStore(Path keyStore, String password) {
    Objects.requireNonNull(keyStore, "clientKeyStore");
    Objects.requireNonNull(password, "password");
    return withKeys(TlsMaterial.keyManagers("upstreamTls clientKeyStore", keyStore, password));
  }

  /**
   * Presents a PEM certificate chain and its PEM PKCS#8 private key as client certificate.
   *
   * @param certificateChain the PEM file of the client certificate chain
   * @param privateKey the PEM file of its private key
   * @return a copy of this configuration presenting that client certificate
   * @throws IllegalArgumentException naming {@code clientCertificate} if a file is bad
   * @throws IllegalStateException if this configuration was made {@link #of(SSLContext) of a context}
   */
  public UpstreamTls withClientPem(Path certificateChain, Path privateKey) {
    Objects.requireNonNull(certificateChain, "certificateChain");
    Objects.requireNonNull(privateKey, "privateKey");
    return withKeys(TlsMaterial.keyManagers("upstreamTls clientCertificate", certificateChain, privateKey));
  }

  /**
   * The TLS implementation toward upstreams. Default {@link TlsEngine#AUTO}: the native engine
   * (Netty's OpenSSL engine on
   * BoringSSL) when it is on the class path, else the JDK's.
   *
   * @param engine the TLS implementation to use
   * @return a copy of this configuration with that engine
   * @throws IllegalArgumentException naming {@code upstreamTls engine} if {@link TlsEngine#NATIVE}
   *     is asked for and the native engine is not on the class path or its native library does not load
   * @throws IllegalStateException if this configuration was made {@link #of(SSLContext) of a context}
   */
  public UpstreamTls withEngine(TlsEngine engine) {
    Objects.requireNonNull(engine, "engine");
    if (givenContext) {
      throw new IllegalStateException("upstreamTls engine: the SSLContext given to UpstreamTls.of has its own provider");
    }
    return built(keys, trust, engine);
  }

  /**
   * See {@link #withEngine}.
   *
   * @return the TLS implementation setting, as given (AUTO is not resolved); null for a
   *     configuration made {@link #of(SSLContext) of a context}
   */
  public TlsEngine engine() {
    return engine;
  }

  /**
   * The context upstream connections are made with.
   *
   * @return the TLS context
   */
  public SSLContext sslContext() {
    return context;
  }

  /** The same client certificate, trusting every certificate: for upstreamTlsInsecureSkipVerify only. */
  UpstreamTls trustingEverything() {
    if (givenContext) {
      throw new IllegalArgumentException("upstreamTlsInsecureSkipVerify: cannot replace the trust of a given "
          + "SSLContext (UpstreamTls.of); configure the context itself instead");
    }
    return built(keys, new TrustManager[] {new InsecureTrustManager()}, engine);
  }

  private UpstreamTls withKeys(KeyManager[] newKeys) {
    if (givenContext) {
      throw new IllegalStateException("upstreamTls clientCertificate: the SSLContext given to UpstreamTls.of brings its own");
    }
    return built(newKeys, trust, engine);
  }

  @Override
  public String toString() {
    return "UpstreamTls{" + (givenContext ? "given SSLContext" : (trust == null ? "JDK trust" : "custom trust")
        + (keys == null ? "" : ", client certificate") + ", engine=" + engine) + "}";
  }
}
