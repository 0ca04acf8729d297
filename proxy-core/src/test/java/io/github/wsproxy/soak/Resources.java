package io.github.wsproxy.soak;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What the JVM holds at one moment: threads, open file descriptors, heap in use (after a GC) and
 * direct buffer memory.
 *
 * @param threads live threads
 * @param proxyThreads live threads whose name starts with {@code wsproxy-}
 * @param fds entries of {@code /proc/self/fd}
 * @param heapBytes heap in use, measured right after {@link System#gc()}
 * @param directBytes direct buffer memory in use
 */
record Resources(int threads, List<String> proxyThreads, long fds, long heapBytes, long directBytes) {
  private static final long GC_INTERVAL_NANOS = 200_000_000L;
  private static long lastGc;

  /** Takes a snapshot right after a garbage collection. */
  static Resources now() {
    collectGarbage(0);
    return snapshot();
  }

  /** Takes a snapshot to poll: garbage is collected first, at most every 200 ms. */
  static Resources polled() {
    collectGarbage(GC_INTERVAL_NANOS);
    return snapshot();
  }

  private static Resources snapshot() {
    Set<Thread> all = Thread.getAllStackTraces().keySet();
    List<String> proxy = all.stream().map(Thread::getName).filter(n -> n.startsWith("wsproxy-")).sorted()
        .collect(Collectors.toList());
    long direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
        .filter(pool -> pool.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
    return new Resources(all.size(), proxy, openFds(),
        ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), direct);
  }

  /** Live threads whose name contains {@code part}. */
  static Set<Thread> threadsNamed(String part) {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().contains(part))
        .collect(Collectors.toSet());
  }

  private static synchronized void collectGarbage(long interval) {
    long now = System.nanoTime();
    if (interval == 0 || now - lastGc > interval) {
      System.gc();
      lastGc = System.nanoTime();
    }
  }

  private static long openFds() {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return "threads=" + threads + " wsproxy=" + proxyThreads.size() + " fds=" + fds + " heap="
        + heapBytes / 1024 + "KiB direct=" + directBytes / 1024 + "KiB";
  }
}
