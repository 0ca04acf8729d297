package io.github.wsproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Upstream groups, balance policies and health checks: immutable, validated, naming the bad setting. */
class UpstreamGroupConfigurationTest {

  @Test
  void refusesInvalidGroupSettingsNamingThem() {
    UpstreamGroup.Builder group = UpstreamGroup.builder();
    assertThatThrownBy(group::build).isInstanceOf(IllegalStateException.class).hasMessageContaining("primary server");
    assertThatThrownBy(() -> group.server("http://x", 1)).hasMessageStartingWith("upstream");
    assertThatThrownBy(() -> group.server("ws://127.0.0.1:1", 0)).hasMessageStartingWith("weight");
    assertThatThrownBy(() -> group.server("ws://127.0.0.1:1", 1001)).hasMessageStartingWith("weight");
    assertThatThrownBy(() -> group.maxConnections(-1)).hasMessageStartingWith("maxConnections");
    assertThatThrownBy(() -> group.maxTries(0)).hasMessageStartingWith("maxTries");
    assertThatThrownBy(() -> group.maxFails(-1)).hasMessageStartingWith("maxFails");
    assertThatThrownBy(() -> group.failTimeout(Duration.ZERO)).hasMessageStartingWith("failTimeout");
    group.server("ws://127.0.0.1:1", 2);
    assertThatThrownBy(() -> group.backup("ws://127.0.0.1:1")).hasMessageStartingWith("server");
    assertThatThrownBy(() -> UpstreamGroup.builder().backup("ws://127.0.0.1:2").build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("primary server");
    assertThatThrownBy(() -> Balance.hashHeader("X User")).hasMessageStartingWith("hashHeader");
    assertThatThrownBy(() -> Balance.hashCookie("")).hasMessageStartingWith("hashCookie");
    assertThatThrownBy(() -> Balance.hashQuery("a=b")).hasMessageStartingWith("hashQuery");
    assertThatThrownBy(() -> HealthCheck.webSocket("health")).hasMessageStartingWith("healthCheck path");
    assertThatThrownBy(() -> HealthCheck.tcp().interval(Duration.ofMillis(10)))
        .hasMessageStartingWith("healthCheck interval");
    assertThatThrownBy(() -> HealthCheck.tcp().timeout(Duration.ZERO)).hasMessageStartingWith("healthCheck timeout");
  }

  @Test
  void aSingleUpstreamUrlIsAGroupOfOneWithTheDefaults() {
    WsProxy proxy = WsProxy.builder().upstream("ws://127.0.0.1:9/base").build();

    UpstreamGroup group = proxy.upstreamGroup();
    assertThat(group.servers()).containsExactly(new UpstreamGroup.Server(URI.create("ws://127.0.0.1:9/base"), 1, false));
    assertThat(group.balance()).isEqualTo(Balance.roundRobin());
    assertThat(group.maxTries()).isEqualTo(1);
    assertThat(group.maxFails()).isEqualTo(1);
    assertThat(group.failTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(group.maxConnections()).isZero();
    assertThat(group.healthCheck()).isNull();
    assertThat(proxy.upstream()).hasToString("ws://127.0.0.1:9/base");
    assertThatThrownBy(proxy::upstreamStates).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void groupsAreImmutableAndDerivable() {
    UpstreamGroup.Builder builder = UpstreamGroup.builder().server("ws://127.0.0.1:1", 3).backup("ws://127.0.0.1:2")
        .balance(Balance.leastConnections()).maxTries(5);
    UpstreamGroup group = builder.build();
    builder.server("ws://127.0.0.1:3").balance(Balance.hashClientIp());

    assertThat(group.servers()).hasSize(2);
    assertThat(group.balance()).isEqualTo(Balance.leastConnections());
    assertThat(group.maxTries()).as("never more than the servers").isEqualTo(2);
    assertThat(group.newBuilder().server("ws://127.0.0.1:4").build().maxTries()).isEqualTo(3);
    assertThat(group.servers()).hasSize(2);
    assertThat(WsProxy.builder().upstream(group).build().upstreamGroup()).isSameAs(group);
  }

  @Test
  void healthChecksAreValuesWithDefaults() {
    HealthCheck check = HealthCheck.webSocket("/health");
    HealthCheck faster = check.interval(Duration.ofMillis(500));

    assertThat(check.interval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(check.timeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(faster.interval()).isEqualTo(Duration.ofMillis(500));
    assertThat(faster.path()).isEqualTo("/health");
    assertThat(HealthCheck.tcp().isTcp()).isTrue();
    assertThat(Balance.hashHeader("X-User")).isEqualTo(Balance.hashHeader("X-User")).isNotEqualTo(Balance.hashCookie("X-User"));
    assertThat(Balance.hashQuery("room")).hasToString("hash:query:room");
  }
}
