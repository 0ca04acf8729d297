package io.github.wsproxy.examples.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collections;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The HTTP clients of the loads. For {@code wss://} targets they trust the PEM certificate given to
 * {@code Bench compare --trust} (the self-signed one run-vs-nginx makes). Each client has a TLS
 * context of its own, whose session cache makes its later handshakes resumed ones unless {@link
 * #forgetSessions} empties it.
 */
final class BenchTls {
  private static volatile Path trusted;

  private BenchTls() {}

  /** Trusts the certificates of a PEM file from now on, for every client made after. */
  static void trust(Path pem) {
    trusted = pem;
  }

  /** A new client, with a TLS context of its own. */
  static HttpClient newClient() {
    Path pem = trusted;
    if (pem == null) {
      return HttpClient.newHttpClient();
    }
    try (InputStream in = Files.newInputStream(pem)) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      int i = 0;
      for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("trusted-" + i++, certificate);
      }
      TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return HttpClient.newBuilder().sslContext(context).build();
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("--trust " + pem + ": " + e.getMessage(), e);
    }
  }

  /** Drops the client's TLS sessions, so that its next handshake is a full one. */
  static void forgetSessions(HttpClient client) {
    SSLSessionContext sessions = client.sslContext().getClientSessionContext();
    for (byte[] id : Collections.list(sessions.getIds())) {
      var session = sessions.getSession(id);
      if (session != null) {
        session.invalidate();
      }
    }
  }
}
