package io.github.wsproxy.testing;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One WebSocket frame exactly as it travels (RFC 6455 §5.2), with the codec both raw peers use.
 *
 * <p>Nothing is validated beyond what the wire format can carry: any opcode 0–15, any RSV bits,
 * control frames longer than 125 bytes, close payloads of one byte or with invalid UTF-8 can all
 * be built, encoded and decoded, so hostile peers can be scripted.
 *
 * @param fin the FIN bit: this is the last frame of its message
 * @param rsv the three RSV bits as a number 0–7: {@link #RSV1} (4) is the permessage-deflate
 *     "compressed" bit, {@link #RSV2} is 2, {@link #RSV3} is 1
 * @param opcode the opcode, 0–15 (see the constants)
 * @param payload the payload, unmasked (a defensive copy is kept and returned)
 * @param masked whether the frame was masked on the wire (set by {@link #decode}; ignored by
 *     {@link #encode}, which masks exactly when given a key). {@link #equals} and {@link
 *     #hashCode} ignore it, so a received frame equals the frame built with the factories.
 */
public record WireFrame(boolean fin, int rsv, int opcode, byte[] payload, boolean masked) {

  /** Opcode of a continuation frame. */
  public static final int CONTINUATION = 0x0;
  /** Opcode of a text frame. */
  public static final int TEXT = 0x1;
  /** Opcode of a binary frame. */
  public static final int BINARY = 0x2;
  /** Opcode of a close frame. */
  public static final int CLOSE = 0x8;
  /** Opcode of a ping frame. */
  public static final int PING = 0x9;
  /** Opcode of a pong frame. */
  public static final int PONG = 0xA;

  /** The RSV1 bit in {@link #rsv()}: set on the first frame of a permessage-deflate message. */
  public static final int RSV1 = 4;
  /** The RSV2 bit in {@link #rsv()}. */
  public static final int RSV2 = 2;
  /** The RSV3 bit in {@link #rsv()}. */
  public static final int RSV3 = 1;

  /** The payload limit {@link #decode(InputStream)} applies: 16 MiB. */
  public static final int DEFAULT_MAX_PAYLOAD = 16 * 1024 * 1024;

  private static final byte[] EMPTY = new byte[0];

  /**
   * Validates the fields and copies the payload.
   *
   * @param fin the FIN bit
   * @param rsv the three RSV bits as a number 0–7
   * @param opcode the opcode, 0–15
   * @param payload the payload, unmasked
   * @param masked whether the frame was masked on the wire
   * @throws IllegalArgumentException if {@code rsv} is not 0–7 or {@code opcode} not 0–15
   */
  public WireFrame {
    if (rsv < 0 || rsv > 7) {
      throw new IllegalArgumentException("rsv must be 0-7, was " + rsv);
    }
    if (opcode < 0 || opcode > 15) {
      throw new IllegalArgumentException("opcode must be 0-15, was " + opcode);
    }
    payload = payload == null ? EMPTY : payload.clone();
  }

  /**
   * A final, unmasked text frame carrying {@code text} in UTF-8.
   *
   * @param text the frame's text
   * @return the frame
   */
  public static WireFrame text(String text) {
    return new WireFrame(true, 0, TEXT, text.getBytes(StandardCharsets.UTF_8), false);
  }

  /**
   * A final, unmasked binary frame.
   *
   * @param data the frame's payload
   * @return the frame
   */
  public static WireFrame binary(byte[] data) {
    return new WireFrame(true, 0, BINARY, data, false);
  }

  /**
   * A close frame with a status code and a UTF-8 reason. Neither is checked: codes such as 1005 or
   * 999 and reasons over 123 bytes can be built for negative tests.
   *
   * @param code the status code, written as two bytes
   * @param reason the reason
   * @return the frame
   */
  public static WireFrame close(int code, String reason) {
    byte[] text = reason.getBytes(StandardCharsets.UTF_8);
    byte[] payload = new byte[2 + text.length];
    payload[0] = (byte) (code >>> 8);
    payload[1] = (byte) code;
    System.arraycopy(text, 0, payload, 2, text.length);
    return new WireFrame(true, 0, CLOSE, payload, false);
  }

  /**
   * A close frame with an empty payload (no status code: received as 1005).
   *
   * @return the frame
   */
  public static WireFrame closeEmpty() {
    return new WireFrame(true, 0, CLOSE, EMPTY, false);
  }

  /**
   * A ping frame.
   *
   * @param data the frame's payload
   * @return the frame
   */
  public static WireFrame ping(byte[] data) {
    return new WireFrame(true, 0, PING, data, false);
  }

  /**
   * A pong frame.
   *
   * @param data the frame's payload
   * @return the frame
   */
  public static WireFrame pong(byte[] data) {
    return new WireFrame(true, 0, PONG, data, false);
  }

  /**
   * A continuation frame, the last of its message when {@code fin}.
   *
   * @param data the frame's payload
   * @param fin whether the frame ends its message
   * @return the frame
   */
  public static WireFrame continuation(byte[] data, boolean fin) {
    return new WireFrame(fin, 0, CONTINUATION, data, false);
  }

  /**
   * A continuation frame carrying UTF-8 text, the last of its message when {@code fin}.
   *
   * @param text the frame's text
   * @param fin whether the frame ends its message
   * @return the frame
   */
  public static WireFrame continuation(String text, boolean fin) {
    return continuation(text.getBytes(StandardCharsets.UTF_8), fin);
  }

  /**
   * A first text fragment (FIN clear) carrying {@code text} in UTF-8.
   *
   * @param text the fragment's text
   * @return the frame
   */
  public static WireFrame textFragment(String text) {
    return new WireFrame(false, 0, TEXT, text.getBytes(StandardCharsets.UTF_8), false);
  }

  /**
   * A first binary fragment (FIN clear).
   *
   * @param data the fragment's payload
   * @return the frame
   */
  public static WireFrame binaryFragment(byte[] data) {
    return new WireFrame(false, 0, BINARY, data, false);
  }

  /**
   * A copy of the payload.
   *
   * @return a new array holding the payload
   */
  @Override
  public byte[] payload() {
    return payload.clone();
  }

  /**
   * The payload length, without copying the payload.
   *
   * @return the payload's length, in bytes
   */
  public int length() {
    return payload.length;
  }

  /**
   * The payload decoded as UTF-8 (malformed bytes become U+FFFD).
   *
   * @return the payload as text
   */
  public String payloadText() {
    return new String(payload, StandardCharsets.UTF_8);
  }

  /**
   * Whether RSV1 (the permessage-deflate bit) is set.
   *
   * @return whether RSV1 is set
   */
  public boolean rsv1() {
    return (rsv & RSV1) != 0;
  }

  /**
   * Whether this is a control frame (opcode 8 or above).
   *
   * @return true for a close, ping or pong frame (or a reserved control opcode)
   */
  public boolean isControl() {
    return opcode >= 0x8;
  }

  /**
   * The close status code of a close frame's payload, or -1 if the payload has no code.
   *
   * @return the close code, or -1
   */
  public int closeCode() {
    if (payload.length < 2) {
      return -1;
    }
    return ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
  }

  /**
   * The close reason of a close frame's payload (UTF-8), or "" if there is none.
   *
   * @return the close reason, or ""
   */
  public String closeReason() {
    if (payload.length <= 2) {
      return "";
    }
    return new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8);
  }

  /**
   * This frame with another FIN bit.
   *
   * @param newFin the new FIN bit
   * @return a copy of this frame with that FIN bit
   */
  public WireFrame withFin(boolean newFin) {
    return new WireFrame(newFin, rsv, opcode, payload, masked);
  }

  /**
   * This frame with other RSV bits (0–7).
   *
   * @param newRsv the new RSV bits, 0–7
   * @return a copy of this frame with those RSV bits
   */
  public WireFrame withRsv(int newRsv) {
    return new WireFrame(fin, newRsv, opcode, payload, masked);
  }

  /**
   * This frame with another opcode (0–15).
   *
   * @param newOpcode the new opcode, 0–15
   * @return a copy of this frame with that opcode
   */
  public WireFrame withOpcode(int newOpcode) {
    return new WireFrame(fin, rsv, newOpcode, payload, masked);
  }

  /**
   * This frame with {@link #masked()} cleared, e.g. to compare a received frame to a built one.
   *
   * @return a copy of this frame, not marked masked
   */
  public WireFrame unmaskedCopy() {
    return new WireFrame(fin, rsv, opcode, payload, false);
  }

  /**
   * The name of an opcode ("TEXT", "PING", ..., or "RESERVED-3").
   *
   * @param opcode the opcode
   * @return the opcode's name
   */
  public static String opcodeName(int opcode) {
    switch (opcode) {
      case CONTINUATION:
        return "CONTINUATION";
      case TEXT:
        return "TEXT";
      case BINARY:
        return "BINARY";
      case CLOSE:
        return "CLOSE";
      case PING:
        return "PING";
      case PONG:
        return "PONG";
      default:
        return "RESERVED-" + opcode;
    }
  }

  /**
   * A fresh random 4-byte masking key.
   *
   * @return a new masking key
   */
  public static byte[] randomMaskKey() {
    byte[] key = new byte[4];
    ThreadLocalRandom.current().nextBytes(key);
    return key;
  }

  /**
   * Encodes this frame; see {@link #encode(WireFrame, byte[])}.
   *
   * @param maskKey a 4-byte masking key, or null to send unmasked
   * @return the frame's bytes
   */
  public byte[] encode(byte[] maskKey) {
    return encode(this, maskKey);
  }

  /**
   * Encodes a frame with the shortest length encoding, masked with {@code maskKey} if it is not
   * null (clients must mask, servers must not; both can be violated on purpose).
   *
   * @param frame the frame; its {@link #masked()} flag is ignored
   * @param maskKey a 4-byte masking key, or null to send unmasked
   * @return the frame's bytes
   * @throws IllegalArgumentException if the key is not 4 bytes
   */
  public static byte[] encode(WireFrame frame, byte[] maskKey) {
    if (maskKey != null && maskKey.length != 4) {
      throw new IllegalArgumentException("mask key must be 4 bytes, was " + maskKey.length);
    }
    byte[] data = frame.payload;
    int n = data.length;
    int lengthBytes = n <= 125 ? 0 : n <= 0xFFFF ? 2 : 8;
    int maskBytes = maskKey == null ? 0 : 4;
    byte[] out = new byte[2 + lengthBytes + maskBytes + n];
    out[0] = (byte) ((frame.fin ? 0x80 : 0) | (frame.rsv << 4) | frame.opcode);
    int maskBit = maskKey == null ? 0 : 0x80;
    int pos = 2;
    if (lengthBytes == 0) {
      out[1] = (byte) (maskBit | n);
    } else if (lengthBytes == 2) {
      out[1] = (byte) (maskBit | 126);
      out[2] = (byte) (n >>> 8);
      out[3] = (byte) n;
      pos = 4;
    } else {
      out[1] = (byte) (maskBit | 127);
      long len = n;
      for (int i = 0; i < 8; i++) {
        out[2 + i] = (byte) (len >>> (56 - 8 * i));
      }
      pos = 10;
    }
    if (maskKey != null) {
      System.arraycopy(maskKey, 0, out, pos, 4);
      pos += 4;
      for (int i = 0; i < n; i++) {
        out[pos + i] = (byte) (data[i] ^ maskKey[i & 3]);
      }
    } else {
      System.arraycopy(data, 0, out, pos, n);
    }
    return out;
  }

  /**
   * Like {@link #decode(InputStream, int)} with {@link #DEFAULT_MAX_PAYLOAD}.
   *
   * @param in the stream, positioned at a frame's first byte
   * @return the frame
   * @throws IOException if the stream ends before the frame is complete, the payload exceeds the
   *     default maximum, or on a read error
   */
  public static WireFrame decode(InputStream in) throws IOException {
    return decode(in, DEFAULT_MAX_PAYLOAD);
  }

  /**
   * Reads exactly one frame, blocking until it is complete; the payload is unmasked and {@link
   * #masked()} tells whether it was masked.
   *
   * @param in the stream, positioned at a frame's first byte
   * @param maxPayload the largest payload accepted
   * @return the frame
   * @throws EOFException if the stream ends before the frame is complete
   * @throws IOException if the announced payload exceeds {@code maxPayload}, or on a read error
   */
  public static WireFrame decode(InputStream in, int maxPayload) throws IOException {
    int b0 = in.read();
    if (b0 < 0) {
      throw new EOFException("end of stream before a frame");
    }
    int b1 = readByte(in);
    int len7 = b1 & 0x7F;
    long length;
    if (len7 == 126) {
      length = ((long) readByte(in) << 8) | readByte(in);
    } else if (len7 == 127) {
      length = 0;
      for (int i = 0; i < 8; i++) {
        length = (length << 8) | readByte(in);
      }
    } else {
      length = len7;
    }
    if (length < 0 || length > maxPayload) {
      throw new IOException(
          "frame payload length " + Long.toUnsignedString(length) + " exceeds " + maxPayload);
    }
    boolean isMasked = (b1 & 0x80) != 0;
    byte[] key = isMasked ? readFully(in, 4) : null;
    byte[] data = readFully(in, (int) length);
    if (key != null) {
      for (int i = 0; i < data.length; i++) {
        data[i] ^= key[i & 3];
      }
    }
    return new WireFrame((b0 & 0x80) != 0, (b0 >>> 4) & 7, b0 & 0xF, data, isMasked);
  }

  /**
   * The total encoded length of the frame starting at {@code buf[off]}, if enough of its header is
   * present to tell; -1 otherwise. Used to decode frames from accumulated bytes without blocking.
   *
   * @param buf the bytes
   * @param off where the frame starts
   * @param available how many bytes are present from {@code off}
   * @return the frame's total length (header, key and payload), or -1 if not yet known
   */
  static long encodedLength(byte[] buf, int off, int available) {
    if (available < 2) {
      return -1;
    }
    int b1 = buf[off + 1] & 0xFF;
    int len7 = b1 & 0x7F;
    int header = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((b1 & 0x80) != 0 ? 4 : 0);
    if (available < header) {
      return -1;
    }
    long length;
    if (len7 == 126) {
      length = ((buf[off + 2] & 0xFFL) << 8) | (buf[off + 3] & 0xFFL);
    } else if (len7 == 127) {
      length = 0;
      for (int i = 0; i < 8; i++) {
        length = (length << 8) | (buf[off + 2 + i] & 0xFFL);
      }
    } else {
      length = len7;
    }
    if (length < 0) {
      return Long.MAX_VALUE;
    }
    return header + length;
  }

  /** Decodes one complete frame held in {@code buf[off, off + len)}. */
  static WireFrame decodeComplete(byte[] buf, int off, int len) {
    try {
      return decode(new ByteArrayInputStream(buf, off, len), Integer.MAX_VALUE);
    } catch (IOException e) {
      throw new IllegalStateException("incomplete frame passed as complete", e);
    }
  }

  private static int readByte(InputStream in) throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new EOFException("end of stream inside a frame header");
    }
    return b;
  }

  private static byte[] readFully(InputStream in, int n) throws IOException {
    byte[] data = in.readNBytes(n);
    if (data.length < n) {
      throw new EOFException("end of stream inside a frame: " + data.length + " of " + n + " bytes");
    }
    return data;
  }

  /** Compares FIN, RSV bits, opcode and payload; {@link #masked()} is ignored. */
  @Override
  public boolean equals(Object o) {
    return o instanceof WireFrame
        && ((WireFrame) o).fin == fin
        && ((WireFrame) o).rsv == rsv
        && ((WireFrame) o).opcode == opcode
        && Arrays.equals(((WireFrame) o).payload, payload);
  }

  /** Hashes FIN, RSV bits, opcode and payload; {@link #masked()} is ignored. */
  @Override
  public int hashCode() {
    return Objects.hash(fin, rsv, opcode) * 31 + Arrays.hashCode(payload);
  }

  /** A readable form: opcode, flags, length and the payload as text or hex (first 64 bytes). */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(opcodeName(opcode));
    sb.append(fin ? "" : " !fin");
    if (rsv != 0) {
      sb.append(" rsv=").append(rsv);
    }
    if (masked) {
      sb.append(" masked");
    }
    sb.append(" len=").append(payload.length);
    if (opcode == CLOSE && payload.length >= 2) {
      sb.append(" code=").append(closeCode()).append(" reason=\"").append(closeReason()).append('"');
    } else if (payload.length > 0) {
      int shown = Math.min(payload.length, 64);
      if (opcode == TEXT || (opcode == CONTINUATION && isPrintable(shown))) {
        sb.append(" \"").append(new String(payload, 0, shown, StandardCharsets.UTF_8)).append('"');
      } else {
        sb.append(" 0x").append(HexFormat.of().formatHex(payload, 0, shown));
      }
      if (shown < payload.length) {
        sb.append("...");
      }
    }
    return "WireFrame[" + sb + "]";
  }

  private boolean isPrintable(int n) {
    for (int i = 0; i < n; i++) {
      int b = payload[i] & 0xFF;
      if (b < 0x20 && b != '\n' && b != '\r' && b != '\t') {
        return false;
      }
    }
    return true;
  }
}
