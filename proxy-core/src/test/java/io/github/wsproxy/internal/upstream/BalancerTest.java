package io.github.wsproxy.internal.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.Balance;
import io.github.wsproxy.UpstreamGroup;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The balancing policies, without sockets: which server each pick chooses. */
class BalancerTest {
  private static final int KEYS = 10_000;
  private final UpstreamResolver resolver = new UpstreamResolver();

  @AfterEach
  void stopResolver() {
    resolver.shutdown();
  }

  @Test
  void smoothRoundRobinInterleavesByWeight() {
    UpstreamPool pool = pool(Balance.roundRobin(), List.of("ws://127.0.0.1:8001", "ws://127.0.0.1:8002", "ws://127.0.0.1:8003"),
        5, 1, 1);

    StringBuilder order = new StringBuilder();
    for (int i = 0; i < 14; i++) {
      order.append((char) ('a' + pickAndRelease(pool, null)));
    }

    assertThat(order).hasToString("aabacaaaabacaa");
  }

  @Test
  void leastConnectionsPicksTheServerWithFewestConnectionsPerWeight() {
    UpstreamPool pool = pool(Balance.leastConnections(), List.of("ws://127.0.0.1:8001", "ws://127.0.0.1:8002"), 2, 1);
    List<Integer> picks = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      picks.add(pool.pick(new boolean[2], null, System.nanoTime()).index);
    }

    assertThat(picks.stream().filter(i -> i == 0).count()).isEqualTo(4);
    assertThat(pool.servers()[0].active()).isEqualTo(4);
    assertThat(pool.servers()[1].active()).isEqualTo(2);
  }

  @Test
  void consistentHashAgreesAcrossIndependentlyBuiltPools() {
    List<String> urls = servers(5);
    UpstreamPool one = pool(Balance.hashHeader("X-User"), urls);
    UpstreamPool other = pool(Balance.hashHeader("X-User"), urls);
    int[] perServer = new int[urls.size()];

    for (int k = 0; k < KEYS; k++) {
      int chosen = pickAndRelease(one, "user-" + k);
      assertThat(pickAndRelease(other, "user-" + k)).as("key user-%d", k).isEqualTo(chosen);
      perServer[chosen]++;
    }

    for (int count : perServer) {
      assertThat(count).isBetween(KEYS / 5 * 8 / 10, KEYS / 5 * 12 / 10);
    }
  }

  @Test
  void consistentHashIsAFunctionOfTheServerUrlsNotOfTheirOrder() {
    List<String> urls = servers(4);
    List<String> reversed = new ArrayList<>(urls);
    java.util.Collections.reverse(reversed);
    UpstreamPool one = pool(Balance.hashClientIp(), urls);
    UpstreamPool other = pool(Balance.hashClientIp(), reversed);

    for (int k = 0; k < 1000; k++) {
      String key = "key" + k;
      assertThat(one.servers()[pickAndRelease(one, key)].url())
          .isEqualTo(other.servers()[pickAndRelease(other, key)].url());
    }
  }

  @Test
  void removingOneOfFiveServersRemapsOnlyTheKeysItHeld() {
    List<String> five = servers(5);
    Map<String, String> before = assignment(pool(Balance.hashCookie("sid"), five));
    Map<String, String> after = assignment(pool(Balance.hashCookie("sid"), five.subList(0, 4)));
    String removed = five.get(4);

    long moved = before.keySet().stream().filter(k -> !before.get(k).equals(after.get(k))).count();
    long heldByRemoved = before.values().stream().filter(removed::equals).count();

    assertThat(moved).isEqualTo(heldByRemoved);
    assertThat(moved / (double) KEYS).isCloseTo(1 / 5.0, org.assertj.core.data.Offset.offset(0.03));
  }

  @Test
  void addingASixthServerMovesAboutASixthOfTheKeysAllToTheNewServer() {
    List<String> six = servers(6);
    Map<String, String> before = assignment(pool(Balance.hashQuery("room"), six.subList(0, 5)));
    Map<String, String> after = assignment(pool(Balance.hashQuery("room"), six));

    List<String> movedTo = new ArrayList<>();
    before.forEach((key, server) -> {
      if (!server.equals(after.get(key))) {
        movedTo.add(after.get(key));
      }
    });

    assertThat(movedTo).containsOnly(six.get(5));
    assertThat(movedTo.size() / (double) KEYS).isCloseTo(1 / 6.0, org.assertj.core.data.Offset.offset(0.03));
  }

  @Test
  void consistentHashHonoursWeights() {
    UpstreamPool pool = pool(Balance.hashHeader("X-User"), servers(2), 3, 1);
    int first = 0;
    for (int k = 0; k < KEYS; k++) {
      first += pickAndRelease(pool, "u" + k) == 0 ? 1 : 0;
    }

    assertThat(first / (double) KEYS).isCloseTo(0.75, org.assertj.core.data.Offset.offset(0.03));
  }

  @Test
  void failoverOrderOfAKeyIsTheSameOnEveryInstance() {
    List<String> urls = servers(5);
    UpstreamPool one = pool(Balance.hashHeader("X-User"), urls);
    UpstreamPool other = pool(Balance.hashHeader("X-User"), urls);
    for (int k = 0; k < 1000; k++) {
      boolean[] triedOne = new boolean[5];
      boolean[] triedOther = new boolean[5];
      for (int attempt = 0; attempt < 5; attempt++) {
        ServerState a = one.pick(triedOne, "k" + k, System.nanoTime());
        ServerState b = other.pick(triedOther, "k" + k, System.nanoTime());
        assertThat(a.index).isEqualTo(b.index);
        triedOne[a.index] = true;
        triedOther[b.index] = true;
        a.release();
        b.release();
      }
    }
  }

  private Map<String, String> assignment(UpstreamPool pool) {
    Map<String, String> assignment = new HashMap<>();
    for (int k = 0; k < KEYS; k++) {
      String key = "session-" + k;
      assignment.put(key, pool.servers()[pickAndRelease(pool, key)].url().toString());
    }
    return assignment;
  }

  private static int pickAndRelease(UpstreamPool pool, String key) {
    ServerState chosen = pool.pick(new boolean[pool.size()], key, System.nanoTime());
    chosen.release();
    return chosen.index;
  }

  private static List<String> servers(int n) {
    List<String> urls = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      urls.add("ws://127.0.0.1:" + (8000 + i));
    }
    return urls;
  }

  private UpstreamPool pool(Balance balance, List<String> urls, int... weights) {
    UpstreamGroup.Builder group = UpstreamGroup.builder().balance(balance);
    for (int i = 0; i < urls.size(); i++) {
      group.server(urls.get(i), weights.length == 0 ? 1 : weights[i]);
    }
    return new UpstreamPool(group.build(), resolver);
  }
}
