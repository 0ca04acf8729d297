package io.github.wsproxy.examples;

import io.github.wsproxy.Balance;
import io.github.wsproxy.HealthCheck;
import io.github.wsproxy.Interceptor;
import io.github.wsproxy.IoTransport;
import io.github.wsproxy.ServerTls;
import io.github.wsproxy.TlsEngine;
import io.github.wsproxy.UpstreamGroup;
import io.github.wsproxy.UpstreamTls;
import io.github.wsproxy.WsProxy;
import io.github.wsproxy.examples.chat.ChatDemo;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The launcher's command line: every flag maps onto one {@link WsProxy.Builder} setting. Parsing
 * reports the first bad flag as an {@link IllegalArgumentException} whose message names it.
 */
public final class LauncherOptions {

  private record Flag(String argument, String description, BiConsumer<LauncherOptions, String> apply) {}

  /** A flag given on the command line with its value (null for a switch), in the order given. */
  record Setting(String flag, String value) {}

  private static final Map<String, Flag> FLAGS = new LinkedHashMap<>();
  /** Flags that may be given several times; in a configuration file they take an index: {@code upstream.1}. */
  private static final Set<String> REPEATABLE = Set.of("--listen", "--upstream", "--interceptor", "--allowed-origin",
      "--trusted-proxy");
  /** Flags of the upstream group, which a configuration file's routes take too. */
  static final Set<String> GROUP_FLAGS = Set.of("--upstream", "--balance", "--upstream-max-connections",
      "--max-tries", "--max-fails", "--fail-timeout", "--health-check", "--health-interval", "--health-timeout");
  /** Flags of the command line only, not of a configuration file. */
  static final Set<String> COMMAND_LINE_ONLY = Set.of("--config", "--check", "--client", "--demo", "--help", "--version");
  /** Flags that run something other than the proxy, so they cannot come with {@code --config}. */
  private static final Set<String> OTHER_MODES = Set.of("--client", "--demo");

  static {
    flag("--listen", "HOST:PORT[;tls]", "address to accept clients on; repeat for several, ;tls marks those serving"
            + " wss:// with the --tls-* certificate (unmarked: all do when it is given) (default 127.0.0.1:8080;"
            + " with --demo chat: the page's, default 127.0.0.1:" + ChatDemo.DEFAULT_PORT + ")",
        (o, v) -> o.listens.add(listen(v)));
    flag("--admin-listen", "HOST:PORT", "serve /metrics, /healthz and /readyz on this address (default: off;"
            + " never on --listen)",
        (o, v) -> o.adminListen = address(v));
    flag("--upstream", "URL[;weight=N][;backup]", "upstream ws:// or wss:// URL, path prefix allowed; repeat for a group"
            + " (default: a built-in echo server)",
        (o, v) -> {
          o.addServer(v);
          o.upstreamGiven = true;
        });
    flag("--balance", "POLICY", "round-robin (default), least-conn, hash:ip, hash:header:NAME,"
            + " hash:cookie:NAME or hash:query:NAME",
        (o, v) -> o.group.balance(balance(v)));
    flag("--upstream-max-connections", "N", "connections per upstream server at most, 0 = no cap (default 0)",
        (o, v) -> o.group.maxConnections(integer(v)));
    flag("--max-tries", "N", "upstream servers one connection may try (default: all)",
        (o, v) -> o.group.maxTries(integer(v)));
    flag("--max-fails", "N", "failures within --fail-timeout that take a server out, 0 = never (default 1)",
        (o, v) -> o.group.maxFails(integer(v)));
    flag("--fail-timeout", "DURATION", "window for --max-fails and time a failed server is skipped (default 10s)",
        (o, v) -> o.group.failTimeout(duration(v)));
    flag("--health-check", "ws:PATH|tcp", "probe every server: WebSocket handshake on PATH, or TCP connect",
        (o, v) -> o.healthCheck = healthCheck(v));
    flag("--health-interval", "DURATION", "time between probes (default 5s)",
        (o, v) -> o.healthInterval = duration(v));
    flag("--health-timeout", "DURATION", "time a probe may take (default 2s)",
        (o, v) -> o.healthTimeout = duration(v));
    flag("--drain-timeout", "DURATION", "close connections to a server removed by a reload this long after it, 0s ="
            + " let them end by themselves (default 0s)",
        (o, v) -> o.builder.drainTimeout(duration(v)));
    flag("--close-spread", "DURATION", "spread the proxy's own closes of many connections over this window (default 0s)",
        (o, v) -> o.builder.closeSpread(duration(v)));
    flag("--shutdown-grace", "DURATION", "on SIGTERM, let connections end by themselves this long first (default 0s)",
        (o, v) -> o.shutdownGrace = nonNegative(duration(v)));
    flag("--accept-grace", "DURATION", "on SIGTERM, /readyz answers 503 at once but clients are still accepted this"
            + " long before the shutdown begins, so a load balancer's health check takes the proxy out first (default 0s)",
        (o, v) -> o.acceptGrace = nonNegative(duration(v)));
    flag("--read-timeout", "DURATION", "close a connection idle this long in both directions (default 60s)",
        (o, v) -> o.builder.readTimeout(duration(v)));
    flag("--send-timeout", "DURATION", "close a connection whose peer takes no data this long (default 60s)",
        (o, v) -> o.builder.sendTimeout(duration(v)));
    flag("--connect-timeout", "DURATION", "limit for the upstream's connect and handshake, then 504 (default 10s)",
        (o, v) -> o.builder.connectTimeout(duration(v)));
    flag("--handshake-timeout", "DURATION", "limit for a client's handshake request (default 10s)",
        (o, v) -> o.builder.handshakeTimeout(duration(v)));
    flag("--close-timeout", "DURATION", "wait for close handshakes and for shutdown (default 5s)",
        (o, v) -> o.builder.closeTimeout(duration(v)));
    flag("--max-header-bytes", "SIZE", "largest handshake head, else 431 (default 16KiB)",
        (o, v) -> o.builder.maxHeaderBytes((int) Math.min(Integer.MAX_VALUE, size(v))));
    flag("--max-message-bytes", "SIZE", "largest message, else close 1009 (default 16MiB)",
        (o, v) -> o.builder.maxMessageBytes(size(v)));
    flag("--event-loops", "N", "event-loop threads (default: half the processors, at least 1)",
        (o, v) -> o.builder.eventLoops(integer(v)));
    flag("--transport", "TRANSPORT", "how the event loops do socket I/O: auto, nio or io_uring (default auto:"
            + " io_uring on Java 22+ where the kernel allows it, else nio)",
        (o, v) -> o.builder.transport(transport(v)));
    flag("--no-plain-http", null, "WebSocket only: answer requests without an upgrade with --non-upgrade-status"
            + " instead of relaying them as HTTP",
        (o, v) -> o.builder.plainHttp(false));
    flag("--non-upgrade-status", "STATUS", "status for plain HTTP requests with --no-plain-http (default 426)",
        (o, v) -> o.builder.nonUpgradeStatus(integer(v)));
    flag("--upstream-keepalive", "N", "idle upstream connections kept per server and event loop for plain HTTP,"
            + " 0 = Connection: close (default 32)",
        (o, v) -> o.builder.upstreamKeepAlive(integer(v)));
    flag("--upstream-keepalive-timeout", "DURATION", "close a kept upstream connection idle this long (default 60s)",
        (o, v) -> o.builder.upstreamKeepAliveTimeout(duration(v)));
    flag("--affinity-cookie", "NAME", "pin clients to a server with a cookie of this name the proxy sets (default: off)",
        (o, v) -> {
          o.affinityCookie = v;
          o.builder.affinityCookie(v, o.affinityCookieMaxAge);
        });
    flag("--affinity-cookie-max-age", "DURATION", "lifetime of --affinity-cookie (default: a session cookie)",
        (o, v) -> {
          o.affinityCookieMaxAge = duration(v);
          o.builder.affinityCookie(o.affinityCookie, o.affinityCookieMaxAge);
        });
    flag("--affinity-cookie-secret-file", "FILE", "key of --affinity-cookie's server ids, shared by proxies that must"
            + " honour each other's cookies (default: random per process)",
        (o, v) -> o.builder.affinityCookieSecret(readSecret(v)));
    flag("--max-request-body-bytes", "SIZE", "largest plain HTTP request body, else 413; 0 = no limit (default 16MiB)",
        (o, v) -> o.builder.maxRequestBodyBytes(size(v)));
    flag("--preserve-host", null, "send the client's Host header upstream instead of the upstream's",
        (o, v) -> o.builder.preserveHost(true));
    flag("--no-permessage-deflate", null, "strip the client's permessage-deflate offer",
        (o, v) -> o.builder.permessageDeflate(false));
    flag("--no-utf8-validation", null, "do not check text messages for valid UTF-8",
        (o, v) -> o.builder.validateUtf8(false));
    tlsFlag("--tls-keystore", "FILE", "serve wss://: PKCS12/JKS key store with the certificate and key");
    tlsSecretFlag("--tls-keystore-password", "password of --tls-keystore");
    tlsFlag("--tls-cert", "FILE", "serve wss://: PEM certificate chain (with --tls-key)");
    tlsFlag("--tls-key", "FILE", "PEM PKCS#8 private key of --tls-cert");
    tlsFlag("--tls-client-auth", "MODE", "client certificates: none, optional or required (default none)");
    tlsFlag("--tls-client-ca", "FILE", "PEM CA certificates that client certificates must chain to");
    tlsFlag("--tls-protocols", "LIST", "accepted TLS versions, comma-separated (default TLSv1.3,TLSv1.2)");
    tlsFlag("--tls-reload-interval", "DURATION", "check the certificate files for changes this often, 0s: never (default 10s)");
    tlsFlag("--tls-engine", "ENGINE", "TLS implementation of both legs: auto, jdk or native (default auto: native,"
        + " bundled, where its library loads)");
    tlsFlag("--upstream-ca", "FILE", "wss:// upstream: trust the PEM certificates in FILE instead of the JDK's CAs");
    tlsFlag("--upstream-truststore", "FILE", "wss:// upstream: trust the PKCS12/JKS trust store FILE instead");
    tlsSecretFlag("--upstream-truststore-password", "password of --upstream-truststore");
    tlsFlag("--upstream-client-cert", "FILE", "wss:// upstream: present this PEM client certificate chain");
    tlsFlag("--upstream-client-key", "FILE", "PEM PKCS#8 private key of --upstream-client-cert");
    flag("--upstream-tls-insecure-skip-verify", null, "DANGEROUS: accept any upstream certificate (tests only)",
        (o, v) -> o.builder.upstreamTlsInsecureSkipVerify(true));
    flag("--interceptor", "CLASS", "add an Interceptor subclass with a public no-argument constructor (repeatable)",
        (o, v) -> o.builder.interceptor(interceptor(v)));
    flag("--interceptor-timeout", "DURATION", "limit for an interceptor's asynchronous answer (default 10s)",
        (o, v) -> o.builder.interceptorTimeout(duration(v)));
    flag("--max-connections", "N", "client connections at most, then 503 (default 10000)",
        (o, v) -> o.builder.maxConnections(integer(v)));
    flag("--max-connections-per-ip", "N", "client connections from one IP address at most, then 429 (default: no limit)",
        (o, v) -> o.builder.maxConnectionsPerIp(integer(v)));
    flag("--max-handshakes-per-second-per-ip", "N", "new connections per second from one IP address, then 429"
            + " (default 0 = no limit)",
        (o, v) -> o.builder.maxHandshakesPerSecondPerIp(integer(v)));
    flag("--max-frame-bytes", "SIZE", "largest frame, else close 1009 (default 16MiB)",
        (o, v) -> o.builder.maxFrameBytes(size(v)));
    flag("--allowed-origin", "ORIGIN", "an Origin a handshake may carry, else 403 (repeatable; default: any)",
        (o, v) -> {
          o.origins.add(v);
          o.builder.allowedOrigins(o.origins);
        });
    flag("--trusted-proxy", "IP|CIDR", "a proxy whose X-Forwarded-* headers are believed (repeatable; default: none)",
        (o, v) -> {
          o.trustedProxies.add(v);
          o.builder.trustedProxies(o.trustedProxies);
        });
    flag("--client-ping-interval", "DURATION", "ping a silent client after this long, 0s = never (default 0s)",
        (o, v) -> o.builder.clientPingInterval(duration(v)));
    flag("--upstream-ping-interval", "DURATION", "ping a silent upstream after this long, 0s = never (default 0s)",
        (o, v) -> o.builder.upstreamPingInterval(duration(v)));
    flag("--pong-timeout", "DURATION", "a pinged peer silent this long is treated as gone (default 10s)",
        (o, v) -> o.builder.pongTimeout(duration(v)));
    flag("--config", "FILE", "read every setting from a .properties file; other flags override its keys;"
            + " SIGHUP reloads upstreams and routes",
        (o, v) -> o.configFile = Path.of(v));
    flag("--check", null, "with --config: validate the file and the flags overriding it, print every error with"
            + " its line, exit 1 on any",
        (o, v) -> o.check = true);
    flag("--client", "URL", "run a console client instead: send stdin lines, print what comes back",
        (o, v) -> o.clientUrl = v);
    flag("--demo", "chat", "run the browser chat demo instead: a page on http://127.0.0.1:"
            + ChatDemo.DEFAULT_PORT + "/ chatting through a proxy with WordFilter",
        (o, v) -> o.chatDemo = chatDemo(v));
    flag("--help", null, "print this help", (o, v) -> o.help = true);
    flag("--version", null, "print the version", (o, v) -> o.version = true);
  }

  private final WsProxy.Builder builder = WsProxy.builder();
  /** TLS flags, applied together once all are known. */
  private final Map<String, String> tls = new LinkedHashMap<>();
  private final UpstreamGroup.Builder group = UpstreamGroup.builder();
  private HealthCheck healthCheck;
  private Duration healthInterval;
  private Duration healthTimeout;
  private boolean upstreamGiven;
  private boolean help;
  private boolean version;
  private boolean check;
  private String clientUrl;
  private Path configFile;

  private static byte[] readSecret(String file) {
    try {
      return Files.readAllBytes(Path.of(file));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }
  private Duration shutdownGrace = Duration.ZERO;
  private Duration acceptGrace = Duration.ZERO;
  private final List<String> origins = new ArrayList<>();
  private String affinityCookie;
  private Duration affinityCookieMaxAge = Duration.ZERO;
  private final List<String> trustedProxies = new ArrayList<>();
  private boolean chatDemo;
  /** A {@code --listen} value: the address, and whether it was marked {@code ;tls}. */
  private record Listen(InetSocketAddress address, boolean tls) {}

  private final List<Listen> listens = new ArrayList<>();
  private InetSocketAddress adminListen;
  /** The flags given, for {@code --config} to apply over the file's keys. */
  private final List<Setting> settings = new ArrayList<>();

  private LauncherOptions() {}

  /** Options with nothing set, for {@link #apply} flag by flag (what a configuration file does). */
  static LauncherOptions empty() {
    return new LauncherOptions();
  }

  /**
   * Parses the command line.
   *
   * @throws IllegalArgumentException naming the flag, for an unknown flag or a bad value
   */
  public static LauncherOptions parse(String... args) {
    LauncherOptions options = new LauncherOptions();
    String otherMode = null;
    Set<String> given = new HashSet<>();
    for (int i = 0; i < args.length; i++) {
      Flag flag = FLAGS.get(args[i]);
      if (flag == null) {
        throw new IllegalArgumentException(args[i] + ": unknown flag (see --help)");
      }
      String value = null;
      if (flag.argument() != null) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(args[i] + ": missing " + flag.argument());
        }
        value = args[++i];
      }
      String name = args[i - (value == null ? 0 : 1)];
      if (!REPEATABLE.contains(name) && !given.add(name)) {
        throw new IllegalArgumentException(name + ": given twice; it takes one value (only " + String.join(", ",
            REPEATABLE.stream().sorted().toList()) + " may repeat)");
      }
      options.apply(name, value);
      if (OTHER_MODES.contains(name)) {
        otherMode = name;
      } else if (!COMMAND_LINE_ONLY.contains(name)) {
        options.settings.add(new Setting(name, value));
      }
    }
    if (options.configFile != null && otherMode != null) {
      throw new IllegalArgumentException("--config: " + otherMode + " runs something else than the proxy");
    }
    if (options.check && options.configFile == null) {
      throw new IllegalArgumentException("--check: needs --config FILE");
    }
    if (options.configFile == null) {
      // with --config, what only all settings together tell is checked once the file's are known
      options.finish();
    }
    return options;
  }

  /** Whether a flag exists; see {@link #takesValue}. */
  static boolean exists(String flag) {
    return FLAGS.containsKey(flag);
  }

  /** Whether a flag takes a value (else it is a switch). */
  static boolean takesValue(String flag) {
    return FLAGS.get(flag).argument() != null;
  }

  /** Whether a flag may be given several times. */
  static boolean repeatable(String flag) {
    return REPEATABLE.contains(flag);
  }

  /**
   * Applies one flag (null value for a switch).
   *
   * @throws IllegalArgumentException naming the flag, for a bad value
   */
  void apply(String flag, String value) {
    try {
      FLAGS.get(flag).apply().accept(this, value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flag + ": " + e.getMessage(), e);
    }
  }

  private static Listen listen(String value) {
    String[] parts = value.split(";", -1);
    if (parts.length > 2 || parts.length == 2 && !parts[1].strip().equals("tls")) {
      throw new IllegalArgumentException("expected HOST:PORT or HOST:PORT;tls, got \"" + value + "\"");
    }
    return new Listen(address(parts[0].strip()), parts.length == 2);
  }

  /**
   * The listeners: the first {@code --listen} is the builder's listen address, the others further
   * listeners; each serves the certificate when it is marked {@code ;tls}, or when none is marked
   * and a certificate is given.
   */
  private void applyListeners() {
    ServerTls certificate = listenTls();
    boolean marked = listens.stream().anyMatch(Listen::tls);
    if (marked && certificate == null) {
      throw new IllegalArgumentException("--listen: ;tls needs --tls-keystore or --tls-cert");
    }
    for (int i = 0; i < listens.size(); i++) {
      Listen listen = listens.get(i);
      ServerTls served = !marked || listen.tls() ? certificate : null;
      if (i == 0) {
        builder.listen(listen.address());
        if (served != null) {
          builder.listenTls(served);
        }
      } else {
        builder.listener(listen.address(), served);
      }
    }
    if (listens.isEmpty() && certificate != null) {
      builder.listenTls(certificate);
    }
  }

  /** The certificate the --tls-* flags describe, or null without them. */
  private ServerTls listenTls() {
    String keyStore = tls.get("--tls-keystore");
    String cert = tls.get("--tls-cert");
    if (keyStore == null && cert == null) {
      requireAbsent("needs --tls-keystore or --tls-cert", "--tls-key", "--tls-keystore-password",
          "--tls-client-auth", "--tls-client-ca", "--tls-protocols", "--tls-reload-interval");
      return null;
    }
    if (keyStore != null && cert != null) {
      throw new IllegalArgumentException("--tls-keystore: give either --tls-keystore or --tls-cert, not both");
    }
    String flag = keyStore != null ? "--tls-keystore" : "--tls-cert";
    try {
      ServerTls server = keyStore != null
          ? ServerTls.fromKeyStore(Path.of(keyStore), required("--tls-keystore-password"))
          : ServerTls.fromPem(Path.of(cert), Path.of(required("--tls-key")));
      flag = "--tls-client-auth";
      String mode = tls.getOrDefault("--tls-client-auth", "none");
      ServerTls.ClientAuth clientAuth;
      try {
        clientAuth = ServerTls.ClientAuth.valueOf(mode.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("expected none, optional or required, got \"" + mode + "\"");
      }
      String ca = tls.get("--tls-client-ca");
      server = server.withClientAuth(clientAuth, ca == null ? null : Path.of(ca));
      if (tls.containsKey("--tls-protocols")) {
        flag = "--tls-protocols";
        server = server.withProtocols(tls.get("--tls-protocols").split(",\\s*"));
      }
      if (tls.containsKey("--tls-reload-interval")) {
        flag = "--tls-reload-interval";
        String interval = tls.get("--tls-reload-interval").strip();
        server = server.withReloadCheckInterval(interval.matches("0+(ms|s|m)?") ? Duration.ZERO : duration(interval));
      }
      if (tls.containsKey("--tls-engine")) {
        flag = "--tls-engine";
        server = server.withEngine(engine());
      }
      return server;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flag + ": " + e.getMessage(), e);
    }
  }

  /** Applies what only the whole command line tells: the TLS settings and the upstream group the flags describe. */
  void finish() {
    applyListeners();
    applyUpstreamTls();
    if (upstreamGiven) {
      builder.upstream(upstreamGroup(null));
    }
  }

  private void applyUpstreamTls() {
    String ca = tls.get("--upstream-ca");
    String trustStore = tls.get("--upstream-truststore");
    String clientCert = tls.get("--upstream-client-cert");
    if (ca == null && trustStore == null && clientCert == null) {
      requireAbsent("needs the flag it belongs to (see --help)", "--upstream-truststore-password", "--upstream-client-key");
      try {
        if (engine() != TlsEngine.AUTO) {
          builder.upstreamTls(UpstreamTls.systemTrust().withEngine(engine()));
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--tls-engine: " + e.getMessage(), e);
      }
      return;
    }
    if (ca != null && trustStore != null) {
      throw new IllegalArgumentException("--upstream-ca: give either --upstream-ca or --upstream-truststore, not both");
    }
    String flag = ca != null ? "--upstream-ca" : "--upstream-truststore";
    try {
      UpstreamTls upstream = ca != null ? UpstreamTls.trusting(Path.of(ca))
          : trustStore != null ? UpstreamTls.trustingKeyStore(Path.of(trustStore), required("--upstream-truststore-password"))
          : UpstreamTls.systemTrust();
      if (clientCert != null) {
        flag = "--upstream-client-cert";
        upstream = upstream.withClientPem(Path.of(clientCert), Path.of(required("--upstream-client-key")));
      }
      if (tls.containsKey("--tls-engine")) {
        flag = "--tls-engine";
        upstream = upstream.withEngine(engine());
      }
      builder.upstreamTls(upstream);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flag + ": " + e.getMessage(), e);
    }
  }

  /** The --tls-engine flag's engine, AUTO without it. */
  private TlsEngine engine() {
    String engine = tls.getOrDefault("--tls-engine", "auto");
    try {
      return TlsEngine.valueOf(engine.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("expected auto, jdk or native, got \"" + engine + "\"", e);
    }
  }

  private void requireAbsent(String why, String... flags) {
    for (String flag : flags) {
      if (tls.containsKey(flag)) {
        throw new IllegalArgumentException(flag + ": " + why);
      }
    }
  }

  private String required(String flag) {
    String value = tls.get(flag);
    if (value == null) {
      throw new IllegalArgumentException("needs " + flag);
    }
    return value;
  }

  /** A secret given on the command line, or {@code env:NAME} for the environment variable NAME. */
  private static String secret(String value) {
    if (!value.startsWith("env:")) {
      return value;
    }
    String secret = System.getenv(value.substring(4));
    if (secret == null) {
      throw new IllegalArgumentException("environment variable " + value.substring(4) + " is not set");
    }
    return secret;
  }

  /**
   * The upstream group the flags describe, plus {@code extraServer} (the demo upstream) when not
   * null.
   *
   * @throws IllegalArgumentException naming the flag, when the flags do not make a group
   */
  public UpstreamGroup upstreamGroup(URI extraServer) {
    if (extraServer != null) {
      group.server(extraServer, 1);
    }
    if (healthCheck != null) {
      group.healthCheck(healthCheck.interval(healthInterval == null ? healthCheck.interval() : healthInterval)
          .timeout(healthTimeout == null ? healthCheck.timeout() : healthTimeout));
    } else if (healthInterval != null || healthTimeout != null) {
      throw new IllegalArgumentException("--health-interval/--health-timeout: need --health-check");
    }
    try {
      return group.build();
    } catch (IllegalStateException e) {
      throw new IllegalArgumentException("--upstream: " + e.getMessage(), e);
    }
  }

  /** The usage text listing every flag. */
  public static String help() {
    StringBuilder out = new StringBuilder("usage: java -jar wsproxy.jar [flags]\n\n");
    FLAGS.forEach((name, flag) -> out.append(String.format(Locale.ROOT, "  %-40s %s%n",
        flag.argument() == null ? name : name + " " + flag.argument(), flag.description())));
    out.append("\nDURATION: 500ms, 30s, 5m. SIZE: bytes, or with K/M/KiB/MiB.\n"
        + "A wss:// --upstream is verified against the JDK's CAs and its host name unless told otherwise.\n");
    return out.toString();
  }

  /**
   * The builder with every flag applied; the upstream still missing when {@link #upstreamGiven()}
   * is false (then set it from {@link #upstreamGroup(URI)}).
   */
  public WsProxy.Builder builder() {
    return builder;
  }

  public boolean upstreamGiven() {
    return upstreamGiven;
  }

  public boolean helpRequested() {
    return help;
  }

  /** Whether --version was given: print the version and exit. */
  public boolean versionRequested() {
    return version;
  }

  /** The flags given besides the command-line-only ones, in order: with {@code --config}, they override the file. */
  List<Setting> settings() {
    return List.copyOf(settings);
  }

  /** The address given to --listen, or null. */
  public InetSocketAddress listenAddress() {
    return listens.isEmpty() ? null : listens.get(0).address();
  }

  /** The address given to --admin-listen, or null when the admin listener is off. */
  public InetSocketAddress adminListenAddress() {
    return adminListen;
  }

  /** The file given to --config, or null. */
  public Path configFile() {
    return configFile;
  }

  /** Whether --check was given: validate the configuration file and exit. */
  public boolean checkRequested() {
    return check;
  }

  /** How long SIGTERM lets connections end by themselves before closing them. */
  public Duration shutdownGrace() {
    return shutdownGrace;
  }

  /** The time between the start of a drain (/readyz 503) and the shutdown on SIGTERM; zero by default. */
  public Duration acceptGrace() {
    return acceptGrace;
  }

  /** The URL given to --client, or null when running the proxy. */
  public String clientUrl() {
    return clientUrl;
  }

  /** Whether {@code --demo chat} asked for the browser chat demo instead of a proxy. */
  public boolean chatDemoRequested() {
    return chatDemo;
  }

  private static boolean chatDemo(String value) {
    if (!value.equals("chat")) {
      throw new IllegalArgumentException("expected chat, got \"" + value + "\"");
    }
    return true;
  }

  private void addServer(String value) {
    String[] parts = value.split(";");
    int weight = 1;
    boolean backup = false;
    for (int i = 1; i < parts.length; i++) {
      String option = parts[i].strip();
      if (option.equals("backup")) {
        backup = true;
      } else if (option.startsWith("weight=")) {
        weight = integer(option.substring("weight=".length()));
      } else {
        throw new IllegalArgumentException("unknown server option \"" + option + "\" (weight=N or backup)");
      }
    }
    if (backup) {
      group.backup(parts[0], weight);
    } else {
      group.server(parts[0], weight);
    }
  }

  private static IoTransport transport(String value) {
    try {
      return IoTransport.valueOf(value.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("expected auto, nio or io_uring, got \"" + value + "\"", e);
    }
  }

  static Balance balance(String value) {
    String v = value.strip();
    if (v.equals("round-robin")) {
      return Balance.roundRobin();
    }
    if (v.equals("least-conn")) {
      return Balance.leastConnections();
    }
    if (v.equals("hash:ip")) {
      return Balance.hashClientIp();
    }
    for (String kind : new String[] {"header", "cookie", "query"}) {
      String prefix = "hash:" + kind + ":";
      if (v.startsWith(prefix)) {
        String name = v.substring(prefix.length());
        return kind.equals("header") ? Balance.hashHeader(name)
            : kind.equals("cookie") ? Balance.hashCookie(name) : Balance.hashQuery(name);
      }
    }
    throw new IllegalArgumentException("expected round-robin, least-conn, hash:ip, hash:header:NAME,"
        + " hash:cookie:NAME or hash:query:NAME, got \"" + value + "\"");
  }

  private static HealthCheck healthCheck(String value) {
    if (value.equals("tcp")) {
      return HealthCheck.tcp();
    }
    if (value.startsWith("ws:")) {
      return HealthCheck.webSocket(value.substring(3));
    }
    throw new IllegalArgumentException("expected ws:/PATH or tcp, got \"" + value + "\"");
  }

  private static void flag(String name, String argument, String description,
      BiConsumer<LauncherOptions, String> apply) {
    FLAGS.put(name, new Flag(argument, description, apply));
  }

  /** A TLS flag: its value is kept until all flags are read, since TLS settings go together. */
  private static void tlsFlag(String name, String argument, String description) {
    flag(name, argument, description, (o, v) -> o.tls.put(name, v));
  }

  /** A password flag; {@code env:NAME} reads the environment variable NAME instead. */
  private static void tlsSecretFlag(String name, String description) {
    flag(name, "SECRET", description + "; env:NAME reads environment variable NAME", (o, v) -> o.tls.put(name, secret(v)));
  }

  static Duration duration(String value) {
    String v = value.strip().toLowerCase(Locale.ROOT);
    try {
      if (v.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      }
      if (v.endsWith("s")) {
        return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
      }
      if (v.endsWith("m")) {
        return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    if (v.matches("[0-9]+")) {
      throw new IllegalArgumentException("a duration needs a unit: write " + v + "s (or " + v + "ms, " + v + "m), got \""
          + value + "\"");
    }
    throw new IllegalArgumentException("expected a duration like 500ms, 30s or 5m, got \"" + value + "\"");
  }

  static long size(String value) {
    String v = value.strip().toLowerCase(Locale.ROOT);
    long unit = 1;
    for (String[] suffix : new String[][] {{"kib", "1024"}, {"mib", "1048576"}, {"k", "1024"}, {"m", "1048576"}}) {
      if (v.endsWith(suffix[0])) {
        unit = Long.parseLong(suffix[1]);
        v = v.substring(0, v.length() - suffix[0].length());
        break;
      }
    }
    try {
      return Math.multiplyExact(Long.parseLong(v), unit);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("expected a size like 65536, 64K or 16MiB, got \"" + value + "\"");
    }
  }

  private static int integer(String value) {
    try {
      return Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected a number, got \"" + value + "\"");
    }
  }

  private static Duration nonNegative(Duration value) {
    if (value.isNegative()) {
      throw new IllegalArgumentException("must not be negative, was " + value);
    }
    return value;
  }

  static Interceptor interceptor(String className) {
    try {
      Class<?> type = Class.forName(className.strip());
      if (!Interceptor.class.isAssignableFrom(type)) {
        throw new IllegalArgumentException(className + " is not an " + Interceptor.class.getName());
      }
      return (Interceptor) type.getConstructor().newInstance();
    } catch (ClassNotFoundException e) {
      throw new IllegalArgumentException("no class " + className + " on the class path");
    } catch (NoSuchMethodException e) {
      throw new IllegalArgumentException(className + " has no public no-argument constructor");
    } catch (ReflectiveOperationException e) {
      throw new IllegalArgumentException("cannot create " + className + ": " + e.getCause());
    }
  }

  private static InetSocketAddress address(String value) {
    int colon = value.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("expected HOST:PORT, got \"" + value + "\"");
    }
    String host = value.substring(0, colon);
    int port = integer(value.substring(colon + 1));
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0-65535, got " + port);
    }
    InetSocketAddress address = new InetSocketAddress(host.replace("[", "").replace("]", ""), port);
    if (address.isUnresolved()) {
      throw new IllegalArgumentException("cannot resolve host \"" + host + "\"");
    }
    return address;
  }
}
