package io.github.wsproxy.internal.uring;

import io.github.wsproxy.internal.loop.Accepted;
import java.lang.foreign.Arena;

/** A socket accepted by a multishot accept, not registered with a loop yet: its descriptor. */
record UringAccepted(int fd) implements Accepted {
  @Override
  public void close() {
    try (Arena arena = Arena.ofConfined()) {
      Native.close(Native.errnoSegment(arena), fd);
    }
  }
}
