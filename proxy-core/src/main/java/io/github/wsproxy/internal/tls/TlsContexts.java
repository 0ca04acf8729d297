package io.github.wsproxy.internal.tls;

import io.github.wsproxy.ServerTls;
import io.github.wsproxy.UpstreamTls;
import io.github.wsproxy.internal.config.ProxySettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS side of a running proxy: the listener's reloadable context, the context for {@code
 * wss://} upstream servers, and the small executor that runs handshake tasks off the event loops
 * (its threads start on the first task and end after 10 s idle). One per {@code ProxyServer};
 * thread-safe.
 */
public final class TlsContexts implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TlsContexts.class);

  private final ServerTls listenTls;
  private final UpstreamTls configuredUpstreamTls;
  private volatile SSLContext upstreamContext;
  private final boolean verifyUpstream;
  private final ThreadPoolExecutor tasks;
  private final TaskCosts serverTaskCosts = new TaskCosts();
  private final TaskCosts upstreamTaskCosts = new TaskCosts();
  private final long reloadCheckNanos;
  private final AtomicBoolean checkQueued = new AtomicBoolean();
  private volatile SSLContext serverContext;
  private List<String> stamps;
  private long nextCheckNanos;

  /**
   * Reads the listener's files; no thread is started for a proxy without TLS.
   *
   * @throws IllegalArgumentException if the listener's files have become unusable since configuration
   */
  public TlsContexts(ProxySettings config, String threadName) {
    this.listenTls = config.listenTls();
    this.configuredUpstreamTls = config.upstreamTls();
    this.verifyUpstream = !config.upstreamTlsInsecureSkipVerify();
    this.reloadCheckNanos = listenTls == null ? 0 : listenTls.reloadCheckInterval().toNanos();
    if (listenTls != null) {
      this.stamps = stamps(listenTls.files());
      this.serverContext = listenTls.loadContext();
      log.info("TLS engine of the wss:// listener: {}", TlsProviders.describe(serverContext));
    }
    if (configuredUpstreamTls != null) {
      log.info("TLS engine toward wss:// upstreams: {}", TlsProviders.describe(configuredUpstreamTls.sslContext()));
    }
    int threads = Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors()));
    AtomicInteger count = new AtomicInteger();
    this.tasks = new ThreadPoolExecutor(threads, threads, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread thread = new Thread(r, threadName + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    tasks.allowCoreThreadTimeOut(true);
    if (!verifyUpstream) {
      log.warn("upstreamTlsInsecureSkipVerify is on: the certificates of wss:// upstreams ({}) are NOT verified; "
          + "anyone on the path can impersonate them. Use it for tests only.", config.upstreamGroup());
    }
  }

  /** Whether clients speak TLS to the listener. */
  public boolean listenerTls() {
    return listenTls != null;
  }

  /** A server-side session for an accepted client, with the current certificate. */
  public TlsSession newServerSession() throws SSLException {
    SSLEngine engine = serverContext.createSSLEngine();
    engine.setUseClientMode(false);
    SSLParameters parameters = engine.getSSLParameters();
    parameters.setProtocols(listenTls.protocols().toArray(new String[0]));
    parameters.setNeedClientAuth(listenTls.clientAuth() == ServerTls.ClientAuth.REQUIRED);
    if (listenTls.clientAuth() == ServerTls.ClientAuth.OPTIONAL) {
      parameters.setWantClientAuth(true);
    }
    engine.setSSLParameters(parameters);
    NativeTls.enableSessionTickets(engine);
    return new TlsSession(engine, tasks, serverTaskCosts);
  }

  /**
   * A client-side session toward an upstream: SNI and host name verification on {@code urlHost},
   * the host of its URL (an IP literal, bracketed or not, gets no SNI).
   */
  public TlsSession newUpstreamSession(String urlHost, int port) throws SSLException {
    String upstreamHost = urlHost.startsWith("[") ? urlHost.substring(1, urlHost.length() - 1) : urlHost;
    SSLEngine engine = upstreamContext().createSSLEngine(upstreamHost, port);
    engine.setUseClientMode(true);
    SSLParameters parameters = engine.getSSLParameters();
    if (verifyUpstream) {
      parameters.setEndpointIdentificationAlgorithm("HTTPS");
    }
    if (!upstreamHost.contains(":") && !upstreamHost.matches("[0-9.]+")) {
      parameters.setServerNames(List.of(new SNIHostName(upstreamHost)));
    }
    engine.setSSLParameters(parameters);
    NativeTls.configureClient(engine);
    return new TlsSession(engine, tasks, upstreamTaskCosts);
  }

  /** The configured upstream context, or one trusting the JDK's CAs, made on first use. */
  private SSLContext upstreamContext() {
    SSLContext context = upstreamContext;
    if (context == null) {
      if (configuredUpstreamTls != null) {
        context = configuredUpstreamTls.sslContext();
      } else {
        context = UpstreamTls.systemTrust().sslContext();
        log.info("TLS engine toward wss:// upstreams: {}", TlsProviders.describe(context));
      }
      upstreamContext = context;
    }
    return context;
  }

  /**
   * Reads the listener's files again; new handshakes use the new certificate.
   *
   * @throws IllegalStateException if there is no TLS listener
   * @throws IllegalArgumentException naming the bad setting; the current certificate stays
   */
  public synchronized void reloadServerCertificates() {
    if (listenTls == null) {
      throw new IllegalStateException("listenTls is not configured: there is no certificate to reload");
    }
    List<String> current = stamps(listenTls.files());
    SSLContext context = listenTls.loadContext();
    serverContext = context;
    stamps = current;
    log.info("TLS certificate reloaded from {}", listenTls.files());
  }

  /** Called on a loop tick: when the check interval is due, checks the files off the loop. */
  public void onTick(long now) {
    if (reloadCheckNanos <= 0 || now - nextCheckNanos < 0) {
      return;
    }
    nextCheckNanos = now + reloadCheckNanos;
    if (checkQueued.compareAndSet(false, true)) {
      tasks.execute(this::reloadIfChanged);
    }
  }

  private void reloadIfChanged() {
    try {
      synchronized (this) {
        List<String> current = stamps(listenTls.files());
        if (current.equals(stamps)) {
          return;
        }
        stamps = current;
      }
      reloadServerCertificates();
    } catch (IllegalArgumentException e) {
      log.warn("TLS certificate files changed but cannot be used, keeping the current certificate: {}",
          e.getMessage());
    } finally {
      checkQueued.set(false);
    }
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

  /** Stops the handshake executor; handshakes still waiting for it fail. */
  @Override
  public void close() {
    tasks.shutdownNow();
  }

  @Override
  public String toString() {
    return "TlsContexts{listener=" + Objects.toString(listenTls, "plain") + ", upstream="
        + Objects.toString(configuredUpstreamTls, "JDK trust") + "}";
  }
}
