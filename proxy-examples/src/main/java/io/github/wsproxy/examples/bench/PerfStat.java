package io.github.wsproxy.examples.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * System calls and context switches of a process and its descendants (nginx's workers, the JVM's
 * threads) over a fixed window, counted by Linux perf: {@code perf stat -e
 * raw_syscalls:sys_enter,context-switches -p PIDS -- sleep SECONDS}, started when the window starts.
 */
final class PerfStat {
  /** What perf counted over the window. */
  record Counts(long syscalls, long contextSwitches) {}

  private final Process perf;

  private PerfStat(Process perf) {
    this.perf = perf;
  }

  /** Starts counting for {@code seconds} on {@code pid} and the processes below it. */
  static PerfStat start(long pid, double seconds) {
    List<Long> pids = new ArrayList<>();
    pids.add(pid);
    ProcessHandle.of(pid).ifPresent(p -> p.descendants().forEach(d -> pids.add(d.pid())));
    List<String> command = List.of("perf", "stat", "-x,", "-e", "raw_syscalls:sys_enter,context-switches",
        "-p", pids.stream().map(String::valueOf).collect(Collectors.joining(",")), "--", "sleep", String.valueOf(seconds));
    try {
      return new PerfStat(new ProcessBuilder(command).redirectErrorStream(true).start());
    } catch (IOException e) {
      throw new IllegalStateException("--perf on: cannot run perf (" + e.getMessage() + ")", e);
    }
  }

  /** Waits for the window to end and reads the counts; fails with perf's output when it counted nothing. */
  Counts await() throws IOException, InterruptedException {
    String output = new String(perf.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    perf.waitFor();
    long syscalls = -1;
    long switches = -1;
    for (String line : output.split("\n")) {
      String[] fields = line.split(",");
      if (fields.length > 2 && fields[0].matches("\\d+")) {
        switch (fields[2]) {
          case "raw_syscalls:sys_enter" -> syscalls = Long.parseLong(fields[0]);
          case "context-switches" -> switches = Long.parseLong(fields[0]);
          default -> { }
        }
      }
    }
    if (syscalls < 0 || switches < 0) {
      throw new IllegalStateException("--perf on: perf stat counted nothing:\n" + output);
    }
    return new Counts(syscalls, switches);
  }
}
