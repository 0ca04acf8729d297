package io.github.wsproxy.examples.bench;

import java.io.IOException;
import java.net.ProtocolException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The client side of WebSocket on raw bytes, shared by the light NIO loads ({@link NioEchoClient},
 * {@link NioHandshakeClient}): the upgrade request and the check of its answer, masked frames, the
 * heads of the server's frames, and the writes. Trusted peers only: it checks little.
 */
final class RawWebSocket {
  /** The mask of every client frame: fixed, so a masked frame is built once. */
  static final byte[] MASK = {0x5a, (byte) 0xc3, 0x0f, 0x71};

  private RawWebSocket() {}

  /** A fresh Sec-WebSocket-Key: 16 random bytes in Base64. */
  static String newKey() {
    byte[] random = new byte[16];
    ThreadLocalRandom.current().nextBytes(random);
    return Base64.getEncoder().encodeToString(random);
  }

  /** The HTTP/1.1 upgrade request to {@code target} (its path and query) with Sec-WebSocket-Key {@code key}. */
  static byte[] upgradeRequest(URI target, String key) {
    return ("GET " + (target.getRawPath() == null || target.getRawPath().isEmpty() ? "/" : target.getRawPath())
        + (target.getRawQuery() == null ? "" : "?" + target.getRawQuery()) + " HTTP/1.1\r\nHost: " + target.getAuthority()
        + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key
        + "\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * Checks the response {@code answer} just read to the upgrade request with {@code key}: a 101
   * with the right Sec-WebSocket-Accept, or a ProtocolException naming {@code target}.
   */
  static void checkUpgrade(HttpReader answer, String key, URI target) throws ProtocolException {
    if (answer.status() != 101) {
      throw new ProtocolException(target + " answered the WebSocket upgrade with " + answer.startLine());
    }
    String accept = answer.header("Sec-WebSocket-Accept");
    if (!NioEchoUpstream.accept(key).equals(accept)) {
      throw new ProtocolException(target + " answered the upgrade with Sec-WebSocket-Accept " + accept);
    }
  }

  /**
   * Writes what {@code out} (in write mode) holds to {@code channel}, keeping the rest, and has
   * {@code key} select writes too while some is left, else reads only.
   */
  static void flush(SocketChannel channel, ByteBuffer out, SelectionKey key) throws IOException {
    out.flip();
    channel.write(out);
    out.compact();
    int ops = out.position() > 0 ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ;
    if (key.interestOps() != ops) {
      key.interestOps(ops);
    }
  }

  /**
   * A final frame of {@code opcode} carrying {@code payload}, masked with {@link #MASK}: a
   * read-only direct buffer, to be sent as often as needed through duplicates.
   */
  static ByteBuffer maskedFrame(int opcode, byte[] payload) {
    int size = payload.length;
    ByteBuffer frame = ByteBuffer.allocateDirect(14 + size);
    frame.put((byte) (0x80 | opcode));
    if (size < 126) {
      frame.put((byte) (0x80 | size));
    } else if (size <= 0xffff) {
      frame.put((byte) (0x80 | 126)).putShort((short) size);
    } else {
      frame.put((byte) (0x80 | 127)).putLong(size);
    }
    frame.put(MASK);
    for (int i = 0; i < size; i++) {
      frame.put((byte) (payload[i] ^ MASK[i & 3]));
    }
    return frame.flip().asReadOnlyBuffer();
  }

  /**
   * The length of the head of the server frame starting at {@code in}'s position, 0 while the head
   * is incomplete; throws, naming {@code target}, for a masked frame. Moves nothing.
   */
  static int headLength(ByteBuffer in, URI target) throws ProtocolException {
    if (in.remaining() < 2) {
      return 0;
    }
    int b1 = in.get(in.position() + 1) & 0xff;
    if ((b1 & 0x80) != 0) {
      throw new ProtocolException(target + " sent a masked frame");
    }
    int len7 = b1 & 0x7f;
    int headLength = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0);
    return in.remaining() < headLength ? 0 : headLength;
  }

  /** The payload length of the server frame at {@code in}'s position, whose head is complete. */
  static long payloadLength(ByteBuffer in) {
    int start = in.position();
    int len7 = in.get(start + 1) & 0x7f;
    return len7 == 126 ? in.getShort(start + 2) & 0xffff : len7 == 127 ? in.getLong(start + 2) : len7;
  }

  /** The opcode of the frame at {@code in}'s position. */
  static int opcode(ByteBuffer in) {
    return in.get(in.position()) & 0x0f;
  }

  /** Whether the frame at {@code in}'s position is the final one of its message. */
  static boolean fin(ByteBuffer in) {
    return (in.get(in.position()) & 0x80) != 0;
  }
}
