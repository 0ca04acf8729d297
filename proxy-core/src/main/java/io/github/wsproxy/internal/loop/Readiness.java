package io.github.wsproxy.internal.loop;

import java.nio.channels.SelectionKey;

/** What a selection key's attachment does when its channel is ready. Runs on the key's loop. */
public interface Readiness {
  void onReady(SelectionKey key);
}
