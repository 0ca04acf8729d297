package io.github.wsproxy.internal.loop;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls a ready handler for a {@link Transport}, isolating its failure: a handler's exception, or
 * a class it cannot load (as when descriptors run out), is logged and the loop goes on serving the
 * others; only a {@link VirtualMachineError} ends the loop.
 */
public final class Handlers {
  /** The event loop's logger: where a failing handler has always been reported. */
  private static final Logger log = LoggerFactory.getLogger(EventLoop.class);

  private Handlers() {}

  /** Tells {@code handler} that {@code readyOps} are ready; on the loop's thread. */
  public static void ready(Readiness handler, int readyOps) {
    try {
      handler.onReady(readyOps);
    } catch (RuntimeException | LinkageError e) {
      log.error("connection handler failed on {}", Thread.currentThread().getName(), e);
    }
  }
}
