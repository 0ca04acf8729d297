package io.github.wsproxy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A whole WebSocket data message: text or binary. Interceptors receive messages from the proxy and
 * create their own with {@link #text(String)} and {@link #binary(byte[])}. Immutable.
 */
public final class Message {
  private final String text;
  private final byte[] data;

  private Message(String text, byte[] data) {
    this.text = text;
    this.data = data;
  }

  /**
   * A text message.
   *
   * @param text the message's text
   * @return a text message
   */
  public static Message text(String text) {
    return new Message(Objects.requireNonNull(text, "text"), null);
  }

  /**
   * A binary message; the array is copied.
   *
   * @param data the message's bytes
   * @return a binary message
   */
  public static Message binary(byte[] data) {
    return new Message(null, Objects.requireNonNull(data, "data").clone());
  }

  /**
   * A binary message of the buffer's remaining bytes, which are copied.
   *
   * @param data the buffer whose remaining bytes are the message; its position is not changed
   * @return a binary message
   */
  public static Message binary(ByteBuffer data) {
    byte[] copy = new byte[data.remaining()];
    data.duplicate().get(copy);
    return new Message(null, copy);
  }

  /**
   * Whether this is a text message.
   *
   * @return true for a text message, false for a binary one
   */
  public boolean isText() {
    return text != null;
  }

  /**
   * The text of a text message.
   *
   * @return the message's text
   * @throws IllegalStateException for a binary message
   */
  public String text() {
    if (text == null) {
      throw new IllegalStateException("binary message has no text");
    }
    return text;
  }

  /**
   * The payload as a read-only buffer: the binary data, or the text's UTF-8 bytes.
   *
   * @return the payload, read-only
   */
  public ByteBuffer data() {
    return ByteBuffer.wrap(text != null ? text.getBytes(StandardCharsets.UTF_8) : data).asReadOnlyBuffer();
  }

  /**
   * A copy of the payload: the binary data, or the text's UTF-8 bytes.
   *
   * @return a new array holding the payload
   */
  public byte[] bytes() {
    return text != null ? text.getBytes(StandardCharsets.UTF_8) : data.clone();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Message that
        && Objects.equals(text, that.text)
        && Arrays.equals(data, that.data);
  }

  @Override
  public int hashCode() {
    return text != null ? text.hashCode() : Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return text != null ? "Message.text(" + text.length() + " chars)" : "Message.binary(" + data.length + " bytes)";
  }
}
