package io.github.wsproxy.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The kernel's view of loopback TCP connections, for failure reports: {@code ss} lists the
 * connections with a port at either end, with their state and the bytes queued each way
 * (Recv-Q: received, not yet read by the application; Send-Q: written, not yet acknowledged by
 * the peer). A message stuck in a socket shows here, one the application never wrote does not.
 */
public final class SocketStates {
  private SocketStates() {}

  /**
   * Both ends of the TCP connections that have {@code port} at one end, as {@code ss -tn} lists
   * them, on one line.
   *
   * @param port a local or remote port
   * @return what {@code ss} printed, or why it could not run
   */
  public static String of(int port) {
    try {
      Process ss = new ProcessBuilder("ss", "-tn", "state", "all",
          "( sport = :" + port + " or dport = :" + port + " )")
          .redirectErrorStream(true).start();
      String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      ss.waitFor(5, TimeUnit.SECONDS);
      return out.replaceAll("\\s+", " ").trim();
    } catch (IOException e) {
      return "(ss failed: " + e + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "(interrupted)";
    }
  }
}
