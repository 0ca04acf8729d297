package io.github.wsproxy.internal.tls;

import io.github.wsproxy.TlsEngine;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.UnrecoverableKeyException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * Loads keys and certificates from files with the JDK alone: PKCS12/JKS key stores, and PEM files
 * (certificates, unencrypted PKCS#8 private keys) parsed here. Every failure is an {@link
 * IllegalArgumentException} whose message starts with the setting that named the file.
 */
public final class TlsMaterial {
  private static final Pattern PEM =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----");
  private static final String[] KEY_ALGORITHMS = {"RSA", "EC", "EdDSA", "RSASSA-PSS", "XDH"};
  /** Sessions kept for resumption by each side of a context. */
  static final int SESSION_CACHE_SIZE = 4096;
  /** How long a session can be resumed. */
  static final int SESSION_TIMEOUT_SECONDS = 3600;

  private TlsMaterial() {}

  /** Key managers for the private key entries of a PKCS12 or JKS key store (key password = store password). */
  public static KeyManager[] keyManagers(String setting, Path keyStore, String password) {
    KeyStore store = loadKeyStore(setting, keyStore, password);
    try {
      if (Collections.list(store.aliases()).stream().noneMatch(alias -> isKeyEntry(store, alias))) {
        throw new IllegalArgumentException(setting + ": " + keyStore + " holds no private key entry");
      }
      return keyManagers(store, password.toCharArray());
    } catch (UnrecoverableKeyException e) {
      throw new IllegalArgumentException(setting + ": the private key in " + keyStore
          + " has another password than the key store", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(setting + ": cannot use " + keyStore + ": " + e.getMessage(), e);
    }
  }

  /**
   * Key managers for a PEM certificate chain (the server's own certificate first) and its PEM
   * PKCS#8 private key; checks that the key belongs to the first certificate.
   */
  public static KeyManager[] keyManagers(String setting, Path certificateChain, Path privateKey) {
    List<X509Certificate> chain = certificates(setting + " certificateChain", certificateChain);
    PrivateKey key = privateKey(setting + " privateKey", privateKey);
    checkPair(setting, chain.get(0), key, certificateChain, privateKey);
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      char[] password = new char[0];
      store.setKeyEntry("key", key, password, chain.toArray(new X509Certificate[0]));
      return keyManagers(store, password);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException(setting + ": cannot use " + privateKey + ": " + e.getMessage(), e);
    }
  }

  /** Trust managers trusting the certificates of a PEM file (one or more CA or self-signed certificates). */
  public static TrustManager[] trustManagers(String setting, Path certificates) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      int i = 0;
      for (X509Certificate certificate : certificates(setting, certificates)) {
        store.setCertificateEntry("trusted-" + i++, certificate);
      }
      return trustManagers(store);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException(setting + ": cannot use " + certificates + ": " + e.getMessage(), e);
    }
  }

  /** Trust managers trusting the certificate entries of a PKCS12 or JKS trust store. */
  public static TrustManager[] trustManagers(String setting, Path trustStore, String password) {
    KeyStore store = loadKeyStore(setting, trustStore, password);
    try {
      return trustManagers(store);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(setting + ": cannot use " + trustStore + ": " + e.getMessage(), e);
    }
  }

  /**
   * A TLS context from key and trust managers (either may be null: none, or the JDK's default
   * trust) made by the provider of {@code engine}, with bounded session caches: at most 4,096
   * sessions each side, each resumable for one hour (which also bounds the lifetime of the session
   * tickets the server issues). The native engine makes its side ({@code server} or client) now, so
   * that material it cannot use fails here.
   *
   * @param setting the setting named in the exception, e.g. {@code listenTls}
   * @param engine a resolved engine (JDK or NATIVE, see {@link TlsProviders#resolve})
   * @param server whether the context is for a listener (else for connections to upstreams)
   * @throws IllegalArgumentException naming {@code setting} when the native engine cannot use the material
   */
  public static SSLContext context(String setting, KeyManager[] keys, TrustManager[] trust, TlsEngine engine,
      boolean server) {
    SSLContext context;
    Provider provider = TlsProviders.provider(engine);
    try {
      context = provider == null ? SSLContext.getInstance("TLS") : SSLContext.getInstance("TLS", provider);
      context.init(keys, trust, new SecureRandom());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot create a TLS context: " + e.getMessage(), e);
    }
    if (provider != null) { // the native engine's contexts are made with these bounds
      try {
        if (server) {
          context.getServerSessionContext();
        } else {
          context.getClientSessionContext();
        }
      } catch (IllegalStateException e) {
        throw new IllegalArgumentException(setting + ": " + e.getMessage(), e);
      }
      return context;
    }
    for (SSLSessionContext sessions : List.of(context.getServerSessionContext(), context.getClientSessionContext())) {
      sessions.setSessionCacheSize(SESSION_CACHE_SIZE);
      sessions.setSessionTimeout(SESSION_TIMEOUT_SECONDS);
    }
    return context;
  }

  /** The certificates of a PEM file, in file order; at least one. */
  public static List<X509Certificate> certificates(String setting, Path file) {
    List<X509Certificate> certificates = new ArrayList<>();
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (PemBlock block : pemBlocks(setting, file)) {
        if (block.type().equals("CERTIFICATE")) {
          certificates.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(block.der())));
        }
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(setting + ": " + file + " holds an invalid certificate: " + e.getMessage(), e);
    }
    if (certificates.isEmpty()) {
      throw new IllegalArgumentException(setting + ": " + file + " holds no PEM \"CERTIFICATE\" block");
    }
    return certificates;
  }

  /** The unencrypted PKCS#8 private key ({@code BEGIN PRIVATE KEY}) of a PEM file. */
  public static PrivateKey privateKey(String setting, Path file) {
    for (PemBlock block : pemBlocks(setting, file)) {
      switch (block.type()) {
        case "PRIVATE KEY":
          PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(block.der());
          for (String algorithm : KEY_ALGORITHMS) {
            try {
              return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
              // try the next algorithm
            }
          }
          throw new IllegalArgumentException(setting + ": " + file + " holds a PKCS#8 key of an unsupported algorithm");
        case "ENCRYPTED PRIVATE KEY":
          throw new IllegalArgumentException(setting + ": " + file
              + " holds an encrypted key; decrypt it (openssl pkcs8 -in key.pem -out plain.pem)");
        case "RSA PRIVATE KEY":
        case "EC PRIVATE KEY":
          throw new IllegalArgumentException(setting + ": " + file + " holds a \"" + block.type()
              + "\" key; convert it to PKCS#8 (openssl pkcs8 -topk8 -nocrypt -in key.pem -out pkcs8.pem)");
        default:
          break;
      }
    }
    throw new IllegalArgumentException(setting + ": " + file + " holds no PEM \"PRIVATE KEY\" block");
  }

  private record PemBlock(String type, byte[] der) {}

  private static List<PemBlock> pemBlocks(String setting, Path file) {
    String text = new String(read(setting, file), StandardCharsets.US_ASCII);
    List<PemBlock> blocks = new ArrayList<>();
    Matcher matcher = PEM.matcher(text);
    while (matcher.find()) {
      try {
        blocks.add(new PemBlock(matcher.group(1), Base64.getMimeDecoder().decode(matcher.group(2))));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(setting + ": " + file + " has bad Base64 in a \""
            + matcher.group(1) + "\" block", e);
      }
    }
    if (blocks.isEmpty()) {
      throw new IllegalArgumentException(setting + ": " + file + " is not a PEM file (no -----BEGIN ...----- block)");
    }
    return blocks;
  }

  private static byte[] read(String setting, Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(setting + ": no such file: " + file);
    }
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalArgumentException(setting + ": cannot read " + file + ": " + e, e);
    }
  }

  private static KeyStore loadKeyStore(String setting, Path file, String password) {
    read(setting, file);
    try {
      return KeyStore.getInstance(file.toFile(), password.toCharArray());
    } catch (IOException e) {
      if (e.getCause() instanceof UnrecoverableKeyException) {
        throw new IllegalArgumentException(setting + " password: wrong password for " + file, e);
      }
      throw new IllegalArgumentException(setting + ": cannot read key store " + file + ": " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(setting + ": " + file + " is not a PKCS12 or JKS key store: "
          + e.getMessage(), e);
    }
  }

  private static boolean isKeyEntry(KeyStore store, String alias) {
    try {
      return store.isKeyEntry(alias);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static KeyManager[] keyManagers(KeyStore store, char[] password) throws GeneralSecurityException {
    KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    factory.init(store, password);
    return factory.getKeyManagers();
  }

  private static TrustManager[] trustManagers(KeyStore store) throws GeneralSecurityException {
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(store);
    return factory.getTrustManagers();
  }

  /** Signs with the key and verifies with the certificate: they must be one pair. */
  private static void checkPair(String setting, X509Certificate certificate, PrivateKey key, Path chain, Path keyFile) {
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
      default -> null;
    };
    if (algorithm == null) {
      return;
    }
    byte[] challenge = new byte[32];
    new SecureRandom().nextBytes(challenge);
    boolean matches;
    try {
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(challenge);
      matches = verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      matches = false;
    }
    if (!matches) {
      throw new IllegalArgumentException(setting + " privateKey: " + keyFile
          + " does not belong to the first certificate of " + chain + " (" + certificate.getSubjectX500Principal() + ")");
    }
  }
}
