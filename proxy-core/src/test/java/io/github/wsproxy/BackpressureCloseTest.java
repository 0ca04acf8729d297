package io.github.wsproxy;

import static io.github.wsproxy.HandshakeTest.startProxy;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.RawClient;
import io.github.wsproxy.testing.RawUpstream;
import io.github.wsproxy.testing.WireFrame;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A peer that vanishes while the proxy holds the other side back (backpressure: the vanished peer
 * had stopped reading): the proxy reads the other side again, so its close handshake completes.
 * Found by the soak test, where 1 client in 10 was reset after the close timeout when its upstream
 * crashed. Meanwhile, what the proxy holds is bounded (on io_uring, the relay's buffers handed to the
 * transport are bounded per connection as the bytes copied were).
 */
class BackpressureCloseTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);
  private static final int CHUNK = 1 << 20;

  @Test
  void clientHeldBackByAFullUpstreamCompletesItsCloseHandshakeWhenThatUpstreamVanishes() throws Exception {
    CountDownLatch vanish = new CountDownLatch(1);
    try (RawUpstream upstream = RawUpstream.start(c -> {
          c.accept(c.readRequest());
          vanish.await();
          c.abort();
        });
        WsProxy proxy = startProxy(WsProxy.builder().upstream(upstream.uri())
            .maxMessageBytes(1L << 30).closeTimeout(CLOSE_TIMEOUT));
        RawClient client = RawClient.connect(proxy.port())) {
      assertThat(client.handshake("/").statusCode()).isEqualTo(101);
      AtomicLong written = new AtomicLong();
      AtomicBoolean stop = new AtomicBoolean();
      Thread writer = new Thread(() -> {
        try {
          client.sendFrame(WireFrame.binaryFragment(new byte[CHUNK]));
          while (!stop.get() && written.addAndGet(CHUNK) < (256L << 20)) {
            client.sendFrame(WireFrame.continuation(new byte[CHUNK], false));
          }
        } catch (IOException e) {
          written.set(-1);
        }
      }, "backpressure-writer");
      writer.start();
      awaitNoProgress(written);
      assertThat(written.get())
          .as("what the proxy took in while the upstream read nothing: socket buffers and a bounded send, not 256 MiB")
          .isLessThan(64L << 20);

      vanish.countDown();

      assertThat(client.readFrame(DEADLINE).closeCode()).isEqualTo(1011);
      stop.set(true);
      writer.join(CLOSE_TIMEOUT.dividedBy(2).toMillis());
      assertThat(writer.isAlive()).as("the proxy reads the client again, so its last write completes").isFalse();
      assertThat(written.get()).as("the client's writes all went through").isPositive();
      client.sendFrame(WireFrame.close(1011, ""));
      assertThat(client.awaitEof(CLOSE_TIMEOUT.dividedBy(2))).isTrue();
      assertThat(client.wasReset()).as("closed after the close handshake, not reset at the close timeout").isFalse();
    }
  }

  /** Waits until the writer has been stuck for half a second: the proxy no longer reads the client. */
  private static void awaitNoProgress(AtomicLong written) {
    long[] last = {0, System.nanoTime()};
    Await.until(() -> {
      long now = written.get();
      if (now != last[0]) {
        last[0] = now;
        last[1] = System.nanoTime();
        return false;
      }
      return now > 0 && System.nanoTime() - last[1] > 500_000_000L;
    }, DEADLINE, "the client's writes stall behind the upstream that does not read");
  }
}
