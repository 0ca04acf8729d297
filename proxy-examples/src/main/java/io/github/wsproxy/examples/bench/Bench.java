package io.github.wsproxy.examples.bench;

import io.github.wsproxy.examples.DemoEchoUpstream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Measurement tools, run from the shaded jar:
 *
 * <pre>
 * java -cp proxy-examples/target/wsproxy.jar io.github.wsproxy.examples.bench.Bench upstream PORT
 * java -cp ... Bench echo URL CONNECTIONS IN_FLIGHT SIZE SECONDS
 * java -cp ... Bench idle URL CONNECTIONS PID
 * </pre>
 *
 * {@code upstream} runs an echo server; {@code echo} drives a closed-loop echo load and prints
 * round trips/s, MB/s and latency; {@code idle} opens idle connections and prints the RSS and
 * thread count of process PID (the proxy) before and after.
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
        EchoLoad.Result result = new EchoLoad(URI.create(args[1]), Integer.parseInt(args[2]),
            Integer.parseInt(args[3]), Integer.parseInt(args[4])).run(2, Double.parseDouble(args[5]));
        System.out.printf(Locale.ROOT, "%s round_trips_per_s=%.0f MB_per_s=%.1f p50_us=%.0f p99_us=%.0f%n",
            args[1], result.roundTripsPerSecond(), result.megabytesPerSecond(), result.p50Micros(), result.p99Micros());
      }
      case "idle" -> idle(URI.create(args[1]), Integer.parseInt(args[2]), args[3]);
      default -> {
        System.err.println("usage: Bench upstream PORT | echo URL CONNS IN_FLIGHT SIZE SECONDS | idle URL CONNS PID");
        System.exit(2);
      }
    }
  }

  private static void idle(URI target, int count, String pid) throws Exception {
    System.gc();
    String before = processFigures(pid);
    HttpClient http = HttpClient.newHttpClient();
    Semaphore handshakes = new Semaphore(32);
    List<CompletableFuture<WebSocket>> sockets = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      handshakes.acquire();
      CompletableFuture<WebSocket> socket = http.newWebSocketBuilder().buildAsync(target, new WebSocket.Listener() {});
      socket.whenComplete((s, e) -> handshakes.release());
      sockets.add(socket);
    }
    for (CompletableFuture<WebSocket> socket : sockets) {
      socket.get(30, TimeUnit.SECONDS);
    }
    TimeUnit.SECONDS.sleep(3);
    String after = processFigures(pid);
    System.out.println("idle connections: " + count);
    System.out.println("proxy before: " + before);
    System.out.println("proxy after:  " + after);
    long rssDelta = rssKb(after) - rssKb(before);
    System.out.printf(Locale.ROOT, "RSS per connection: %.1f KiB%n", rssDelta / (double) count);
    sockets.forEach(s -> s.join().abort());
  }

  private static String processFigures(String pid) throws Exception {
    StringBuilder out = new StringBuilder();
    for (String line : Files.readAllLines(Path.of("/proc", pid, "status"))) {
      if (line.startsWith("VmRSS:") || line.startsWith("Threads:")) {
        out.append(line.replaceAll("\\s+", " ")).append("  ");
      }
    }
    return out.toString().strip();
  }

  private static long rssKb(String figures) {
    int at = figures.indexOf("VmRSS: ") + 7;
    return Long.parseLong(figures.substring(at, figures.indexOf(' ', at)));
  }
}
