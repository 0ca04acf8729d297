package io.github.wsproxy.examples.bench;

import java.util.List;

/** The open connections of one {@link EchoLoad} run, driven by one client implementation. */
interface EchoClient extends AutoCloseable {

  /** The connections, opening or open. */
  List<? extends EchoConnection> connections();

  /** Has every connection, open by now, send its first messages in flight; from then on each echo sends the next. */
  void startSending();

  /** Closes every connection and ends the client's threads. */
  @Override
  void close();
}
