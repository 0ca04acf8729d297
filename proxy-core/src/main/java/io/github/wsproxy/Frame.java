package io.github.wsproxy;

import java.nio.ByteBuffer;

/**
 * One data frame of a message as it streams through the proxy, given to {@link
 * Interceptor#onClientFrame} and {@link Interceptor#onUpstreamFrame}. Its payload is unmasked and
 * read-only, and valid only during the callback.
 */
public interface Frame {

  /**
   * Whether the frame's message is text (for a continuation frame too: the message's type).
   *
   * @return true for a frame of a text message, false for a binary one
   */
  boolean isText();

  /**
   * Whether this frame starts its message (it is not a continuation frame).
   *
   * @return true for the first frame of a message
   */
  boolean isFirst();

  /**
   * Whether this frame ends its message (FIN).
   *
   * @return true for the final frame of a message
   */
  boolean isLast();

  /**
   * The payload: a read-only view, valid only during the callback.
   *
   * @return the frame's payload, read-only
   */
  ByteBuffer payload();
}
