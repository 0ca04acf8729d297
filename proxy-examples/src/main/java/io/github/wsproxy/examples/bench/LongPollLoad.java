package io.github.wsproxy.examples.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Idle long polls: {@code count} connections each sending {@code GET /poll}, which the upstream
 * never answers. Waits until the proxy holds both legs of about each (its open file count) and reports
 * what they cost it in memory and threads, like {@link IdleLoad} for WebSockets.
 */
final class LongPollLoad {
  private static final int KEPT_ALIVE = 128;
  private final URI target;
  private final int count;

  LongPollLoad(URI target, int count) {
    this.target = target;
    this.count = count;
  }

  /** Opens the polls, measures process {@code pid} (and its descendants), closes them all. */
  IdleLoad.Result run(long pid) throws IOException, InterruptedException {
    InetSocketAddress address = HttpGetLoad.address(target);
    byte[] request = ("GET /poll HTTP/1.1\r\nHost: " + target.getHost() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    ProcStats before = ProcStats.of(pid);
    List<SocketChannel> polls = new ArrayList<>(count);
    try {
      for (int i = 0; i < count; i++) {
        SocketChannel channel = SocketChannel.open(address);
        polls.add(channel);
        ByteBuffer out = ByteBuffer.wrap(request);
        while (out.hasRemaining()) {
          channel.write(out);
        }
      }
      // upstream connections kept alive from earlier requests (32 per server and loop or worker)
      // may carry some of the polls without a new file
      IdleLoad.awaitOpenFiles(pid, before.openFiles() + 2L * count - Math.min(count, KEPT_ALIVE), true);
      return new IdleLoad.Result(count, before, ProcStats.of(pid));
    } finally {
      for (SocketChannel channel : polls) {
        channel.close();
      }
      IdleLoad.awaitOpenFiles(pid, before.openFiles() + 16, false);
    }
  }
}
