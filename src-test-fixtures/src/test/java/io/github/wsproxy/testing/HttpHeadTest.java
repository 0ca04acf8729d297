package io.github.wsproxy.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HttpHeadTest {

  @Test
  void readsResponseWithBodyAndLeavesTheRest() throws IOException {
    String wire = "HTTP/1.1 403 Forbidden\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 4\r\n\r\nnopeREST";
    InputStream in = new ByteArrayInputStream(wire.getBytes(StandardCharsets.ISO_8859_1));
    HttpHead head = HttpHead.read(in);
    assertThat(head.statusCode()).isEqualTo(403);
    assertThat(head.reason()).isEqualTo("Forbidden");
    assertThat(head.header("X-A")).isEqualTo("1");
    assertThat(head.headers("x-A")).containsExactly("1", "2");
    assertThat(head.bodyText()).isEqualTo("nope");
    assertThat(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1)).isEqualTo("REST");
    assertThat(head.method()).isNull();
  }

  @Test
  void readsRequest() throws IOException {
    String wire = "GET /a?b=c HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\n\r\n";
    HttpHead head = HttpHead.read(new ByteArrayInputStream(wire.getBytes(StandardCharsets.UTF_8)));
    assertThat(head.isResponse()).isFalse();
    assertThat(head.method()).isEqualTo("GET");
    assertThat(head.target()).isEqualTo("/a?b=c");
    assertThat(head.statusCode()).isEqualTo(-1);
    assertThat(head.header("missing")).isNull();
    assertThat(head.headerHasToken("connection", "upgrade")).isTrue();
    assertThat(head.body()).isEmpty();
    assertThat(new String(head.toBytes(), StandardCharsets.UTF_8))
        .isEqualTo("GET /a?b=c HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\n\r\n");
  }
}
