package io.github.wsproxy.internal.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RejectionTest {

  @Test
  void recognisesTheJdksMessagesOfEmfileAndEnfileAlsoAsACause() {
    assertThat(Rejection.outOfDescriptors(new IOException("Too many open files"))).isTrue();
    assertThat(Rejection.outOfDescriptors(new IOException("Too many open files in system"))).isTrue();
    assertThat(Rejection.outOfDescriptors(
        new IOException("cannot open socket", new IOException("Too many open files")))).isTrue();
  }

  @Test
  void doesNotTakeOtherConnectFailuresForLackOfDescriptors() {
    assertThat(Rejection.outOfDescriptors(new ConnectException("Connection refused"))).isFalse();
    assertThat(Rejection.outOfDescriptors(new IOException((String) null))).isFalse();
    assertThat(Rejection.outOfDescriptors(new IOException("open files: too many"))).isFalse();
  }

  @Test
  void answersLackOfDescriptorsWith503AndRetryAfter() {
    Rejection rejection = Rejection.overloaded(new IOException("Too many open files"));

    String response = new String(rejection.toBytes(), StandardCharsets.ISO_8859_1);
    assertThat(rejection.status()).isEqualTo(503);
    assertThat(response).startsWith("HTTP/1.1 503 Service Unavailable\r\n");
    assertThat(response).contains("\r\nRetry-After: 1\r\n", "\r\nConnection: close\r\n");
    assertThat(rejection.reason()).contains("Too many open files");
  }
}
