package io.github.wsproxy.internal.tls;

import io.github.wsproxy.ServerTls;
import io.github.wsproxy.UpstreamTls;
import io.github.wsproxy.internal.config.Listener;
import io.github.wsproxy.internal.config.ProxySettings;
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
 * The TLS side of a running proxy: each TLS listener's reloadable certificate, the context for
 * {@code wss://} upstream servers, and the small executor that runs handshake tasks off the event
 * loops (its threads start on the first task and end after 10 s idle). One per {@code
 * ProxyServer}; thread-safe. A reconfiguration replaces the certificates and the upstream trust
 * for new handshakes.
 */
public final class TlsContexts implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TlsContexts.class);

  /** The trust toward upstream servers; its context is made on first use. */
  private static final class UpstreamTrust {
    final UpstreamTls configured;
    final boolean verify;
    volatile SSLContext context;

    UpstreamTrust(ProxySettings config) {
      this.configured = config.upstreamTls();
      this.verify = !config.upstreamTlsInsecureSkipVerify();
    }

    SSLContext context() {
      SSLContext made = context;
      if (made == null) {
        if (configured != null) {
          made = configured.sslContext();
        } else {
          made = UpstreamTls.systemTrust().sslContext();
          log.info("TLS engine toward wss:// upstreams: {}", TlsProviders.describe(made));
        }
        context = made;
      }
      return made;
    }
  }

  private final ThreadPoolExecutor tasks;
  private final TaskCosts serverTaskCosts = new TaskCosts();
  private final TaskCosts upstreamTaskCosts = new TaskCosts();
  private final AtomicBoolean checkQueued = new AtomicBoolean();
  /** One entry per listener, in the settings' order; null for a plain one. */
  private volatile List<ServerCertificates> listeners;
  private volatile UpstreamTrust upstream;

  /**
   * Reads the listeners' files; no thread is started for a proxy without TLS.
   *
   * @throws IllegalArgumentException if a listener's files have become unusable since configuration
   */
  public TlsContexts(ProxySettings config, String threadName) {
    this.listeners = certificates(config, List.of());
    this.upstream = new UpstreamTrust(config);
    if (config.upstreamTls() != null) {
      log.info("TLS engine toward wss:// upstreams: {}", TlsProviders.describe(config.upstreamTls().sslContext()));
    }
    int threads = Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors()));
    AtomicInteger count = new AtomicInteger();
    this.tasks = new ThreadPoolExecutor(threads, threads, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread thread = new Thread(r, threadName + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    tasks.allowCoreThreadTimeOut(true);
    warnIfInsecure(config);
  }

  /** The listeners' certificates: those of {@code current} whose {@code ServerTls} is the same, else read now. */
  private static List<ServerCertificates> certificates(ProxySettings config, List<ServerCertificates> current) {
    List<ServerCertificates> all = new ArrayList<>();
    List<Listener> listeners = config.listeners();
    for (int i = 0; i < listeners.size(); i++) {
      ServerTls tls = listeners.get(i).tls();
      ServerCertificates kept = i < current.size() ? current.get(i) : null;
      all.add(tls == null ? null : kept != null && kept.tls() == tls ? kept : new ServerCertificates(tls));
    }
    return all;
  }

  private static void warnIfInsecure(ProxySettings config) {
    if (config.upstreamTlsInsecureSkipVerify()) {
      log.warn("upstreamTlsInsecureSkipVerify is on: the certificates of wss:// upstreams ({}) are NOT verified; "
          + "anyone on the path can impersonate them. Use it for tests only.", config.upstreamGroup());
    }
  }

  /**
   * Takes the listeners' certificates (the files of a {@code ServerTls} other than the current one
   * read now) and the upstream trust of {@code next}, for handshakes from now on.
   *
   * @throws IllegalArgumentException naming the bad setting when a listener's files cannot be used;
   *     then nothing changes
   */
  public void reconfigure(ProxySettings next) {
    List<ServerCertificates> certificates = certificates(next, listeners);
    listeners = certificates;
    UpstreamTrust trust = new UpstreamTrust(next);
    if (trust.configured != upstream.configured || trust.verify != upstream.verify) {
      upstream = trust;
      warnIfInsecure(next);
    }
  }

  /** Whether clients speak TLS to the listener with this index (in the settings' order). */
  public boolean listenerTls(int listener) {
    return listeners.get(listener) != null;
  }

  /** A server-side session for a client accepted on a TLS listener, with its current certificate. */
  public TlsSession newServerSession(int listener) throws SSLException {
    return session(listeners.get(listener).newEngine(), serverTaskCosts);
  }

  /**
   * A client-side session toward an upstream: SNI and host name verification on {@code urlHost},
   * the host of its URL (an IP literal, bracketed or not, gets no SNI).
   */
  public TlsSession newUpstreamSession(String urlHost, int port) throws SSLException {
    UpstreamTrust trust = upstream;
    String upstreamHost = urlHost.startsWith("[") ? urlHost.substring(1, urlHost.length() - 1) : urlHost;
    SSLEngine engine = trust.context().createSSLEngine(upstreamHost, port);
    try {
      engine.setUseClientMode(true);
      SSLParameters parameters = engine.getSSLParameters();
      if (trust.verify) {
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
      }
      if (!upstreamHost.contains(":") && !upstreamHost.matches("[0-9.]+")) {
        parameters.setServerNames(List.of(new SNIHostName(upstreamHost)));
      }
      engine.setSSLParameters(parameters);
    } catch (RuntimeException e) {
      NativeTls.release(engine);
      throw e;
    }
    return session(engine, upstreamTaskCosts);
  }

  /** A session of a configured engine; the engine is freed if the session cannot start. */
  private TlsSession session(SSLEngine engine, TaskCosts costs) throws SSLException {
    try {
      return new TlsSession(engine, tasks, costs);
    } catch (SSLException | RuntimeException e) {
      NativeTls.release(engine);
      throw e;
    }
  }

  /**
   * Reads every TLS listener's files again; new handshakes use the new certificates.
   *
   * @throws IllegalStateException if there is no TLS listener
   * @throws IllegalArgumentException naming the bad setting; that listener's current certificate stays
   */
  public void reloadServerCertificates() {
    List<ServerCertificates> current = listeners;
    if (current.stream().allMatch(Objects::isNull)) {
      throw new IllegalStateException("listenTls is not configured: there is no certificate to reload");
    }
    for (ServerCertificates certificates : current) {
      if (certificates != null) {
        certificates.reload();
      }
    }
  }

  /** Called on a loop tick: the listeners whose check interval is due are checked off the loop. */
  public void onTick(long now) {
    List<ServerCertificates> due = new ArrayList<>();
    for (ServerCertificates certificates : listeners) {
      if (certificates != null && certificates.checkDue(now)) {
        due.add(certificates);
      }
    }
    if (!due.isEmpty() && checkQueued.compareAndSet(false, true)) {
      tasks.execute(() -> {
        try {
          due.forEach(ServerCertificates::reloadIfChanged);
        } finally {
          checkQueued.set(false);
        }
      });
    }
  }

  /** Stops the handshake executor; handshakes still waiting for it fail. */
  @Override
  public void close() {
    tasks.shutdownNow();
  }

  @Override
  public String toString() {
    UpstreamTrust trust = upstream;
    return "TlsContexts{listeners=" + listeners + ", upstream="
        + Objects.toString(trust.configured, "JDK trust") + "}";
  }
}
