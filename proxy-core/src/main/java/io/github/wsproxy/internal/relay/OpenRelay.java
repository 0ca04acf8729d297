package io.github.wsproxy.internal.relay;

import io.github.wsproxy.CloseInfo;
import io.github.wsproxy.Interceptor;
import io.github.wsproxy.Message;
import io.github.wsproxy.internal.config.ProxySettings;
import io.github.wsproxy.internal.frame.CloseFrames;
import io.github.wsproxy.internal.frame.FrameEncoder;
import io.github.wsproxy.internal.frame.FrameScanner;
import io.github.wsproxy.internal.frame.WebSocketProtocol;
import io.github.wsproxy.internal.intercept.ConnectionHandle;
import io.github.wsproxy.internal.intercept.Direction;
import io.github.wsproxy.internal.intercept.InterceptorChain;
import io.github.wsproxy.internal.loop.Conduit;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open connection: two {@link Relay}s move frames, and the close handshake is relayed or, when
 * the proxy ends the connection itself, performed by the proxy on both legs. The relays, their
 * message pipelines and the {@link Timers} report here.
 *
 * <p>A side that violates the protocol is failed as a direct server would fail it: the other side
 * gets the close first, its traffic still reaches the violating side (nothing more is read from
 * that one) until its close arrives or the close timeout passes, and only then does the violating
 * side get its close; on the client's leg TCP ends as soon as that close is written.
 */
final class OpenRelay extends Phase {
  private static final Logger log = LoggerFactory.getLogger(OpenRelay.class);
  /** The payload of the proxy's own keepalive pings; pongs carrying it are not relayed. */
  private static final byte[] KEEPALIVE = "wsproxy-keepalive".getBytes(StandardCharsets.US_ASCII);

  private final ProxySettings config;
  private final boolean compression;
  private final String chosenProtocol;
  private byte[] earlyUpstreamBytes;
  private byte[] earlyClientBytes;
  private Relay toUpstream;
  private Relay toClient;
  /** Whether a close frame went one way or the proxy started closing: the close timeout runs. */
  private boolean closing;
  /** The side that violated the protocol, once one did; null before. */
  private Leg violator;
  /** The direction towards the violator while its close waits for the other side's; null otherwise. */
  private Relay toViolator;
  private int violationCode;
  private String violationReason;

  /**
   * @param earlyUpstreamBytes what the upstream sent after its 101, relayed first
   * @param earlyClientBytes what the client sent after its request, relayed first
   */
  OpenRelay(ConnectionPair pair, boolean compression, String chosenProtocol, byte[] earlyUpstreamBytes,
      byte[] earlyClientBytes) {
    super(pair);
    this.config = pair.config;
    this.compression = compression;
    this.chosenProtocol = chosenProtocol;
    this.earlyUpstreamBytes = earlyUpstreamBytes;
    this.earlyClientBytes = earlyClientBytes;
  }

  @Override
  void start() {
    pair.timers.relaying(this);
    toUpstream = newRelay(Direction.CLIENT_TO_UPSTREAM);
    toClient = newRelay(Direction.UPSTREAM_TO_CLIENT);
    if (compression) {
      toUpstream.scanner.allowCompression();
      toClient.scanner.allowCompression();
    }
    pair.client.interest(Conduit.OP_READ, true);
    pair.upstream().interest(Conduit.OP_READ, true);
    pair.report.reportOutcome(true);
    ConnectionHandle handle = pair.handle();
    if (handle != null) {
      handle.opened(chosenProtocol);
      pair.chain().openEach(handle, this::interceptorFailed);
    }
    byte[] fromUpstream = earlyUpstreamBytes;
    byte[] fromClient = earlyClientBytes;
    earlyUpstreamBytes = null;
    earlyClientBytes = null;
    if (!isOpen()) {
      return;
    }
    toClient.feed(fromUpstream);
    if (pair.phase() == this) {
      toUpstream.feed(fromClient);
    }
  }

  private Relay newRelay(Direction direction) {
    InterceptorChain chain = pair.chain();
    ConnectionHandle handle = pair.handle();
    boolean decoded = chain.decodes(direction);
    FrameScanner scanner = new FrameScanner(direction.fromClient(), config.maxMessageBytes(), config.validateUtf8(),
        decoded ? null : pair.loop.masking());
    scanner.limitFrames(config.maxFrameBytes());
    boolean pinged = !(direction.fromClient() ? config.clientPingInterval() : config.upstreamPingInterval()).isZero();
    if (pinged) {
      scanner.recognisePongs(KEEPALIVE);
    }
    MessagePipeline pipeline = decoded ? new MessagePipeline(this, handle, chain, direction) : null;
    Leg src = direction.fromClient() ? pair.client : pair.upstream();
    Leg dst = direction.fromClient() ? pair.upstream() : pair.client;
    return new Relay(this, src, dst, scanner, pair.loop.buffers(), pipeline, bytes -> handle.released(bytes));
  }

  @Override
  void onReady(Leg leg, int readyOps) {
    if ((readyOps & Conduit.OP_WRITE) != 0) {
      (leg.direction == Direction.CLIENT_TO_UPSTREAM ? toClient : toUpstream).flush();
    }
    if ((readyOps & Conduit.OP_READ) != 0 && !leg.isClosed() && pair.phase() == this) {
      (leg.direction == Direction.CLIENT_TO_UPSTREAM ? toUpstream : toClient).onReadable();
    }
  }

  /** The relay of this direction. */
  Relay relay(Direction direction) {
    return direction == Direction.CLIENT_TO_UPSTREAM ? toUpstream : toClient;
  }

  /** Whether the connection is open and not closing. */
  boolean isOpen() {
    return pair.phase() == this && !closing;
  }

  @Override
  String name() {
    return closing ? "closing" : "open";
  }

  /** Bytes and messages from the client, then from the upstream, so far. */
  long[] traffic() {
    return new long[] {toUpstream.bytes(), toUpstream.scanner.messages(), toClient.bytes(), toClient.scanner.messages()};
  }

  long now() {
    return pair.loop.now();
  }

  void touch() {
    pair.timers.touch();
  }

  void execute(Runnable task) {
    pair.execute(task);
  }

  // ---------------------------------------------------------------- what the relays report

  void onCloseFrame(Leg from, int code, String reason) {
    pair.report.initiatedBy(from.direction);
    pair.report.closeCode(from.direction, code);
    from.closeFrameReceived();
    startClosing();
    if (toViolator != null && toViolator.src == from) {
      sendViolatorClose();
    }
    closeLegIfDone(from);
  }

  void onCloseSent(Leg to) {
    to.closeFrameSent();
    if (to == violator) {
      if (to.direction.fromClient()) {
        to.close(false); // the proxy is the server of this leg: failing the connection ends TCP
      } else {
        relay(to.direction).resumeReading(); // its answer and its end of TCP, within the close timeout
      }
    }
    closeLegIfDone(to);
  }

  /**
   * {@code relay}'s source violated the protocol: the other side gets the close now, the violating
   * one once the other side's close has come (see the class comment).
   */
  void onViolation(Relay relay) {
    FrameScanner scanner = relay.scanner;
    if (closing && pair.phase() == this) {
      relay.sourceGone();
      relay.src.close(true);
      pair.finishIfBothClosed();
      return;
    }
    String reason = relay.src.name() + " " + scanner.violationReason();
    pair.report.note(reason);
    pair.report.endedByProxy();
    violator = relay.src;
    relay.stopReading();
    toViolator = relay(violator.direction.opposite());
    toViolator.replaceClose();
    violationCode = scanner.violationCode();
    violationReason = reason;
    sendOwnClose(relay, violationCode, reason);
    if (relay.endsMidFrame() || relay.dst.isClosed()) {
      sendViolatorClose(); // no close will come from the other side
    }
    pair.finishIfBothClosed();
  }

  /** The violating side gets its close, at the next frame boundary of what goes to it. */
  private void sendViolatorClose() {
    Relay towards = toViolator;
    if (towards != null) {
      toViolator = null;
      sendOwnClose(towards, violationCode, violationReason);
    }
  }

  /**
   * {@code relay}'s destination got what was relayed of a frame whose rest will never come: its TCP
   * connection ends without a close frame, which it must read as an abnormal closure.
   */
  void endedMidFrame(Relay relay) {
    Leg leg = relay.dst;
    pair.report.appendNote(leg.name() + " leg ended mid-frame, without a close frame");
    leg.close(false);
    if (toViolator != null && toViolator.src == leg) {
      sendViolatorClose();
    }
    pair.finishIfBothClosed();
  }

  void onEof(Leg leg) {
    if (leg.receivedCloseFrame()) {
      leg.close(false);
      pair.finishIfBothClosed();
      return;
    }
    vanished(leg, false);
  }

  void onLegFailed(Leg leg, IOException e) {
    log.debug("connection {}: {} failed", pair.id(), leg.name(), e);
    vanished(leg, true);
  }

  /** An interceptor threw or timed out: this connection ends with 1011. */
  void interceptorFailed(Interceptor interceptor, Throwable failure) {
    if (!isOpen()) {
      return;
    }
    log.error("connection {}: interceptor {} failed", pair.id(), interceptor, failure);
    pair.notifyError(failure);
    pair.report.note("interceptor " + interceptor + " failed: " + failure);
    pair.report.endedByProxy();
    closeBoth(WebSocketProtocol.CLOSE_INTERNAL_ERROR, "interceptor failed");
  }

  /** An interceptor's stage completed and the pipeline moved on: write what it produced. */
  void pipelineProgressed(Direction direction) {
    if (pair.phase() == this) {
      relay(direction).flush();
    }
  }

  /** A frame of the proxy's own, masked with a fresh key when it goes to the upstream. */
  ByteBuffer frame(Direction direction, int opcode, boolean fin, byte[] payload, int length) {
    boolean masked = direction.fromClient();
    return FrameEncoder.encode(opcode, fin, payload, 0, length, masked, masked ? pair.loop.masking().nextKey() : 0);
  }

  // ---------------------------------------------------------------- what the handle and the timers ask

  /** Queues an interceptor's message travelling in {@code direction}. */
  void inject(Direction direction, Message message, int bytes) {
    if (!isOpen()) {
      pair.handle().released(bytes);
      return;
    }
    byte[] payload = message.bytes();
    int opcode = message.isText() ? WebSocketProtocol.OPCODE_TEXT : WebSocketProtocol.OPCODE_BINARY;
    relay(direction).inject(frame(direction, opcode, true, payload, payload.length), bytes);
  }

  /** Closes both legs with this code and reason (an interceptor, the admin API). */
  void close(int code, String reason) {
    if (isOpen()) {
      pair.report.endedByProxy();
      closeBoth(code, reason);
    }
  }

  /**
   * The proxy goes away (a shutdown, a drained server): the upstream gets 1001 first, and the
   * client keeps receiving what the upstream sent before its close reply (the answers to messages
   * it already took), then that reply; so no message the upstream acknowledged is lost.
   */
  @Override
  void goAway(String reason) {
    if (isOpen()) {
      pair.report.endedByProxy();
      pair.report.initiatedBy(CloseInfo.Initiator.PROXY);
      pair.report.noteIfNone(reason);
      sendOwnClose(toUpstream, WebSocketProtocol.CLOSE_GOING_AWAY, reason);
    }
  }

  @Override
  void closeByAdmin(int code, String reason) {
    if (isOpen()) {
      pair.report.note("closed by the admin API");
      close(code, reason);
    }
  }

  /** A leg did not answer the proxy's ping within the pong timeout: it is treated as gone. */
  void stoppedAnsweringPings(Leg leg) {
    pair.report.note(leg.name() + " did not answer a ping within " + config.pongTimeout());
    vanished(leg, true, leg.name() + " stopped answering pings");
  }

  /** Sends a leg a keepalive ping. */
  void ping(Leg leg, long now) {
    leg.pingSentAt(now);
    Direction towards = leg.direction.opposite();
    relay(towards).sendPing(frame(towards, WebSocketProtocol.OPCODE_PING, true, KEEPALIVE, KEEPALIVE.length));
  }

  /** A leg stopped reading for longer than the send timeout: it is cut off, the other side gets a close. */
  void sendTimedOut(Leg leg) {
    pair.report.note("send timeout: " + leg.name() + " stopped reading");
    pair.report.endedByProxy();
    leg.close(true);
    pair.report.abnormalClose(leg.direction);
    closeOtherSide(leg, leg.name() + " send timeout");
  }

  /** A leg went away without a close frame: the other side gets a close. */
  void vanished(Leg leg, boolean reset) {
    vanished(leg, reset, leg.direction.fromClient() ? "client went away"
        : "upstream closed the connection without a close frame");
  }

  /**
   * A leg went away without a close frame, or is treated as gone: the other side gets a close with
   * {@code reason} (the violating side its violation's), or, when the frame relayed to it is
   * unfinished, what was relayed and then the end of TCP.
   */
  private void vanished(Leg leg, boolean reset, String reason) {
    pair.report.initiatedBy(leg.direction);
    pair.report.abnormalCloseIfNone(leg.direction);
    pair.report.noteIfNone(leg.name() + " vanished without a close frame");
    leg.close(reset);
    // The other leg may have been held back by the vanished one's backpressure: read it again, so
    // that its answer to the close frame it gets now comes through.
    relay(leg.direction.opposite()).resumeSource();
    relay(leg.direction).sourceGone();
    if (toViolator != null && toViolator.src == leg) {
      sendViolatorClose();
    } else {
      closeOtherSide(leg, reason);
    }
    pair.finishIfBothClosed();
  }

  /** The proxy ends the connection itself: both legs get a close frame. */
  void closeBoth(int code, String reason) {
    pair.report.initiatedBy(CloseInfo.Initiator.PROXY);
    pair.report.noteIfNone(reason);
    sendOwnClose(toClient, code, reason);
    sendOwnClose(toUpstream, code, reason);
    pair.finishIfBothClosed();
  }

  @Override
  void onDeadline(long now) {
    if (toViolator != null && !violator.isClosed()) {
      // the other side did not answer its close in time: the violating side gets its close now
      Leg other = toViolator.src;
      pair.report.appendNote(other.name() + " did not answer the close within " + config.closeTimeout());
      other.close(!other.sentCloseFrame());
      sendViolatorClose();
      pair.timers.deadlineIn(config.closeTimeout());
      pair.finishIfBothClosed();
      return;
    }
    boolean handshakeDone = pair.client.isClosed() && pair.upstream().closeHandshakeDone();
    pair.report.appendNote(handshakeDone
        ? "upstream kept its TCP connection open after the close handshake" : "close handshake timed out");
    noteUnfinishedFrame(toUpstream);
    noteUnfinishedFrame(toClient);
    pair.finish();
  }

  /** The close timeout ends {@code relay}'s destination; when its frame in flight is unfinished, the log says so. */
  private void noteUnfinishedFrame(Relay relay) {
    if (relay.waitsForFrameEnd() && !relay.dst.isClosed()) {
      pair.report.appendNote(relay.dst.name() + " leg ended mid-frame: the frame in flight did not finish"
          + " within the close timeout");
    }
  }

    /** Returns the relays' buffers; the connection is finished. */
  void release() {
    toUpstream.release();
    toClient.release();
  }

  /** The side opposite {@code gone} gets a close frame: 1001 for the upstream, 1011 for the client. */
  private void closeOtherSide(Leg gone, String reason) {
    if (gone.direction.fromClient()) {
      sendOwnClose(toUpstream, WebSocketProtocol.CLOSE_GOING_AWAY, reason);
    } else {
      sendOwnClose(toClient, WebSocketProtocol.CLOSE_INTERNAL_ERROR, reason);
    }
  }

  /** {@code relay}'s destination gets a close of the proxy's own, at a frame boundary (see {@link Relay}). */
  private void sendOwnClose(Relay relay, int code, String reason) {
    startClosing();
    Leg dst = relay.dst;
    if (dst.isClosed() || dst.sentCloseFrame() || relay.hasPendingClose() || relay.endsMidFrame()) {
      if (!relay.waitsForFrameEnd()) {
        relay.stopForwarding();
      }
      return;
    }
    relay.closeAtFrameBoundary(CloseFrames.of(code, reason, !dst.direction.fromClient(), pair.loop.masking().nextKey()));
  }

  private void startClosing() {
    if (pair.handle() != null) {
      pair.handle().closing();
    }
    if (isOpen()) {
      closing = true;
      pair.timers.deadlineIn(config.closeTimeout());
    }
  }

  /**
   * Closes a leg's TCP connection once its close handshake is complete, where the proxy is the
   * server (the client's leg). On the upstream's leg the proxy is the client: it waits for the
   * server to close first (RFC 6455 §7.1.1), so that TIME_WAIT stays with the server and not on
   * the proxy's ephemeral ports; {@link #onEof} closes it then, the close timeout at the latest.
   */
  private void closeLegIfDone(Leg leg) {
    if (leg.closeHandshakeDone() && leg.direction.fromClient()) {
      leg.close(false);
    }
    pair.finishIfBothClosed();
  }
}
