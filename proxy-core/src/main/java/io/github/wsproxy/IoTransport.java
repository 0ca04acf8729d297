package io.github.wsproxy;

/**
 * How the proxy's event loops do their socket I/O: the JDK's NIO selector (epoll on Linux), or
 * Linux's io_uring, which batches the system calls of a whole loop turn into one. Set it with
 * {@link WsProxy.Builder#transport(IoTransport)}; the transport in use is logged at start (INFO).
 *
 * <p>io_uring is reached through the JDK's Foreign Function &amp; Memory API, with no native library
 * shipped: it needs Java 22 or later, Linux 6.1 or later, and native access granted to this library
 * ({@code --enable-native-access=io.github.wsproxy} on the module path, {@code
 * --enable-native-access=ALL-UNNAMED} on the class path; the launcher jar's manifest grants it).
 */
public enum IoTransport {
  /**
   * The default: {@link #IO_URING} when this runtime and kernel support it, else {@link #NIO}. The
   * system property {@code wsproxy.transport} ({@code NIO} or {@code IO_URING}) overrides this
   * choice, for instance to compare both without a code change.
   */
  AUTO,
  /** The JDK's NIO selector: every Java 17+ runtime and operating system. */
  NIO,
  /**
   * io_uring (Linux, Java 22+); choosing it where it is not available fails at {@link
   * WsProxy#start()} with an {@link java.io.IOException} saying why.
   */
  IO_URING
}
