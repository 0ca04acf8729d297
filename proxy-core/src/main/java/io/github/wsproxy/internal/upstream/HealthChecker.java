package io.github.wsproxy.internal.upstream;

import io.github.wsproxy.HealthCheck;
import io.github.wsproxy.internal.frame.CloseFrames;
import io.github.wsproxy.internal.frame.WebSocketProtocol;
import io.github.wsproxy.internal.http.HeadReader;
import io.github.wsproxy.internal.http.HttpHead;
import io.github.wsproxy.internal.http.MalformedHttpException;
import io.github.wsproxy.internal.http.UpstreamUrls;
import io.github.wsproxy.internal.http.WebSocketKeys;
import io.github.wsproxy.internal.loop.Conduit;
import io.github.wsproxy.internal.loop.EventLoop;
import io.github.wsproxy.internal.loop.Readiness;
import io.github.wsproxy.internal.tls.TlsContexts;
import io.github.wsproxy.internal.tls.TlsSession;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The active health check of a pool: on one event loop's tick, each server gets a probe every
 * interval, a non-blocking TCP connect and, for a WebSocket check, a handshake (over TLS, verified
 * like a connection's, for a {@code wss://} server); the verdict goes to
 * {@link ServerState#probed}. No thread of its own, no thread per server. Every method runs on the
 * loop.
 */
public final class HealthChecker {
  private static final int MAX_ANSWER_BYTES = 16 * 1024;

  private final UpstreamPool pool;
  private final EventLoop loop;
  private final HealthCheck check;
  private final Probe[] probes;
  private final TlsContexts tls;
  private boolean stopped;

  /** Probes on {@code loop}, driven by {@link #tick} calls on that loop. */
  public HealthChecker(UpstreamPool pool, EventLoop loop, TlsContexts tls) {
    this.pool = pool;
    this.loop = loop;
    this.tls = tls;
    this.check = pool.group().healthCheck();
    ServerState[] servers = pool.servers();
    this.probes = new Probe[servers.length];
    for (int i = 0; i < servers.length; i++) {
      probes[i] = new Probe(servers[i]);
    }
  }

  /** Stops probing and closes any probe in flight; call on the loop. */
  public void stop() {
    stopped = true;
    for (Probe probe : probes) {
      probe.abandon();
    }
  }

  /** Starts the probes that are due and ends the late ones; call on the loop about every 100 ms. */
  public void tick(long now) {
    if (stopped) {
      return;
    }
    for (Probe probe : probes) {
      if (probe.conduit != null || probe.resolving) {
        if (now - probe.deadline > 0) {
          probe.done(false, "no answer within " + check.timeout().toMillis() + " ms");
        }
      } else if (now - probe.nextStart >= 0) {
        probe.start(now);
      }
    }
  }

  /** The probing of one server; one probe in flight at a time. */
  private final class Probe implements Readiness {
    private final ServerState server;
    private long nextStart = System.nanoTime();
    private long deadline;
    private boolean resolving;
    private int generation;
    private Conduit conduit;
    private ByteBuffer out;
    private HeadReader answer;
    private String webSocketKey;
    /** TLS toward a wss:// server; null for ws://. */
    private TlsSession session;

    Probe(ServerState server) {
      this.server = server;
    }

    void start(long now) {
      nextStart = now + check.interval().toNanos();
      deadline = now + check.timeout().toNanos();
      resolving = true;
      int started = ++generation;
      pool.resolve(server, loop, address -> {
        if (started == generation && !stopped) {
          connect(address);
        }
      }, e -> {
        if (started == generation && !stopped) {
          done(false, "cannot resolve: " + e.getMessage());
        }
      });
    }

    private void connect(SocketAddress address) {
      resolving = false;
      try {
        conduit = loop.transport().connect(address, this);
        if (conduit.isConnected()) {
          connected();
        }
      } catch (IOException | RuntimeException e) {
        done(false, "cannot connect: " + e.getMessage());
      }
    }

    @Override
    public void onReady(int readyOps) {
      try {
        if ((readyOps & Conduit.OP_CONNECT) != 0 && conduit.finishConnect()) {
          connected();
        } else if (session != null && !session.handshakeDone()) {
          advanceTls();
        } else if ((readyOps & Conduit.OP_WRITE) != 0) {
          write();
        } else if ((readyOps & Conduit.OP_READ) != 0) {
          read();
        }
      } catch (IOException e) {
        done(false, e.getMessage());
      }
    }

    private void connected() throws IOException {
      if (check.isTcp()) {
        done(true, "connected");
        return;
      }
      webSocketKey = WebSocketKeys.newKey();
      answer = new HeadReader(MAX_ANSWER_BYTES);
      out = ByteBuffer.wrap(("GET " + check.path() + " HTTP/1.1\r\nHost: "
          + (UpstreamUrls.isUnixSocket(server.url()) ? UpstreamUrls.authority(server.url()) : server.authority())
          + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + webSocketKey
          + "\r\nSec-WebSocket-Version: 13\r\nUser-Agent: wsproxy-health-check\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      if ("wss".equalsIgnoreCase(server.url().getScheme())) {
        session = tls.newUpstreamSession(server.url().getHost(), server.port);
        advanceTls();
        return;
      }
      conduit.interestOps(Conduit.OP_READ);
      write();
    }

    /** Advances the TLS handshake; once complete, the WebSocket handshake request goes out. */
    private void advanceTls() throws IOException {
      int started = generation;
      TlsSession.Step step = session.handshake(conduit, () -> loop.execute(() -> {
        if (started == generation && session != null) {
          try {
            advanceTls();
          } catch (IOException e) {
            done(false, "TLS: " + e.getMessage());
          }
        }
      }));
      switch (step) {
        case DONE -> write();
        case NEED_READ -> conduit.interestOps(Conduit.OP_READ);
        case NEED_WRITE -> conduit.interestOps(Conduit.OP_WRITE);
        default -> conduit.interestOps(0);
      }
    }

    private void write() throws IOException {
      boolean pending;
      if (session == null) {
        conduit.write(out);
        pending = out.hasRemaining();
      } else {
        session.write(conduit, out);
        pending = out.hasRemaining() || !session.flush(conduit);
      }
      conduit.interestOps(pending ? Conduit.OP_READ | Conduit.OP_WRITE : Conduit.OP_READ);
    }

    private void read() throws IOException {
      ByteBuffer buffer = ByteBuffer.allocate(2048);
      if ((session == null ? conduit.read(buffer) : session.read(conduit, buffer)) < 0) {
        done(false, "connection closed before the handshake answer");
        return;
      }
      buffer.flip();
      if (!answer.append(buffer)) {
        if (answer.overLimit()) {
          done(false, "handshake answer too large");
        }
        return;
      }
      HttpHead head;
      try {
        head = answer.parse(true);
      } catch (MalformedHttpException e) {
        done(false, "malformed handshake answer: " + e.getMessage());
        return;
      }
      if (!head.second().equals("101")) {
        done(false, "answered " + head.second());
      } else if (!WebSocketKeys.accept(webSocketKey).equals(head.value("sec-websocket-accept"))) {
        done(false, "answered 101 with a wrong Sec-WebSocket-Accept");
      } else {
        ByteBuffer close = CloseFrames.of(WebSocketProtocol.CLOSE_NORMAL, "health check", true, loop.masking().nextKey());
        if (session == null) {
          conduit.write(close);
        } else {
          session.write(conduit, close);
        }
        done(true, "answered 101");
      }
    }

    void done(boolean up, String why) {
      abandon();
      server.probed(up, why);
    }

    void abandon() {
      generation++;
      resolving = false;
      out = null;
      answer = null;
      if (session != null) {
        session.closeQuietly(conduit);
        session.release();
        session = null;
      }
      if (conduit != null) {
        try {
          conduit.close();
        } catch (IOException e) {
          // nothing to release
        }
        conduit = null;
      }
    }
  }
}
