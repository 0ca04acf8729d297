package io.github.wsproxy.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.EchoReport;
import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.RecordedHandshake;
import io.github.wsproxy.testing.TestUpstream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet behind a TCP balancer: HAProxy in TCP mode, health-checking each proxy's {@code /readyz},
 * in front of three launchers (child JVMs from {@code target/wsproxy.jar}) that hash {@code
 * X-Key} onto three echo upstreams, and a few hundred clients that echo one message at a time and
 * reconnect whenever they are closed. The proxies are restarted one at a time with SIGTERM (accept
 * grace, shutdown grace, close spread) while the clients run. Checks: no client waits more than a
 * few seconds to echo again, HAProxy sends no new connection to a proxy once it saw its {@code
 * /readyz} turn 503 (nor gets a connection refused), no message the upstream received and echoed is
 * lost, every echo is the message sent, and every proxy sends each key to the same upstream server
 * before and after the restarts. Prints the figures.
 *
 * <p>Run by {@code mvn verify} (the integration-test phase, once the jar exists) when {@code
 * haproxy} is on the PATH ({@code .ci/run} installs it); {@code -Dwsproxy.fleet.clients=N}
 * changes the number of clients.
 */
@Tag("fleet")
class FleetIT {
  private static final int CLIENTS = Integer.getInteger("wsproxy.fleet.clients", 300);
  private static final int KEYS = 30;
  private static final int PROXIES = 3;
  private static final Duration PACE = Duration.ofMillis(100);
  private static final Duration DEADLINE = Duration.ofSeconds(30);
  /** "A few seconds": the longest a client may go without an echo across a restart. */
  private static final Duration MAX_OUTAGE = Duration.ofSeconds(5);

  @TempDir
  Path dir;

  private final List<AutoCloseable> resources = new ArrayList<>();
  private final ScheduledExecutorService timers = Executors.newScheduledThreadPool(2);
  private final ExecutorService websocketThreads = Executors.newFixedThreadPool(4);
  private final HttpClient http = HttpClient.newBuilder().executor(websocketThreads).build();
  private final AtomicBoolean stopping = new AtomicBoolean();

  @Test
  void restartingEachProxyBehindHaproxyKeepsClientsEchoingMessagesWholeAndKeysOnTheirServer() throws Exception {
    assumeTrue(onPath("haproxy"), "haproxy is not installed (.ci/run installs it): the fleet test is skipped");
    Path jar = Path.of(System.getProperty("wsproxy.jar", "target/wsproxy.jar"));
    assumeTrue(Files.isRegularFile(jar), jar + " is not built: the fleet test runs in mvn verify");
    boolean passed = false;
    try {
      run(jar.toAbsolutePath());
      passed = true;
    } finally {
      stopping.set(true);
      for (int i = resources.size() - 1; i >= 0; i--) {
        resources.get(i).close();
      }
      timers.shutdownNow();
      websocketThreads.shutdownNow();
      if (!passed) {
        keepLogs();
      }
    }
  }

  /**
   * Waits until every client satisfies {@code condition}; on timeout, the failure says, for each
   * client that does not, what it sent and got, and where its last message went.
   */
  private static void awaitClients(List<Client> clients, Predicate<Client> condition, String description,
      List<TestUpstream> upstreams) {
    try {
      Await.until(() -> clients.stream().allMatch(condition), DEADLINE, description);
    } catch (AssertionError e) {
      List<String> behind = new ArrayList<>();
      for (Client client : clients) {
        if (!condition.test(client)) {
          String pending = client.pending;
          behind.add(client.describe() + "; "
              + (pending == null ? "nothing sent" : EchoReport.lostEcho(pending, List.of(), upstreams)));
        }
      }
      throw new AssertionError(e.getMessage() + "; the clients behind:\n  " + String.join("\n  ", behind), e);
    }
  }

  /** Copies the proxies' logs out of the temporary directory, which JUnit deletes, to target/. */
  private void keepLogs() throws IOException {
    Path kept = Path.of("target", "fleet-logs-" + System.currentTimeMillis());
    Files.createDirectories(kept);
    try (var logs = Files.newDirectoryStream(dir, "*.log")) {
      for (Path log : logs) {
        Files.copy(log, kept.resolve(log.getFileName()));
      }
    }
    System.out.println("FleetIT failed: the proxies' logs are in " + kept.toAbsolutePath());
  }

  private void run(Path jar) throws Exception {
    List<TestUpstream> upstreams = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      upstreams.add(track(TestUpstream.startEcho()));
    }
    List<Proxy> proxies = new ArrayList<>();
    for (int i = 0; i < PROXIES; i++) {
      Proxy proxy = track(new Proxy(i, jar, upstreams));
      proxy.start();
      proxies.add(proxy);
    }
    for (Proxy proxy : proxies) {
      proxy.awaitReady();
    }
    Haproxy haproxy = track(new Haproxy(proxies));
    haproxy.awaitAllUp();
    probeAffinity(proxies, "before");

    List<Client> clients = new ArrayList<>();
    for (int i = 0; i < CLIENTS; i++) {
      Client client = new Client(i, URI.create("ws://127.0.0.1:" + haproxy.port + "/fleet"));
      clients.add(client);
      client.connect();
    }
    awaitClients(clients, c -> c.echoes.get() > 0, "every client echoing", upstreams);
    awaitEchoes(clients, 2 * CLIENTS);

    List<String> restarts = new ArrayList<>();
    for (Proxy proxy : proxies) {
      Map<String, String> before = haproxy.stat(proxy.name);
      long sigterm = System.nanoTime();
      proxy.process.destroy(); // SIGTERM
      Await.until(() -> haproxy.stat(proxy.name).get("status").startsWith("DOWN"), DEADLINE,
          proxy.name + " marked down by HAProxy");
      long down = System.nanoTime();
      long sessionsAtDown = Long.parseLong(haproxy.stat(proxy.name).get("stot"));
      assertThat(proxy.process.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS)).as(proxy.name + " exits").isTrue();
      long exited = System.nanoTime();
      Map<String, String> after = haproxy.stat(proxy.name);
      assertThat(Duration.ofNanos(down - sigterm)).as("HAProxy saw " + proxy.name + "'s /readyz 503 within the accept grace")
          .isLessThan(Duration.ofSeconds(1));
      assertThat(after.get("stot")).as("new connections HAProxy sent " + proxy.name + " after marking it down")
          .isEqualTo(Long.toString(sessionsAtDown));
      assertThat(after.get("econ")).as("connections to " + proxy.name + " that failed").isEqualTo(before.get("econ"));
      restarts.add(String.format("%s: down after %d ms, exited after %d ms", proxy.name,
          TimeUnit.NANOSECONDS.toMillis(down - sigterm), TimeUnit.NANOSECONDS.toMillis(exited - sigterm)));
      proxy.start();
      proxy.awaitReady();
      Await.until(() -> haproxy.stat(proxy.name).get("status").startsWith("UP"), DEADLINE, proxy.name + " back up");
    }
    awaitEchoes(clients, 2 * CLIENTS);
    awaitClients(clients, Client::echoing, "every client echoing after the restarts", upstreams);
    probeAffinity(proxies, "after");
    stopping.set(true);
    awaitClients(clients, Client::settled, "the last echoes", upstreams);
    for (Client client : clients) {
      client.stop();
    }

    List<Long> outages = new ArrayList<>();
    long reconnects = 0;
    Set<String> acknowledged = new HashSet<>();
    List<String> mismatches = new ArrayList<>();
    for (Client client : clients) {
      outages.addAll(client.outages);
      reconnects += client.reconnects.get();
      acknowledged.addAll(client.acknowledged);
      mismatches.addAll(client.mismatches);
    }
    List<String> received = new ArrayList<>();
    for (TestUpstream upstream : upstreams) {
      received.addAll(upstream.receivedTexts());
    }
    Set<String> receivedOnce = new HashSet<>(received);
    Set<String> lost = new HashSet<>(receivedOnce);
    lost.removeAll(acknowledged);
    Collections.sort(outages);
    String figures = String.format("fleet: %d clients, %d reconnects, reconnect-to-echo p50 %d ms, p99 %d ms, max %d ms;"
            + " %d messages checked, %d lost, %d duplicated, %d mismatched%n  %s", CLIENTS, reconnects,
        percentile(outages, 50), percentile(outages, 99), outages.isEmpty() ? 0 : outages.get(outages.size() - 1),
        acknowledged.size(), lost.size(), received.size() - receivedOnce.size(), mismatches.size(),
        String.join("\n  ", restarts));
    System.out.println(figures);
    Files.writeString(Path.of("target", "fleet-figures.txt"), figures);

    assertThat(reconnects).as("clients the restarts closed").isGreaterThanOrEqualTo(CLIENTS / 2);
    assertThat(outages).as("ms from a close to the next echo").allSatisfy(ms ->
        assertThat(ms).isLessThan(MAX_OUTAGE.toMillis()));
    assertThat(mismatches).isEmpty();
    assertThat(lost).as("messages the upstream received and echoed that never came back").isEmpty();
    assertThat(received.size() - receivedOnce.size()).as("messages the upstream received twice").isZero();
    assertThat(receivedOnce).containsAll(acknowledged);
    assertKeysStayOnOneServer(upstreams);
  }

  /** Every key, through every proxy, before and after, and in the clients' traffic, reached one upstream server. */
  private static void assertKeysStayOnOneServer(List<TestUpstream> upstreams) {
    Map<String, Set<Integer>> serversByKey = new TreeMap<>();
    Map<String, Set<String>> probesByKey = new HashMap<>();
    for (TestUpstream upstream : upstreams) {
      for (RecordedHandshake handshake : upstream.handshakes()) {
        String key = handshake.header("X-Key");
        if (key != null) {
          serversByKey.computeIfAbsent(key, k -> new HashSet<>()).add(upstream.port());
          String probe = handshake.header("X-Probe");
          if (probe != null) {
            probesByKey.computeIfAbsent(key, k -> new HashSet<>()).add(probe);
          }
        }
      }
    }
    assertThat(serversByKey).hasSize(KEYS).allSatisfy((key, servers) -> assertThat(servers).as(key).hasSize(1));
    assertThat(probesByKey).hasSize(KEYS).allSatisfy((key, probes) -> assertThat(probes).as(key)
        .hasSize(2 * PROXIES));
    assertThat(serversByKey.values().stream().flatMap(Set::stream).distinct().count())
        .as("servers the keys spread over").isEqualTo(3);
  }

  /** Each key straight to each proxy (not through HAProxy), marked with the phase and the proxy. */
  private static void probeAffinity(List<Proxy> proxies, String phase) throws IOException {
    for (Proxy proxy : proxies) {
      for (int key = 0; key < KEYS; key++) {
        JdkTestClient.connect(URI.create("ws://127.0.0.1:" + proxy.port + "/probe"), List.of(),
            Map.of("X-Key", key(key), "X-Probe", phase + "-" + proxy.name)).close();
      }
    }
  }

  private static String key(int i) {
    return "user-" + i;
  }

  private static void awaitEchoes(List<Client> clients, long more) {
    long start = clients.stream().mapToLong(c -> c.echoes.get()).sum();
    Await.until(() -> clients.stream().mapToLong(c -> c.echoes.get()).sum() >= start + more, DEADLINE,
        more + " more echoes");
  }

  private static long percentile(List<Long> sorted, int p) {
    return sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
  }

  private <T extends AutoCloseable> T track(T resource) {
    resources.add(resource);
    return resource;
  }

  private static boolean onPath(String command) {
    return Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"))
        .anyMatch(directory -> Files.isExecutable(Path.of(directory, command)));
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** One launcher, a child JVM from the jar, restarted on the same ports. */
  private final class Proxy implements AutoCloseable {
    final String name;
    final int port;
    final int adminPort;
    private final List<String> command = new ArrayList<>();
    private int starts;
    Process process;

    Proxy(int index, Path jar, List<TestUpstream> upstreams) throws IOException {
      this.name = "p" + index;
      this.port = freePort();
      this.adminPort = freePort();
      command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx96m", "-jar", jar.toString(),
          "--listen", "127.0.0.1:" + port, "--admin-listen", "127.0.0.1:" + adminPort,
          "--balance", "hash:header:X-Key", "--event-loops", "1",
          "--accept-grace", "1s", "--shutdown-grace", "1s", "--close-spread", "2s", "--close-timeout", "2s"));
      for (TestUpstream upstream : upstreams) {
        command.addAll(List.of("--upstream", upstream.uri().toString()));
      }
    }

    void start() throws IOException {
      Path log = dir.resolve(name + "-" + (++starts) + ".log");
      process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    void awaitReady() {
      HttpRequest readyz = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/readyz"))
          .timeout(Duration.ofSeconds(2)).build();
      Await.until(() -> {
        try {
          return http.send(readyz, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
          return false;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }, DEADLINE, name + " ready");
    }

    @Override
    public void close() throws InterruptedException {
      if (process != null && process.isAlive()) {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      }
    }
  }

  /** HAProxy in TCP mode in front of the proxies, checking their /readyz every 100 ms; its stats over its socket. */
  private final class Haproxy implements AutoCloseable {
    final int port;
    private final Path socket = dir.resolve("haproxy.sock");
    private final Process process;

    Haproxy(List<Proxy> proxies) throws IOException {
      this.port = freePort();
      StringBuilder config = new StringBuilder()
          .append("global\n  maxconn 4096\n  stats socket ").append(socket).append(" mode 600 level admin\n")
          .append("defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 60s\n  timeout server 60s\n")
          .append("  timeout check 500ms\n  retries 2\n  option redispatch\n")
          .append("listen wsproxy\n  bind 127.0.0.1:").append(port).append("\n  balance roundrobin\n")
          .append("  option httpchk\n  http-check send meth GET uri /readyz\n  http-check expect status 200\n")
          .append("  default-server inter 100ms fastinter 100ms downinter 100ms fall 1 rise 2\n");
      for (Proxy proxy : proxies) {
        config.append("  server ").append(proxy.name).append(" 127.0.0.1:").append(proxy.port)
            .append(" check port ").append(proxy.adminPort).append('\n');
      }
      Path file = dir.resolve("haproxy.cfg");
      Files.writeString(file, config);
      process = new ProcessBuilder("haproxy", "-db", "-f", file.toString()).redirectErrorStream(true)
          .redirectOutput(dir.resolve("haproxy.log").toFile()).start();
    }

    void awaitAllUp() {
      Await.until(() -> {
        try {
          return stats().values().stream().allMatch(row -> row.get("status").startsWith("UP"));
        } catch (IOException e) {
          return false;
        }
      }, DEADLINE, "HAProxy sees every proxy up");
    }

    /** The stats row of one server. */
    Map<String, String> stat(String server) {
      try {
        return stats().get(server);
      } catch (IOException e) {
        throw new AssertionError("HAProxy's stats socket", e);
      }
    }

    /** {@code show stat} of the proxies, by server name. */
    private Map<String, Map<String, String>> stats() throws IOException {
      String csv;
      try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        channel.connect(UnixDomainSocketAddress.of(socket));
        channel.write(ByteBuffer.wrap("show stat\n".getBytes(StandardCharsets.US_ASCII)));
        csv = new String(readAll(channel), StandardCharsets.UTF_8);
      }
      String[] lines = csv.split("\n");
      List<String> header = Arrays.asList(lines[0].replaceFirst("^# ", "").split(","));
      Map<String, Map<String, String>> rows = new HashMap<>();
      for (int i = 1; i < lines.length; i++) {
        String[] fields = lines[i].split(",", -1);
        if (fields.length < header.size() || !fields[0].equals("wsproxy") || fields[1].equals("FRONTEND")
            || fields[1].equals("BACKEND")) {
          continue;
        }
        Map<String, String> row = new HashMap<>();
        for (int f = 0; f < header.size(); f++) {
          row.put(header.get(f), fields[f]);
        }
        rows.put(fields[1], row);
      }
      return rows;
    }

    private byte[] readAll(SocketChannel channel) throws IOException {
      ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      while (channel.read(buffer) >= 0) {
        buffer.flip();
        out.write(buffer.array(), 0, buffer.limit());
        buffer.clear();
      }
      return out.toByteArray();
    }

    @Override
    public void close() throws InterruptedException {
      process.destroy();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /**
   * A client that sends one numbered message, waits for its echo, and sends the next after {@link
   * #PACE}; closed, it reconnects at once (retrying every 100 ms) and keeps numbering. Records each
   * echo, and the time from a close to the next echo.
   */
  private final class Client implements WebSocket.Listener {
    final List<String> acknowledged = Collections.synchronizedList(new ArrayList<>());
    final List<String> mismatches = Collections.synchronizedList(new ArrayList<>());
    final List<Long> outages = Collections.synchronizedList(new ArrayList<>());
    final AtomicLong echoes = new AtomicLong();
    final AtomicLong reconnects = new AtomicLong();
    private final int id;
    private final URI uri;
    private final StringBuilder text = new StringBuilder();
    private final Set<WebSocket> ended = ConcurrentHashMap.newKeySet();
    private volatile WebSocket socket;
    private volatile String pending;
    private volatile String lastAcknowledged;
    private long seq;
    /** When the current outage began (a close or an error), or -1 while echoing. */
    private volatile long disconnectedAt = -1;

    Client(int id, URI uri) {
      this.id = id;
      this.uri = uri;
    }

    boolean echoing() {
      return disconnectedAt < 0;
    }

    /** Whether the last message sent was echoed, or its connection ended. */
    boolean settled() {
      WebSocket current = socket;
      return pending == null || pending.equals(lastAcknowledged) || current == null || ended.contains(current);
    }

    /** What the client sent and got last, for a failure report. */
    String describe() {
      WebSocket current = socket;
      return "client " + id + " sent " + pending + ", last echo " + lastAcknowledged + ", reconnects "
          + reconnects.get() + ", connection " + (current == null ? "none" : ended.contains(current) ? "ended"
              : "open (input closed: " + current.isInputClosed() + ")");
    }

    void connect() {
      if (stopping.get()) {
        return;
      }
      http.newWebSocketBuilder().header("X-Key", key(id % KEYS)).connectTimeout(Duration.ofSeconds(2))
          .buildAsync(uri, this).whenComplete((webSocket, error) -> {
            if (error != null) {
              timers.schedule(this::connect, 100, TimeUnit.MILLISECONDS);
            }
          });
    }

    @Override
    public void onOpen(WebSocket webSocket) {
      socket = webSocket;
      webSocket.request(1);
      sendNext(webSocket);
    }

    private synchronized void sendNext(WebSocket webSocket) {
      if (stopping.get() || webSocket != socket || ended.contains(webSocket)) {
        return;
      }
      pending = "c" + id + "-" + (++seq);
      webSocket.sendText(pending, true);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      text.append(data);
      webSocket.request(1);
      if (!last) {
        return null;
      }
      String echo = text.toString();
      text.setLength(0);
      if (!echo.equals(pending)) {
        mismatches.add("client " + id + " sent " + pending + ", got " + echo);
        return null;
      }
      acknowledged.add(echo);
      lastAcknowledged = echo;
      echoes.incrementAndGet();
      long outageStart = disconnectedAt;
      if (outageStart >= 0) {
        outages.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - outageStart));
        disconnectedAt = -1;
      }
      timers.schedule(() -> sendNext(webSocket), PACE.toMillis(), TimeUnit.MILLISECONDS);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      ended(webSocket);
      return webSocket.sendClose(WebSocket.NORMAL_CLOSURE, "");
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      ended(webSocket);
    }

    private void ended(WebSocket webSocket) {
      if (!ended.add(webSocket) || stopping.get()) {
        return;
      }
      if (disconnectedAt < 0) {
        disconnectedAt = System.nanoTime();
      }
      reconnects.incrementAndGet();
      text.setLength(0);
      connect();
    }

    void stop() {
      WebSocket current = socket;
      if (current != null && ended.add(current)) {
        current.sendClose(WebSocket.NORMAL_CLOSURE, "done");
      }
    }
  }
}
