package io.github.wsproxy.internal.tls;

import io.github.wsproxy.ServerTls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificate one TLS listener serves: its {@link ServerTls}, the context read from its files,
 * replaced when they are read again, and the files' stamps the periodic check compares. Thread-safe.
 */
final class ServerCertificates {
  private static final Logger log = LoggerFactory.getLogger(ServerCertificates.class);

  private final ServerTls tls;
  private final String[] protocols;
  private volatile SSLContext context;
  private List<String> stamps;
  private long nextCheckNanos;

  /** @throws IllegalArgumentException naming the bad setting when the files cannot be used */
  ServerCertificates(ServerTls tls) {
    this.tls = tls;
    this.protocols = tls.protocols().toArray(new String[0]);
    this.stamps = stamps(tls.files());
    this.context = tls.loadContext();
    log.info("TLS engine of the wss:// listener: {}", TlsProviders.describe(context));
  }

  ServerTls tls() {
    return tls;
  }

  /**
   * A server-side engine with the current certificate, its settings made one by one: a round trip
   * through {@code SSLParameters} (every cipher suite name copied out and checked back in) doubled
   * the JDK engine's cost of making one (thread CPU per engine made and closed: JDK 3.4 against
   * 1.8 µs, native 8.2 against 7.5 µs).
   */
  SSLEngine newEngine() {
    SSLEngine engine = context.createSSLEngine();
    try {
      engine.setUseClientMode(false);
      engine.setEnabledProtocols(protocols);
      if (tls.clientAuth() == ServerTls.ClientAuth.REQUIRED) {
        engine.setNeedClientAuth(true);
      } else if (tls.clientAuth() == ServerTls.ClientAuth.OPTIONAL) {
        engine.setWantClientAuth(true);
      }
    } catch (RuntimeException e) {
      NativeTls.release(engine);
      throw e;
    }
    return engine;
  }

  /** @throws IllegalArgumentException naming the bad setting; the current certificate stays */
  synchronized void reload() {
    List<String> current = stamps(tls.files());
    context = tls.loadContext();
    stamps = current;
    log.info("TLS certificate reloaded from {}", tls.files());
  }

  /** Whether the periodic check is due at {@code now}; if so, the next one is scheduled. */
  synchronized boolean checkDue(long now) {
    long interval = tls.reloadCheckInterval().toNanos();
    if (interval <= 0 || now - nextCheckNanos < 0) {
      return false;
    }
    nextCheckNanos = now + interval;
    return true;
  }

  /** Reads the files again when their stamps changed; keeps the current certificate when they cannot be used. */
  void reloadIfChanged() {
    try {
      synchronized (this) {
        List<String> current = stamps(tls.files());
        if (current.equals(stamps)) {
          return;
        }
        stamps = current;
      }
      reload();
    } catch (IllegalArgumentException e) {
      log.warn("TLS certificate files changed but cannot be used, keeping the current certificate: {}",
          e.getMessage());
    }
  }

  @Override
  public String toString() {
    return tls.toString();
  }

  private static List<String> stamps(List<Path> files) {
    List<String> stamps = new ArrayList<>();
    for (Path file : files) {
      try {
        stamps.add(Files.getLastModifiedTime(file) + "/" + Files.size(file));
      } catch (IOException e) {
        stamps.add("missing");
      }
    }
    return stamps;
  }
}
