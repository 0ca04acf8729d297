package io.github.wsproxy.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProcStatsTest {

  @Test
  void cpuTicksAreUtimePlusStimeCountedAfterTheCommandName() {
    // a command name with spaces and parentheses must not shift the fields
    String stat = "4242 (nginx: wor) ker (x)) S 1 4242 4242 0 -1 4194624 1507 0 0 0 731 269 0 0 20 0 1 0 123 "
        + "23052288 2047 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0";
    assertThat(ProcStats.cpuTicks(stat)).isEqualTo(731 + 269);
  }

  @Test
  void aLineWithoutTheFieldsIsRejected() {
    assertThatThrownBy(() -> ProcStats.cpuTicks("4242 (java) S 1 2 3"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too few fields");
    assertThatThrownBy(() -> ProcStats.cpuTicks("garbage"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a /proc/PID/stat line");
  }

  @Test
  void statusFieldsAreReadWithoutTheirUnit() {
    String status = "Name:\tjava\nVmPeak:\t 9999 kB\nVmRSS:\t  125112 kB\nThreads:\t23\n";
    assertThat(ProcStats.statusField(status, "VmRSS")).isEqualTo(125112);
    assertThat(ProcStats.statusField(status, "Threads")).isEqualTo(23);
    assertThatThrownBy(() -> ProcStats.statusField(status, "VmSwap"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("VmSwap");
  }

  @Test
  void theCurrentProcessIsMeasured() {
    ProcStats self = ProcStats.of(ProcessHandle.current().pid());
    assertThat(self.rssKib()).isPositive();
    assertThat(self.threads()).isPositive();
    assertThat(self.openFiles()).isPositive();
  }
}
