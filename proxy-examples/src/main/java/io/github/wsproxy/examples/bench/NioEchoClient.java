package io.github.wsproxy.examples.bench;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * The light echo client of {@link EchoLoad}, plain ws:// only: raw WebSocket over NIO, {@code
 * threads} selector threads of its own with the connections spread round-robin. Each connection
 * upgrades with an HTTP/1.1 handshake (checking the 101 and its Sec-WebSocket-Accept), then sends
 * one pre-built masked binary frame per message and parses the unmasked frames that come back,
 * skipping the payloads. The new messages for the echoes a read completed leave in one write;
 * pings are answered with pongs, a close or any other surprise fails the connection. At the end
 * the sockets are just closed.
 */
final class NioEchoClient implements EchoClient {
  /** Room in the output buffer beyond the messages in flight: pongs and the handshake request. */
  private static final int CONTROL_ROOM = 1024;
  private static final int READ_BUFFER = 64 * 1024;
  /** How long {@link #close()} waits for a selector thread to end. */
  private static final long JOIN_MILLIS = 10_000;

  private final URI target;
  private final int size;
  private final int inFlight;
  /** The masked binary frame every message is, read-only. */
  private final ByteBuffer frame;
  private final List<Loop> loops = new ArrayList<>();
  private final List<Connection> connections = new ArrayList<>();

  private NioEchoClient(URI target, int inFlight, int size) {
    this.target = target;
    this.inFlight = inFlight;
    this.size = size;
    this.frame = RawWebSocket.maskedFrame(0x2, new byte[size]);
  }

  /**
   * Connects {@code connections} sockets to {@code target} and starts their WebSocket handshakes on
   * {@code threads} selector threads; {@link EchoConnection#awaitOpen} tells when each is open.
   */
  static NioEchoClient open(URI target, int connections, int inFlight, int size, int threads) throws IOException {
    NioEchoClient client = new NioEchoClient(target, inFlight, size);
    try {
      for (int i = 0; i < threads; i++) {
        client.loops.add(new Loop(Selector.open(), "echo-client-" + i));
      }
      InetSocketAddress address = new InetSocketAddress(target.getHost(), target.getPort() > 0 ? target.getPort() : 80);
      for (int i = 0; i < connections; i++) {
        client.connect(address, client.loops.get(i % threads));
      }
      client.loops.forEach(loop -> loop.thread.start());
      return client;
    } catch (IOException | RuntimeException e) {
      client.close();
      throw e;
    }
  }

  private void connect(InetSocketAddress address, Loop loop) throws IOException {
    SocketChannel channel = SocketChannel.open();
    try {
      channel.connect(address);
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      channel.configureBlocking(false);
    } catch (IOException e) {
      channel.close();
      throw new IOException("connecting to " + target + " failed: " + e, e);
    }
    Connection connection = new Connection(channel);
    connections.add(connection);
    loop.connections.add(connection);
    connection.key = channel.register(loop.selector, SelectionKey.OP_WRITE, connection);
  }

  @Override
  public List<Connection> connections() {
    return connections;
  }

  @Override
  public void startSending() {
    for (Loop loop : loops) {
      loop.sending = true;
      loop.selector.wakeup();
    }
  }

  /** Ends the selector threads, which close their connections; closes what no thread does. */
  @Override
  public void close() {
    for (Loop loop : loops) {
      loop.closing = true;
      loop.selector.wakeup();
    }
    for (Loop loop : loops) {
      if (loop.thread.isAlive()) {
        try {
          loop.thread.join(JOIN_MILLIS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      } else {
        loop.closeAll();
      }
    }
  }

  /** A selector thread and its connections, which only it touches once it runs. */
  private static final class Loop implements Runnable {
    final Selector selector;
    final Thread thread;
    final List<Connection> connections = new ArrayList<>();
    volatile boolean sending;
    volatile boolean closing;
    private boolean sent;

    Loop(Selector selector, String name) {
      this.selector = selector;
      this.thread = new Thread(this, name);
      thread.setDaemon(true);
    }

    @Override
    public void run() {
      try {
        while (!closing) {
          selector.select(key -> ((Connection) key.attachment()).onReady());
          if (sending && !sent) {
            sent = true;
            connections.forEach(Connection::startSending);
          }
        }
      } catch (IOException | RuntimeException e) {
        connections.forEach(c -> c.fail(e));
      } finally {
        closeAll();
      }
    }

    void closeAll() {
      connections.forEach(Connection::close);
      NioEchoUpstream.closeQuietly(selector);
    }
  }

  /** One WebSocket: the handshake, then the frames. Runs on its loop's thread only, but for close. */
  final class Connection extends EchoConnection {
    private final SocketChannel channel;
    private final ByteBuffer in = ByteBuffer.allocateDirect(READ_BUFFER);
    /** Bytes to write, in write mode: never more than the messages in flight, a pong or two, the request. */
    private final ByteBuffer out = ByteBuffer.allocateDirect(inFlight * frame.limit() + CONTROL_ROOM);
    private final ByteBuffer message = frame.duplicate();
    /** The Sec-WebSocket-Key of the handshake. */
    private final String nonce;
    /** Null once the handshake is done. */
    private HttpReader handshake = new HttpReader();
    SelectionKey key;
    /** Payload bytes of the current frame still to skip. */
    private long payloadLeft;
    private boolean inFrame;
    private boolean finalFrame;
    private boolean inMessage;
    private long messageBytes;

    Connection(SocketChannel channel) {
      super(NioEchoClient.this.target, inFlight);
      this.channel = channel;
      this.nonce = RawWebSocket.newKey();
      out.put(RawWebSocket.upgradeRequest(target, nonce));
    }

    void startSending() {
      try {
        send(inFlight);
      } catch (IOException | RuntimeException e) {
        fail(e);
      }
    }

    void onReady() {
      try {
        if (key.isReadable()) {
          read();
        }
        if (key.isValid() && key.isWritable()) {
          flush();
        }
      } catch (IOException | RuntimeException e) {
        fail(e);
      }
    }

    private void read() throws IOException {
      if (channel.read(in) < 0) {
        throw new EOFException(target + " closed the connection");
      }
      in.flip();
      try {
        if (handshake != null && !readHandshake()) {
          return;
        }
        int echoes = frames();
        if (echoes > 0) {
          echoed(System.nanoTime(), echoes);
          send(echoes);
        } else if (out.position() > 0) {
          flush();
        }
      } finally {
        in.compact();
      }
    }

    /** Reads the handshake response as far as it came; true once it is complete (and right). */
    private boolean readHandshake() throws ProtocolException {
      if (!handshake.read(in)) {
        return false;
      }
      RawWebSocket.checkUpgrade(handshake, nonce, target);
      handshake = null;
      opened();
      return true;
    }

    /** Queues {@code messages} new messages and writes what is queued: one write for them all. */
    private void send(int messages) throws IOException {
      for (int i = 0; i < messages; i++) {
        out.put(message.rewind());
      }
      sent(System.nanoTime(), messages);
      flush();
    }

    private void flush() throws IOException {
      RawWebSocket.flush(channel, out, key);
    }

    /**
     * Parses the frames complete enough in {@code in}, skipping data payloads and answering pings;
     * returns the number of echoes that ended.
     */
    private int frames() throws ProtocolException {
      int echoes = 0;
      while (true) {
        if (inFrame) {
          int n = (int) Math.min(payloadLeft, in.remaining());
          in.position(in.position() + n);
          payloadLeft -= n;
          if (payloadLeft > 0) {
            return echoes;
          }
          inFrame = false;
          if (finalFrame) {
            if (messageBytes != size) {
              throw new ProtocolException(target + " echoed " + messageBytes + " bytes for a message of " + size);
            }
            messageBytes = 0;
            echoes++;
          }
        }
        int start = in.position();
        int headLength = RawWebSocket.headLength(in, target);
        if (headLength == 0) {
          return echoes;
        }
        long length = RawWebSocket.payloadLength(in);
        int opcode = RawWebSocket.opcode(in);
        boolean fin = RawWebSocket.fin(in);
        if (opcode >= 0x8) {
          if (in.remaining() < headLength + length) {
            return echoes;
          }
          in.position(start + headLength);
          control(opcode, fin, (int) length);
        } else if (opcode == (inMessage ? 0x0 : 0x2)) {
          in.position(start + headLength);
          inFrame = true;
          payloadLeft = length;
          finalFrame = fin;
          inMessage = !fin;
          messageBytes += length;
        } else {
          throw new ProtocolException(target + " sent an unexpected frame, opcode " + opcode + (inMessage ? " within a message" : ""));
        }
      }
    }

    /** A control frame, its payload of {@code length} bytes at {@code in}'s position. */
    private void control(int opcode, boolean fin, int length) throws ProtocolException {
      if (!fin || length > 125) {
        throw new ProtocolException(target + " sent a fragmented or long control frame");
      }
      switch (opcode) {
        case 0x9 -> {
          byte[] payload = new byte[length];
          in.get(payload);
          out.put(RawWebSocket.maskedFrame(0xa, payload));
        }
        case 0xa -> in.position(in.position() + length);
        case 0x8 -> throw new ProtocolException(target + " closed the WebSocket"
            + (length >= 2 ? " with code " + (in.getShort(in.position()) & 0xffff) : ""));
        default -> throw new ProtocolException(target + " sent a frame with opcode " + opcode);
      }
    }

    @Override
    void fail(Throwable error) {
      super.fail(error);
      close();
    }

    @Override
    void close() {
      NioEchoUpstream.closeQuietly(channel);
    }
  }
}
