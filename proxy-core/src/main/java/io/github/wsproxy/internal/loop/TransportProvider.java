package io.github.wsproxy.internal.loop;

import java.io.IOException;
import java.net.InetSocketAddress;

/** A kind of transport (NIO, io_uring): opens one {@link Transport} per event loop, and listen sockets. */
public interface TransportProvider {
  /** "nio" or "io_uring", as logged at start. */
  String name();

  Transport open() throws IOException;

  /** Binds a listen socket (SO_REUSEADDR) now, on the calling thread. */
  Listening listen(InetSocketAddress address, int backlog) throws IOException;
}
