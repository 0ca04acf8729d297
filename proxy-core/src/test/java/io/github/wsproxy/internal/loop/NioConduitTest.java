package io.github.wsproxy.internal.loop;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link Conduit#handOver} on NIO, over loopback: a socket copies what it takes, so the buffer goes
 * back to its pool at once when all of it was written, and stays the caller's after a short write.
 */
class NioConduitTest {

  @Test
  void aBufferWrittenWholeIsReleasedAndOneWrittenInPartStaysTheCallers() throws Exception {
    EventLoop loop = new EventLoop("nio-conduit-test", new NioTransportProvider());
    loop.start();
    BufferPool pool = new BufferPool(8 << 20, 4);
    try (ServerSocket peer = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      peer.setReceiveBufferSize(4096);
      CompletableFuture<int[]> result = new CompletableFuture<>();
      loop.execute(() -> {
        AtomicReference<Conduit> conduit = new AtomicReference<>();
        Readiness connected = readyOps -> {
          try {
            Conduit c = conduit.get();
            if (!c.finishConnect()) {
              return;
            }
            c.interestOps(0);
            ByteBuffer small = pool.acquire().limit(100);
            boolean smallTaken = c.handOver(small, pool);
            int afterSmall = pool.outstanding();
            ByteBuffer large = pool.acquire(); // 8 MiB: more than the socket buffers take
            boolean largeTaken = c.handOver(large, pool);
            result.complete(new int[] {smallTaken ? 1 : 0, afterSmall, largeTaken ? 1 : 0,
                large.position() > 0 && large.hasRemaining() ? 1 : 0, pool.outstanding()});
            c.reset();
          } catch (IOException | RuntimeException e) {
            result.completeExceptionally(e);
          }
        };
        try {
          conduit.set(loop.transport().connect(peer.getLocalSocketAddress(), connected));
          if (conduit.get().isConnected()) {
            connected.onReady(0); // connected at once: no OP_CONNECT comes
          }
        } catch (IOException e) {
          result.completeExceptionally(e);
        }
      });
      try (Socket reader = peer.accept()) {
        int[] seen = result.get(10, TimeUnit.SECONDS);
        assertThat(seen[0]).as("the small buffer taken").isEqualTo(1);
        assertThat(seen[1]).as("buffers out after the small one was written").isZero();
        assertThat(seen[2]).as("the large buffer taken").isZero();
        assertThat(seen[3]).as("the large buffer written in part").isEqualTo(1);
        assertThat(seen[4]).as("buffers out: the large one, still the caller's").isEqualTo(1);
      }
    } finally {
      loop.stop();
      loop.join();
    }
  }
}
