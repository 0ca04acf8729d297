package io.github.wsproxy.internal.loop;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class EventLoopTest {

  @Test
  void runsScheduledTasksOnTheLoopInTheOrderTheyAreDueAndNotBeforeTheirDelay() throws Exception {
    EventLoop loop = new EventLoop("event-loop-test", new NioTransportProvider());
    loop.start();
    List<String> ran = new CopyOnWriteArrayList<>();
    List<Long> late = new CopyOnWriteArrayList<>();
    try {
      long scheduled = System.nanoTime();
      loop.execute(() -> {
        for (int delayMillis : new int[] {30, 10, 20}) {
          long due = scheduled + TimeUnit.MILLISECONDS.toNanos(delayMillis);
          loop.schedule(due - System.nanoTime(), () -> {
            assertThat(loop.inLoop()).isTrue();
            ran.add(delayMillis + " ms");
            late.add(System.nanoTime() - due);
          });
        }
      });

      Await.until(() -> ran.size() == 3, Duration.ofSeconds(5), "the three tasks ran");
      assertThat(ran).containsExactly("10 ms", "20 ms", "30 ms");
      assertThat(late).allSatisfy(nanos -> assertThat(nanos).isNotNegative());
    } finally {
      loop.stop();
      loop.join();
    }
  }

  @Test
  void goesOnServingAfterATaskOrTickListenerFailsToLoadAClass() throws Exception {
    EventLoop loop = new EventLoop("event-loop-test", new NioTransportProvider());
    loop.start();
    List<String> ran = new CopyOnWriteArrayList<>();
    try {
      loop.execute(() -> {
        throw new NoClassDefFoundError("io/github/wsproxy/Missing (Too many open files)");
      });
      loop.onTick(now -> {
        if (ran.add("tick") && ran.size() == 1) {
          throw new NoClassDefFoundError("io/github/wsproxy/Missing");
        }
      });
      Await.until(() -> ran.size() >= 2, Duration.ofSeconds(5), "the tick listener ran again after it failed");
      loop.execute(() -> ran.add("task after the failures"));
      Await.until(() -> ran.contains("task after the failures"), Duration.ofSeconds(5), "a task ran after the failures");
    } finally {
      loop.stop();
      loop.join();
    }
  }
}
