package io.github.wsproxy.examples.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Figures of a process and all its descendants (nginx's master and workers) from {@code /proc}:
 * CPU time (utime + stime), resident set size, threads and open file descriptors, summed.
 *
 * @param cpuTicks utime + stime in clock ticks ({@code USER_HZ}, 100 per second on Linux)
 * @param rssKib VmRSS in KiB
 * @param threads the Threads line
 * @param openFiles entries of {@code /proc/PID/fd}
 */
public record ProcStats(long cpuTicks, long rssKib, long threads, long openFiles) {
  /** Clock ticks per second of the CPU times in {@code /proc/PID/stat} (USER_HZ). */
  public static final int TICKS_PER_SECOND = 100;

  /** The figures of {@code pid} and its descendants, summed; processes that vanish meanwhile count 0. */
  public static ProcStats of(long pid) {
    List<Long> pids = new ArrayList<>();
    pids.add(pid);
    ProcessHandle.of(pid).ifPresent(p -> p.descendants().forEach(d -> pids.add(d.pid())));
    long cpu = 0;
    long rss = 0;
    long threads = 0;
    long files = 0;
    for (long each : pids) {
      Path dir = Path.of("/proc", Long.toString(each));
      try {
        cpu += cpuTicks(Files.readString(dir.resolve("stat")));
        String status = Files.readString(dir.resolve("status"));
        rss += statusField(status, "VmRSS");
        threads += statusField(status, "Threads");
        try (Stream<Path> fds = Files.list(dir.resolve("fd"))) {
          files += fds.count();
        }
      } catch (NoSuchFileException gone) {
        // exited between listing and reading
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return new ProcStats(cpu, rss, threads, files);
  }

  /**
   * CPU time (utime + stime, in clock ticks) of the JIT compiler threads of process {@code pid}
   * ({@code C1 CompilerThread0}, {@code C2 CompilerThread0}, ...): the part of a JVM's CPU that is
   * warm-up rather than work, 0 for a process without them (nginx).
   */
  public static long compilerTicks(long pid) {
    long ticks = 0;
    try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          String stat = Files.readString(task.resolve("stat"));
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          if (name.matches("C[12] CompilerThre.*")) {
            ticks += cpuTicks(stat);
          }
        } catch (NoSuchFileException gone) {
          // the thread ended between listing and reading
        }
      }
    } catch (NoSuchFileException gone) {
      return 0;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return ticks;
  }

  /** CPU time in seconds. */
  public double cpuSeconds() {
    return cpuTicks / (double) TICKS_PER_SECOND;
  }

  /**
   * utime + stime (fields 14 and 15) of a {@code /proc/PID/stat} line; the command name (field 2)
   * is in parentheses and may itself contain spaces and parentheses, so fields are counted after
   * the last ')'.
   */
  static long cpuTicks(String statLine) {
    int end = statLine.lastIndexOf(')');
    if (end < 0) {
      throw new IllegalArgumentException("not a /proc/PID/stat line: " + statLine);
    }
    String[] fields = statLine.substring(end + 1).trim().split("\\s+");
    // fields[0] is field 3 (state), so field n is fields[n - 3]
    if (fields.length < 13) {
      throw new IllegalArgumentException("too few fields in /proc/PID/stat line: " + statLine);
    }
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }

  /** The number of a {@code Name:   123 kB} line of {@code /proc/PID/status} (kB dropped). */
  static long statusField(String status, String name) {
    for (String line : status.split("\n")) {
      if (line.startsWith(name + ":")) {
        String value = line.substring(name.length() + 1).trim();
        int space = value.indexOf(' ');
        return Long.parseLong(space < 0 ? value : value.substring(0, space));
      }
    }
    throw new IllegalArgumentException("no " + name + " line in /proc/PID/status");
  }
}
