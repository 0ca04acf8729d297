package io.github.wsproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.HttpHead;
import io.github.wsproxy.testing.RawClient;
import io.github.wsproxy.testing.RawUpstream;
import io.github.wsproxy.testing.WireFrame;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The proxy out of file descriptors: a proxy in a child JVM under {@code prlimit --nofile} gets
 * more clients than it has descriptors for. Accepting must pause and back off instead of spinning
 * and logging every failed accept, and the proxy must serve clients again once descriptors free up.
 * A client accepted with the last descriptor, whose upstream connect then fails, gets 503 with
 * Retry-After: the proxy is overloaded, its upstream servers are not at fault.
 */
class DescriptorExhaustionTest {
  private static final int DESCRIPTORS = 160;
  private static final int IDLE_CLIENTS = 260;
  private static final Duration DEADLINE = Duration.ofSeconds(20);
  private static final String ACCEPT_FAILED = "accept failed";
  /** What the proxy logs when a server failed maxFails times (passive health) and is skipped. */
  private static final String SERVER_SKIPPED = "within its fail timeout";

  /** What the child printed: its first lines, and when each failed accept was logged. */
  private static final class Output {
    final List<String> head = new CopyOnWriteArrayList<>();
    final List<Long> acceptFailures = Collections.synchronizedList(new ArrayList<>());
    volatile String firstFailure;

    List<Long> failures() {
      synchronized (acceptFailures) {
        return List.copyOf(acceptFailures);
      }
    }

    boolean failingForOverASecond() {
      List<Long> failures = failures();
      return failures.size() >= 2 && failures.get(failures.size() - 1) - failures.get(0) > TimeUnit.SECONDS.toNanos(1);
    }
  }

  @Test
  void backsOffAcceptingWhenOutOfDescriptorsLogsLittleAndServesClientsOnceDescriptorsFreeUp() throws Exception {
    assumeTrue(onPath("prlimit"), "prlimit (util-linux) is not installed");
    Output output = new Output();
    List<Socket> idle = new ArrayList<>();
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.echo())) {
      Process child = startChild(output, upstream.uri().toString());
      try {
        int port = awaitPort(output);

        for (int i = 0; i < IDLE_CLIENTS; i++) {
          idle.add(new Socket(InetAddress.getLoopbackAddress(), port));
        }
        // Watch a full second of saturation, from the first failed accept on.
        Await.until(output::failingForOverASecond, DEADLINE, "accept failed for over a second; the child's output: " + output.head);
        List<Long> failures = output.failures();
        long inFirstSecond = failures.stream().filter(nanos -> nanos - failures.get(0) < TimeUnit.SECONDS.toNanos(1)).count();

        // pauses of 10, 20, 40 ... 640 ms: eight accepts fail in the first second, not thousands
        assertThat(inFirstSecond).as("accept failures logged in the first second of saturation").isBetween(2L, 12L);
        assertThat(output.firstFailure).contains("Too many open files");

        for (Socket socket : idle) {
          socket.close();
        }
        try (RawClient client = RawClient.connect(port)) {
          assertThat(client.handshake("/").statusCode()).isEqualTo(101);
          client.sendFrame(WireFrame.text("served again"));
          assertThat(client.readFrame(DEADLINE).payloadText()).isEqualTo("served again");
        }
      } finally {
        stop(child, idle);
      }
    }
  }

  @Test
  void answers503WithRetryAfterWhenTheUpstreamConnectFindsNoDescriptorAndKeepsTheServersLive() throws Exception {
    assumeTrue(onPath("prlimit"), "prlimit (util-linux) is not installed");
    Output output = new Output();
    List<Socket> idle = new ArrayList<>();
    try (RawUpstream first = RawUpstream.start(RawUpstream.echo());
        RawUpstream second = RawUpstream.start(RawUpstream.echo())) {
      // two servers: passive health is on, a server failing once would be skipped (and logged)
      Process child = startChild(output, first.uri().toString(), second.uri().toString());
      try {
        int port = awaitPort(output);
        Path descriptors = Path.of("/proc", Long.toString(child.pid()), "fd");
        assumeTrue(Files.isDirectory(descriptors), "no /proc to count the proxy's descriptors");
        // idle clients take the proxy's descriptors until one is left: the next client takes it
        while (count(descriptors) < DESCRIPTORS - 1) {
          // sockets only: a file the JVM opens and closes meanwhile (a class read from a jar) must not count
          long before = countSockets(descriptors);
          idle.add(new Socket(InetAddress.getLoopbackAddress(), port));
          Await.until(() -> countSockets(descriptors) > before, DEADLINE, "the proxy accepted an idle client");
        }
        assertThat(count(descriptors)).as("descriptors the proxy holds").isEqualTo(DESCRIPTORS - 1);

        try (RawClient client = RawClient.connect(port)) {
          HttpHead response = client.handshake("/");
          assertThat(response.statusCode()).as("status; the proxy's output: " + output.head).isEqualTo(503);
          assertThat(response.header("Retry-After")).isEqualTo("1");
          assertThat(response.bodyText()).contains("file descriptors");
        }
        assertThat(output.head).as("servers counted as failed").noneMatch(line -> line.contains(SERVER_SKIPPED));

        for (Socket socket : idle) {
          socket.close();
        }
        try (RawClient client = RawClient.connect(port)) {
          assertThat(client.handshake("/").statusCode()).isEqualTo(101);
          client.sendFrame(WireFrame.text("served"));
          assertThat(client.readFrame(DEADLINE).payloadText()).isEqualTo("served");
        }
        assertThat(output.head).as("servers counted as failed").noneMatch(line -> line.contains(SERVER_SKIPPED));
      } finally {
        stop(child, idle);
      }
    }
  }

  /** Starts {@link FdLimitedProxy} under the descriptor limit, proxying to {@code upstreams}. */
  private static Process startChild(Output output, String... upstreams) throws IOException {
    List<String> command = new ArrayList<>(List.of("prlimit", "--nofile=" + DESCRIPTORS + ":" + DESCRIPTORS, "--",
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp", testClassPath(),
        FdLimitedProxy.class.getName()));
    command.addAll(List.of(upstreams));
    Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
    Thread reader = new Thread(() -> readLines(child, output), "fd-limited-proxy-output");
    reader.setDaemon(true);
    reader.start();
    return child;
  }

  private static int awaitPort(Output output) {
    String portLine = Await.value(() -> output.head.stream().filter(l -> l.startsWith("PORT ")).findFirst().orElse(null),
        l -> l != null, DEADLINE, "the child proxy listens; its output: " + output.head);
    return Integer.parseInt(portLine.substring(5).trim());
  }

  private static void stop(Process child, List<Socket> idle) throws Exception {
    for (Socket socket : idle) {
      socket.close();
    }
    child.getOutputStream().close();
    if (!child.waitFor(10, TimeUnit.SECONDS)) {
      child.destroyForcibly();
    }
  }

  /** The descriptors a process holds, as /proc lists them. */
  private static long count(Path descriptors) {
    return count(descriptors, descriptor -> true);
  }

  /** The sockets among the descriptors a process holds. */
  private static long countSockets(Path descriptors) {
    return count(descriptors, DescriptorExhaustionTest::isSocket);
  }

  private static long count(Path descriptors, Predicate<Path> which) {
    try (Stream<Path> entries = Files.list(descriptors)) {
      return entries.filter(which).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean isSocket(Path descriptor) {
    try {
      return Files.readSymbolicLink(descriptor).toString().startsWith("socket:");
    } catch (IOException e) {
      return false; // closed since it was listed
    }
  }

  /** The test's classes and libraries as a class path, whether surefire put them on the module path or the class path. */
  private static String testClassPath() {
    return Stream.of(System.getProperty("jdk.module.path"), System.getProperty("java.class.path"))
        .filter(p -> p != null && !p.isEmpty())
        .collect(Collectors.joining(File.pathSeparator));
  }

  private static void readLines(Process child, Output output) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.contains(ACCEPT_FAILED)) {
          output.acceptFailures.add(System.nanoTime());
          if (output.firstFailure == null) {
            output.firstFailure = line;
          }
        }
        if (output.head.size() < 40) {
          output.head.add(line);
        }
      }
    } catch (IOException e) {
      output.head.add("reading the child's output failed: " + e);
    }
  }

  private static boolean onPath(String command) {
    String path = System.getenv("PATH");
    return path != null && Stream.of(path.split(File.pathSeparator)).anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
  }
}
