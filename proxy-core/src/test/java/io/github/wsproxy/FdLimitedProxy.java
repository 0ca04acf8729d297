package io.github.wsproxy;

import java.io.File;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * A proxy in a JVM of its own, for {@link DescriptorExhaustionTest} to run under {@code prlimit}:
 * proxies to the upstream URL of its argument (a group of servers, for several), prints {@code PORT <port>} once listening, logs to
 * stdout (logback-test.xml: WARN), and stops when its standard input ends.
 *
 * <p>It loads every class of the proxy first. Run from a jar, as the launcher is, a class loads
 * without a new file descriptor; from a directory of classes it needs one, and a class loaded for
 * the first time while descriptors are exhausted would fail with NoClassDefFoundError. Classes
 * compiled for a newer runtime than this one (the io_uring transport's) are skipped: this runtime
 * never loads them.
 */
public final class FdLimitedProxy {
  private FdLimitedProxy() {}

  public static void main(String[] args) throws Exception {
    loadProxyClasses();
    try (WsProxy proxy = WsProxy.builder()
        .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .upstream(group(args))
        .eventLoops(1)
        .handshakeTimeout(Duration.ofMinutes(5))
        .build()) {
      proxy.start();
      System.out.println("PORT " + proxy.port());
      System.out.flush();
      while (System.in.read() >= 0) {
        // until the test ends
      }
    }
  }

  private static UpstreamGroup group(String[] urls) {
    UpstreamGroup.Builder group = UpstreamGroup.builder();
    for (String url : urls) {
      group.server(url);
    }
    return group.build();
  }

  private static void loadProxyClasses() throws Exception {
    Path classes = Path.of(WsProxy.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    if (!Files.isDirectory(classes)) {
      return;
    }
    try (Stream<Path> files = Files.walk(classes)) {
      Stream<Path> classFiles = files.filter(f -> f.toString().endsWith(".class") && !f.endsWith("module-info.class"));
      for (Path file : (Iterable<Path>) classFiles::iterator) {
        String name = classes.relativize(file).toString().replace(File.separatorChar, '.');
        try {
          Class.forName(name.substring(0, name.length() - ".class".length()), false, FdLimitedProxy.class.getClassLoader());
        } catch (UnsupportedClassVersionError newerRuntimeOnly) {
          // the io_uring transport's classes (Java 22 class files): never loaded on an older runtime
        }
      }
    }
  }
}
