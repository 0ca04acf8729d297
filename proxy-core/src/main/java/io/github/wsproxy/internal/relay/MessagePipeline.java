package io.github.wsproxy.internal.relay;

import io.github.wsproxy.Frame;
import io.github.wsproxy.Interceptor;
import io.github.wsproxy.Message;
import io.github.wsproxy.ProxyConnection;
import io.github.wsproxy.internal.frame.FrameHeader;
import io.github.wsproxy.internal.frame.WebSocketProtocol;
import io.github.wsproxy.internal.intercept.Direction;
import io.github.wsproxy.internal.intercept.InterceptorChain;
import io.github.wsproxy.internal.intercept.Outcome;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;

/**
 * One direction the interceptors watch: decodes the frames the {@link
 * io.github.wsproxy.internal.frame.FrameScanner} has checked (and unmasked), assembles messages,
 * runs them through the interceptor chain, and encodes what goes on into {@link #out}. Everything
 * stays in order: while an interceptor's stage is outstanding, later messages and control frames
 * of this direction wait behind it (and the relay stops reading the source). Runs on the
 * connection's event loop.
 */
final class MessagePipeline {
  private static final byte[] NO_BYTES = new byte[0];

  /** Encoded frames ready to write to the destination, in order. */
  final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();

  private final OpenRelay open;
  private final ProxyConnection connection;
  private final InterceptorChain chain;
  private final Direction direction;
  private final boolean assembles;
  private final boolean watchesFrames;
  private final BiConsumer<Interceptor, RuntimeException> interceptorFailed;
  /** Decodes the headers of incoming frames and of the frames emitted; its fields are read at once. */
  private final FrameHeader header = new FrameHeader();

  /** Items behind an outstanding stage: encoded frames ({@link ByteBuffer}) or {@link Whole} messages. */
  private final ArrayDeque<Object> waiting = new ArrayDeque<>();
  private Pending pending;
  private boolean abandoned;
  private boolean outMidMessage;

  private boolean inPayload;
  private int opcode;
  private boolean fin;
  private long remaining;
  private boolean messageText;
  private boolean firstFrame;
  private byte[] frame = new byte[0];
  private int frameLength;
  private byte[] message = NO_BYTES;
  private int messageLength;

  /** An assembled message, with the bytes it arrived as (re-sent as they are if nobody replaces it). */
  private record Whole(Message message, byte[] bytes, int length) {}

  /** A message waiting for interceptor {@code index}'s stage. */
  private static final class Pending {
    final Whole whole;
    final int index;
    final long startNanos = System.nanoTime();

    Pending(Whole whole, int index) {
      this.whole = whole;
      this.index = index;
    }
  }

  private record View(boolean isText, boolean isFirst, boolean isLast, ByteBuffer payload) implements Frame {}

  MessagePipeline(OpenRelay open, ProxyConnection connection, InterceptorChain chain, Direction direction) {
    this.open = open;
    this.connection = connection;
    this.chain = chain;
    this.direction = direction;
    this.assembles = chain.watchesMessages(direction);
    this.watchesFrames = chain.watchesFrames(direction);
    this.interceptorFailed = open::interceptorFailed;
  }

  /** Decodes the checked bytes {@code buf[from, to)}: whole frame headers, payloads possibly in part. */
  void decode(ByteBuffer buf, int from, int to) {
    int pos = from;
    while (pos < to && !abandoned) {
      if (!inPayload) {
        pos = header(buf, pos, to);
        if (remaining == 0) {
          endOfFrame();
        }
        continue;
      }
      int n = (int) Math.min(remaining, to - pos);
      if (collectsWholeFrame()) {
        buf.get(pos, frame, frameLength, n);
        frameLength += n;
      } else {
        ensureMessageRoom(n);
        buf.get(pos, message, messageLength, n);
        messageLength += n;
      }
      pos += n;
      remaining -= n;
      if (remaining == 0) {
        endOfFrame();
      }
    }
  }

  /** Whether an interceptor's stage is outstanding: the relay stops reading the source meanwhile. */
  boolean holding() {
    return pending != null;
  }

  /** Whether nothing is waiting or left to write. */
  boolean drained() {
    return pending == null && waiting.isEmpty() && out.isEmpty();
  }

  /** Whether the output is between messages, so an injected message can go out. */
  boolean atMessageBoundary() {
    return !outMidMessage;
  }

  /** The direction is being closed by the proxy: what has not been encoded yet is dropped. */
  void abandon() {
    abandoned = true;
    pending = null;
    waiting.clear();
  }

  /** Fails the connection when an interceptor's stage has been outstanding for too long. */
  void checkTimeout(long now, long timeoutNanos) {
    Pending p = pending;
    if (p != null && now - p.startNanos > timeoutNanos) {
      open.interceptorFailed(chain.get(p.index),
          new TimeoutException("message not answered within " + timeoutNanos / 1_000_000 + " ms"));
    }
  }

  /** Decodes the header at {@code buf[pos]}, which the scanner checked is whole; returns where it ends. */
  private int header(ByteBuffer buf, int pos, int to) {
    header.decode(buf, pos, to);
    remaining = header.payloadLength();
    fin = header.fin();
    opcode = header.opcode();
    inPayload = true;
    firstFrame = opcode != WebSocketProtocol.OPCODE_CONTINUATION;
    if (opcode == WebSocketProtocol.OPCODE_TEXT || opcode == WebSocketProtocol.OPCODE_BINARY) {
      messageText = opcode == WebSocketProtocol.OPCODE_TEXT;
      messageLength = 0;
      if (fin && assembles) {
        message = new byte[(int) remaining];
      }
    }
    frameLength = 0;
    if (collectsWholeFrame() && frame.length < remaining) {
      frame = new byte[(int) remaining];
    }
    return pos + header.headerLength();
  }

  /** Control frames, and data frames an interceptor watches one by one, are collected whole. */
  private boolean collectsWholeFrame() {
    return WebSocketProtocol.isControl(opcode) || watchesFrames;
  }

  private void endOfFrame() {
    inPayload = false;
    if (WebSocketProtocol.isControl(opcode)) {
      emit(encode(opcode, true, frame, frameLength));
      return;
    }
    if (watchesFrames && !observeFrame()) {
      return;
    }
    if (!assembles) {
      emit(encode(opcode, fin, frame, frameLength));
      return;
    }
    if (watchesFrames) {
      ensureMessageRoom(frameLength);
      System.arraycopy(frame, 0, message, messageLength, frameLength);
      messageLength += frameLength;
    }
    if (fin) {
      byte[] bytes = messageLength == message.length ? message : Arrays.copyOf(message, messageLength);
      message = NO_BYTES;
      Message whole = messageText
          ? Message.text(new String(bytes, StandardCharsets.UTF_8))
          : Message.binary(ByteBuffer.wrap(bytes));
      submit(new Whole(whole, bytes, bytes.length));
    }
  }

  private boolean observeFrame() {
    View view = new View(messageText, firstFrame, fin, ByteBuffer.wrap(frame, 0, frameLength).asReadOnlyBuffer());
    return chain.showFrame(direction, connection, view, interceptorFailed);
  }

  private void submit(Whole whole) {
    if (pending != null) {
      waiting.add(whole);
    } else {
      run(whole, whole.message, 0);
    }
  }

  /** Runs {@code current} through interceptors {@code index…}; stops at an outstanding stage. */
  private void run(Whole whole, Message current, int index) {
    for (int i = index; i < chain.size() && current != null; i++) {
      try {
        if (!chain.isAsync(i, direction)) {
          current = chain.onMessage(i, direction, connection, current);
          continue;
        }
        CompletionStage<Message> stage = chain.onMessageAsync(i, direction, connection, current);
        Pending waitingFor = new Pending(whole, i);
        Outcome<Message> outcome = Outcome.of(stage,
            (answer, failure) -> open.execute(() -> resume(waitingFor, answer, failure)));
        if (!outcome.isDone()) {
          pending = waitingFor;
          return;
        }
        if (outcome.failure() != null) {
          open.interceptorFailed(chain.get(i), Outcome.unwrap(outcome.failure()));
          return;
        }
        current = outcome.value();
      } catch (RuntimeException e) {
        open.interceptorFailed(chain.get(i), e);
        return;
      }
    }
    if (current != null) {
      emitMessage(whole, current);
    }
  }

  private void resume(Pending answered, Message answer, Throwable failure) {
    if (pending != answered || abandoned) {
      return;
    }
    pending = null;
    if (failure != null) {
      open.interceptorFailed(chain.get(answered.index), Outcome.unwrap(failure));
      return;
    }
    run(answered.whole, answer, answered.index + 1);
    while (pending == null && !waiting.isEmpty() && !abandoned) {
      Object item = waiting.poll();
      if (item instanceof ByteBuffer encoded) {
        out.add(encoded);
      } else {
        Whole next = (Whole) item;
        run(next, next.message, 0);
      }
    }
    open.pipelineProgressed(direction);
  }

  private void emitMessage(Whole whole, Message message) {
    int op = message.isText() ? WebSocketProtocol.OPCODE_TEXT : WebSocketProtocol.OPCODE_BINARY;
    if (message == whole.message) {
      emit(encode(op, true, whole.bytes, whole.length));
    } else {
      byte[] bytes = message.bytes();
      emit(encode(op, true, bytes, bytes.length));
    }
  }

  private void emit(ByteBuffer encoded) {
    if (pending != null) {
      waiting.add(encoded);
      return;
    }
    out.add(encoded);
    header.decode(encoded, 0, encoded.limit());
    if (!WebSocketProtocol.isControl(header.opcode())) {
      outMidMessage = !header.fin();
    }
  }

  private ByteBuffer encode(int op, boolean last, byte[] payload, int length) {
    return open.frame(direction, op, last, payload, length);
  }

  private void ensureMessageRoom(int more) {
    if (messageLength + more > message.length) {
      message = Arrays.copyOf(message, Math.max(messageLength + more, Math.min(message.length * 2 + 1024, Integer.MAX_VALUE - 16)));
    }
  }
}
