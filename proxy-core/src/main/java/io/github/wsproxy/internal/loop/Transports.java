package io.github.wsproxy.internal.loop;

import io.github.wsproxy.IoTransport;
import io.github.wsproxy.internal.config.AutoOverride;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves an {@link IoTransport} setting to the transport the event loops run on. The io_uring
 * transport is compiled only by a JDK 22+ (to Java 22 class files), so it is loaded by name, and
 * only on a Java 22+ runtime; its constructor says why it cannot run (the kernel refuses
 * io_uring_setup, native access is denied, ...) with an {@link UnsupportedOperationException}.
 */
public final class Transports {
  /** The system property that overrides {@link IoTransport#AUTO}: {@code NIO} or {@code IO_URING}. */
  public static final String AUTO_PROPERTY = "wsproxy.transport";
  private static final String URING_PROVIDER = "io.github.wsproxy.internal.uring.UringTransportProvider";
  private static final int URING_MIN_JAVA = 22;
  private static final Logger log = LoggerFactory.getLogger(Transports.class);

  private Transports() {}

  /**
   * The transport {@code choice} stands for here; AUTO reads the system property {@value
   * #AUTO_PROPERTY}.
   *
   * @throws IOException naming the setting when IO_URING is asked for (or forced by the system
   *     property) and cannot run, saying why
   * @throws IllegalArgumentException naming the system property when it is neither NIO nor IO_URING
   */
  public static TransportProvider provider(IoTransport choice) throws IOException {
    return provider(choice, System.getProperty(AUTO_PROPERTY));
  }

  /** {@link #provider(IoTransport)} with the system property's value given; null when it is not set. */
  static TransportProvider provider(IoTransport choice, String property) throws IOException {
    switch (choice) {
      case NIO:
        return new NioTransportProvider();
      case IO_URING:
        return uringOrFail("transport IO_URING");
      default:
        IoTransport forced = AutoOverride.forced("transport", AUTO_PROPERTY, property, IoTransport.class);
        if (forced != null) {
          String setting = AutoOverride.describe("transport", AUTO_PROPERTY, property);
          TransportProvider chosen = forced == IoTransport.NIO ? new NioTransportProvider() : uringOrFail(setting);
          log.info("{}: using {}", setting, chosen.name());
          return chosen;
        }
        try {
          TransportProvider uring = uring();
          log.info("transport AUTO: using io_uring");
          return uring;
        } catch (UnsupportedOperationException e) {
          log.info("transport AUTO: io_uring unavailable ({}); using NIO", e.getMessage());
          return new NioTransportProvider();
        }
    }
  }

  private static TransportProvider uringOrFail(String setting) throws IOException {
    try {
      return uring();
    } catch (UnsupportedOperationException e) {
      throw new IOException(setting + ": io_uring unavailable (" + e.getMessage() + ")", e);
    }
  }

  /**
   * A new io_uring provider.
   *
   * @throws UnsupportedOperationException saying why io_uring cannot run here
   */
  private static TransportProvider uring() {
    int java = Runtime.version().feature();
    if (java < URING_MIN_JAVA) {
      throw new UnsupportedOperationException("Java " + java + " < " + URING_MIN_JAVA);
    }
    try {
      return (TransportProvider) Class.forName(URING_PROVIDER).getConstructor().newInstance();
    } catch (ClassNotFoundException e) {
      throw new UnsupportedOperationException("this build has no io_uring transport (it was compiled by a JDK before "
          + URING_MIN_JAVA + ")", e);
    } catch (InvocationTargetException e) {
      Throwable why = e.getCause();
      throw new UnsupportedOperationException(
          why instanceof UnsupportedOperationException ? why.getMessage() : why.toString(), why);
    } catch (ReflectiveOperationException | LinkageError e) {
      throw new UnsupportedOperationException(e.toString(), e);
    }
  }
}
