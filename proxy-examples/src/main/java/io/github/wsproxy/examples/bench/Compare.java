package io.github.wsproxy.examples.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

/**
 * The side-by-side benchmark ({@code Bench compare}): runs every scenario against every target
 * (proxies already running in front of one echo upstream), alternating the targets round by round,
 * and prints a table of medians with the chosen ratios between them (WsProxy's to nginx's). {@code
 * bench/run-vs-nginx} starts the processes and calls this.
 */
final class Compare {
  /** A proxy to measure: the URL clients connect to and the process (with its children) to watch. */
  record Target(String name, URI uri, long pid) {
    static Target parse(String spec) {
      int eq = spec.indexOf('=');
      int at = spec.lastIndexOf('@');
      if (eq <= 0 || at < eq) {
        throw new IllegalArgumentException("--target wants NAME=URL@PID, got " + spec);
      }
      return new Target(spec.substring(0, eq), URI.create(spec.substring(eq + 1, at)), Long.parseLong(spec.substring(at + 1)));
    }

    LongSupplier cpuTicks() {
      return pid > 0 ? () -> ProcStats.of(pid).cpuTicks() : () -> 0;
    }

    LongSupplier compilerTicks() {
      return pid > 0 ? () -> ProcStats.compilerTicks(pid) : () -> 0;
    }
  }

  enum Better { HIGHER, LOWER }

  /**
   * A row of the table. {@code goal} is the target: a ratio to every nginx target, or with
   * {@code absolute} a bound on the own figure of each target compared with nginx; NaN for none.
   * {@code goals} replaces it for the nginx targets it names (NaN: no goal against that one).
   */
  record Row(String scenario, String metric, Better better, double goal, boolean absolute, String format, Map<String, Double> goals) {
    Row(String scenario, String metric, Better better, double goal, boolean absolute, String format) {
      this(scenario, metric, better, goal, absolute, format, Map.of());
    }

    double goalAgainst(String other) {
      return goals.getOrDefault(other, goal);
    }

    String goalText() {
      if (Double.isNaN(goal)) {
        return "";
      }
      String text = goalText(goal);
      for (Map.Entry<String, Double> e : goals.entrySet()) {
        text += ", " + (Double.isNaN(e.getValue()) ? "none" : goalText(e.getValue())) + " vs " + e.getKey();
      }
      return text;
    }

    private String goalText(double value) {
      String op = better == Better.HIGHER ? ">= " : "<= ";
      return absolute ? op + fmt(format, value) : op + String.format(Locale.ROOT, "%.2fx", value);
    }
  }

  /** The scenarios on {@link EchoLoad}. */
  private static final List<String> ECHO_SCENARIOS = List.of("small", "large", "pingpong");
  /** Keep-alive connections of the http-get scenario. */
  private static final int HTTP_CONNECTIONS = 64;

  private final CompareOptions options;
  private final Map<Row, Map<String, List<Double>>> samples = new LinkedHashMap<>();
  private final List<String> failures = new ArrayList<>();

  Compare(CompareOptions options) {
    this.options = options;
  }

  static void main(String[] args) throws Exception {
    CompareOptions options = CompareOptions.parse(args);
    if (options.trust() != null) {
      BenchTls.trust(options.trust());
    }
    Compare compare = new Compare(options);
    long start = System.nanoTime();
    compare.runAll();
    String report = compare.report((System.nanoTime() - start) / 1e9, withoutInfo(args));
    System.out.print(report);
    if (options.out() != null) {
      Path out = Path.of(options.out());
      if (out.getParent() != null) {
        Files.createDirectories(out.getParent());
      }
      Files.writeString(out, report);
      System.out.println("written to " + out);
    }
  }

  private void runAll() throws Exception {
    if (options.warmupPassSeconds() > 0) {
      warmUp(options.warmupPassSeconds());
    }
    for (String scenario : options.scenarios()) {
      int rounds = scenario.equals("idle") || scenario.equals("http-longpoll") ? options.idleRounds() : options.rounds();
      for (int round = 0; round < rounds; round++) {
        List<Target> order = new ArrayList<>();
        if ((scenario.equals("small") || scenario.equals("http-get")) && options.direct() != null) {
          order.add(new Target("direct", options.direct(), 0));
        }
        order.addAll(options.targets());
        for (int i = 0; i < order.size(); i++) {
          Target target = order.get((i + round) % order.size());
          System.err.printf(Locale.ROOT, "%s round %d/%d: %s ...%n", scenario, round + 1, rounds, target.name());
          try {
            run(scenario, target);
          } catch (Exception e) {
            String failure = scenario + " round " + (round + 1) + " against " + target.name() + " failed: " + e;
            System.err.println(failure);
            failures.add(failure);
          }
        }
      }
    }
  }

  /**
   * Untimed runs of each load against each target first, so that no target (nor the load generator
   * or the upstream) is measured while its JIT compiler is still busy.
   */
  private void warmUp(double seconds) throws Exception {
    List<Target> all = new ArrayList<>(options.targets());
    if (options.direct() != null) {
      all.add(0, new Target("direct", options.direct(), 0));
    }
    boolean webSocket = options.scenarios().stream().anyMatch(CompareOptions.WEBSOCKET_SCENARIOS::contains);
    boolean http = options.scenarios().stream().anyMatch(CompareOptions.HTTP_SCENARIOS::contains);
    for (Target t : all) {
      System.err.printf(Locale.ROOT, "warm-up: %s ...%n", t.name());
      if (webSocket) {
        echo(t, 64, 8, 64).run(0, seconds);
        echo(t, 8, 2, 64 * 1024).run(0, seconds / 2);
        handshakes(t, false).run(0, seconds / 2, () -> 0, () -> 0);
      }
      if (http) {
        httpGet(t).run(0, seconds, () -> 0);
        HttpTransfer transfer = new HttpTransfer(t.uri(), Math.min(options.httpBytes(), 64L << 20));
        transfer.upload(0);
        transfer.download(0);
      }
    }
  }

  private void run(String scenario, Target t) throws Exception {
    double warmup = options.warmupSeconds();
    double seconds = options.seconds();
    switch (scenario) {
      case "small" -> {
        PerfStat[] perf = new PerfStat[1];
        boolean counting = options.perf() && t.pid() > 0;
        EchoLoad.Result r = echo(t, 64, 8, 64).run(warmup, seconds, t.cpuTicks(),
            () -> perf[0] = counting ? PerfStat.start(t.pid(), seconds) : null);
        record(t, new Row("64 B, 64 conns x 8 in flight", "round trips/s", Better.HIGHER, 1.05, false, "k"), r.roundTripsPerSecond());
        record(t, new Row("64 B, 64 conns x 8 in flight", "p50 latency us", Better.LOWER, Double.NaN, false, "0"), r.p50Micros());
        record(t, new Row("64 B, 64 conns x 8 in flight", "p99 latency us", Better.LOWER, 1.2, false, "0"), r.p99Micros());
        record(t, new Row("64 B, 64 conns x 8 in flight", "proxy CPU us/msg", Better.LOWER, 0.9, false, "0.00"), cpu(t, r.cpuMicrosPerMessage()));
        if (perf[0] != null) {
          PerfStat.Counts counts = perf[0].await();
          record(t, new Row("64 B, 64 conns x 8 in flight", "proxy syscalls/round trip (perf)", Better.LOWER, Double.NaN, false, "0.000"),
              counts.syscalls() / (double) r.roundTrips());
          record(t, new Row("64 B, 64 conns x 8 in flight", "proxy context switches/round trip (perf)", Better.LOWER, Double.NaN, false, "0.000"),
              counts.contextSwitches() / (double) r.roundTrips());
        }
      }
      case "large" -> {
        EchoLoad.Result r = echo(t, 8, 2, 64 * 1024).run(warmup, seconds, t.cpuTicks());
        record(t, new Row("64 KiB, 8 conns x 2 in flight", "MB/s (each way)", Better.HIGHER, 1.15, false, "0.0"), r.megabytesPerSecond());
        record(t, new Row("64 KiB, 8 conns x 2 in flight", "proxy CPU us/msg", Better.LOWER, Double.NaN, false, "0"), cpu(t, r.cpuMicrosPerMessage()));
      }
      case "pingpong" -> {
        EchoLoad.Result r = echo(t, 1, 1, 64).run(warmup, seconds, t.cpuTicks());
        record(t, new Row("64 B ping-pong, 1 conn x 1", "round trips/s", Better.HIGHER, Double.NaN, false, "k"), r.roundTripsPerSecond());
        record(t, new Row("64 B ping-pong, 1 conn x 1", "p50 latency us", Better.LOWER, Double.NaN, false, "0"), r.p50Micros());
        record(t, new Row("64 B ping-pong, 1 conn x 1", "p99 latency us", Better.LOWER, 1.2, false, "0"), r.p99Micros());
        record(t, new Row("64 B ping-pong, 1 conn x 1", "proxy CPU us/msg", Better.LOWER, Double.NaN, false, "0.00"), cpu(t, r.cpuMicrosPerMessage()));
      }
      case "handshake" -> {
        HandshakeLoad.Result r = handshakes(t, false).run(warmup, seconds, t.cpuTicks(), t.compilerTicks());
        String name = "open+close, " + options.handshakeConcurrency() + " at a time";
        record(t, new Row(name, "handshakes/s", Better.HIGHER, 1.0, false, "0"), r.perSecond());
        record(t, new Row(name, "proxy CPU us/handshake", Better.LOWER, Double.NaN, false, "0"), r.cpuMicrosPerHandshake());
        record(t, new Row(name, "of which JIT compiler threads", Better.LOWER, Double.NaN, false, "0"), r.compilerCpuMicrosPerHandshake());
      }
      case "resumed" -> {
        if (!"wss".equals(t.uri().getScheme())) {
          return; // only TLS resumes
        }
        HandshakeLoad.Result r = handshakes(t, true).run(warmup, seconds, t.cpuTicks(), t.compilerTicks());
        String name = "TLS resumed open+close, " + options.handshakeConcurrency() + " at a time";
        record(t, new Row(name, "handshakes/s", Better.HIGHER, Double.NaN, false, "0"), r.perSecond());
        record(t, new Row(name, "proxy CPU us/handshake", Better.LOWER, Double.NaN, false, "0"), r.cpuMicrosPerHandshake());
        record(t, new Row(name, "of which JIT compiler threads", Better.LOWER, Double.NaN, false, "0"), r.compilerCpuMicrosPerHandshake());
      }
      case "idle" -> {
        IdleLoad.Result r = new IdleLoad(t.uri(), options.idleConnections()).run(t.pid());
        String name = String.format(Locale.ROOT, "%,d idle connections", options.idleConnections());
        record(t, new Row(name, "RSS KiB/conn above baseline", Better.LOWER, 8, true, "0.0"), r.rssKibPerConnection());
        record(t, new Row(name, "RSS MiB baseline", Better.LOWER, Double.NaN, false, "0.0"), r.before().rssKib() / 1024.0);
        record(t, new Row(name, "threads, idle", Better.LOWER, Double.NaN, false, "0"), r.before().threads());
        record(t, new Row(name, "threads added", Better.LOWER, 2, true, "0"), r.after().threads() - r.before().threads());
      }
      case "http-get" -> {
        HttpGetLoad.Result r = httpGet(t).run(warmup, seconds, t.cpuTicks());
        String name = "GET 1 KiB, " + HTTP_CONNECTIONS + " keep-alive conns";
        record(t, new Row(name, "requests/s", Better.HIGHER, 1.0, false, "k", Map.of("nginx-keepalive", 0.9)), r.requestsPerSecond());
        record(t, new Row(name, "proxy CPU us/request", Better.LOWER, 1.0, false, "0.0", Map.of("nginx-keepalive", Double.NaN)),
            cpu(t, r.cpuMicrosPerRequest()));
      }
      case "http-upload", "http-download" -> {
        boolean upload = scenario.equals("http-upload");
        HttpTransfer transfer = new HttpTransfer(t.uri(), options.httpBytes());
        HttpTransfer.Result r = upload ? transfer.upload(t.pid()) : transfer.download(t.pid());
        String name = (upload ? "upload " : "download ") + binary(options.httpBytes()) + ", 1 conn";
        record(t, new Row(name, "MB/s", Better.HIGHER, 1.0, false, "0"), r.megabytesPerSecond());
        record(t, new Row(name, "proxy RSS growth MiB", Better.LOWER, 16, true, "0.0"), t.pid() > 0 ? r.rssGrowthMib() : Double.NaN);
      }
      case "http-longpoll" -> {
        IdleLoad.Result r = new LongPollLoad(t.uri(), options.longPolls()).run(t.pid());
        String name = String.format(Locale.ROOT, "%,d idle long polls", options.longPolls());
        record(t, new Row(name, "RSS KiB/request above baseline", Better.LOWER, 8, true, "0.0"), r.rssKibPerConnection());
        record(t, new Row(name, "threads, idle", Better.LOWER, Double.NaN, false, "0"), r.before().threads());
        record(t, new Row(name, "threads added", Better.LOWER, 2, true, "0"), r.after().threads() - r.before().threads());
      }
      default -> throw new IllegalArgumentException("unknown scenario " + scenario);
    }
  }

  /** The echo load of {@code --load}, or the JDK client's toward a wss:// target. */
  private EchoLoad echo(Target t, int connections, int inFlight, int size) {
    return new EchoLoad(t.uri(), connections, inFlight, size, options.load().forTarget(t.uri()));
  }

  /** The handshake load of {@code --load}, or the JDK client's toward a wss:// target (resumed is wss:// only). */
  private HandshakeLoad handshakes(Target t, boolean resumed) {
    return new HandshakeLoad(t.uri(), options.handshakeConcurrency(), resumed, options.load().forTarget(t.uri()));
  }

  /** The WebSocket client of the echo and handshake scenarios, for the report's header. */
  private String loadClient() {
    boolean nio = options.direct() != null && options.load().forTarget(options.direct()) == EchoLoad.Client.NIO
        || options.targets().stream().anyMatch(t -> options.load().forTarget(t.uri()) == EchoLoad.Client.NIO);
    return nio ? "a light raw WebSocket client over NIO (`--load nio`: one selector thread; one write per batch of echoes,"
        + " handshakes one connection after another per loop, waiting for the peer's FIN after its close frame);"
        + " idle and resumed (wss:// only) stay on java.net.http's"
        : "java.net.http's WebSocket client (`--load jdk`, or wss://)";
  }

  private HttpGetLoad httpGet(Target t) {
    return new HttpGetLoad(t.uri(), HTTP_CONNECTIONS, "/1k", 1024);
  }

  /** 1073741824 as "1 GiB", 67108864 as "64 MiB". */
  static String binary(long bytes) {
    String[] units = {"B", "KiB", "MiB", "GiB"};
    int unit = 0;
    while (unit < units.length - 1 && bytes % 1024 == 0 && bytes >= 1024) {
      bytes /= 1024;
      unit++;
    }
    return bytes + " " + units[unit];
  }

  /** The command line without the {@code --info} lines, which the report prints as its header. */
  private static String withoutInfo(String[] args) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--info")) {
        i++;
      } else {
        out.append(out.length() == 0 ? "" : " ").append(args[i]);
      }
    }
    return out.toString();
  }

  private static double cpu(Target t, double value) {
    return t.pid() > 0 ? value : Double.NaN;
  }

  private void record(Target t, Row row, double value) {
    samples.computeIfAbsent(row, r -> new LinkedHashMap<>()).computeIfAbsent(t.name(), n -> new ArrayList<>()).add(value);
    System.err.printf(Locale.ROOT, "  %-28s %s%n", row.metric(), fmt(row.format(), value));
  }

  /** The markdown report: header, table of medians with ratios and goals, every run's figures. */
  String report(double elapsedSeconds, String commandLine) {
    StringBuilder out = new StringBuilder();
    List<CompareOptions.Ratio> ratios = options.ratios();
    List<String> columns = new ArrayList<>();
    if (options.direct() != null) {
      columns.add("direct");
    }
    options.targets().forEach(t -> columns.add(t.name()));
    out.append("# WsProxy vs nginx, ").append(ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"))).append("\n\n");
    options.info().forEach(line -> out.append("- ").append(line).append('\n'));
    boolean http = options.scenarios().stream().anyMatch(CompareOptions.HTTP_SCENARIOS::contains);
    out.append(String.format(Locale.ROOT, "- load generator: JDK %s %s, %d processors seen, load average at end %s%n",
        System.getProperty("java.version"), http ? "raw HTTP/1.1 over NIO sockets (one thread for the 64 GET connections)"
            : "java.net.http WebSocket client", Runtime.getRuntime().availableProcessors(), loadAverage()));
    if (options.scenarios().stream().anyMatch(s -> ECHO_SCENARIOS.contains(s) || s.equals("handshake"))) {
      out.append("- echo and handshake scenarios' load generator: ").append(loadClient()).append('\n');
    }
    out.append(String.format(Locale.ROOT, "- %.1f s warm-up pass per target, then %d rounds (idle: %d), %.1f s measured after %.1f s warm-up per run, targets rotated every round; medians shown; run took %.0f s%n",
        options.warmupPassSeconds(), options.rounds(), options.idleRounds(), options.seconds(), options.warmupSeconds(), elapsedSeconds));
    out.append("- `Bench compare ").append(commandLine).append("`\n\n");
    out.append("| Scenario | Metric | ").append(String.join(" | ", columns));
    ratios.forEach(r -> out.append(" | ").append(r));
    out.append(" | Goal | Met |\n|---|---|");
    out.append("---|".repeat(columns.size() + ratios.size() + 2)).append('\n');
    for (Map.Entry<Row, Map<String, List<Double>>> entry : samples.entrySet()) {
      Row row = entry.getKey();
      Map<String, Double> medians = entry.getValue().entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
          e -> Stats.median(e.getValue().stream().mapToDouble(Double::doubleValue).toArray())));
      out.append("| ").append(row.scenario()).append(" | ").append(row.metric()).append(" |");
      for (String column : columns) {
        out.append(' ').append(fmt(row.format(), medians.getOrDefault(column, Double.NaN))).append(" |");
      }
      boolean met = true;
      for (CompareOptions.Ratio r : ratios) {
        double mine = medians.getOrDefault(r.mine(), Double.NaN);
        double ratio = mine / medians.getOrDefault(r.other(), Double.NaN);
        out.append(Double.isNaN(ratio) || Double.isInfinite(ratio) ? " |" : String.format(Locale.ROOT, " %.2f |", ratio));
        double goal = row.goalAgainst(r.other());
        if (r.other().startsWith("nginx") && !Double.isNaN(goal)) {
          met &= meets(row.better(), goal, row.absolute() ? mine : ratio);
        }
      }
      out.append(' ').append(row.goalText()).append(" | ").append(Double.isNaN(row.goal()) ? "" : met ? "yes" : "**no**").append(" |\n");
    }
    if (!failures.isEmpty()) {
      out.append("\nFailed runs (not in the medians):\n\n");
      failures.forEach(f -> out.append("- ").append(f).append('\n'));
    }
    out.append("\nEvery run (in the order run):\n\n");
    for (Map.Entry<Row, Map<String, List<Double>>> entry : samples.entrySet()) {
      out.append("- ").append(entry.getKey().scenario()).append(", ").append(entry.getKey().metric()).append(": ");
      out.append(entry.getValue().entrySet().stream()
          .map(e -> e.getKey() + " " + e.getValue().stream().map(v -> fmt(entry.getKey().format(), v)).collect(Collectors.joining(" / ")))
          .collect(Collectors.joining("; ")));
      out.append('\n');
    }
    return out.toString();
  }

  private static boolean meets(Better better, double goal, double value) {
    return !Double.isNaN(value) && (better == Better.HIGHER ? value >= goal : value <= goal);
  }

  static String fmt(String format, double value) {
    if (Double.isNaN(value)) {
      return "-";
    }
    return switch (format) {
      case "k" -> String.format(Locale.ROOT, "%.1fk", value / 1000);
      case "0" -> String.format(Locale.ROOT, "%.0f", value);
      case "0.0" -> String.format(Locale.ROOT, "%.1f", value);
      case "0.000" -> String.format(Locale.ROOT, "%.3f", value);
      default -> String.format(Locale.ROOT, "%.2f", value);
    };
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
