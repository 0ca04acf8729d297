package io.github.wsproxy.examples.interceptors;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.WsProxyExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The message examples, each against a real upstream and a real client. */
class MessageExamplesTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  @Nested
  class Logger {
    final List<String> lines = new CopyOnWriteArrayList<>();

    @RegisterExtension
    WsProxyExtension proxy = WsProxyExtension.echo().interceptor(new JsonMessageLogger("password", lines::add));

    @Test
    void logsBothDirectionsWithTheFieldRedactedAndRelaysUnchanged() throws Exception {
      JdkTestClient client = proxy.connectJdk();
      String login = "{\"user\":\"ann\",\"auth\":{\"password\":\"hunter2\"}}";
      client.sendText(login);
      assertThat(client.awaitText(DEADLINE)).isEqualTo(login);
      client.sendText("not json");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("not json");

      assertThat(lines).hasSize(4);
      assertThat(lines.get(0)).endsWith("client->upstream {\"user\":\"ann\",\"auth\":{\"password\":\"***\"}}");
      assertThat(lines.get(1)).contains("upstream->client").contains("\"***\"").doesNotContain("hunter2");
      assertThat(lines.get(2)).endsWith("text 8 chars (not JSON)");
      assertThat(proxy.upstream().receivedTexts()).contains(login);
    }
  }

  @Nested
  class Limiter {
    @RegisterExtension
    WsProxyExtension proxy = WsProxyExtension.echo().interceptor(new RateLimiter(5, Duration.ofMinutes(1)));

    @Test
    void closesWith1008WhenAClientSendsFasterThanAllowed() throws Exception {
      JdkTestClient client = proxy.connectJdk();
      for (int i = 0; i < 6; i++) {
        client.sendText("m" + i);
      }
      assertThat(client.awaitClose(DEADLINE).code()).isEqualTo(1008);
      assertThat(proxy.upstream().awaitCloses(1, DEADLINE).get(0).code()).isEqualTo(1008);
      assertThat(proxy.upstream().receivedTexts()).containsExactly("m0", "m1", "m2", "m3", "m4");
    }

    @Test
    void otherConnectionsHaveTheirOwnBudget() throws Exception {
      JdkTestClient first = proxy.connectJdk();
      JdkTestClient second = proxy.connectJdk();
      for (int i = 0; i < 5; i++) {
        first.sendText("a" + i);
        second.sendText("b" + i);
      }
      for (int i = 0; i < 5; i++) {
        assertThat(first.awaitText(DEADLINE)).isEqualTo("a" + i);
        assertThat(second.awaitText(DEADLINE)).isEqualTo("b" + i);
      }
    }
  }

  @Nested
  class Renamer {
    @RegisterExtension
    WsProxyExtension proxy = WsProxyExtension.echo().interceptor(new JsonFieldRenamer("msg", "text"));

    @Test
    void renamesTheFieldOnTheWayUpAndBackOnTheWayDown() throws Exception {
      JdkTestClient client = proxy.connectJdk();
      client.sendText("{\"msg\":\"hello\",\"n\":1}");
      assertThat(proxy.upstream().awaitTexts(1, DEADLINE)).containsExactly("{\"n\":1,\"text\":\"hello\"}");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("{\"n\":1,\"msg\":\"hello\"}");
      client.sendText("[1,2]");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("[1,2]");
    }
  }

  @Nested
  class Topics {
    @RegisterExtension
    WsProxyExtension proxy = WsProxyExtension.echo().upstream(b -> b.onText((conn, text) -> { }))
        .interceptor(new TopicFilter());

    @Test
    void eachClientReceivesOnlyTheTopicsItSubscribedTo() throws Exception {
      JdkTestClient sports = proxy.connectJdk();
      JdkTestClient news = proxy.connectJdk();
      sports.sendText("{\"subscribe\":\"sports\"}");
      assertThat(sports.awaitText(DEADLINE)).isEqualTo("{\"subscribed\":[\"sports\"]}");
      news.sendText("{\"subscribe\":\"news\"}");
      assertThat(news.awaitText(DEADLINE)).isEqualTo("{\"subscribed\":[\"news\"]}");
      proxy.upstream().awaitOpenConnections(2, DEADLINE);

      proxy.upstream().sendTextToAll("{\"topic\":\"news\",\"n\":1}");
      proxy.upstream().sendTextToAll("{\"topic\":\"sports\",\"n\":2}");
      proxy.upstream().sendTextToAll("{\"note\":\"for everyone\"}");

      assertThat(sports.awaitText(DEADLINE)).isEqualTo("{\"topic\":\"sports\",\"n\":2}");
      assertThat(sports.awaitText(DEADLINE)).isEqualTo("{\"note\":\"for everyone\"}");
      assertThat(news.awaitText(DEADLINE)).isEqualTo("{\"topic\":\"news\",\"n\":1}");
      assertThat(news.awaitText(DEADLINE)).isEqualTo("{\"note\":\"for everyone\"}");
      assertThat(proxy.upstream().receivedTexts()).isEmpty();
    }
  }
}
