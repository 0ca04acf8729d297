package io.github.wsproxy.examples;

import io.github.wsproxy.UpstreamGroup;
import io.github.wsproxy.WsProxy;
import io.github.wsproxy.examples.chat.ChatDemo;
import io.github.wsproxy.examples.metrics.AdminEndpoint;
import io.github.wsproxy.examples.metrics.MicrometerEventListener;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * The standalone proxy: {@code java -jar wsproxy.jar --listen 127.0.0.1:8080 --upstream
 * ws://127.0.0.1:8282}. Without {@code --upstream} it starts a demo echo server behind the proxy.
 * SIGTERM or Ctrl-C closes it gracefully. With {@code --config FILE} every setting comes from a
 * {@link ConfigFile} (other flags override its keys), {@code --check} validates it, and SIGHUP
 * reloads its upstreams and routes. {@code --admin-listen} adds an {@link AdminEndpoint}.
 * Exit codes: 0 after a clean stop (or a valid file with {@code --check}), 1 when it cannot listen
 * or {@code --check} found errors, 2 for a bad command line or configuration file.
 */
public final class Launcher {
  private static final Logger log = LoggerFactory.getLogger(Launcher.class);

  private Launcher() {}

  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Runs the command line; returns the exit code (blocks while the proxy runs). */
  static int run(String[] args, PrintStream out, PrintStream err) {
    LauncherOptions options;
    try {
      options = LauncherOptions.parse(args);
    } catch (IllegalArgumentException e) {
      err.println("wsproxy: " + e.getMessage());
      return 2;
    }
    if (options.helpRequested()) {
      out.print(LauncherOptions.help());
      return 0;
    }
    if (options.versionRequested()) {
      String version = Launcher.class.getPackage().getImplementationVersion();
      out.println("wsproxy " + (version == null ? "(not from a release jar)" : version));
      return 0;
    }
    if (options.clientUrl() != null) {
      return ConsoleClient.run(options.clientUrl(), System.in, out, err);
    }
    if (options.chatDemoRequested()) {
      InetSocketAddress page = options.listenAddress();
      return ChatDemo.run(page != null ? page : new InetSocketAddress("127.0.0.1", ChatDemo.DEFAULT_PORT), out, err);
    }
    ConfigFile.Result configured = null;
    if (options.configFile() != null) {
      configured = ConfigFile.load(options.configFile(), options.settings());
      configured.problems().forEach(problem -> err.println(problem.describe(options.configFile())));
      if (options.checkRequested()) {
        if (configured.ok()) {
          out.println("wsproxy: configuration " + options.configFile() + " ok");
          configured.overrides().forEach(line -> out.println("  command line: " + line));
        }
        return configured.ok() ? 0 : 1;
      }
      if (!configured.ok()) {
        return 2;
      }
    }
    Running running;
    try {
      running = configured == null ? start(options) : start(configured, options.configFile(), options.settings());
    } catch (IllegalArgumentException | IllegalStateException e) {
      err.println("wsproxy: " + e.getMessage());
      return 2;
    } catch (IOException e) {
      err.println("wsproxy: cannot listen: " + e.getMessage());
      return 1;
    }
    out.println(running.banner());
    if (options.configFile() != null) {
      reloadOnHangUp(running);
    }
    Runtime.getRuntime().addShutdownHook(new Thread(running::close, "wsproxy-shutdown"));
    running.awaitClosed();
    return 0;
  }

  /** SIGHUP reloads the configuration file, like {@code nginx -s reload}. */
  private static void reloadOnHangUp(Running running) {
    try {
      Signal.handle(new Signal("HUP"), signal -> running.reload());
    } catch (IllegalArgumentException e) {
      log.warn("no SIGHUP on this platform, the configuration file is not reloaded: {}", e.getMessage());
    }
  }

  /**
   * Starts a proxy read from a configuration file, which {@link Running#reload()} reads again.
   *
   * @throws IOException when the listen or admin address cannot be bound
   */
  public static Running start(ConfigFile.Result configured, Path configFile) throws IOException {
    return start(configured, configFile, List.of());
  }

  /** Like {@link #start(ConfigFile.Result, Path)}, with command-line flags that a reload applies over the file again. */
  static Running start(ConfigFile.Result configured, Path configFile, List<LauncherOptions.Setting> overrides)
      throws IOException {
    return Running.start(configured.proxy().newBuilder(), null, configFile, overrides,
        new Stopping(configured.acceptGrace(), configured.shutdownGrace()),
        configured.adminListen());
  }

  /**
   * Starts the proxy described by the options, with a demo echo upstream when none was given.
   *
   * @throws IOException when the listen address cannot be bound
   */
  public static Running start(LauncherOptions options) throws IOException {
    DemoEchoUpstream demo = null;
    WsProxy.Builder builder = options.builder();
    try {
      if (!options.upstreamGiven()) {
        demo = DemoEchoUpstream.start(new InetSocketAddress("127.0.0.1", 0));
        builder.upstream(options.upstreamGroup(demo.uri()));
      }
      return Running.start(builder, demo, null, List.of(), new Stopping(options.acceptGrace(), options.shutdownGrace()),
          options.adminListenAddress());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closeQuietly(demo);
      throw new IOException("interrupted while starting", e);
    } catch (IOException | RuntimeException e) {
      closeQuietly(demo);
      throw e;
    }
  }

  private static void closeQuietly(DemoEchoUpstream demo) {
    if (demo != null) {
      try {
        demo.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * How a SIGTERM stops the proxy: draining (/readyz 503) while still accepting for {@code
   * acceptGrace}, then {@link WsProxy#shutdown(Duration)} with {@code shutdownGrace}.
   */
  private record Stopping(Duration acceptGrace, Duration shutdownGrace) {}

  /** A started proxy (and its demo upstream and admin endpoint, if any), closed together. */
  public static final class Running implements AutoCloseable {
    private final WsProxy proxy;
    private final DemoEchoUpstream demo;
    private final Path configFile;
    private final List<LauncherOptions.Setting> overrides;
    private final Stopping stopping;
    private final CountDownLatch closed = new CountDownLatch(1);
    private AdminEndpoint admin;
    /** The admin endpoint's metrics listener, kept across reloads; null without one. */
    private MicrometerEventListener metrics;

    private Running(WsProxy proxy, DemoEchoUpstream demo, Path configFile, List<LauncherOptions.Setting> overrides,
        Stopping stopping) {
      this.proxy = proxy;
      this.demo = demo;
      this.configFile = configFile;
      this.overrides = overrides;
      this.stopping = stopping;
    }

    /** Builds and starts the proxy, then the admin endpoint on {@code adminListen} unless null. */
    private static Running start(WsProxy.Builder builder, DemoEchoUpstream demo, Path configFile,
        List<LauncherOptions.Setting> overrides, Stopping stopping, InetSocketAddress adminListen)
        throws IOException {
      PrometheusMeterRegistry registry = null;
      MicrometerEventListener metrics = null;
      if (adminListen != null) {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        metrics = new MicrometerEventListener(registry);
        builder.eventListener(metrics);
      }
      WsProxy proxy = builder.build();
      if (adminListen != null && adminListen.getPort() != 0 && adminListen.equals(proxy.listenAddress())) {
        throw new IllegalArgumentException("--admin-listen: must not be the --listen address " + adminListen);
      }
      proxy.start();
      Running running = new Running(proxy, demo, configFile, overrides, stopping);
      running.metrics = metrics;
      if (registry != null) {
        try {
          running.admin = AdminEndpoint.start(adminListen, proxy, registry);
        } catch (IOException e) {
          proxy.close();
          throw new IOException("--admin-listen " + adminListen + ": " + e.getMessage(), e);
        }
      }
      return running;
    }

    /**
     * Reads the configuration file again and gives the running proxy every setting that can change
     * without a restart (the SIGHUP handler; see {@link WsProxy#reconfigure(WsProxy)}): new
     * connections get them, open ones keep theirs. The listen addresses, {@code eventLoops} and
     * {@code acceptBacklog} take effect at the next start; the log names them. An invalid file
     * keeps the running configuration, and each of its errors is logged with its line.
     *
     * @return whether the new configuration is in place
     */
    public synchronized boolean reload() {
      ConfigFile.Result result = ConfigFile.load(configFile, overrides);
      if (!result.ok()) {
        log.error("reload failed, keeping the running configuration: {} error(s) in {}", result.problems().size(),
            configFile);
        result.problems().forEach(problem -> log.error("  {}", problem.describe(configFile)));
        return false;
      }
      WsProxy next = metrics == null ? result.proxy() : result.proxy().newBuilder().eventListener(metrics).build();
      List<String> needRestart;
      try {
        needRestart = proxy.reconfigure(next);
      } catch (IllegalArgumentException | IllegalStateException e) {
        log.error("reload failed, keeping the running configuration: {}", e.getMessage());
        return false;
      }
      log.info("reloaded {}{}", configFile, needRestart.isEmpty() ? ""
          : "; not applied until the next start: " + String.join(", ", needRestart));
      return true;
    }

    public WsProxy proxy() {
      return proxy;
    }

    /** The URL clients connect to. */
    public URI proxyUri() {
      InetSocketAddress address = proxy.boundAddress();
      return URI.create((proxy.listenTls() == null ? "ws://" : "wss://")
          + address.getAddress().getHostAddress() + ":" + address.getPort() + "/");
    }

    /** The admin endpoint's address, with its actual port; null without {@code --admin-listen}. */
    public InetSocketAddress adminAddress() {
      return admin == null ? null : admin.address();
    }

    String banner() {
      UpstreamGroup group = proxy.upstreamGroup();
      String upstream = demo != null ? proxy.upstream() + " (built-in echo server)"
          : group == null ? "-" : group.servers().size() == 1 ? proxy.upstream().toString() : group.toString();
      List<InetSocketAddress> bound = proxy.boundAddresses();
      String more = bound.size() == 1 ? "" : "  also on:  " + bound.subList(1, bound.size()).stream()
          .map(address -> address.getAddress().getHostAddress() + ":" + address.getPort())
          .collect(Collectors.joining(", ")) + "\n";
      return "WsProxy listening on " + proxyUri() + "\n" + more
          + "  upstream: " + upstream + "\n"
          + (proxy.routes().isEmpty() ? "" : "  routes:   " + proxy.routes() + "\n")
          + (admin == null ? "" : "  admin:    http://" + admin.address().getAddress().getHostAddress() + ":"
              + admin.address().getPort() + "/metrics, /healthz, /readyz\n")
          + (configFile == null ? "" : "  reload:   kill -HUP " + ProcessHandle.current().pid() + "\n")
          + "  try it:   java -jar proxy-examples/target/wsproxy.jar --client " + proxyUri() + "\n"
          + "  stop:     Ctrl-C";
    }

    void awaitClosed() {
      try {
        closed.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /**
     * Closes the proxy gracefully: drains it ({@link WsProxy#drain()}: /readyz says 503 from now
     * on) while still accepting for the accept grace, shuts it down (after the shutdown grace,
     * clients get 1001, spread over the close spread), then closes the admin endpoint and the demo
     * upstream.
     */
    @Override
    public void close() {
      proxy.drain();
      if (!stopping.acceptGrace().isZero()) {
        try {
          Thread.sleep(stopping.acceptGrace().toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      proxy.shutdown(stopping.shutdownGrace());
      if (admin != null) {
        admin.close();
      }
      closeQuietly(demo);
      closed.countDown();
    }
  }
}
