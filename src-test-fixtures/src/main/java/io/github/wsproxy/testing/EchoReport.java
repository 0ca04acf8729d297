package io.github.wsproxy.testing;

import io.github.wsproxy.ConnectionSnapshot;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * Where a message went whose echo never came back through a proxy, for the failure message of a
 * test that waited for it in vain: which {@link TestUpstream} connections received it, in what
 * state they are (whether Java-WebSocket still holds output for them), how the proxy saw the
 * client's connection, and what the kernel holds in those TCP connections ({@link SocketStates}).
 *
 * <pre>{@code
 * String echo = client.pollText(timeout);
 * if (echo == null) {
 *   throw new AssertionError("no echo of " + sent + ": "
 *       + EchoReport.lostEcho(sent, proxy.connections(), List.of(upstream)));
 * }
 * }</pre>
 */
public final class EchoReport {
  private EchoReport() {}

  /**
   * Reports on the text message {@code message} (sent uncompressed) that was not echoed.
   *
   * @param message the text message sent
   * @param proxyView the proxy's snapshots of the client's connection (an empty list if the proxy
   *     runs in another process)
   * @param upstreams the upstreams the message may have reached
   * @return the report, on one line
   */
  public static String lostEcho(
      String message, List<ConnectionSnapshot> proxyView, Collection<TestUpstream> upstreams) {
    List<String> parts = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    for (ConnectionSnapshot snapshot : proxyView) {
      parts.add("the proxy's connection " + snapshot);
      ports.add(snapshot.client().getPort());
    }
    byte[] text = message.getBytes(StandardCharsets.UTF_8);
    for (TestUpstream upstream : upstreams) {
      for (TestUpstream.Conn conn : upstream.connections()) {
        if (received(conn, text)) {
          parts.add("received by " + upstream + " " + conn + ": " + conn.state());
          ports.add(conn.remoteAddress().getPort());
        }
      }
    }
    if (parts.size() == proxyView.size()) {
      parts.add("no upstream connection received it");
    }
    for (int port : ports) {
      parts.add("sockets on port " + port + ": " + SocketStates.of(port));
    }
    return String.join("; ", parts);
  }

  private static boolean received(TestUpstream.Conn conn, byte[] text) {
    for (WireFrame frame : conn.receivedFrames()) {
      if (frame.opcode() == WireFrame.TEXT && Arrays.equals(frame.payload(), text)) {
        return true;
      }
    }
    return false;
  }
}
