package io.github.wsproxy;

import io.github.wsproxy.internal.tls.TlsMaterial;
import io.github.wsproxy.internal.tls.TlsProviders;
import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * TLS for the listener ({@code wss://} clients): the proxy's certificate and key, the protocols,
 * optional client-certificate authentication (mTLS), and how often the files are checked for a
 * new certificate. Set it with {@link WsProxy.Builder#listenTls(ServerTls)}.
 *
 * <p>Immutable; every factory and {@code with...} method reads the files at once and throws
 * {@link IllegalArgumentException} naming the bad setting (missing file, wrong password, a key that
 * does not belong to the certificate). The files are read again when the certificate is reloaded
 * ({@link WsProxy#reloadCertificates()}, or automatically when their modification time changes):
 * new handshakes use the new certificate, open connections keep theirs.
 *
 * <pre>{@code
 * ServerTls tls = ServerTls.fromPem(Path.of("fullchain.pem"), Path.of("privkey.pem"))
 *     .withClientAuth(ServerTls.ClientAuth.REQUIRED, Path.of("client-ca.pem"));
 * }</pre>
 */
public final class ServerTls {
  /** Whether clients must present a certificate the proxy trusts. */
  public enum ClientAuth {
    /** No client certificate is asked for (the default). */
    NONE,
    /** A certificate is asked for; a client without one is accepted, one with an untrusted one is not. */
    OPTIONAL,
    /** A trusted client certificate is required; the handshake fails without one. */
    REQUIRED
  }

  private static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
  private static final Duration DEFAULT_RELOAD_CHECK = Duration.ofSeconds(10);

  private final Path keyStore;
  private final String password;
  private final Path certificateChain;
  private final Path privateKey;
  private final ClientAuth clientAuth;
  private final Path trustedClientCertificates;
  private final List<String> protocols;
  private final Duration reloadCheckInterval;
  private final TlsEngine engine;

  private ServerTls(Path keyStore, String password, Path certificateChain, Path privateKey,
      ClientAuth clientAuth, Path trustedClientCertificates, List<String> protocols, Duration reloadCheckInterval,
      TlsEngine engine) {
    this.keyStore = keyStore;
    this.password = password;
    this.certificateChain = certificateChain;
    this.privateKey = privateKey;
    this.clientAuth = clientAuth;
    this.trustedClientCertificates = trustedClientCertificates;
    this.protocols = protocols;
    this.reloadCheckInterval = reloadCheckInterval;
    this.engine = engine;
  }

  /**
   * The certificate and key of a PKCS12 or JKS key store; the key's password is the store's.
   *
   * @param keyStore the key store file
   * @param password the key store's password, also the key's
   * @return a configuration presenting that certificate, without client authentication
   * @throws IllegalArgumentException naming {@code listenTls keyStore} if the file is missing, not a key
   *     store, has no private key, or the password is wrong
   */
  public static ServerTls fromKeyStore(Path keyStore, String password) {
    Objects.requireNonNull(keyStore, "keyStore");
    Objects.requireNonNull(password, "password");
    return validated(new ServerTls(keyStore, password, null, null, ClientAuth.NONE, null,
        DEFAULT_PROTOCOLS, DEFAULT_RELOAD_CHECK, TlsEngine.AUTO));
  }

  /**
   * A PEM certificate chain (the proxy's certificate first, then intermediates) and a PEM
   * unencrypted PKCS#8 private key ({@code -----BEGIN PRIVATE KEY-----}), as written by most ACME
   * clients ({@code fullchain.pem}, {@code privkey.pem}).
   *
   * @param certificateChain the PEM file of the certificate chain
   * @param privateKey the PEM file of the private key
   * @return a configuration presenting that certificate, without client authentication
   * @throws IllegalArgumentException naming {@code certificateChain} or {@code privateKey} if a
   *     file is missing or unreadable, or the key does not belong to the first certificate
   */
  public static ServerTls fromPem(Path certificateChain, Path privateKey) {
    Objects.requireNonNull(certificateChain, "certificateChain");
    Objects.requireNonNull(privateKey, "privateKey");
    return validated(new ServerTls(null, null, certificateChain, privateKey, ClientAuth.NONE, null,
        DEFAULT_PROTOCOLS, DEFAULT_RELOAD_CHECK, TlsEngine.AUTO));
  }

  /**
   * Client-certificate authentication (mTLS). Default {@link ClientAuth#NONE}.
   *
   * @param trustedCertificates a PEM file of the CA (or self-signed client) certificates that
   *     client certificates must chain to; required unless {@code mode} is NONE
   * @param mode whether client certificates are not asked for, optional or required
   * @return a copy of this configuration with that client authentication
   * @throws IllegalArgumentException naming {@code clientAuth} if the file is missing or invalid
   */
  public ServerTls withClientAuth(ClientAuth mode, Path trustedCertificates) {
    Objects.requireNonNull(mode, "clientAuth");
    if (mode != ClientAuth.NONE && trustedCertificates == null) {
      throw new IllegalArgumentException("listenTls clientAuth: " + mode + " needs the trusted client CA certificates");
    }
    return validated(new ServerTls(keyStore, password, certificateChain, privateKey, mode,
        mode == ClientAuth.NONE ? null : trustedCertificates, protocols, reloadCheckInterval, engine));
  }

  /**
   * The TLS protocol versions to accept, e.g. {@code "TLSv1.3", "TLSv1.2"} (the default).
   *
   * @param protocols the protocol versions; at least one
   * @return a copy of this configuration accepting those versions
   * @throws IllegalArgumentException naming {@code protocols} if empty or unknown to the JDK
   */
  public ServerTls withProtocols(String... protocols) {
    List<String> list = List.of(protocols);
    if (list.isEmpty()) {
      throw new IllegalArgumentException("listenTls protocols: at least one TLS protocol is needed");
    }
    Set<String> supported;
    try {
      supported = Set.of(SSLContext.getDefault().getSupportedSSLParameters().getProtocols());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no default TLS context", e);
    }
    for (String protocol : list) {
      if (!supported.contains(protocol)) {
        throw new IllegalArgumentException("listenTls protocols: " + protocol + " is not supported; supported: " + supported);
      }
    }
    return new ServerTls(keyStore, password, certificateChain, privateKey, clientAuth,
        trustedClientCertificates, list, reloadCheckInterval, engine);
  }

  /**
   * How often the files' modification times are checked; a change reloads the certificate for new
   * connections (a failed reload is logged and the current certificate kept). Default 10 s;
   * {@link Duration#ZERO} turns the check off ({@link WsProxy#reloadCertificates()} still works).
   *
   * @param interval how often the files are checked; zero turns checking off
   * @return a copy of this configuration with that interval
   * @throws IllegalArgumentException naming {@code reloadCheckInterval} if negative
   */
  public ServerTls withReloadCheckInterval(Duration interval) {
    Objects.requireNonNull(interval, "reloadCheckInterval");
    if (interval.isNegative()) {
      throw new IllegalArgumentException("listenTls reloadCheckInterval: must not be negative, was " + interval);
    }
    return new ServerTls(keyStore, password, certificateChain, privateKey, clientAuth,
        trustedClientCertificates, protocols, interval, engine);
  }

  /**
   * The TLS implementation of the listener. Default {@link TlsEngine#AUTO}: the native engine
   * (Netty's OpenSSL engine on
   * BoringSSL) when it is on the class path, else the JDK's.
   *
   * @param engine the TLS implementation to use
   * @return a copy of this configuration with that engine
   * @throws IllegalArgumentException naming {@code listenTls engine} if {@link TlsEngine#NATIVE} is
   *     asked for and the native engine is not on the class path or its native library does not load
   */
  public ServerTls withEngine(TlsEngine engine) {
    Objects.requireNonNull(engine, "engine");
    return validated(new ServerTls(keyStore, password, certificateChain, privateKey, clientAuth,
        trustedClientCertificates, protocols, reloadCheckInterval, engine));
  }

  /**
   * See {@link #withEngine}.
   *
   * @return the TLS implementation setting, as given (AUTO is not resolved)
   */
  public TlsEngine engine() {
    return engine;
  }

  /**
   * See {@link #withClientAuth}.
   *
   * @return the client authentication mode
   */
  public ClientAuth clientAuth() {
    return clientAuth;
  }

  /**
   * See {@link #withProtocols}.
   *
   * @return the accepted protocol versions
   */
  public List<String> protocols() {
    return protocols;
  }

  /**
   * See {@link #withReloadCheckInterval}.
   *
   * @return the interval of the files' check; {@link Duration#ZERO} when off
   */
  public Duration reloadCheckInterval() {
    return reloadCheckInterval;
  }

  /**
   * The files this configuration reads, which are watched for changes.
   *
   * @return the key store or PEM files, and the trusted client certificates if any
   */
  public List<Path> files() {
    List<Path> files = new ArrayList<>();
    for (Path file : Arrays.asList(keyStore, certificateChain, privateKey, trustedClientCertificates)) {
      if (file != null) {
        files.add(file);
      }
    }
    return List.copyOf(files);
  }

  /**
   * Reads the files now and builds a server-side TLS context from them.
   *
   * @return a new server-side TLS context
   * @throws IllegalArgumentException naming the setting whose file is bad
   */
  public SSLContext loadContext() {
    KeyManager[] keys = keyStore != null
        ? TlsMaterial.keyManagers("listenTls keyStore", keyStore, password)
        : TlsMaterial.keyManagers("listenTls", certificateChain, privateKey);
    TrustManager[] trust = trustedClientCertificates == null ? null
        : TlsMaterial.trustManagers("listenTls clientAuth trustedCertificates", trustedClientCertificates);
    return TlsMaterial.context("listenTls", keys, trust, TlsProviders.resolve("listenTls engine", engine), true);
  }

  @Override
  public String toString() {
    return "ServerTls{" + (keyStore != null ? "keyStore=" + keyStore
        : "certificateChain=" + certificateChain + ", privateKey=" + privateKey)
        + ", clientAuth=" + clientAuth + ", protocols=" + protocols + ", engine=" + engine + "}";
  }

  private static ServerTls validated(ServerTls tls) {
    tls.loadContext();
    return tls;
  }
}
