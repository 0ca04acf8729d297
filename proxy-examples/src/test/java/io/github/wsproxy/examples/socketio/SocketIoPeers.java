package io.github.wsproxy.examples.socketio;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.wsproxy.testing.Background;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Real socket.io peers for tests: Node's reference server and client (socket.io 4.8, in {@code
 * src/test/node}), run as child processes. The server echoes and says its name; the client uses the
 * default transports (HTTP long polling, then the upgrade to WebSocket), keeps cookies, and reports
 * which server answered and on which transport. Point the client at a proxy in front of one or more
 * servers to test the proxy with the peers socket.io users run.
 *
 * <p>Tests using it are skipped when {@code node} is not on the PATH; the packages are installed with
 * {@code npm ci} from the lock file on first use when missing.
 */
final class SocketIoPeers {
  private static final Path DIR = Path.of("src/test/node");
  private static final ObjectMapper JSON = new ObjectMapper();

  private SocketIoPeers() {}

  /** Skips the calling test without Node; installs the packages once if they are missing. */
  static synchronized void assumeNode() throws IOException, InterruptedException {
    assumeTrue(run(List.of("node", "--version"), 10), "node is not on the PATH (apt-get install nodejs npm)");
    if (!Files.isDirectory(DIR.resolve("node_modules/socket.io"))
        && !run(List.of("npm", "ci", "--no-audit", "--no-fund"), 300)) {
      throw new IllegalStateException("npm ci failed in " + DIR.toAbsolutePath());
    }
  }

  /** A running socket.io server on loopback; close stops it. */
  record Server(Process process, int port) implements AutoCloseable {
    String url() {
      return "http://127.0.0.1:" + port;
    }

    @Override
    public void close() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  /** Starts a server on a free loopback port that calls itself {@code name}. */
  static Server startServer(String name) throws IOException, InterruptedException {
    Process process = new ProcessBuilder("node", "server.js", "0", name).directory(DIR.toFile())
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    try {
      String line = Background.supply(() -> readLine(out)).get(20, TimeUnit.SECONDS);
      if (line == null || !line.startsWith("listening ")) {
        throw new IllegalStateException("socket.io server did not start: " + line);
      }
      return new Server(process, Integer.parseInt(line.substring("listening ".length()).strip()));
    } catch (ExecutionException | TimeoutException e) {
      process.destroyForcibly();
      throw new IllegalStateException("socket.io server did not start", e);
    }
  }

  /**
   * What one client run saw: the server's name, the transport at the end, how many echoes came
   * back, or the error (connect error, wrong echo, timeout).
   */
  record ClientRun(String server, String transport, int echoes, String error) {}

  /** Runs a client against {@code url} that sends {@code messages} echoes once upgraded. */
  static ClientRun runClient(String url, int messages) throws IOException, InterruptedException {
    Process process = new ProcessBuilder("node", "client.js", url, Integer.toString(messages)).directory(DIR.toFile())
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      return new ClientRun(null, null, 0, "client did not exit");
    }
    JsonNode result = JSON.readTree(output.isEmpty() ? "{\"error\":\"no output\"}" : output);
    return new ClientRun(result.path("server").asText(null), result.path("transport").asText(null),
        result.path("echoes").asInt(0), result.path("error").asText(null));
  }

  private static String readLine(BufferedReader reader) {
    try {
      return reader.readLine();
    } catch (IOException e) {
      return null;
    }
  }

  private static boolean run(List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
    Process process;
    try {
      process = new ProcessBuilder(command).directory(DIR.toFile()).inheritIO().start();
    } catch (IOException notFound) {
      return false;
    }
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      return false;
    }
    return process.exitValue() == 0;
  }
}
