package io.github.wsproxy.internal.relay;

import io.github.wsproxy.internal.config.ProxySettings;
import io.github.wsproxy.internal.http.BodyFraming;
import io.github.wsproxy.internal.http.BodyScanner;
import io.github.wsproxy.internal.http.Forwarding;
import io.github.wsproxy.internal.http.HeadReader;
import io.github.wsproxy.internal.http.HttpHead;
import io.github.wsproxy.internal.http.MalformedHttpException;
import io.github.wsproxy.internal.http.Persistence;
import io.github.wsproxy.internal.http.PlainHeads;
import io.github.wsproxy.internal.http.Rejection;
import io.github.wsproxy.internal.intercept.RequestHandshake;
import io.github.wsproxy.internal.loop.BufferPool;
import io.github.wsproxy.internal.loop.Conduit;
import io.github.wsproxy.internal.upstream.UpstreamSelection;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One plain HTTP/1.1 exchange on a connected upstream: the request head (hop-by-hop fields dropped,
 * forwarding fields added, framing written once) and its body go upstream, the upstream's interim
 * (1xx) and final response come back, each body streamed as it arrives through a {@link
 * BodyScanner} that finds its end and checks its chunks: at most one pooled buffer per direction is
 * held, and only while its bytes wait for the other socket, which is then the only one read.
 *
 * <p>The response may start before the request's body is complete (the client's connection then
 * ends after it). The route's read timeout bounds the time between reads (long polls and
 * server-sent events are fine while bytes keep coming), its send timeout a write that cannot
 * proceed. A bad request body is answered 400 (413 over the limit) while no response has started; a
 * malformed or oversized response head 502; a failure once the response started ends the
 * client's connection, so a truncated body is never presented as complete.
 *
 * <p>Once its request is complete the client is still read, so that its leaving ends the exchange
 * (and the upstream connection) and what it sends next is kept for its next request.
 *
 * <p>When both messages are complete and both sides allow it, the client's connection is kept
 * for its next request (a {@link ClientHandshake} again, which may also be an upgrade); the
 * upstream connection is closed (it was asked to, as in nginx's recipe).
 */
final class HttpExchange extends Phase {
  private static final byte[] NONE = new byte[0];
  /** Methods a request may be sent again with (RFC 9110 §9.2.2). */
  private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE");

  private final ProxySettings config;
  private final HttpHead request;
  private final BufferPool buffers;
  private final UpstreamSelection upstreams;
  private final BodyScanner requestBody;
  /** Whether the request may be sent again: idempotent, without a body. */
  private final boolean replayable;
  /** Sends the request again on a new connection when the kept-alive one fails first; null when fresh. */
  private Consumer<byte[]> retry;
  /** Whether the upstream connection may be kept after the exchange (the proxy did not ask it to close). */
  private final boolean keepUpstream;
  /** Bytes waiting to be written upstream (the head, then pieces of the body); null when none. */
  private ByteBuffer toUpstream;
  /** What the client sent after this request's body: the start of its next request. */
  private byte[] nextRequest = NONE;
  /** What the client sends once its request is complete, while the response is on its way; null before. */
  private EarlyClientBytes following;

  private HeadReader responseHead;
  private BodyScanner responseBody;
  /** Bytes waiting to be written to the client; null when none. */
  private ByteBuffer toClient;
  /** Whether the final response's head has been queued for the client. */
  private boolean responseStarted;
  private boolean clientKeepsAlive;
  /** The proxy is shutting down or draining: the client's connection ends after this response. */
  private boolean goingAway;
  private HttpHead response;
  private BodyFraming responseFraming;
  /** The upstream sent bytes after its response: its connection is not reused. */
  private boolean upstreamOverran;

  /**
   * @param handshake what interceptors made of the request (target and fields); null when none ran
   * @param early what the client sent after the request head while the upstream was connected
   * @param retry sends the request again on a new connection, given what the client sent after it;
   *     null when this connection is new
   */
  HttpExchange(ConnectionPair pair, HttpHead request, BodyFraming framing, RequestHandshake handshake,
      UpstreamSelection upstreams, byte[] early, Consumer<byte[]> retry) {
    super(pair);
    this.config = pair.config;
    this.request = request;
    this.buffers = pair.loop.buffers();
    this.upstreams = upstreams;
    this.requestBody = new BodyScanner(framing, config.maxRequestBodyBytes(), config.maxHeaderBytes(), false);
    this.replayable = IDEMPOTENT.contains(request.first()) && requestBody.done();
    this.retry = retry;
    this.keepUpstream = pair.owner.upstreamKeepAlive().enabled();
    Forwarding forwarding = new Forwarding(config.preserveHost(), config.listenTls() != null,
        pair.owner.limits().trustedProxies());
    byte[] head = PlainHeads.upstreamRequest(request,
        pair.route().upstreamTarget(handshake == null ? request.second() : handshake.upstreamTarget()),
        handshake == null ? PlainHeads.forwardedRequestFields(request) : handshake.upstreamFields(),
        framing, forwarding, upstreams.current().url(), pair.clientAddress, keepUpstream, null);
    ByteBuffer earlyBody = ByteBuffer.wrap(early);
    int end = requestBody.scan(earlyBody, 0, early.length);
    int relayEnd = requestBody.relayEnd();
    nextRequest = Arrays.copyOfRange(early, end, early.length);
    pair.report.exchangeTraffic(end, 0);
    byte[] first = Arrays.copyOf(head, head.length + relayEnd);
    System.arraycopy(early, 0, first, head.length, relayEnd);
    toUpstream = ByteBuffer.wrap(first);
  }

  @Override
  void start() {
    upstreams.succeeded();
    responseHead = new HeadReader(config.maxHeaderBytes());
    progressed();
    if (requestBodyFailed()) {
      return;
    }
    pair.upstream().interest(Conduit.OP_READ, true);
    pumpRequest();
    if (pair.phase() == this) {
      pumpResponse();
    }
  }

  @Override
  String name() {
    return "http";
  }

  /** Shutdown or draining: the response in flight completes, then the client's connection ends. */
  @Override
  void goAway(String reason) {
    goingAway = true;
    pair.report.appendNote(reason);
  }

  @Override
  void onReady(Leg leg, int readyOps) {
    if (leg.direction.fromClient()) {
      if ((readyOps & Conduit.OP_WRITE) != 0) {
        pumpResponse();
      }
      if ((readyOps & Conduit.OP_READ) != 0 && pair.phase() == this) {
        pumpRequest();
      }
    } else {
      if ((readyOps & Conduit.OP_WRITE) != 0) {
        pumpRequest();
      }
      if ((readyOps & Conduit.OP_READ) != 0 && pair.phase() == this) {
        pumpResponse();
      }
    }
  }

  @Override
  void onDeadline(long now) {
    if (responseStarted) {
      pair.end("no progress within the read or send timeout during the response");
    } else if (!requestBody.done() && toUpstream == null) {
      pair.reject(Rejection.of(408, "request body not received within " + pair.route().timeouts().read()));
    } else {
      upstreams.timedOut();
      pair.reject(Rejection.of(504, "upstream did not answer within " + pair.route().timeouts().read()));
    }
  }

  // ---------------------------------------------------------------- client to upstream

  /** Moves the request's body upstream until it is complete or a socket must wait. */
  private void pumpRequest() {
    Leg client = pair.client;
    Leg upstream = pair.upstream();
    while (pair.phase() == this) {
      if (toUpstream != null) {
        try {
          if (!drain(toUpstream, upstream, client)) {
            return;
          }
        } catch (IOException e) {
          upstreamFailed("upstream failed while receiving the request: " + e.getMessage());
          return;
        }
        toUpstream = null;
      }
      if (requestBody.done()) {
        readAfterRequest();
        return;
      }
      ByteBuffer buffer = buffers.acquire();
      int n;
      try {
        n = client.read(buffer);
      } catch (IOException e) {
        buffers.release(buffer);
        clientFailed(e);
        return;
      }
      if (n <= 0) {
        buffers.release(buffer);
        if (n < 0) {
          pair.end("client left before its request body was complete");
        } else {
          client.interest(Conduit.OP_READ, true);
        }
        return;
      }
      buffer.flip();
      int end = requestBody.scan(buffer, 0, buffer.limit());
      pair.report.exchangeTraffic(end, 0);
      if (end < buffer.limit()) {
        nextRequest = new byte[buffer.limit() - end];
        buffer.get(end, nextRequest);
      }
      buffer.limit(requestBody.relayEnd());
      toUpstream = buffer;
      progressed();
      if (requestBodyFailed()) {
        return;
      }
    }
  }

  /**
   * While the response is on its way, the client is still read: so that a client that leaves ends
   * the exchange (as nginx's {@code proxy_ignore_client_abort off}), and what it sends meanwhile (its
   * next request) is kept for later, up to {@code maxHeaderBytes}; then it is not read until the
   * response is complete.
   */
  private void readAfterRequest() {
    if (following == null) {
      following = new EarlyClientBytes(pair.client, config.maxHeaderBytes(), nextRequest);
    }
    int n;
    try {
      n = following.read(buffers);
    } catch (IOException e) {
      clientFailed(e);
      return;
    }
    if (n < 0) {
      pair.end("client left before its response was complete");
      return;
    }
    pair.client.interest(Conduit.OP_READ, true);
    following.pauseWhenFull();
  }

  /** Answers a malformed (400) or too large (413) request body; true when it did. */
  private boolean requestBodyFailed() {
    BodyScanner.Stop stop = requestBody.stop();
    if (stop != BodyScanner.Stop.MALFORMED && stop != BodyScanner.Stop.TOO_LARGE) {
      return false;
    }
    release(toUpstream);
    toUpstream = null;
    if (responseStarted) {
      pair.end("request body: " + (stop == BodyScanner.Stop.TOO_LARGE ? "too large" : requestBody.error()));
    } else if (stop == BodyScanner.Stop.TOO_LARGE) {
      pair.reject(Rejection.of(413, "request body larger than " + config.maxRequestBodyBytes() + " bytes"));
    } else {
      pair.reject(Rejection.of(400, "malformed request body: " + requestBody.error()));
    }
    return true;
  }

  // ---------------------------------------------------------------- upstream to client

  /** Moves the response to the client until it is complete or a socket must wait. */
  private void pumpResponse() {
    Leg client = pair.client;
    Leg upstream = pair.upstream();
    while (pair.phase() == this) {
      if (toClient != null) {
        try {
          if (!drain(toClient, client, upstream)) {
            return;
          }
        } catch (IOException e) {
          clientFailed(e);
          return;
        }
        toClient = null;
      }
      if (responseBody != null && responseBody.done()) {
        exchangeDone();
        return;
      }
      ByteBuffer buffer = buffers.acquire();
      int n;
      try {
        n = upstream.read(buffer);
      } catch (IOException e) {
        buffers.release(buffer);
        upstreamFailed("upstream failed during the response: " + e.getMessage());
        return;
      }
      if (n <= 0) {
        buffers.release(buffer);
        if (n < 0) {
          upstreamClosed();
        } else {
          upstream.interest(Conduit.OP_READ, true);
        }
        return;
      }
      buffer.flip();
      progressed();
      if (responseBody == null) {
        responseHead.append(buffer);
        buffers.release(buffer);
        readResponseHeads();
      } else {
        relayResponseBody(buffer, 0);
      }
    }
  }

  /** Handles every complete head the upstream sent: interim ones go to the client, the final one starts the body. */
  private void readResponseHeads() {
    while (responseBody == null && pair.phase() == this) {
      if (responseHead.overLimit()) {
        badUpstream("upstream response head larger than " + config.maxHeaderBytes() + " bytes");
        return;
      }
      if (!responseHead.complete()) {
        return;
      }
      BodyFraming framing;
      byte[] clientHead;
      boolean interim;
      try {
        response = responseHead.parse(true);
        interim = response.second().startsWith("1");
        if (response.second().equals("101")) {
          throw new MalformedHttpException("101 to a request without an upgrade");
        }
        framing = BodyFraming.ofResponse(response, request.first());
        boolean http10Client = request.third().equals("HTTP/1.0");
        clientKeepsAlive = !interim && !goingAway && requestBody.done() && Persistence.clientMayContinue(request, framing);
        String affinity = interim ? null : pair.affinityCookieField(request);
        clientHead = PlainHeads.clientResponse(response, http10Client && framing.kind() == BodyFraming.Kind.CHUNKED,
            clientKeepsAlive || interim, null, affinity == null ? List.of() : List.of(affinity));
        if (interim && http10Client) {
          clientHead = NONE; // an HTTP/1.0 client knows no interim responses
        }
      } catch (MalformedHttpException e) {
        badUpstream("malformed upstream response: " + e.getMessage());
        return;
      }
      byte[] rest = responseHead.remainder();
      if (interim) {
        responseHead = new HeadReader(config.maxHeaderBytes());
        responseHead.append(ByteBuffer.wrap(rest));
        pair.report.exchangeTraffic(0, clientHead.length);
        queueToClient(ByteBuffer.wrap(clientHead));
        continue;
      }
      responseStarted = true;
      responseFraming = framing;
      pair.report.status(Integer.parseInt(response.second()));
      responseBody = new BodyScanner(framing, 0, config.maxHeaderBytes(),
          request.third().equals("HTTP/1.0") && framing.kind() == BodyFraming.Kind.CHUNKED);
      byte[] first = Arrays.copyOf(clientHead, clientHead.length + rest.length);
      System.arraycopy(rest, 0, first, clientHead.length, rest.length);
      relayResponseBody(ByteBuffer.wrap(first), clientHead.length);
    }
  }

  /** Queues {@code buffer[0, from)} (a head, or nothing) and the body bytes after it, as far as the body goes. */
  private void relayResponseBody(ByteBuffer buffer, int from) {
    upstreamOverran |= responseBody.scan(buffer, from, buffer.limit()) < buffer.limit();
    if (responseBody.stop() == BodyScanner.Stop.MALFORMED) {
      release(buffer);
      pair.end("malformed upstream response body: " + responseBody.error());
      return;
    }
    buffer.limit(responseBody.relayEnd());
    pair.report.exchangeTraffic(0, buffer.remaining());
    queueToClient(buffer);
  }

  private void queueToClient(ByteBuffer buffer) {
    if (toClient == null) {
      toClient = buffer;
      return;
    }
    // an interim head still waits: the two go out together
    ByteBuffer both = ByteBuffer.allocate(toClient.remaining() + buffer.remaining());
    both.put(toClient).put(buffer).flip();
    release(toClient);
    release(buffer);
    toClient = both;
  }

  /** The upstream closed its connection. */
  private void upstreamClosed() {
    if (responseBody != null && responseBody.endOfInput()) {
      pumpResponse(); // a body read until the close is complete
    } else if (responseStarted) {
      pair.end("upstream closed the connection before its response was complete");
    } else {
      upstreamFailed("upstream closed the connection before its response");
    }
  }

  private void upstreamFailed(String reason) {
    if (retry != null && replayable && !responseStarted && responseHead.length() == 0) {
      Consumer<byte[]> again = retry;
      retry = null;
      pair.report.note("kept-alive upstream connection failed (" + reason + "), retried on a new one");
      again.accept(following == null ? nextRequest : following.take());
    } else if (responseStarted) {
      pair.end(reason);
    } else {
      upstreams.failed(reason);
      pair.reject(Rejection.of(502, reason));
    }
  }

  private void badUpstream(String reason) {
    if (responseStarted) {
      pair.end(reason);
    } else {
      pair.reject(Rejection.of(502, reason));
    }
  }

  // ---------------------------------------------------------------- the end of the exchange

  /** Both messages are complete and written: the client's next request, or the end. */
  private void exchangeDone() {
    pair.report.exchangeDone(upstreams);
    if (following != null) {
      nextRequest = following.take();
    }
    boolean reusable = keepUpstream && !upstreamOverran && toUpstream == null
        && Persistence.upstreamReusable(false, response, responseFraming, requestBody.done() && responseBody.done());
    if (clientKeepsAlive && !goingAway) {
      pair.keepAlive(nextRequest, reusable);
    } else {
      pair.closeAfterExchange(reusable);
    }
  }

  /**
   * Writes {@code pending} to {@code to}. True once all of it (and the transport's own bytes) went
   * out: the buffer is released. False while some must wait: {@code from} is not read meanwhile,
   * {@code to}'s writability is awaited, and the send timeout runs.
   */
  private boolean drain(ByteBuffer pending, Leg to, Leg from) throws IOException {
    if (pending.hasRemaining()) {
      to.write(pending);
    }
    if (pending.hasRemaining() || !to.flushTransport()) {
      from.interest(Conduit.OP_READ, false);
      to.interest(Conduit.OP_WRITE, true);
      pair.timers.deadlineIn(pair.route().timeouts().send());
      return false;
    }
    release(pending);
    to.interest(Conduit.OP_WRITE, false);
    progressed();
    return true;
  }

  /** Returns a pooled buffer; buffers wrapping heads are left to the garbage collector. */
  private void release(ByteBuffer buffer) {
    if (buffer != null && buffer.isDirect()) {
      buffers.release(buffer);
    }
  }

  /** Bytes moved: the read timeout starts again. */
  private void progressed() {
    pair.timers.deadlineIn(pair.route().timeouts().read());
  }
}
