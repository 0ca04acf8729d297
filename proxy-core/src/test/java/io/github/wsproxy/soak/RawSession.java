package io.github.wsproxy.soak;

import io.github.wsproxy.soak.SoakStats.Count;
import io.github.wsproxy.testing.HttpHead;
import io.github.wsproxy.testing.RawClient;
import io.github.wsproxy.testing.WireFrame;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One client connection on a raw blocking socket, run on the calling thread: it may send garbage
 * instead of a handshake or vanish halfway through one; otherwise it sends messages the way a JDK
 * client would not (fragments cut at any byte, inside UTF-8 characters, with pings between them),
 * checks the echoes, and ends with a close, a reset, a bare FIN, or a protocol violation whose
 * close code it checks.
 */
final class RawSession {
  private enum Ending { CLOSE, RESET, FIN, GARBAGE, RESET_MIDWAY }

  /** Protocol violations, with the close code the proxy must answer each with. */
  private enum Garbage {
    UNMASKED(1002), RESERVED_OPCODE(1002), RSV_BIT(1002), ORPHAN_CONTINUATION(1002), LONG_PING(1002), BAD_UTF8(1007);

    final int code;

    Garbage(int code) {
      this.code = code;
    }
  }

  /** The code of an {@link Ended} thrown for a wrong echo, already counted as a problem. */
  private static final int MISMATCH = 0;

  /** The connection ended (a close frame or EOF) while the session expected something else. */
  private static final class Ended extends Exception {
    final int code;

    Ended(int code) {
      super(null, null, false, false);
      this.code = code;
    }
  }

  private final SoakContext ctx;
  private final SoakStats stats;
  private final long id;
  private final SplittableRandom random;
  private final long deadline;
  private final long changesAtStart;
  private final ArrayDeque<byte[]> unacked = new ArrayDeque<>();
  private final ArrayDeque<Boolean> unackedText = new ArrayDeque<>();

  RawSession(SoakContext ctx, long id, SplittableRandom random) {
    this.ctx = ctx;
    this.stats = ctx.stats();
    this.id = id;
    this.random = random;
    this.deadline = System.nanoTime() + ctx.sessionTimeout().toNanos();
    this.changesAtStart = ctx.upstreams().changes();
  }

  void run() {
    stats.add(Count.SESSIONS);
    try (RawClient client = RawClient.connect(ctx.proxyPort())) {
      int roll = random.nextInt(100);
      if (roll < 5) {
        garbageHttp(client);
      } else if (roll < 10) {
        halfHandshake(client);
      } else {
        session(client);
      }
    } catch (IOException | AssertionError e) {
      stats.problem("raw " + id + ": " + e);
    }
  }

  private void garbageHttp(RawClient client) throws IOException {
    stats.add(Count.GARBAGE_HTTP);
    client.sendRaw("HELLO_" + SoakMessages.randomText(random, 20).replace(' ', '_') + "\r\n\r\n");
    HttpHead response = client.readResponse(left());
    stats.seen("raw garbage http " + response.statusCode());
    if (response.statusCode() != 400) {
      stats.problem("raw " + id + ": garbage instead of a request got " + response.startLine());
    }
    awaitEof(client);
  }

  private void halfHandshake(RawClient client) throws IOException {
    stats.add(Count.HALF_HANDSHAKE);
    client.sendRaw("GET /soak/raw/" + id + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: web");
    if (random.nextBoolean()) {
      client.abort();
    }
  }

  private void session(RawClient client) throws IOException {
    client.sendHandshakeRequest("/soak/raw/" + id, Map.of());
    HttpHead response = client.readResponse(left());
    int status = response.statusCode();
    if (status != 101) {
      stats.add(Count.HANDSHAKE_REFUSED);
      stats.seen("raw handshake " + status);
      if (status != 502 && status != 503 && status != 504) {
        stats.problem("raw " + id + ": handshake answered " + response.startLine());
      }
      return;
    }
    stats.add(Count.CONNECTED);
    int messages = random.nextInt(30);
    int window = 1 + random.nextInt(3);
    int roll = random.nextInt(100);
    Ending ending = roll < 40 ? Ending.CLOSE : roll < 55 ? Ending.RESET : roll < 65 ? Ending.FIN
        : roll < 85 ? Ending.GARBAGE : Ending.RESET_MIDWAY;
    int abortAt = random.nextInt(messages + 1);
    try {
      for (int sent = 0; sent < messages; sent++) {
        if (ending == Ending.RESET_MIDWAY && sent == abortAt) {
          stats.add(Count.ABORTED_MIDWAY);
          stats.add(Count.LOST_IN_FLIGHT, unacked.size());
          client.abort();
          return;
        }
        while (unacked.size() >= window) {
          acknowledge(client);
        }
        send(client, sent);
      }
      while (!unacked.isEmpty()) {
        acknowledge(client);
      }
      end(client, ending);
    } catch (Ended e) {
      if (e.code == MISMATCH) {
        client.abort();
      } else {
        endedByServer(client, e.code, "");
      }
    } catch (IOException e) {
      endedByServer(client, 1006, ": " + e);
    }
  }

  /** The proxy ended the connection (a close frame, or a reset a write ran into: 1006). */
  private void endedByServer(RawClient client, int code, String detail) throws IOException {
    stats.add(Count.ENDED_BY_SERVER);
    stats.add(Count.LOST_IN_FLIGHT, unacked.size());
    stats.seen("raw ended by server " + code);
    if (!ctx.restartExcuses(changesAtStart, code)) {
      stats.problem("raw " + id + ": the proxy ended the connection with " + code + detail);
    }
    if (code != 1006) {
      answerClose(client, code);
      awaitEof(client);
    }
  }

  private void end(RawClient client, Ending ending) throws IOException, Ended {
    switch (ending) {
      case CLOSE -> {
        stats.add(Count.CLOSED_NORMALLY);
        client.sendFrame(WireFrame.close(1000, "bye"));
        expectClose(client, "our 1000", 1000);
      }
      case RESET, RESET_MIDWAY -> {
        stats.add(Count.ABORTED);
        client.abort();
      }
      case FIN -> {
        stats.add(Count.FIN_WITHOUT_CLOSE);
        client.close();
      }
      case GARBAGE -> {
        Garbage garbage = Garbage.values()[random.nextInt(Garbage.values().length)];
        stats.add(Count.GARBAGE_FRAME);
        sendGarbage(client, garbage);
        expectClose(client, garbage.name(), garbage.code);
      }
      default -> throw new IllegalStateException(ending.name());
    }
  }

  private void sendGarbage(RawClient client, Garbage garbage) throws IOException {
    switch (garbage) {
      case UNMASKED -> client.sendFrameUnmasked(WireFrame.text("unmasked"));
      case RESERVED_OPCODE -> client.sendFrame(new WireFrame(true, 0, 3, new byte[] {1, 2, 3}, false));
      case RSV_BIT -> client.sendFrame(new WireFrame(true, WireFrame.RSV2, WireFrame.TEXT, new byte[] {'x'}, false));
      case ORPHAN_CONTINUATION -> client.sendFrame(WireFrame.continuation("orphan", true));
      case LONG_PING -> client.sendFrame(WireFrame.ping(new byte[126]));
      case BAD_UTF8 -> client.sendFrame(new WireFrame(true, 0, WireFrame.TEXT, new byte[] {'a', (byte) 0xC3, 0x28}, false));
      default -> throw new IllegalStateException(garbage.name());
    }
  }

  /** Reads up to the close frame answering ours (or the proxy's own), checks its code, answers it. */
  private void expectClose(RawClient client, String after, int expected) throws IOException {
    WireFrame frame = nextNonControl(client);
    int code = frame == null ? 1006 : frame.length() < 2 ? 1005 : frame.closeCode();
    stats.seen("raw " + after + " answered " + code);
    if (code != expected && !ctx.restartExcuses(changesAtStart, code)) {
      stats.problem("raw " + id + ": " + after + " answered with " + (frame == null ? "EOF" : frame));
    }
    if (frame != null && expected != 1000) {
      answerClose(client, code);
    }
    awaitEof(client);
  }

  /** The next frame that is not a ping or pong (echoes of earlier messages are done by now). */
  private WireFrame nextNonControl(RawClient client) throws IOException {
    while (true) {
      WireFrame frame = client.readFrameOrEof(left());
      if (frame == null || frame.opcode() == WireFrame.CLOSE) {
        return frame;
      }
      if (frame.opcode() != WireFrame.PING && frame.opcode() != WireFrame.PONG) {
        stats.problem("raw " + id + ": unexpected " + frame + " while closing");
      }
    }
  }

  private void send(RawClient client, int seq) throws IOException {
    boolean text = random.nextBoolean();
    byte[] payload = text
        ? SoakMessages.text(id, seq, SoakMessages.randomText(random, SoakMessages.randomLength(random)))
            .getBytes(StandardCharsets.UTF_8)
        : SoakMessages.binary(id, seq, SoakMessages.randomBytes(random, SoakMessages.randomLength(random)));
    unacked.add(payload);
    unackedText.add(text);
    stats.add(Count.SENT);
    int pieces = random.nextInt(4) == 0 ? 2 + random.nextInt(3) : 1;
    List<WireFrame> frames = new ArrayList<>();
    int from = 0;
    for (int i = 0; i < pieces; i++) {
      int to = i == pieces - 1 ? payload.length : from + random.nextInt(payload.length - from + 1);
      int opcode = i > 0 ? WireFrame.CONTINUATION : text ? WireFrame.TEXT : WireFrame.BINARY;
      frames.add(new WireFrame(i == pieces - 1, 0, opcode, Arrays.copyOfRange(payload, from, to), false));
      if (i < pieces - 1 && random.nextInt(3) == 0) {
        stats.add(Count.PINGS);
        frames.add(WireFrame.ping(("raw ping " + seq).getBytes(StandardCharsets.US_ASCII)));
      }
      from = to;
    }
    client.sendFrames(frames);
  }

  /** Reads one whole echoed message and checks that it is the oldest one not yet acknowledged. */
  private void acknowledge(RawClient client) throws IOException, Ended {
    ByteArrayOutputStream message = new ByteArrayOutputStream();
    int opcode = -1;
    while (true) {
      WireFrame frame = client.readFrameOrEof(left());
      if (frame == null) {
        throw new Ended(1006);
      }
      if (frame.opcode() == WireFrame.CLOSE) {
        throw new Ended(frame.length() < 2 ? 1005 : frame.closeCode());
      }
      if (frame.opcode() == WireFrame.PING || frame.opcode() == WireFrame.PONG) {
        continue;
      }
      if (opcode < 0) {
        opcode = frame.opcode();
      }
      message.writeBytes(frame.payload());
      if (frame.fin()) {
        break;
      }
    }
    byte[] expected = unacked.poll();
    boolean text = unackedText.poll();
    if (opcode != (text ? WireFrame.TEXT : WireFrame.BINARY) || !Arrays.equals(expected, message.toByteArray())) {
      stats.problem("raw " + id + ": echo (opcode " + opcode + ", " + message.size() + " bytes) is not the "
          + (text ? "text" : "binary") + " message of " + expected.length + " bytes that was due");
      throw new Ended(MISMATCH);
    }
    stats.add(Count.ACKED);
  }

  /** Answers the proxy's close frame; the proxy may have stopped waiting for it (a write error). */
  private void answerClose(RawClient client, int code) {
    try {
      client.sendFrame(WireFrame.close(code, ""));
    } catch (IOException e) {
      stats.seen("raw close answer failed");
    }
  }

  private void awaitEof(RawClient client) throws IOException {
    if (!client.awaitEof(left())) {
      stats.problem("raw " + id + ": the proxy did not close the connection within " + ctx.sessionTimeout());
    }
  }

  private Duration left() {
    return Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
  }
}
