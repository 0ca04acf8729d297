package io.github.wsproxy.internal.relay;

import io.github.wsproxy.internal.loop.BufferPool;
import io.github.wsproxy.internal.loop.Conduit;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Frames a client sent after its request head, before the upstream's answer: they go upstream
 * once the connection opens. Past the proxy's maxHeaderBytes the client is no longer read until
 * then: the kernel's buffers hold the rest.
 */
final class EarlyClientBytes {
  private final Leg client;
  private final int max;
  private byte[] bytes;

  EarlyClientBytes(Leg client, int max, byte[] afterHead) {
    this.client = client;
    this.max = max;
    this.bytes = afterHead;
  }

  /** Reads what the client sent, up to the limit; -1 when it closed. */
  int read(BufferPool pool) throws IOException {
    return client.readHandshake(pool, Math.max(1, max - bytes.length), this::keep);
  }

  private void keep(ByteBuffer more) {
    byte[] kept = Arrays.copyOf(bytes, bytes.length + more.remaining());
    more.get(kept, bytes.length, more.remaining());
    bytes = kept;
    pauseWhenFull();
  }

  /** Stops reading the client once the bytes kept reach the limit; the open relay reads it again. */
  void pauseWhenFull() {
    if (bytes.length >= max) {
      client.interest(Conduit.OP_READ, false);
    }
  }

  /** Hands the bytes over to the relay. */
  byte[] take() {
    byte[] all = bytes;
    bytes = null;
    return all;
  }
}
