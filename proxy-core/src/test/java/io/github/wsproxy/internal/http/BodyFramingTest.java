package io.github.wsproxy.internal.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.wsproxy.internal.http.BodyFraming.Kind;
import org.junit.jupiter.api.Test;

/** How request and response bodies are delimited, and the framings refused as smuggling attempts. */
class BodyFramingTest {

  @Test
  void requestWithoutLengthOrCodingHasNoBody() throws Exception {
    assertThat(BodyFraming.ofRequest(Heads.request("GET / HTTP/1.1\nHost: a"))).isEqualTo(new BodyFraming(Kind.NONE, -1));
    assertThat(BodyFraming.ofRequest(Heads.request("POST / HTTP/1.0"))).extracting(BodyFraming::kind).isEqualTo(Kind.NONE);
  }

  @Test
  void requestWithContentLengthHasThatMany() throws Exception {
    assertThat(BodyFraming.ofRequest(Heads.request("POST / HTTP/1.1\nContent-Length: 42")))
        .isEqualTo(new BodyFraming(Kind.LENGTH, 42));
    assertThat(BodyFraming.ofRequest(Heads.request("POST / HTTP/1.1\nContent-Length: 0")))
        .isEqualTo(new BodyFraming(Kind.LENGTH, 0));
  }

  @Test
  void identicalContentLengthsCollapseToOne() throws Exception {
    assertThat(BodyFraming.ofRequest(Heads.request("POST / HTTP/1.1\nContent-Length: 5\nContent-Length: 5")).length())
        .isEqualTo(5);
    assertThat(BodyFraming.ofRequest(Heads.request("POST / HTTP/1.1\nContent-Length: 5, 5")).length()).isEqualTo(5);
  }

  @Test
  void differingContentLengthsAreRefused() {
    assertMalformedRequest("POST / HTTP/1.1\nContent-Length: 5\nContent-Length: 6", "differing Content-Length values");
    assertMalformedRequest("POST / HTTP/1.1\nContent-Length: 5, 6", "differing Content-Length values");
  }

  @Test
  void contentLengthThatIsNotAPlainDecimalIsRefused() {
    for (String value : new String[] {"-1", "+5", "0x10", "5 5", "1e3", "99999999999999999999", "5;", ""}) {
      assertMalformedRequest("POST / HTTP/1.1\nContent-Length: " + value, "Content-Length");
    }
  }

  @Test
  void chunkedRequest() throws Exception {
    assertThat(BodyFraming.ofRequest(Heads.request("POST / HTTP/1.1\nTransfer-Encoding: chunked")))
        .isEqualTo(new BodyFraming(Kind.CHUNKED, -1));
    assertThat(BodyFraming.ofRequest(Heads.request("POST / HTTP/1.1\nTransfer-Encoding: gzip\nTransfer-Encoding: Chunked")).kind())
        .isEqualTo(Kind.CHUNKED);
  }

  @Test
  void contentLengthTogetherWithTransferEncodingIsRefused() {
    assertMalformedRequest("POST / HTTP/1.1\nContent-Length: 5\nTransfer-Encoding: chunked",
        "Content-Length together with Transfer-Encoding");
    assertMalformedResponse("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\nContent-Length: 5", "GET",
        "Content-Length together with Transfer-Encoding");
  }

  @Test
  void requestCodingNotEndingInChunkedIsRefused() {
    assertMalformedRequest("POST / HTTP/1.1\nTransfer-Encoding: gzip", "must end with chunked");
    assertMalformedRequest("POST / HTTP/1.1\nTransfer-Encoding: identity", "must end with chunked");
    assertMalformedRequest("POST / HTTP/1.1\nTransfer-Encoding: chunked, gzip", "chunked must be the last");
    assertMalformedRequest("POST / HTTP/1.1\nTransfer-Encoding: chunked\nTransfer-Encoding: chunked",
        "chunked must be the last");
    assertMalformedRequest("POST / HTTP/1.1\nTransfer-Encoding: ,", "empty Transfer-Encoding");
    assertMalformedRequest("POST / HTTP/1.1\nTransfer-Encoding: \"chunked\"", "malformed transfer coding");
    assertMalformedRequest("POST / HTTP/1.1\nTransfer-Encoding: x chunked", "malformed transfer coding");
  }

  @Test
  void transferEncodingInHttp10IsRefused() {
    assertMalformedRequest("POST / HTTP/1.0\nTransfer-Encoding: chunked", "HTTP/1.0");
    assertMalformedResponse("HTTP/1.0 200 OK\nTransfer-Encoding: chunked", "GET", "HTTP/1.0");
  }

  @Test
  void responsesThatNeverHaveABody() throws Exception {
    assertThat(BodyFraming.ofResponse(Heads.response("HTTP/1.1 200 OK\nContent-Length: 10"), "HEAD").kind())
        .isEqualTo(Kind.NONE);
    assertThat(BodyFraming.ofResponse(Heads.response("HTTP/1.1 200 OK\nTransfer-Encoding: chunked"), "HEAD").kind())
        .isEqualTo(Kind.NONE);
    assertThat(BodyFraming.ofResponse(Heads.response("HTTP/1.1 100 Continue"), "POST").kind()).isEqualTo(Kind.NONE);
    assertThat(BodyFraming.ofResponse(Heads.response("HTTP/1.1 103 Early Hints\nLink: </a>"), "GET").kind())
        .isEqualTo(Kind.NONE);
    assertThat(BodyFraming.ofResponse(Heads.response("HTTP/1.1 204 No Content"), "DELETE").kind()).isEqualTo(Kind.NONE);
    assertThat(BodyFraming.ofResponse(Heads.response("HTTP/1.1 304 Not Modified\nContent-Length: 99"), "GET").kind())
        .isEqualTo(Kind.NONE);
  }

  @Test
  void bodylessResponsesStillHaveTheirFramingFieldsChecked() {
    assertMalformedResponse("HTTP/1.1 200 OK\nContent-Length: 1, 2", "HEAD", "differing");
    assertMalformedResponse("HTTP/1.1 304 Not Modified\nContent-Length: x", "GET", "malformed Content-Length");
  }

  @Test
  void responseFramings() throws Exception {
    assertThat(BodyFraming.ofResponse(Heads.response("HTTP/1.1 200 OK\nContent-Length: 7"), "GET"))
        .isEqualTo(new BodyFraming(Kind.LENGTH, 7));
    assertThat(BodyFraming.ofResponse(Heads.response("HTTP/1.1 200 OK\nTransfer-Encoding: gzip, chunked"), "GET").kind())
        .isEqualTo(Kind.CHUNKED);
    assertThat(BodyFraming.ofResponse(Heads.response("HTTP/1.1 200 OK\nTransfer-Encoding: gzip"), "GET").kind())
        .as("a response coding not ending in chunked ends with the connection").isEqualTo(Kind.UNTIL_CLOSE);
    assertThat(BodyFraming.ofResponse(Heads.response("HTTP/1.1 200 OK"), "GET").kind()).isEqualTo(Kind.UNTIL_CLOSE);
    assertThat(BodyFraming.ofResponse(Heads.response("HTTP/1.0 404 Not Found"), "GET").kind()).isEqualTo(Kind.UNTIL_CLOSE);
  }

  @Test
  void responseWithChunkedNotLastIsRefused() {
    assertMalformedResponse("HTTP/1.1 200 OK\nTransfer-Encoding: chunked, gzip", "GET", "chunked must be the last");
  }

  @Test
  void declaredLengthOverTheLimitIsKnownBeforeTheBody() throws Exception {
    BodyFraming framing = BodyFraming.ofRequest(Heads.request("POST / HTTP/1.1\nContent-Length: 1025"));
    assertThat(framing.exceeds(1024)).isTrue();
    assertThat(framing.exceeds(1025)).isFalse();
    assertThat(framing.exceeds(0)).as("0 is no limit").isFalse();
    assertThat(BodyFraming.ofRequest(Heads.request("POST / HTTP/1.1\nTransfer-Encoding: chunked")).exceeds(1))
        .as("a chunked body is limited as it arrives").isFalse();
  }

  @Test
  void declaredLengthOfAHead() throws Exception {
    assertThat(BodyFraming.declaredLength(Heads.response("HTTP/1.1 200 OK"))).isEqualTo(-1);
    assertThat(BodyFraming.declaredLength(Heads.response("HTTP/1.1 200 OK\nContent-Length: 007"))).isEqualTo(7);
  }

  private static void assertMalformedRequest(String head, String message) {
    assertThatThrownBy(() -> BodyFraming.ofRequest(Heads.request(head)))
        .as(head).isInstanceOf(MalformedHttpException.class).hasMessageContaining(message);
  }

  private static void assertMalformedResponse(String head, String method, String message) {
    assertThatThrownBy(() -> BodyFraming.ofResponse(Heads.response(head), method))
        .as(head).isInstanceOf(MalformedHttpException.class).hasMessageContaining(message);
  }
}
