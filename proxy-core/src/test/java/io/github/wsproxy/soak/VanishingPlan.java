package io.github.wsproxy.soak;

import io.github.wsproxy.testing.WireFrame;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.Deflater;

/**
 * What one connection of {@link VanishingPeerChaosTest} does, drawn from its seed: which side
 * sends, the messages it sends (text or binary, some compressed, some fragmented, pings between
 * fragments), the byte offset of its encoded frames at which it vanishes, and how (FIN or RST).
 */
final class VanishingPlan {
  /** Where a cut falls in the sender's byte stream. */
  enum Place { FRAME_HEADER, PAYLOAD, FRAME_BOUNDARY }

  /** A data message as the receiver reassembles it. */
  record Message(int opcode, boolean compressed, byte[] payload) {
    boolean sameAs(Message other) {
      return opcode == other.opcode && compressed == other.compressed && Arrays.equals(payload, other.payload);
    }

    @Override
    public String toString() {
      return WireFrame.opcodeName(opcode) + (compressed ? " compressed" : "") + " of " + payload.length + " bytes";
    }
  }

  final boolean clientSends;
  final boolean reset;
  final List<Message> messages = new ArrayList<>();
  /** Every frame sent, pings included, in order, with the message it belongs to (-1 for a ping). */
  final List<WireFrame> frames = new ArrayList<>();
  final List<Integer> messageOfFrame = new ArrayList<>();
  /** The sender's bytes on the wire (masked when the client sends), and where each frame starts. */
  final byte[] wire;
  final int[] frameStarts;
  final int cut;
  final Place place;
  final boolean insideFragmentedMessage;
  final boolean insideCompressedMessage;

  VanishingPlan(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    clientSends = random.nextBoolean();
    reset = random.nextBoolean();
    int count = 1 + random.nextInt(5);
    for (int m = 0; m < count; m++) {
      addMessage(random, m);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    frameStarts = new int[frames.size() + 1];
    for (int f = 0; f < frames.size(); f++) {
      frameStarts[f] = out.size();
      byte[] key = null;
      if (clientSends) {
        key = new byte[4];
        random.nextBytes(key);
      }
      out.writeBytes(WireFrame.encode(frames.get(f), key));
    }
    frameStarts[frames.size()] = out.size();
    wire = out.toByteArray();
    cut = chooseCut(random);
    int frame = frameAt(cut);
    int message;
    if (frame >= 0) {
      place = cut - frameStarts[frame] < headerLength(frame) ? Place.FRAME_HEADER : Place.PAYLOAD;
      // a ping is inside the message whose fragments surround it
      message = messageOfFrame.get(frame) >= 0 || frame == 0 ? messageOfFrame.get(frame) : messageOfFrame.get(frame - 1);
    } else {
      place = Place.FRAME_BOUNDARY;
      int next = Arrays.binarySearch(frameStarts, cut);
      boolean between = next > 0 && next < frames.size();
      message = between && messageOfFrame.get(next - 1) >= 0 && messageOfFrame.get(next - 1).equals(messageOfFrame.get(next))
          ? messageOfFrame.get(next) : -1;
    }
    insideFragmentedMessage = message >= 0 && fragmentsOf(message) > 1;
    insideCompressedMessage = message >= 0 && messages.get(message).compressed();
  }

  /** The messages whose every frame lies before the cut: all a receiver may get. */
  List<Message> completeBeforeCut() {
    List<Message> complete = new ArrayList<>();
    for (int m = 0; m < messages.size(); m++) {
      int last = -1;
      for (int f = 0; f < frames.size(); f++) {
        if (messageOfFrame.get(f) == m) {
          last = f;
        }
      }
      if (frameStarts[last + 1] <= cut) {
        complete.add(messages.get(m));
      }
    }
    return complete;
  }

  private void addMessage(SplittableRandom random, int index) {
    boolean text = random.nextBoolean();
    boolean compressed = random.nextInt(3) == 0;
    int size = switch (random.nextInt(10)) {
      case 0 -> 0;
      case 1 -> 126 + random.nextInt(400);
      case 2 -> 65_536 + random.nextInt(2_000);
      default -> 1 + random.nextInt(125);
    };
    byte[] plain = text ? text(random, size) : bytes(random, size);
    byte[] payload = compressed ? deflate(plain) : plain;
    int opcode = text ? WireFrame.TEXT : WireFrame.BINARY;
    messages.add(new Message(opcode, compressed, payload));
    int fragments = random.nextInt(3) == 0 ? 2 + random.nextInt(3) : 1;
    int[] bounds = new int[fragments + 1];
    bounds[fragments] = payload.length;
    for (int i = 1; i < fragments; i++) {
      bounds[i] = bounds[i - 1] + random.nextInt(payload.length - bounds[i - 1] + 1);
    }
    for (int i = 0; i < fragments; i++) {
      byte[] part = Arrays.copyOfRange(payload, bounds[i], bounds[i + 1]);
      int rsv = i == 0 && compressed ? WireFrame.RSV1 : 0;
      frames.add(new WireFrame(i == fragments - 1, rsv, i == 0 ? opcode : WireFrame.CONTINUATION, part, false));
      messageOfFrame.add(index);
      if (random.nextInt(7) == 0) {
        byte[] ping = new byte[random.nextInt(10)];
        random.nextBytes(ping);
        frames.add(WireFrame.ping(ping));
        messageOfFrame.add(-1);
      }
    }
  }

  private int fragmentsOf(int message) {
    return (int) messageOfFrame.stream().filter(m -> m == message).count();
  }

  /** A quarter at a frame boundary, a quarter inside a header, the rest anywhere. */
  private int chooseCut(SplittableRandom random) {
    int frame = random.nextInt(frames.size());
    return switch (random.nextInt(4)) {
      case 0 -> frameStarts[random.nextInt(frames.size() + 1)];
      case 1 -> frameStarts[frame] + random.nextInt(headerLength(frame));
      default -> random.nextInt(wire.length + 1);
    };
  }

  /** The frame whose bytes the offset falls strictly inside (after its first byte), or -1 at a boundary. */
  private int frameAt(int offset) {
    for (int f = 0; f < frames.size(); f++) {
      if (offset >= frameStarts[f] && offset < frameStarts[f + 1]) {
        return offset == frameStarts[f] ? -1 : f;
      }
    }
    return -1;
  }

  int headerLength(int frame) {
    return frameStarts[frame + 1] - frameStarts[frame] - frames.get(frame).length();
  }

  private static byte[] text(SplittableRandom random, int size) {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    while (text.size() < size) {
      int codePoint = switch (random.nextInt(4)) {
        case 0 -> 0xe9;
        case 1 -> 0x20ac;
        case 2 -> 0x1f600;
        default -> 'a' + random.nextInt(26);
      };
      text.writeBytes(new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8));
    }
    return text.toByteArray();
  }

  private static byte[] bytes(SplittableRandom random, int size) {
    byte[] bytes = new byte[size];
    random.nextBytes(bytes);
    return bytes;
  }

  /** A permessage-deflate payload (RFC 7692): raw deflate, sync-flushed, without its 00 00 ff ff tail. */
  private static byte[] deflate(byte[] plain) {
    Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
    try {
      deflater.setInput(plain);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] chunk = new byte[8192];
      int n;
      while ((n = deflater.deflate(chunk, 0, chunk.length, Deflater.SYNC_FLUSH)) > 0) {
        out.write(chunk, 0, n);
      }
      byte[] all = out.toByteArray();
      return Arrays.copyOf(all, all.length - 4);
    } finally {
      deflater.end();
    }
  }
}
