package io.github.wsproxy.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.examples.chat.ChatUpstream;
import io.github.wsproxy.testing.JdkTestClient;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The demo upstreams lose no output under load: many clients with messages in flight get every
 * echo, and every member of a busy chat room every broadcast. Java-WebSocket's own server left a
 * message queued now and then until something else was sent on its connection (a worker's write
 * demand undone by the selector thread), so a client waiting for it waited for ever.
 */
@Timeout(120)
class DemoUpstreamsUnderLoadTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void close() throws Exception {
    pool.shutdownNow();
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  @Test
  void theDemoEchoUpstreamEchoesEveryMessageOfManyClients() throws Exception {
    DemoEchoUpstream echo = track(DemoEchoUpstream.start(ANY));
    int messages = 300;
    int inFlight = 8;
    List<Future<?>> runs = new ArrayList<>();
    for (int c = 0; c < 32; c++) {
      JdkTestClient client = track(JdkTestClient.connect(echo.uri()));
      String name = "client " + c;
      runs.add(pool.submit(() -> {
        for (int i = 0; i < messages + inFlight; i++) {
          if (i < messages) {
            client.sendText(name + " message " + i);
          }
          if (i >= inFlight) {
            int expected = i - inFlight;
            assertThat(client.pollText(TIMEOUT))
                .as("%s: the echo of message %d (%d sent)", name, expected, Math.min(i + 1, messages))
                .isEqualTo(name + " message " + expected);
          }
        }
        return null;
      }));
    }
    awaitAll(runs);
  }

  @Test
  void theChatUpstreamBroadcastsEveryMessageToEveryMember() throws Exception {
    ChatUpstream chat = track(ChatUpstream.start(ANY));
    List<JdkTestClient> room = new ArrayList<>();
    int members = 8;
    for (int m = 0; m < members; m++) {
      room.add(track(JdkTestClient.connect(URI.create(chat.uri() + "/?room=load&name=m" + m))));
    }
    int messages = 100;
    int inFlight = 4;
    for (int m = 0; m < members; m++) {
      String lastJoin = "{\"joined\":\"m" + (members - 1) + "\"}";
      JdkTestClient member = room.get(m);
      String text;
      do {
        text = member.pollText(TIMEOUT);
        assertThat(text).as("m%d: the announcement that the last member joined", m).isNotNull();
      } while (!text.equals(lastJoin));
    }
    List<Future<?>> runs = new ArrayList<>();
    for (int m = 0; m < members; m++) {
      JdkTestClient member = room.get(m);
      int me = m;
      runs.add(pool.submit(() -> {
        Broadcasts heard = new Broadcasts("m" + me, member, members, messages);
        for (int i = 0; i < messages + inFlight; i++) {
          if (i < messages) {
            member.sendText(Integer.toString(i));
          }
          while (i >= inFlight && heard.next[me] <= i - inFlight) {
            heard.takeOne();
          }
        }
        while (heard.count < members * messages) {
          heard.takeOne();
        }
        return null;
      }));
    }
    awaitAll(runs);
  }

  /** The broadcasts one member heard, each checked to come in its sender's order. */
  private static final class Broadcasts {
    final String name;
    final JdkTestClient member;
    final int total;
    /** The next message expected from each member. */
    final int[] next;
    int count;

    Broadcasts(String name, JdkTestClient member, int members, int messages) {
      this.name = name;
      this.member = member;
      this.total = members * messages;
      this.next = new int[members];
    }

    void takeOne() {
      String text = member.pollText(TIMEOUT);
      assertThat(text).as("%s: broadcast %d of %d (next from each member: %s)", name, count + 1, total,
          Arrays.toString(next)).isNotNull();
      int from = Integer.parseInt(text.replaceAll("^\\{\"from\":\"m(\\d+)\".*", "$1"));
      assertThat(text).as(name).isEqualTo("{\"from\":\"m" + from + "\",\"text\":\"" + next[from]++ + "\"}");
      count++;
    }
  }

  private <T extends AutoCloseable> T track(T closeable) {
    closeables.add(closeable);
    return closeable;
  }

  private static void awaitAll(List<Future<?>> runs) throws Exception {
    for (Future<?> run : runs) {
      try {
        run.get(60, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof Error error) {
          throw error;
        }
        throw e;
      }
    }
  }
}
