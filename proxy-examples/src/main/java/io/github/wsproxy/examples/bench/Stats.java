package io.github.wsproxy.examples.bench;

import java.util.Arrays;

/** Order statistics for the benchmarks. */
final class Stats {
  private Stats() {}

  /**
   * The nearest-rank percentile of sorted values: the smallest value with at least {@code fraction}
   * of all values at or below it; NaN when there are none.
   */
  static double percentile(long[] sorted, double fraction) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(fraction * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  /** The median of the values (the mean of the middle two for an even count), NaN for none; NaNs are skipped. */
  static double median(double... values) {
    double[] sorted = Arrays.stream(values).filter(v -> !Double.isNaN(v)).sorted().toArray();
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int mid = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }
}
