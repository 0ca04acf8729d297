package io.github.wsproxy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.wsproxy.testing.Await;
import java.time.Duration;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Captures the lines of the access log ({@code io.github.wsproxy.access}) that some traffic writes. */
final class AccessLogCapture {
  private AccessLogCapture() {}

  /** Something a test does while the access log is captured. */
  interface Traffic {
    void run() throws Exception;
  }

  /** Runs {@code traffic} and returns the first {@code n} access log lines it wrote, once there are that many. */
  static List<ILoggingEvent> lines(int n, Duration deadline, Traffic traffic) throws Exception {
    Logger access = (Logger) LoggerFactory.getLogger("io.github.wsproxy.access");
    ListAppender<ILoggingEvent> lines = new ListAppender<>() {
      @Override
      protected void append(ILoggingEvent event) {
        event.prepareForDeferredProcessing();
        super.append(event);
      }
    };
    lines.start();
    access.addAppender(lines);
    access.setLevel(Level.INFO);
    try {
      traffic.run();
      Await.until(() -> lines.list.size() >= n, deadline, n + " access log lines");
      return List.copyOf(lines.list.subList(0, n));
    } finally {
      access.detachAppender(lines);
      access.setLevel(null);
    }
  }
}
