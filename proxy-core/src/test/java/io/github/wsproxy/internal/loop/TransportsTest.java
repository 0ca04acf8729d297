package io.github.wsproxy.internal.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.wsproxy.IoTransport;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The transport an {@link IoTransport} setting (and the system property overriding AUTO) stands for. */
class TransportsTest {
  private static final int JAVA = Runtime.version().feature();

  @Test
  void nioIsNioWhateverTheSystemPropertySays() throws IOException {
    assertThat(Transports.provider(IoTransport.NIO, null).name()).isEqualTo("nio");
    assertThat(Transports.provider(IoTransport.NIO, "IO_URING").name()).isEqualTo("nio");
  }

  @Test
  void theSystemPropertyForcesAutoToNioInAnyCase() throws IOException {
    assertThat(Transports.provider(IoTransport.AUTO, "nio").name()).isEqualTo("nio");
    assertThat(Transports.provider(IoTransport.AUTO, " NIO ").name()).isEqualTo("nio");
  }

  @Test
  void anUnknownSystemPropertyValueFailsNamingTheProperty() {
    assertThatThrownBy(() -> Transports.provider(IoTransport.AUTO, "epoll"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("wsproxy.transport=epoll").hasMessageContaining("expected NIO or IO_URING");
  }

  @Test
  void ioUringBeforeJava22FailsWithAnIoExceptionNamingTheSettingAndWhy() {
    assumeTrue(JAVA < 22, "io_uring may run on Java 22+");
    assertThatThrownBy(() -> Transports.provider(IoTransport.IO_URING, null))
        .isInstanceOf(IOException.class)
        .hasMessage("transport IO_URING: io_uring unavailable (Java " + JAVA + " < 22)");
    assertThatThrownBy(() -> Transports.provider(IoTransport.AUTO, "io_uring"))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("transport AUTO (system property wsproxy.transport=io_uring)")
        .hasMessageContaining("Java " + JAVA + " < 22");
  }

  @Test
  void autoFallsBackToNioBeforeJava22AndLogsWhy() throws IOException {
    assumeTrue(JAVA < 22, "io_uring may run on Java 22+");
    Logger logger = (Logger) LoggerFactory.getLogger(Transports.class);
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    logger.setLevel(Level.INFO);
    try {
      assertThat(Transports.provider(IoTransport.AUTO, null).name()).isEqualTo("nio");
    } finally {
      logger.detachAppender(lines);
      logger.setLevel(null);
    }
    assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage)
        .containsExactly("transport AUTO: io_uring unavailable (Java " + JAVA + " < 22); using NIO");
  }
}
