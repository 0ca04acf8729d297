package io.github.wsproxy.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StatsTest {

  @Test
  void percentilesAreNearestRank() {
    long[] sorted = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    assertThat(Stats.percentile(sorted, 0.50)).isEqualTo(5);
    assertThat(Stats.percentile(sorted, 0.99)).isEqualTo(10);
    assertThat(Stats.percentile(sorted, 0.10)).isEqualTo(1);
    assertThat(Stats.percentile(new long[] {7}, 0.99)).isEqualTo(7);
    assertThat(Stats.percentile(new long[0], 0.5)).isNaN();
  }

  @Test
  void medianOfOddAndEvenCountsSkippingNaN() {
    assertThat(Stats.median(3, 1, 2)).isEqualTo(2);
    assertThat(Stats.median(4, 1, 3, 2)).isEqualTo(2.5);
    assertThat(Stats.median(5, Double.NaN, 1)).isEqualTo(3);
    assertThat(Stats.median(Double.NaN)).isNaN();
  }
}
