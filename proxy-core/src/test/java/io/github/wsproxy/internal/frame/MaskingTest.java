package io.github.wsproxy.internal.frame;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MaskingTest {

  @Test
  void keysAreFreshAcrossBatchesAndDifferPerLoop() {
    // Three batches of 1024 keys from the system source (/dev/urandom here): 32-bit keys from a
    // CSPRNG repeat within 3,072 draws with a probability of about 0.1%, so a handful of repeats
    // at most; a source read wrong (zeros, one batch reused, the same bytes for every loop) fails.
    Masking one = new Masking();
    Masking other = new Masking();
    int[] first = keys(one, 3 * 1024);
    int[] second = keys(other, 3 * 1024);
    Set<Integer> distinct = new HashSet<>();
    Arrays.stream(first).forEach(distinct::add);
    assertThat(distinct).as("distinct keys of 3,072").hasSizeGreaterThan(3_060);
    assertThat(Arrays.copyOfRange(first, 1024, 2048)).as("the second batch is not the first again")
        .isNotEqualTo(Arrays.copyOfRange(first, 0, 1024));
    assertThat(second).as("another loop's keys").isNotEqualTo(first);
    long ones = Arrays.stream(first).mapToLong(Integer::bitCount).sum();
    assertThat(ones / (32.0 * first.length)).as("share of one bits").isBetween(0.48, 0.52);
  }

  @Test
  void theKeystreamIsSeededAgainWithoutRepeatingItself() {
    // 258 batches of 1024 keys cross a re-seed (every 256 batches). 264,192 keys of 32 bits repeat
    // about 8 times by chance (n^2 / 2^33); a re-seed that restarted the same keystream, or a
    // counter that went back, would repeat whole batches: 1,024 keys at least.
    int[] keys = keys(new Masking(), 258 * 1024);
    Set<Integer> distinct = new HashSet<>();
    Arrays.stream(keys).forEach(distinct::add);
    assertThat(keys.length - distinct.size()).as("repeated keys").isLessThan(100);
  }

  private static int[] keys(Masking masking, int count) {
    int[] keys = new int[count];
    for (int i = 0; i < count; i++) {
      keys[i] = masking.nextKey();
    }
    return keys;
  }
}
