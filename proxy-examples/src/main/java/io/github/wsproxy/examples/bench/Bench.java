package io.github.wsproxy.examples.bench;

import io.github.wsproxy.examples.DemoEchoUpstream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * Measurement tools, run from the shaded jar:
 *
 * <pre>
 * java -cp proxy-examples/target/wsproxy.jar io.github.wsproxy.examples.bench.Bench upstream PORT
 * java -cp ... Bench nio-upstream PORT [THREADS]
 * java -cp ... Bench echo URL CONNECTIONS IN_FLIGHT SIZE SECONDS [nio|jdk]
 * java -cp ... Bench idle URL CONNECTIONS PID
 * java -cp ... Bench compare --target NAME=URL@PID ... (see bench/run-vs-nginx)
 * java -cp ... Bench jfr-top RECORDING.jfr [N]
 * </pre>
 *
 * {@code upstream} runs the demo echo server (Java-WebSocket), {@code nio-upstream} the
 * benchmark's own lighter one ({@link NioEchoUpstream}, which answers plain HTTP too); {@code echo} drives a closed-loop echo load and prints
 * round trips/s, MB/s and latency (on the light NIO client by default, or the JDK's; wss:// on the JDK's); {@code idle} opens idle connections and prints the RSS and
 * thread count of process PID (the proxy) before and after; {@code compare} is the side-by-side
 * benchmark; {@code jfr-top} summarises the CPU samples of a flight recording.
 */
public final class Bench {
  private Bench() {}

  public static void main(String[] args) throws Exception {
    switch (args.length == 0 ? "" : args[0]) {
      case "upstream" -> {
        DemoEchoUpstream upstream = DemoEchoUpstream.start(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[1])));
        System.out.println("echo upstream on " + upstream.uri());
        new CompletableFuture<Void>().join();
      }
      case "echo" -> {
        URI target = URI.create(args[1]);
        EchoLoad.Client client = EchoLoad.Client.valueOf(args.length > 6 ? args[6].toUpperCase(Locale.ROOT) : "NIO").forTarget(target);
        EchoLoad.Result result = new EchoLoad(target, Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]), client)
            .run(2, Double.parseDouble(args[5]));
        System.out.printf(Locale.ROOT, "%s client=%s round_trips_per_s=%.0f MB_per_s=%.1f p50_us=%.0f p99_us=%.0f%n",
            args[1], client.name().toLowerCase(Locale.ROOT), result.roundTripsPerSecond(), result.megabytesPerSecond(), result.p50Micros(), result.p99Micros());
      }
      case "idle" -> {
        IdleLoad.Result result = new IdleLoad(URI.create(args[1]), Integer.parseInt(args[2])).run(Long.parseLong(args[3]));
        System.out.println("idle connections: " + result.connections());
        System.out.println("proxy before: " + result.before());
        System.out.println("proxy after:  " + result.after());
        System.out.printf(Locale.ROOT, "RSS per connection: %.1f KiB%n", result.rssKibPerConnection());
      }
      case "nio-upstream" -> NioEchoUpstream.run(Integer.parseInt(args[1]), args.length > 2 ? Integer.parseInt(args[2]) : 1);
      case "compare" -> Compare.main(Arrays.copyOfRange(args, 1, args.length));
      case "jfr-top" -> JfrTop.print(Path.of(args[1]), args.length > 2 ? Integer.parseInt(args[2]) : 25, System.out);
      default -> {
        System.err.println("usage: Bench upstream PORT | nio-upstream PORT [THREADS] | echo URL CONNS IN_FLIGHT SIZE SECONDS [nio|jdk] | idle URL CONNS PID"
            + " | compare --target NAME=URL@PID ... | jfr-top FILE [N]");
        System.exit(2);
      }
    }
  }
}
