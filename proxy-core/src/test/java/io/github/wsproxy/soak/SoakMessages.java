package io.github.wsproxy.soak;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.zip.CRC32;

/**
 * The messages of the soak test: each carries its connection, its sequence number and a CRC-32 of
 * its body, so the upstream can check that it arrived intact and the client that its echo is the
 * one it expects next. Text is {@code "conn:seq:crc:body"}; binary is conn (8 bytes), seq (4), crc
 * (4), body.
 */
final class SoakMessages {
  private static final int BINARY_HEADER = 16;
  /** Characters of one, two and three UTF-8 bytes, so split frames can cut inside a character. */
  private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 éüß€✓";

  private SoakMessages() {}

  static String text(long conn, int seq, String body) {
    return conn + ":" + seq + ":" + Long.toHexString(crc(body.getBytes(StandardCharsets.UTF_8))) + ":" + body;
  }

  static byte[] binary(long conn, int seq, byte[] body) {
    return ByteBuffer.allocate(BINARY_HEADER + body.length)
        .putLong(conn).putInt(seq).putInt((int) crc(body)).put(body).array();
  }

  /** A text message's sequence number (-1 when it has none). */
  static int seq(String message) {
    int first = nthColon(message, 1);
    int second = nthColon(message, 2);
    try {
      return second < 0 ? -1 : Integer.parseInt(message.substring(first + 1, second));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** A binary message's sequence number (-1 when it has none). */
  static int seq(byte[] message) {
    return message.length < BINARY_HEADER ? -1 : ByteBuffer.wrap(message, 8, 4).getInt();
  }

  /** Whether a text message's body matches its checksum. */
  static boolean intact(String message) {
    int third = nthColon(message, 3);
    if (third < 0) {
      return false;
    }
    int second = nthColon(message, 2);
    String crc = message.substring(second + 1, third);
    byte[] body = message.substring(third + 1).getBytes(StandardCharsets.UTF_8);
    return crc.equals(Long.toHexString(crc(body)));
  }

  /** Whether a binary message's body matches its checksum. */
  static boolean intact(byte[] message) {
    if (message.length < BINARY_HEADER) {
      return false;
    }
    CRC32 crc = new CRC32();
    crc.update(message, BINARY_HEADER, message.length - BINARY_HEADER);
    return (int) crc.getValue() == ByteBuffer.wrap(message, 12, 4).getInt();
  }

  static String randomText(SplittableRandom random, int chars) {
    StringBuilder text = new StringBuilder(chars);
    for (int i = 0; i < chars; i++) {
      text.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
    }
    return text.toString();
  }

  static byte[] randomBytes(SplittableRandom random, int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return bytes;
  }

  /** A body length: mostly small, sometimes a few KiB, rarely over 64 KiB (several reads). */
  static int randomLength(SplittableRandom random) {
    int roll = random.nextInt(100);
    if (roll < 70) {
      return random.nextInt(200);
    }
    return roll < 98 ? random.nextInt(8 * 1024) : 64 * 1024 + random.nextInt(100 * 1024);
  }

  private static long crc(byte[] bytes) {
    CRC32 crc = new CRC32();
    crc.update(bytes);
    return crc.getValue();
  }

  private static int nthColon(String s, int n) {
    int at = -1;
    for (int i = 0; i < n; i++) {
      at = s.indexOf(':', at + 1);
      if (at < 0) {
        return -1;
      }
    }
    return at;
  }
}
