package io.github.wsproxy.internal.frame;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Walks the frames of one direction of a WebSocket connection as raw bytes stream through, without
 * copying or reassembling them: it checks each frame header against RFC 6455, tracks message
 * boundaries, the message size limit and UTF-8 of uncompressed text, and re-masks frames coming
 * from a client with a fresh key (the proxy is the client of the upstream). Payload bytes are
 * touched only to re-mask them or to validate text. Close frames are decoded so that the relay
 * knows the close code.
 *
 * <p>One instance per direction, used only by its connection's event loop.
 */
public final class FrameScanner {

  /** Why {@link #scan} stopped. */
  public enum Stop {
    /** Everything up to the returned index is ready; the rest needs more bytes. */
    NEED_MORE,
    /** A close frame ends at the returned index; bytes after it must be discarded. */
    CLOSE,
    /** A protocol violation: see {@link #violationCode()}; relay only up to the returned index. */
    VIOLATION,
    /**
     * A pong answering the proxy's own ping starts at the returned index and ends at {@link
     * #ownPongEnd()}: remove it from the stream and scan on.
     */
    OWN_PONG,
    /**
     * The data frame in flight when {@link #stopAtFrameEnd()} was called ends at the returned index:
     * the stream is at a frame boundary there. The rest is not scanned yet.
     */
    FRAME_END
  }

  private final boolean fromClient;
  private final long maxMessageBytes;
  private final boolean validateUtf8;
  private final Masking masking;
  private final Utf8Validator utf8 = new Utf8Validator();
  private final FrameHeader header = new FrameHeader();
  private boolean compressionNegotiated;
  private long maxFrameBytes = Long.MAX_VALUE;
  private byte[] ownPong;
  private int ownPongEnd;
  private boolean stopAtFrameEnd;

  private long payloadRemaining;
  private long payloadOffset;
  private boolean frameFin;
  private int unmaskKey;
  private int remaskDelta;
  private boolean validatingFrame;

  private boolean messageInProgress;
  private boolean messageText;
  private boolean messageCompressed;
  private long messageBytes;
  private long messages;

  private Stop stop = Stop.NEED_MORE;
  private int frameStart;
  private int violationCode;
  private String violationReason;
  private boolean violationMidFrame;
  private int closeCode;
  private String closeReason;

  /**
   * @param fromClient frames come from a client: they must be masked and are re-masked; otherwise
   *     they come from an upstream and must not be masked
   * @param masking fresh keys for re-masking client frames; null unmasks them instead (key 0), for
   *     a direction the proxy decodes
   */
  public FrameScanner(boolean fromClient, long maxMessageBytes, boolean validateUtf8, Masking masking) {
    this.fromClient = fromClient;
    this.maxMessageBytes = maxMessageBytes;
    this.validateUtf8 = validateUtf8;
    this.masking = masking;
  }

  /** Limits single frames: a larger data frame is a 1009 violation. Default: only the message limit. */
  public void limitFrames(long bytes) {
    this.maxFrameBytes = bytes;
  }

  /** Pongs with exactly this payload answer the proxy's own pings: they stop the scan as {@link Stop#OWN_PONG}. */
  public void recognisePongs(byte[] payload) {
    this.ownPong = payload.clone();
  }

  /** Where the pong found by the last scan ends; see {@link Stop#OWN_PONG}. */
  public int ownPongEnd() {
    return ownPongEnd;
  }

  /**
   * The next {@link #scan} stops as {@link Stop#FRAME_END} where the data frame now in flight ends,
   * so that a frame of the proxy's own can follow it; once. Call only inside a frame (not {@link
   * #atFrameBoundary()}).
   */
  public void stopAtFrameEnd() {
    this.stopAtFrameEnd = true;
  }

  /** Where the frame the last {@link #scan} stopped at starts: the close frame of a {@link Stop#CLOSE}. */
  public int frameStart() {
    return frameStart;
  }

  /** Allows RSV1 on the first frame of a message: permessage-deflate was negotiated. */
  public void allowCompression() {
    this.compressionNegotiated = true;
  }

  /**
   * Scans {@code buf[from, to)}, transforming frames in place, and returns the index up to which the
   * bytes are complete, checked frames (or parts of a data frame's payload) ready to be relayed.
   * {@link #stop()} tells why it returned.
   */
  public int scan(ByteBuffer buf, int from, int to) {
    stop = Stop.NEED_MORE;
    frameStart = payloadRemaining > 0 ? -1 : from;
    int pos = from;
    while (true) {
      if (payloadRemaining > 0) {
        int n = (int) Math.min(payloadRemaining, to - pos);
        if (n == 0) {
          return pos;
        }
        if (!payload(buf, pos, pos + n)) {
          return violation(WebSocketProtocol.CLOSE_INVALID_PAYLOAD, "invalid UTF-8 in text message", from);
        }
        pos += n;
        payloadOffset += n;
        payloadRemaining -= n;
        if (payloadRemaining > 0) {
          return pos;
        }
        if (!endOfDataFrame()) {
          return violation(WebSocketProtocol.CLOSE_INVALID_PAYLOAD, "text message ends inside a UTF-8 character", from);
        }
        if (stopAtFrameEnd) {
          stopAtFrameEnd = false;
          stop = Stop.FRAME_END;
          return pos;
        }
        continue;
      }
      frameStart = pos;
      int whole = wholeShortMessage(buf, pos, to);
      if (whole > 0) {
        pos += whole;
        continue;
      }
      if (!header.decode(buf, pos, to)) {
        return pos;
      }
      boolean fin = header.fin();
      int rsv = header.rsv();
      int opcode = header.opcode();
      int headerLength = header.headerLength();
      String headerProblem = headerProblem(fin, rsv, opcode, header.masked(), header.length7());
      if (headerProblem != null) {
        return violation(WebSocketProtocol.CLOSE_PROTOCOL_ERROR, headerProblem, from);
      }
      if (!header.complete()) {
        return pos;
      }
      long length = header.payloadLength();
      if (length < 0) {
        return violation(WebSocketProtocol.CLOSE_PROTOCOL_ERROR, "frame length has its most significant bit set", from);
      }
      int keyIndex = pos + headerLength - 4;
      if (WebSocketProtocol.isControl(opcode)) {
        if (to - pos < headerLength + length) {
          return pos;
        }
        int payloadStart = pos + headerLength;
        int payloadEnd = payloadStart + (int) length;
        if (fromClient) {
          unmaskKey = buf.getInt(keyIndex);
        }
        if (opcode == WebSocketProtocol.OPCODE_PONG && isOwnPong(buf, payloadStart, payloadEnd)) {
          stop = Stop.OWN_PONG;
          ownPongEnd = payloadEnd;
          return pos;
        }
        if (opcode == WebSocketProtocol.OPCODE_CLOSE) {
          String problem = decodeClose(buf, payloadStart, payloadEnd);
          if (problem != null) {
            int code = closeCode == WebSocketProtocol.CLOSE_INVALID_PAYLOAD
                ? WebSocketProtocol.CLOSE_INVALID_PAYLOAD : WebSocketProtocol.CLOSE_PROTOCOL_ERROR;
            return violation(code, problem, from);
          }
        }
        if (fromClient) {
          remask(buf, keyIndex);
          Masking.xor(buf, payloadStart, payloadEnd, Masking.repeated(remaskDelta, 0));
        }
        pos = payloadEnd;
        if (opcode == WebSocketProtocol.OPCODE_CLOSE) {
          stop = Stop.CLOSE;
          return pos;
        }
        continue;
      }
      if (opcode == WebSocketProtocol.OPCODE_CONTINUATION) {
        if (!messageInProgress) {
          return violation(WebSocketProtocol.CLOSE_PROTOCOL_ERROR,
              "continuation frame without a message to continue", from);
        }
      } else {
        if (messageInProgress) {
          return violation(WebSocketProtocol.CLOSE_PROTOCOL_ERROR,
              "new message before the previous one finished", from);
        }
        messageInProgress = true;
        messageText = opcode == WebSocketProtocol.OPCODE_TEXT;
        messageCompressed = rsv == WebSocketProtocol.RSV1;
        messageBytes = 0;
        utf8.reset();
      }
      if (length > maxFrameBytes) {
        return violation(WebSocketProtocol.CLOSE_MESSAGE_TOO_BIG,
            "frame larger than " + maxFrameBytes + " bytes", from);
      }
      if (length > maxMessageBytes - messageBytes) {
        return violation(WebSocketProtocol.CLOSE_MESSAGE_TOO_BIG,
            "message larger than " + maxMessageBytes + " bytes", from);
      }
      messageBytes += length;
      if (fromClient) {
        unmaskKey = buf.getInt(keyIndex);
        remask(buf, keyIndex);
      }
      validatingFrame = validateUtf8 && messageText && !messageCompressed;
      frameFin = fin;
      payloadOffset = 0;
      payloadRemaining = length;
      pos += headerLength;
      if (length == 0 && !endOfDataFrame()) {
        return violation(WebSocketProtocol.CLOSE_INVALID_PAYLOAD, "text message ends inside a UTF-8 character", from);
      }
    }
  }

  /** Why the last {@link #scan} returned. */
  public Stop stop() {
    return stop;
  }

  /** The close code to send both sides after a {@link Stop#VIOLATION}: 1002, 1007 or 1009. */
  public int violationCode() {
    return violationCode;
  }

  /** A short description of the violation, usable as a close reason. */
  public String violationReason() {
    return violationReason;
  }

  /**
   * Whether the violation happened inside a frame part of which was already returned as ready: the
   * receiving side's byte stream then ends mid-frame and cannot carry a close frame.
   */
  public boolean violationMidFrame() {
    return violationMidFrame;
  }

  /** The code of the last close frame scanned; {@link WebSocketProtocol#CLOSE_NO_CODE} if it carried none. */
  public int closeCode() {
    return closeCode;
  }

  /** The reason of the last close frame scanned. */
  public String closeReason() {
    return closeReason;
  }

  /** Whether the stream is at a frame boundary, so a frame of the proxy's own can be inserted. */
  public boolean atFrameBoundary() {
    return payloadRemaining == 0;
  }

  /** Whether the stream is between messages, so a message of the proxy's own can be inserted. */
  public boolean atMessageBoundary() {
    return payloadRemaining == 0 && !messageInProgress;
  }

  /** Complete data messages scanned so far. */
  public long messages() {
    return messages;
  }

  private String headerProblem(boolean fin, int rsv, int opcode, boolean masked, int length7) {
    if (masked != fromClient) {
      return fromClient ? "frame is not masked" : "frame is masked";
    }
    if ((rsv & ~WebSocketProtocol.RSV1) != 0) {
      return "reserved bits RSV2/RSV3 set";
    }
    switch (opcode) {
      case WebSocketProtocol.OPCODE_CLOSE:
      case WebSocketProtocol.OPCODE_PING:
      case WebSocketProtocol.OPCODE_PONG:
        if (!fin) {
          return "fragmented control frame";
        }
        if (length7 > WebSocketProtocol.MAX_CONTROL_PAYLOAD) {
          return "control frame payload over 125 bytes";
        }
        return rsv != 0 ? "RSV1 set on a control frame" : null;
      case WebSocketProtocol.OPCODE_CONTINUATION:
        return rsv != 0 ? "RSV1 set on a continuation frame" : null;
      case WebSocketProtocol.OPCODE_TEXT:
      case WebSocketProtocol.OPCODE_BINARY:
        return rsv != 0 && !compressionNegotiated ? "RSV1 set but no compression was negotiated" : null;
      default:
        return "reserved opcode " + opcode;
    }
  }

  /**
   * The common frame, checked and re-masked without the general path's bookkeeping: a whole message
   * in one final frame, binary (or text whose UTF-8 is not validated), no RSV bit, a 7-bit length,
   * masked exactly when from a client, within the limits, and all arrived. Returns its size, or 0
   * for any other frame (or bytes), which the general path then takes.
   */
  private int wholeShortMessage(ByteBuffer buf, int pos, int to) {
    if (messageInProgress || to - pos < 2) {
      return 0;
    }
    int b0 = buf.get(pos) & 0xFF;
    int b1 = buf.get(pos + 1) & 0xFF;
    if (b0 != (WebSocketProtocol.B0_FLAG_FIN | WebSocketProtocol.OPCODE_BINARY)
        && (b0 != (WebSocketProtocol.B0_FLAG_FIN | WebSocketProtocol.OPCODE_TEXT) || validateUtf8)) {
      return 0;
    }
    int length = b1 & WebSocketProtocol.B1_MASK_LENGTH;
    if (length >= WebSocketProtocol.LENGTH_16 || ((b1 & WebSocketProtocol.B1_FLAG_MASK) != 0) != fromClient
        || length > maxFrameBytes || length > maxMessageBytes) {
      return 0;
    }
    int payloadStart = pos + (fromClient ? 6 : 2);
    int end = payloadStart + length;
    if (end > to) {
      return 0;
    }
    if (fromClient) {
      unmaskKey = buf.getInt(pos + 2);
      remask(buf, pos + 2);
      Masking.xor(buf, payloadStart, end, Masking.repeated(remaskDelta, 0));
    }
    messages++;
    return end - pos;
  }

  private boolean payload(ByteBuffer buf, int from, int to) {
    if (validatingFrame
        && !utf8.update(buf, from, to, fromClient ? Masking.repeated(unmaskKey, payloadOffset) : 0)) {
      return false;
    }
    if (fromClient) {
      Masking.xor(buf, from, to, Masking.repeated(remaskDelta, payloadOffset));
    }
    return true;
  }

  private boolean endOfDataFrame() {
    if (!frameFin) {
      return true;
    }
    messageInProgress = false;
    messages++;
    return !validatingFrame || utf8.isComplete();
  }

  private void remask(ByteBuffer buf, int keyIndex) {
    int fresh = masking == null ? 0 : masking.nextKey();
    remaskDelta = unmaskKey ^ fresh;
    buf.putInt(keyIndex, fresh);
  }

  private boolean isOwnPong(ByteBuffer buf, int from, int to) {
    if (ownPong == null || to - from != ownPong.length) {
      return false;
    }
    return Arrays.equals(controlPayload(buf, from, to), ownPong);
  }

  /** A control frame's payload {@code buf[from, to)}, unmasked when it comes from a client. */
  private byte[] controlPayload(ByteBuffer buf, int from, int to) {
    byte[] payload = new byte[to - from];
    long key = fromClient ? Masking.repeated(unmaskKey, 0) : 0;
    for (int i = 0; i < payload.length; i++) {
      payload[i] = (byte) (buf.get(from + i) ^ (key >>> (56 - (i & 7) * 8)));
    }
    return payload;
  }

  private String decodeClose(ByteBuffer buf, int from, int to) {
    closeReason = "";
    if (to == from) {
      closeCode = WebSocketProtocol.CLOSE_NO_CODE;
      return null;
    }
    byte[] payload = controlPayload(buf, from, to);
    closeCode = 0;
    if (payload.length == 1) {
      return "close frame payload of 1 byte";
    }
    int code = ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
    if (!WebSocketProtocol.isValidCloseCode(code)) {
      return "invalid close code " + code;
    }
    Utf8Validator reasonCheck = new Utf8Validator();
    if (!reasonCheck.update(payload, 2, payload.length) || !reasonCheck.isComplete()) {
      closeCode = WebSocketProtocol.CLOSE_INVALID_PAYLOAD;
      return "close reason is not valid UTF-8";
    }
    closeCode = code;
    closeReason = new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8);
    return null;
  }

  private int violation(int code, String reason, int from) {
    stop = Stop.VIOLATION;
    violationCode = code;
    violationReason = reason;
    violationMidFrame = frameStart < 0;
    return frameStart < 0 ? from : frameStart;
  }
}
