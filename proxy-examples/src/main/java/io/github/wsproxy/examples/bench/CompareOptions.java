package io.github.wsproxy.examples.bench;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The command line of {@code Bench compare}. */
record CompareOptions(List<Compare.Target> targets, URI direct, List<Ratio> ratios, List<String> scenarios,
    double seconds, double warmupSeconds, double warmupPassSeconds, int rounds, int idleRounds, int idleConnections, int handshakeConcurrency,
    String out, List<String> info, Path trust, long httpBytes, int longPolls, boolean perf,
    EchoLoad.Client load) {

  /** A ratio column of the table: {@code mine}'s figure over {@code other}'s. */
  record Ratio(String mine, String other) {
    static Ratio parse(String spec) {
      int slash = spec.indexOf('/');
      if (slash <= 0 || slash == spec.length() - 1) {
        throw new IllegalArgumentException("--ratio wants MINE/OTHER, got " + spec);
      }
      return new Ratio(spec.substring(0, slash), spec.substring(slash + 1));
    }

    @Override
    public String toString() {
      return mine + "/" + other;
    }
  }

  /** The WebSocket scenarios, run when {@code --scenarios} is not given. */
  static final List<String> WEBSOCKET_SCENARIOS = List.of("small", "large", "pingpong", "handshake", "resumed", "idle");
  /** The plain HTTP scenarios ({@code run-vs-nginx --http}). */
  static final List<String> HTTP_SCENARIOS = List.of("http-get", "http-upload", "http-download", "http-longpoll");
  static final List<String> ALL_SCENARIOS = Stream.concat(WEBSOCKET_SCENARIOS.stream(), HTTP_SCENARIOS.stream()).toList();

  static final String USAGE = """
      usage: Bench compare --target NAME=URL@PID ... [options]
        --target NAME=URL@PID   a proxy to measure (PID: its process; children such as nginx workers count too)
        --direct URL            the upstream itself, measured in the small-message scenario as the limit
        --ratio MINE/OTHER      a ratio column (repeatable; default wsproxy/each other target); the goals
                                are checked on the ratios to targets named nginx*
        --scenarios LIST        comma-separated, of small,large,pingpong,handshake,resumed,idle (the
                                default: all these WebSocket ones) and http-get,http-upload,http-download,
                                http-longpoll (plain HTTP/1.1: GET of 1 KiB on 64 keep-alive connections,
                                one upload and one download of --http-bytes, --long-polls idle long polls)
        --seconds S             measured seconds per run (default 4)
        --warmup S              warm-up seconds per run (default 1.5)
        --warmup-pass S         untimed seconds of load per target before the first round (default 3, 0: none)
        --rounds N              runs per target and scenario, alternating (default 5)
        --idle-rounds N         runs of the idle and http-longpoll scenarios (default 1)
        --idle-connections N    (default 8000)
        --handshake-concurrency N  handshakes in progress at a time (default 16)
        --http-bytes N[k|M|G]   body size of http-upload and http-download (default 1G, binary units)
        --long-polls N          long polls of http-longpoll (default 2000)
        --perf on|off           small: also count the proxy's system calls and context switches per round
                                trip with Linux perf (perf stat; needs perf and the right to trace, e.g. root)
        --load nio|jdk          the WebSocket client of the echo scenarios (small, large, pingpong) and of
                                handshake: nio, a light raw one (the default), or jdk, java.net.http's; wss://
                                targets always get jdk, the only one speaking TLS (idle: always jdk)
        --out FILE              also write the report there
        --info TEXT             a line for the report's header (repeatable)
        --trust FILE            PEM certificate(s) to trust for wss:// targets (handshake: full TLS
                                handshakes; resumed: resumed ones, wss:// targets only)""";

  static CompareOptions parse(String[] args) {
    List<Compare.Target> targets = new ArrayList<>();
    List<String> info = new ArrayList<>();
    URI direct = null;
    List<Ratio> ratios = new ArrayList<>();
    List<String> scenarios = WEBSOCKET_SCENARIOS;
    double seconds = 4;
    double warmup = 1.5;
    double warmupPass = 3;
    int rounds = 5;
    int idleRounds = 1;
    int idleConnections = 8000;
    int handshakeConcurrency = 16;
    String out = null;
    Path trust = null;
    long httpBytes = 1L << 30;
    int longPolls = 2000;
    boolean perf = false;
    EchoLoad.Client load = EchoLoad.Client.NIO;
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(flag + " needs a value\n" + USAGE);
      }
      String value = args[++i];
      switch (flag) {
        case "--target" -> targets.add(Compare.Target.parse(value));
        case "--direct" -> direct = URI.create(value);
        case "--ratio" -> ratios.add(Ratio.parse(value));
        case "--scenarios" -> {
          scenarios = List.of(value.split(","));
          for (String s : scenarios) {
            if (!ALL_SCENARIOS.contains(s)) {
              throw new IllegalArgumentException("--scenarios: unknown scenario " + s + " (known: " + ALL_SCENARIOS + ")");
            }
          }
        }
        case "--seconds" -> seconds = positive(flag, Double.parseDouble(value));
        case "--warmup" -> warmup = Double.parseDouble(value);
        case "--warmup-pass" -> warmupPass = Double.parseDouble(value);
        case "--rounds" -> rounds = (int) positive(flag, Integer.parseInt(value));
        case "--idle-rounds" -> idleRounds = (int) positive(flag, Integer.parseInt(value));
        case "--idle-connections" -> idleConnections = (int) positive(flag, Integer.parseInt(value));
        case "--handshake-concurrency" -> handshakeConcurrency = (int) positive(flag, Integer.parseInt(value));
        case "--out" -> out = value;
        case "--info" -> info.add(value);
        case "--trust" -> trust = Path.of(value);
        case "--http-bytes" -> httpBytes = (long) positive(flag, bytes(value));
        case "--long-polls" -> longPolls = (int) positive(flag, Integer.parseInt(value));
        case "--perf" -> perf = switch (value) {
          case "on" -> true;
          case "off" -> false;
          default -> throw new IllegalArgumentException("--perf: on or off, not " + value);
        };
        case "--load" -> load = switch (value) {
          case "nio" -> EchoLoad.Client.NIO;
          case "jdk" -> EchoLoad.Client.JDK;
          default -> throw new IllegalArgumentException("--load: nio or jdk, not " + value);
        };
        default -> throw new IllegalArgumentException("unknown flag " + flag + "\n" + USAGE);
      }
    }
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("at least one --target is needed\n" + USAGE);
    }
    if (ratios.isEmpty() && targets.stream().anyMatch(t -> t.name().equals("wsproxy"))) {
      targets.stream().filter(t -> !t.name().equals("wsproxy")).forEach(t -> ratios.add(new Ratio("wsproxy", t.name())));
    }
    for (Ratio ratio : ratios) {
      for (String name : List.of(ratio.mine(), ratio.other())) {
        if (targets.stream().noneMatch(t -> t.name().equals(name))) {
          throw new IllegalArgumentException("--ratio " + ratio + " names no --target " + name);
        }
      }
    }
    return new CompareOptions(List.copyOf(targets), direct, List.copyOf(ratios), scenarios, seconds, warmup, warmupPass, rounds, idleRounds,
        idleConnections, handshakeConcurrency, out, List.copyOf(info), trust, httpBytes, longPolls, perf, load);
  }

  /** A byte count with an optional binary suffix: {@code 64M} is 64 MiB. */
  static long bytes(String value) {
    int shift = switch (value.isEmpty() ? ' ' : Character.toUpperCase(value.charAt(value.length() - 1))) {
      case 'K' -> 10;
      case 'M' -> 20;
      case 'G' -> 30;
      default -> 0;
    };
    return Long.parseLong(shift == 0 ? value : value.substring(0, value.length() - 1)) << shift;
  }

  private static double positive(String flag, double value) {
    if (!(value > 0)) {
      throw new IllegalArgumentException(flag + " must be positive, got " + value);
    }
    return value;
  }
}
