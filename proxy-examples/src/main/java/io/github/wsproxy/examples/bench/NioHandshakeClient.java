package io.github.wsproxy.examples.bench;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The light client of {@link HandshakeLoad}, plain ws:// only: raw WebSocket over NIO, {@code
 * threads} selector threads of its own with the loops spread round-robin. Each loop connects
 * without blocking, sends the HTTP/1.1 upgrade, checks the 101 and its Sec-WebSocket-Accept, sends
 * a masked close frame with 1000, skips whatever the peer sent before its close frame, then waits
 * for the peer to close the TCP connection, as RFC 6455 has the server close first (so the
 * TIME_WAIT stays with the server and the client's ephemeral ports are not used up), closes its
 * socket and starts the next connection. A handshake that takes longer than {@code timeout} from
 * connect to the peer's FIN fails.
 */
final class NioHandshakeClient implements HandshakeClient {
  /** The close frame every handshake ends with: code 1000, masked. */
  private static final ByteBuffer CLOSE = RawWebSocket.maskedFrame(0x8, new byte[] {0x03, (byte) 0xe8});
  /** Room for the response head: more fails the handshake, as no head of the benchmark's peers is that long. */
  private static final int READ_BUFFER = 8 * 1024;
  /** Room for the upgrade request and the close frame. */
  private static final int WRITE_BUFFER = 1024;
  /** How often a selector thread looks for handshakes past their deadline. */
  private static final long CHECK_MILLIS = 100;

  /** What a handshake waits for. */
  private enum Stage {
    CONNECT("connect"),
    UPGRADE("answer the upgrade"),
    CLOSE("answer the close"),
    EOF("close the connection after its close frame"),
    /** Not in progress: done, or not started yet. */
    IDLE("");

    final String awaited;

    Stage(String awaited) {
      this.awaited = awaited;
    }
  }

  private final URI target;
  private final int concurrency;
  private final int threads;
  private final Duration timeout;

  NioHandshakeClient(URI target, int concurrency, int threads, Duration timeout) {
    this.target = target;
    this.concurrency = concurrency;
    this.threads = threads;
    this.timeout = timeout;
  }

  @Override
  public CompletableFuture<Void> start(HandshakeTally tally) throws IOException {
    InetSocketAddress address = new InetSocketAddress(target.getHost(), target.getPort() > 0 ? target.getPort() : 80);
    List<Loop> loops = new ArrayList<>();
    try {
      for (int i = 0; i < threads; i++) {
        loops.add(new Loop(Selector.open(), address, tally, "handshake-client-" + i));
      }
    } catch (IOException e) {
      loops.forEach(loop -> NioEchoUpstream.closeQuietly(loop.selector));
      throw e;
    }
    for (int i = 0; i < concurrency; i++) {
      loops.get(i % threads).add();
    }
    loops.forEach(loop -> loop.thread.start());
    return CompletableFuture.allOf(loops.stream().map(loop -> loop.ended).toArray(CompletableFuture<?>[]::new));
  }

  /** A selector thread and its loops, which only it touches once it runs. */
  private final class Loop implements Runnable {
    final Selector selector;
    final InetSocketAddress address;
    final HandshakeTally tally;
    final Thread thread;
    final CompletableFuture<Void> ended = new CompletableFuture<>();
    final List<Handshake> handshakes = new ArrayList<>();
    /** Loops between two connections: they start the next one in the thread's next turn. */
    final ArrayDeque<Handshake> ready = new ArrayDeque<>();
    /** Loops not ended yet. */
    int running;

    Loop(Selector selector, InetSocketAddress address, HandshakeTally tally, String name) {
      this.selector = selector;
      this.address = address;
      this.tally = tally;
      this.thread = new Thread(this, name);
      thread.setDaemon(true);
    }

    void add() {
      Handshake handshake = new Handshake(this);
      handshakes.add(handshake);
      ready.add(handshake);
      running++;
    }

    @Override
    public void run() {
      try {
        long nextCheck = System.nanoTime();
        while (running > 0) {
          for (int n = ready.size(); n > 0; n--) {
            ready.poll().connect();
          }
          if (ready.isEmpty()) {
            selector.select(key -> ((Handshake) key.attachment()).onReady(), CHECK_MILLIS);
          } else {
            selector.selectNow(key -> ((Handshake) key.attachment()).onReady());
          }
          long now = System.nanoTime();
          if (now - nextCheck >= 0) {
            nextCheck = now + CHECK_MILLIS * 1_000_000;
            handshakes.forEach(h -> h.checkDeadline(now));
          }
        }
      } catch (IOException | RuntimeException e) {
        tally.failed(e);
        handshakes.forEach(Handshake::close);
      } finally {
        NioEchoUpstream.closeQuietly(selector);
        ended.complete(null);
      }
    }

    /** Has {@code handshake}, which just ended, start the next one, or end when the tally is stopped. */
    void next(Handshake handshake) {
      if (tally.stopped()) {
        running--;
      } else {
        ready.add(handshake);
      }
    }
  }

  /** One loop: a connection at a time, the buffers reused. */
  private final class Handshake {
    private final Loop loop;
    private final ByteBuffer in = ByteBuffer.allocateDirect(READ_BUFFER);
    /** Bytes to write, in write mode. */
    private final ByteBuffer out = ByteBuffer.allocateDirect(WRITE_BUFFER);
    private Stage stage = Stage.IDLE;
    private SocketChannel channel;
    private SelectionKey key;
    private String nonce;
    private HttpReader answer;
    private long deadline;
    /** Payload bytes of a frame before the close frame still to skip. */
    private long skip;

    Handshake(Loop loop) {
      this.loop = loop;
    }

    /** Starts a connection: connect, then the upgrade. */
    void connect() {
      in.clear();
      out.clear();
      nonce = RawWebSocket.newKey();
      out.put(RawWebSocket.upgradeRequest(target, nonce));
      answer = new HttpReader();
      skip = 0;
      deadline = System.nanoTime() + timeout.toNanos();
      stage = Stage.CONNECT;
      try {
        channel = SocketChannel.open();
        channel.configureBlocking(false);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        key = channel.register(loop.selector, 0, this);
        if (channel.connect(loop.address)) {
          connected();
        } else {
          key.interestOps(SelectionKey.OP_CONNECT);
        }
      } catch (IOException | RuntimeException e) {
        fail(e);
      }
    }

    void onReady() {
      try {
        if (key.isConnectable()) {
          if (channel.finishConnect()) {
            connected();
          }
          return;
        }
        if (key.isReadable()) {
          read();
        }
        if (stage != Stage.IDLE && key.isWritable()) {
          flush();
        }
      } catch (IOException | RuntimeException e) {
        fail(e);
      }
    }

    private void connected() throws IOException {
      stage = Stage.UPGRADE;
      flush();
    }

    private void flush() throws IOException {
      RawWebSocket.flush(channel, out, key);
    }

    /** Reads what came; once the close frame is in, reads on as the FIN often came with it. */
    private void read() throws IOException {
      int n;
      do {
        n = channel.read(in);
        if (n < 0) {
          if (stage != Stage.EOF) {
            throw new EOFException(target + " closed the connection before it would " + stage.awaited);
          }
          close();
          loop.tally.completed();
          loop.next(this);
          return;
        }
        in.flip();
        if (stage == Stage.UPGRADE && answer.read(in)) {
          RawWebSocket.checkUpgrade(answer, nonce, target);
          stage = Stage.CLOSE;
          out.put(CLOSE.duplicate());
          flush();
        }
        if (stage == Stage.CLOSE) {
          frames();
        }
        if (stage == Stage.EOF) {
          in.position(in.limit()); // nothing may follow the close frame: dropped
        }
        in.compact();
        if (!in.hasRemaining()) {
          throw new ProtocolException(target + " sent an upgrade answer head over " + READ_BUFFER + " bytes");
        }
      } while (stage == Stage.EOF && n > 0);
    }

    /** Skips the frames before the peer's close frame (data sent before it saw ours, pings, pongs); moves to EOF at the close frame. */
    private void frames() throws ProtocolException {
      while (true) {
        if (skip > 0) {
          int n = (int) Math.min(skip, in.remaining());
          in.position(in.position() + n);
          skip -= n;
          if (skip > 0) {
            return;
          }
        }
        int headLength = RawWebSocket.headLength(in, target);
        if (headLength == 0) {
          return;
        }
        long length = RawWebSocket.payloadLength(in);
        if (RawWebSocket.opcode(in) == 0x8) {
          if (length > 125) {
            throw new ProtocolException(target + " sent a close frame of " + length + " bytes");
          }
          if (in.remaining() >= headLength + length) {
            in.position(in.position() + headLength + (int) length);
            stage = Stage.EOF;
          }
          return;
        }
        in.position(in.position() + headLength);
        skip = length;
      }
    }

    void checkDeadline(long now) {
      if (stage != Stage.IDLE && now - deadline > 0) {
        fail(new SocketTimeoutException(target + " did not " + stage.awaited + " within " + timeout.toMillis() + " ms"));
      }
    }

    private void fail(Throwable error) {
      close();
      loop.tally.failed(error);
      loop.next(this);
    }

    /** Closes the socket (a FIN, not a reset); the handshake is no longer in progress. */
    void close() {
      stage = Stage.IDLE;
      if (channel != null) {
        NioEchoUpstream.closeQuietly(channel);
      }
    }
  }
}
