package io.github.wsproxy.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed certificate and its EC key, made for a test by the running JDK's {@code keytool},
 * in three forms: a PKCS12 key store, a PEM certificate and a PEM PKCS#8 private key.
 *
 * <pre>{@code
 * TestCertificate server = TestCertificate.generate(dir, "server", "localhost", "dns:localhost,ip:127.0.0.1");
 * SSLContext client = TestCertificate.context(null, server);   // trusts only this certificate
 * }</pre>
 */
public final class TestCertificate {
  /** The password of the key store and of its key. */
  public static final String PASSWORD = "changeit";

  private final Path keyStore;
  private final Path certificatePem;
  private final Path privateKeyPem;
  private final X509Certificate certificate;
  private final KeyStore loaded;

  private TestCertificate(Path keyStore, Path certificatePem, Path privateKeyPem, X509Certificate certificate,
      KeyStore loaded) {
    this.keyStore = keyStore;
    this.certificatePem = certificatePem;
    this.privateKeyPem = privateKeyPem;
    this.certificate = certificate;
    this.loaded = loaded;
  }

  /**
   * Runs {@code keytool -genkeypair} and writes {@code name.p12}, {@code name.crt.pem} and {@code
   * name.key.pem} into {@code dir}.
   *
   * @param commonName the subject's CN
   * @param subjectAltNames keytool's SAN syntax, e.g. {@code dns:localhost,ip:127.0.0.1}
   * @param dir the directory the files are written to
   * @param name the base name of the files, also the key's alias
   * @return the generated certificate and its files
   * @throws IOException if keytool fails or is interrupted, or its output cannot be read
   */
  public static TestCertificate generate(Path dir, String name, String commonName, String subjectAltNames)
      throws IOException {
    Path store = dir.resolve(name + ".p12");
    Files.deleteIfExists(store);
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Process process = new ProcessBuilder(keytool, "-genkeypair", "-alias", name, "-keyalg", "EC",
        "-groupname", "secp256r1", "-validity", "2", "-dname", "CN=" + commonName, "-ext", "SAN=" + subjectAltNames,
        "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
        .redirectErrorStream(true).start();
    try {
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new IOException("keytool failed: " + output);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running keytool", e);
    }
    try {
      KeyStore loaded = KeyStore.getInstance(store.toFile(), PASSWORD.toCharArray());
      X509Certificate certificate = (X509Certificate) loaded.getCertificate(name);
      PrivateKey key = (PrivateKey) loaded.getKey(name, PASSWORD.toCharArray());
      Path certificatePem = dir.resolve(name + ".crt.pem");
      Path keyPem = dir.resolve(name + ".key.pem");
      Files.writeString(certificatePem, pem("CERTIFICATE", certificate.getEncoded()));
      Files.writeString(keyPem, pem("PRIVATE KEY", key.getEncoded()));
      return new TestCertificate(store, certificatePem, keyPem, certificate, loaded);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot read what keytool wrote to " + store, e);
    }
  }

  /**
   * A TLS context presenting {@code identity} (null: no certificate) and trusting exactly {@code
   * trusted} (none given: trusting nothing).
   *
   * @param identity the certificate and key to present, or null for none
   * @param trusted the certificates to trust
   * @return a new TLS context
   */
  public static SSLContext context(TestCertificate identity, TestCertificate... trusted) {
    try {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      for (int i = 0; i < trusted.length; i++) {
        trust.setCertificateEntry("trusted-" + i, trusted[i].certificate);
      }
      TrustManagerFactory trustFactory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trustFactory.init(trust);
      KeyManagerFactory keyFactory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      if (identity != null) {
        keyFactory.init(identity.loaded, PASSWORD.toCharArray());
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(identity == null ? null : keyFactory.getKeyManagers(), trustFactory.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build a TLS context", e);
    }
  }

  /**
   * Copies this certificate's PEM files over {@code certificate} and {@code key} (for reload
   * tests).
   *
   * @param certificate where the certificate PEM is copied to
   * @param key where the private key PEM is copied to
   */
  public void copyPemTo(Path certificate, Path key) {
    try {
      Files.copy(certificatePem, certificate, StandardCopyOption.REPLACE_EXISTING);
      Files.copy(privateKeyPem, key, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The PKCS12 key store (password {@link #PASSWORD}).
   *
   * @return the key store file
   */
  public Path keyStore() {
    return keyStore;
  }

  /**
   * The certificate as PEM.
   *
   * @return the certificate PEM file
   */
  public Path certificatePem() {
    return certificatePem;
  }

  /**
   * The private key as PEM PKCS#8.
   *
   * @return the private key PEM file
   */
  public Path privateKeyPem() {
    return privateKeyPem;
  }

  /**
   * The certificate.
   *
   * @return the certificate
   */
  public X509Certificate certificate() {
    return certificate;
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
