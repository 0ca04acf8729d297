package io.github.wsproxy.soak;

import io.github.wsproxy.CloseInfo;
import io.github.wsproxy.soak.SoakStats.Count;
import io.github.wsproxy.testing.WholeMessageListener;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One client connection on the JDK's asynchronous {@link WebSocket}: it sends a random number of
 * text and binary messages (some fragmented, some after a ping) with a few in flight, checks that
 * each echo is the oldest unacknowledged message, byte for byte, and then closes with 1000 or
 * aborts; or it aborts midway. No thread of its own: everything runs on the JDK client's
 * executor.
 *
 * <p>It works around a bug of the JDK's client (java.net.http, JDK 17 and 25 alike): when the end
 * of the TCP stream (a FIN without a close frame) arrives right after data, while the listener is
 * still busy with that data, neither {@code onClose} nor {@code onError} is ever called (a FIN that
 * comes alone is reported as {@code onClose} with 1006, as it should be). The transport reads the
 * end of the stream whatever the demand, then acknowledges it as a received message ({@code
 * TransportImpl.acknowledgeReception}), which throws an {@code InternalError} when no message is
 * requested at that moment; the error ends the transport's receive task, and the listener hears
 * nothing more. The proxy ends a client's TCP connection that way, as RFC 6455 requires, when the
 * upstream vanished in the middle of a frame it relays: no close frame can follow half a frame. So
 * when the proxy reports such an ending, and the client got every message the proxy had received
 * complete, the session counts the end the JDK missed ({@link Count#JDK_MISSED_END}) and stops,
 * instead of hanging until its watchdog.
 */
final class JdkSession extends WholeMessageListener {
  private enum Ending { CLOSE, ABORT, ABORT_MIDWAY }

  /** Longer than the proxy's connect timeout, which must answer first (504). */
  private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(15);
  /**
   * The proxy's reason (as in its access log) when it ended the client's TCP connection inside a
   * frame, without a close frame.
   */
  private static final String CLIENT_CUT_MID_FRAME = "client leg ended mid-frame";
  /** How long the JDK client may take to report the end of a connection the proxy cut. */
  private static final Duration END_GRACE = Duration.ofSeconds(5);

  private final SoakContext ctx;
  private final SoakStats stats;
  private final long id;
  private final SplittableRandom random;
  private final int messages;
  private final int window;
  private final Ending ending;
  private final int abortAt;
  private final long changesAtStart;
  private final CompletableFuture<Void> done = new CompletableFuture<>();
  private final String path;
  private final SessionJournal journal;
  private final ArrayDeque<Object> unacked = new ArrayDeque<>();
  private WebSocket ws;
  private int sent;
  private int acked;
  private boolean sending;
  private boolean closing;

  JdkSession(SoakContext ctx, long id, SplittableRandom random) {
    this.ctx = ctx;
    this.stats = ctx.stats();
    this.id = id;
    this.random = random;
    this.messages = random.nextInt(40);
    this.window = 1 + random.nextInt(4);
    int roll = random.nextInt(100);
    this.ending = roll < 65 ? Ending.CLOSE : roll < 85 ? Ending.ABORT : Ending.ABORT_MIDWAY;
    this.abortAt = random.nextInt(messages + 1);
    this.changesAtStart = ctx.upstreams().changes();
    this.path = "/soak/jdk/" + id;
    this.journal = ctx.journal();
  }

  /** Connects and runs; the stage completes when the session is over, however it ended. */
  CompletableFuture<Void> run() {
    stats.add(Count.SESSIONS);
    journal.begin(path);
    journal.onProxyClose(path, this::proxyClosed);
    done.whenComplete((ignored, e) -> journal.end(path));
    ScheduledFuture<?> watchdog = ctx.timers().schedule(this::hung, ctx.sessionTimeout().toMillis(),
        TimeUnit.MILLISECONDS);
    done.whenComplete((ignored, e) -> watchdog.cancel(false));
    ctx.http().newWebSocketBuilder().connectTimeout(HANDSHAKE_TIMEOUT)
        .buildAsync(ctx.uri(path), this)
        .whenComplete((webSocket, failure) -> {
          if (failure != null) {
            handshakeFailed(failure instanceof CompletionException ? failure.getCause() : failure);
          } else if (done.isDone()) {
            webSocket.abort();
          }
        });
    return done;
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    synchronized (this) {
      ws = webSocket;
    }
    stats.add(Count.CONNECTED);
    note("open");
    webSocket.request(Long.MAX_VALUE);
    pump();
  }

  @Override
  protected void onWholeText(String message) {
    note("echo of text #" + SoakMessages.seq(message));
    acknowledge(message);
  }

  @Override
  protected void onWholeBinary(byte[] message) {
    note("echo of binary #" + SoakMessages.seq(message));
    acknowledge(message);
  }

  @Override
  public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
    note("ping");
    return super.onPing(webSocket, message);
  }

  @Override
  public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
    note("pong");
    return super.onPong(webSocket, message);
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    note("close " + statusCode + " " + reason);
    boolean ours;
    int lost;
    synchronized (this) {
      ours = closing;
      lost = unacked.size();
    }
    if (ours) {
      stats.seen("jdk close answered " + statusCode);
      if (statusCode != 1000 && !ctx.restartExcuses(changesAtStart, statusCode)) {
        stats.problem("jdk " + id + ": our 1000 was answered with " + statusCode + " " + reason);
      }
    } else {
      serverEnded(statusCode, reason, lost);
    }
    done.complete(null);
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    note("error " + error);
    int lost;
    synchronized (this) {
      lost = unacked.size();
    }
    serverEnded(1006, String.valueOf(error), lost);
    done.complete(null);
  }

  /**
   * The proxy closed this session's connection (on its event loop): when it cut the client's TCP
   * connection mid-frame, the JDK may miss the end (see the class comment), checked after a grace.
   */
  private void proxyClosed(CloseInfo info) {
    if (info.reason().contains(CLIENT_CUT_MID_FRAME)) {
      ctx.timers().schedule(() -> endMissed(info), END_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /**
   * The proxy cut the connection mid-frame a while ago: if the JDK has still reported no end, but
   * has delivered every message the proxy received complete (all of them were relayed before the
   * cut), it missed the end of the stream; while messages are missing, the check waits longer, and
   * the watchdog reports a session that never gets them.
   */
  private void endMissed(CloseInfo info) {
    if (done.isDone()) {
      return;
    }
    int got;
    int lost;
    synchronized (this) {
      got = acked;
      lost = unacked.size();
    }
    if (got < info.messagesFromUpstream()) {
      ctx.timers().schedule(() -> endMissed(info), END_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      return;
    }
    note("no onClose or onError " + END_GRACE + " after the proxy cut the connection mid-frame");
    stats.add(Count.JDK_MISSED_END);
    serverEnded(1006, "cut mid-frame (" + info.reason() + ")", lost);
    abort();
  }

  /** The proxy ended the connection: only an upstream restart may, with 1001 or 1011 (or a cut: 1006). */
  private void serverEnded(int code, String reason, int lost) {
    stats.add(Count.ENDED_BY_SERVER);
    stats.add(Count.LOST_IN_FLIGHT, lost);
    stats.seen("jdk ended by server " + code);
    if (!ctx.restartExcuses(changesAtStart, code)) {
      stats.problem("jdk " + id + ": the proxy ended the connection with " + code + " " + reason);
    }
  }

  private void acknowledge(Object echo) {
    Object expected;
    synchronized (this) {
      expected = unacked.poll();
      if (expected != null) {
        acked++;
      }
    }
    boolean same = expected instanceof String
        ? expected.equals(echo)
        : expected instanceof byte[] && echo instanceof byte[] && Arrays.equals((byte[]) expected, (byte[]) echo);
    if (!same) {
      stats.problem("jdk " + id + ": echo " + describe(echo) + " where " + describe(expected) + " was due");
      abort();
      return;
    }
    stats.add(Count.ACKED);
    pump();
  }

  /** Sends what the window allows, or ends the session once everything is acknowledged. */
  private void pump() {
    WebSocket webSocket;
    Object message;
    synchronized (this) {
      webSocket = ws;
      if (done.isDone() || closing || sending) {
        return;
      }
      if (ending == Ending.ABORT_MIDWAY && sent == abortAt) {
        stats.add(Count.ABORTED_MIDWAY);
        stats.add(Count.LOST_IN_FLIGHT, unacked.size());
        abort();
        return;
      }
      if (sent == messages && acked == messages) {
        if (ending == Ending.ABORT) {
          stats.add(Count.ABORTED);
          abort();
          return;
        }
        closing = true;
        stats.add(Count.CLOSED_NORMALLY);
        note("sending close 1000");
        webSocket.sendClose(1000, "bye").whenComplete((w, e) -> {
          if (e != null) {
            sendFailed(e);
          } else {
            note("close sent");
          }
        });
        return;
      }
      if (sent == messages || unacked.size() >= window) {
        return;
      }
      message = random.nextBoolean()
          ? SoakMessages.text(id, sent, SoakMessages.randomText(random, SoakMessages.randomLength(random)))
          : SoakMessages.binary(id, sent, SoakMessages.randomBytes(random, SoakMessages.randomLength(random)));
      unacked.add(message);
      sent++;
      sending = true;
    }
    stats.add(Count.SENT);
    String what = (message instanceof String ? "text #" : "binary #") + (sent - 1);
    note("sending " + what);
    send(webSocket, message).whenComplete((w, e) -> {
      synchronized (this) {
        sending = false;
      }
      if (e != null) {
        sendFailed(e);
      } else {
        note("sent " + what);
        pump();
      }
    });
  }

  private CompletableFuture<WebSocket> send(WebSocket webSocket, Object message) {
    CompletableFuture<WebSocket> start = CompletableFuture.completedFuture(webSocket);
    if (random.nextInt(10) == 0) {
      stats.add(Count.PINGS);
      start = webSocket.sendPing(ByteBuffer.wrap(("ping " + sent).getBytes(StandardCharsets.US_ASCII)));
    }
    boolean split = random.nextInt(5) == 0;
    if (message instanceof String s) {
      int cut = split ? random.nextInt(s.length() + 1) : s.length();
      return cut == s.length()
          ? start.thenCompose(w -> w.sendText(s, true))
          : start.thenCompose(w -> w.sendText(s.substring(0, cut), false)).thenCompose(w -> w.sendText(s.substring(cut), true));
    }
    byte[] b = (byte[]) message;
    int cut = split ? random.nextInt(b.length + 1) : b.length;
    return cut == b.length
        ? start.thenCompose(w -> w.sendBinary(ByteBuffer.wrap(b), true))
        : start.thenCompose(w -> w.sendBinary(ByteBuffer.wrap(b, 0, cut), false))
            .thenCompose(w -> w.sendBinary(ByteBuffer.wrap(b, cut, b.length - cut), true));
  }

  /** A send failed: the connection is ending, and onClose or onError says how. */
  private void sendFailed(Throwable e) {
    note("send failed " + e);
    stats.seen("jdk send failed " + (e instanceof CompletionException ? e.getCause() : e).getClass().getSimpleName());
  }

  private void handshakeFailed(Throwable failure) {
    if (failure instanceof WebSocketHandshakeException refused) {
      int status = refused.getResponse().statusCode();
      stats.add(Count.HANDSHAKE_REFUSED);
      stats.seen("jdk handshake " + status);
      if (status != 502 && status != 503 && status != 504) {
        stats.problem("jdk " + id + ": handshake answered " + status);
      }
    } else {
      stats.problem("jdk " + id + ": handshake failed: " + failure);
    }
    done.complete(null);
  }

  private void hung() {
    if (done.isDone()) {
      return;
    }
    synchronized (this) {
      stats.problem("jdk " + id + ": still running after " + ctx.sessionTimeout() + " (sent " + sent
          + " of " + messages + ", window " + window + ", ending " + ending + ", acked " + acked
          + ", closing " + closing + ", open " + (ws != null) + ", upstream changes "
          + (ctx.upstreams().changes() - changesAtStart) + "; the proxy's view: " + ctx.connectionsTo(path)
          + "; the upstreams' view: " + ctx.upstreams().connectionsTo(path) + "; what happened: "
          + journal.report(path) + ")");
    }
    abort();
  }

  private void note(String event) {
    journal.note(path, "jdk", event);
  }

  private void abort() {
    WebSocket webSocket;
    synchronized (this) {
      webSocket = ws;
    }
    if (webSocket != null) {
      webSocket.abort();
    }
    done.complete(null);
  }

  private static String describe(Object message) {
    if (message instanceof String s) {
      return "text \"" + s.substring(0, Math.min(40, s.length())) + "\"(" + s.length() + " chars)";
    }
    return message == null ? "nothing" : "binary of " + ((byte[]) message).length + " bytes";
  }
}
