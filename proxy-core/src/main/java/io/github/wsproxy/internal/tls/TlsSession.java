package io.github.wsproxy.internal.tls;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * TLS over one non-blocking socket with an {@link SSLEngine}, for either leg. Used only by the
 * event loop that owns the socket, and it never blocks that loop: the handshake advances as far as
 * the socket allows and tells the caller what to wait for. The JDK engine's delegated tasks (key
 * exchange, signatures, certificate checks) run on a small shared executor, after which the
 * caller's callback resumes the handshake on the loop, unless that kind of task has been measured
 * short ({@link TaskCosts}): then it runs inline. The native engine's (certificate checks, the
 * choice of the server's key) go the same way.
 *
 * <p>Buffers: {@code netIn} (write mode) holds received records not yet decrypted, {@code netOut}
 * (read mode) one encrypted record not yet sent, {@code appIn} (read mode) decrypted bytes the
 * caller's buffer could not take yet. A write encrypts one record at a time and stops while the
 * previous record is not fully sent, so at most one record is pending per leg (backpressure). Each
 * buffer comes from the thread's {@link TlsBuffers} when needed and goes back as soon as it is
 * empty, so an idle connection holds none. A read decrypts straight into the caller's buffer when
 * that has room for a whole record.
 */
public final class TlsSession {
  /** What {@link #handshake} needs before it can go on. */
  public enum Step {
    /** The handshake is complete. */
    DONE,
    /** Bytes from the peer: wait until the socket is readable. */
    NEED_READ,
    /** The socket to take the rest of a record: wait until it is writable. */
    NEED_WRITE,
    /** A delegated task runs on the executor; the callback given to {@code handshake} follows it. */
    WAITING_FOR_TASK
  }

  private static final ByteBuffer[] EMPTY = {ByteBuffer.allocate(0)};
  /** Stand-ins for the buffers a session does not hold (capacity 0: their state never changes). */
  private static final ByteBuffer NO_NET_IN = ByteBuffer.allocate(0);
  private static final ByteBuffer NO_NET_OUT = ByteBuffer.allocate(0);
  private static final ByteBuffer NO_APP_IN = ByteBuffer.allocate(0);
  private static final int RECORD_HEADER = 5;
  /** The content type of a handshake record. */
  private static final byte HANDSHAKE_RECORD = 0x16;
  /** A fatal unexpected_message alert record, in the clear. */
  private static final byte[] UNEXPECTED_MESSAGE_ALERT = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x0a};

  private final SSLEngine engine;
  private final DelegatedTasks tasks;
  /** Whether the buffers are direct (the native engine reads and writes those in place). */
  private final boolean direct;
  /** The one buffer of a plain write, as the engine's gathering wrap wants an array. */
  private final ByteBuffer[] single = new ByteBuffer[1];
  private ByteBuffer netIn;
  private ByteBuffer netOut;
  private ByteBuffer appIn;
  private boolean handshakeDone;
  private boolean inboundDone;
  private boolean eofReported;
  /** The last socket read hit the end of the stream. */
  private boolean lastReadEof;
  /**
   * The last unwrap found no room for the plaintext: the native engine may hold it (having taken
   * the record in), so the next read unwraps even with no record in netIn.
   */
  private boolean overflowed;
  /** Some record went out on the socket (if none did, a failed handshake has told the peer nothing). */
  private boolean sentRecords;
  /** The delegated task batches run so far. */
  private X509Certificate peerCertificate;

  /**
   * Starts the handshake of a configured engine (client or server mode set).
   *
   * @param tasks where the engine's long delegated tasks run; never an event loop
   * @param taskCosts the measured cost of delegated tasks, shared by the sessions of one context
   */
  public TlsSession(SSLEngine engine, Executor tasks, TaskCosts taskCosts) throws SSLException {
    this.engine = engine;
    this.tasks = new DelegatedTasks(engine, tasks, taskCosts);
    this.direct = NativeTls.isNative(engine);
    this.netIn = NO_NET_IN;
    this.netOut = NO_NET_OUT;
    this.appIn = NO_APP_IN;
    engine.beginHandshake();
  }

  /**
   * Advances the handshake as far as the socket allows without blocking.
   *
   * @param afterTask run on the executor's thread once a delegated task finished; it must get
   *     {@code handshake} called again on the owning loop
   * @return what the handshake waits for, or {@link Step#DONE}
   * @throws SSLException if the handshake failed (bad certificate, alert, not TLS at all); a
   *     pending alert for the peer has been sent as far as the socket took it
   */
  public Step handshake(ByteChannel channel, Runnable afterTask) throws IOException {
    if (handshakeDone) {
      return Step.DONE;
    }
    if (tasks.running()) {
      return Step.WAITING_FOR_TASK;
    }
    try {
      return advanceHandshake(channel, afterTask);
    } catch (SSLException e) {
      closeQuietly(channel);
      throw e;
    } finally {
      releaseEmptyBuffers();
    }
  }

  private Step advanceHandshake(ByteChannel channel, Runnable afterTask) throws IOException {
    while (true) {
      if (!flush(channel)) {
        return Step.NEED_WRITE;
      }
      switch (engine.getHandshakeStatus()) {
        case NEED_TASK:
          if (tasks.start(afterTask)) {
            return Step.WAITING_FOR_TASK;
          }
          break;
        case NEED_WRAP:
          if (wrap(EMPTY).getStatus() == SSLEngineResult.Status.CLOSED) {
            flush(channel);
            throw new SSLException("the TLS session closed during the handshake");
          }
          break;
        case NEED_UNWRAP:
        case NEED_UNWRAP_AGAIN:
          if (!unwrapHandshake(channel)) {
            return Step.NEED_READ;
          }
          break;
        default:
          if (engine.isInboundDone() || engine.isOutboundDone()) {
            throw new SSLException("the TLS session closed during the handshake");
          }
          handshakeDone = true;
          peerCertificate = verifiedPeer();
          return Step.DONE;
      }
    }
  }

  /** Whether the handshake is complete. */
  public boolean handshakeDone() {
    return handshakeDone;
  }

  /** The peer's verified certificate (its chain's first), or null when it presented none. */
  public X509Certificate peerCertificate() {
    return peerCertificate;
  }

  /** The negotiated protocol, e.g. {@code TLSv1.3}. */
  public String protocol() {
    return engine.getSession().getProtocol();
  }

  /**
   * Reads and decrypts into {@code dst}: what is already decrypted first, then what the socket
   * has, until {@code dst} is full or the socket has nothing more.
   *
   * @return the bytes put into {@code dst}; -1 at the end of the stream or after the peer's
   *     close_notify, once everything before it was delivered
   */
  public int read(ByteChannel channel, ByteBuffer dst) throws IOException {
    try {
      return readInto(channel, dst);
    } finally {
      releaseEmptyBuffers();
    }
  }

  private int readInto(ByteChannel channel, ByteBuffer dst) throws IOException {
    int total = 0;
    boolean socketEof = false;
    while (true) {
      total += drainAppIn(dst);
      if (!dst.hasRemaining() || inboundDone) {
        break;
      }
      if (netIn.position() > 0 || overflowed) {
        boolean straight = !appIn.hasRemaining() && dst.remaining() >= engine.getSession().getApplicationBufferSize();
        SSLEngineResult result = straight ? unwrap(dst) : unwrap();
        if (straight) {
          total += result.bytesProduced();
        }
        switch (result.getStatus()) {
          case OK:
            if (result.bytesConsumed() == 0 && result.bytesProduced() == 0) {
              if (sentOwnRecords(channel)) {
                continue;
              }
              return total; // the engine first wants to send a record the socket did not take
            }
            afterPostHandshakeMessage(channel);
            continue;
          case CLOSED:
            inboundDone = true;
            continue;
          case BUFFER_OVERFLOW:
            growAppIn();
            continue;
          default:
            break;
        }
      }
      if (socketEof || !readSocket(channel)) {
        break;
      }
      socketEof = lastReadEof;
    }
    if (total > 0) {
      return total;
    }
    if ((inboundDone || socketEof) && !appIn.hasRemaining()) {
      inboundDone = true;
      eofReported = true;
      return -1;
    }
    return 0;
  }

  /**
   * Whether a read would deliver something without the socket becoming readable: decrypted bytes,
   * a complete record, or the end of the session not yet reported.
   */
  public boolean hasBufferedInput() {
    if (appIn.hasRemaining() || overflowed || (inboundDone && !eofReported)) {
      return true;
    }
    if (netOut.hasRemaining() && engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
      return false; // nothing decrypts before the engine's own record is out
    }
    return completeRecordLength(netIn, 0, netIn.position()) > 0;
  }

  /** The length of the record at {@code start} of {@code bytes} up to {@code end}, or -1 when incomplete. */
  private static int completeRecordLength(ByteBuffer bytes, int start, int end) {
    if (end - start < RECORD_HEADER) {
      return -1;
    }
    int length = RECORD_HEADER + (((bytes.get(start + 3) & 0xff) << 8) | (bytes.get(start + 4) & 0xff));
    return end - start >= length ? length : -1;
  }

  /**
   * Encrypts and sends as much of {@code src} as the socket takes now.
   *
   * @return the bytes of {@code src} consumed; the last of them may still sit in a record that
   *     {@link #flush} has to finish
   */
  public int write(ByteChannel channel, ByteBuffer src) throws IOException {
    single[0] = src;
    try {
      return (int) write(channel, single, 0, 1);
    } finally {
      single[0] = null;
    }
  }

  /**
   * A gathering {@link #write(ByteChannel, ByteBuffer)}: encrypts from {@code srcs[offset]} to
   * {@code srcs[offset + length - 1]} in order, records spanning buffers.
   *
   * @return the bytes consumed from all of them
   */
  public long write(ByteChannel channel, ByteBuffer[] srcs, int offset, int length) throws IOException {
    if (!handshakeDone) {
      throw new SSLException("TLS handshake not complete");
    }
    long consumed = 0;
    try {
      while (flush(channel) && remaining(srcs, offset, length) > 0) {
        SSLEngineResult result = wrap(srcs, offset, length);
        consumed += result.bytesConsumed();
        if (result.bytesConsumed() == 0 && result.bytesProduced() == 0) {
          throw new SSLException("TLS engine made no progress: " + result);
        }
      }
      return consumed;
    } finally {
      releaseEmptyBuffers();
    }
  }

  /**
   * Sends the rest of the pending record, and a record the engine wants to send of its own (a
   * post-handshake answer such as a key update).
   *
   * @return true when nothing is left to send
   */
  public boolean flush(ByteChannel channel) throws IOException {
    while (true) {
      if (netOut.hasRemaining()) {
        sentRecords |= channel.write(netOut) > 0;
        if (netOut.hasRemaining()) {
          return false;
        }
        releaseNetOut();
      }
      if (!handshakeDone || engine.isOutboundDone() || engine.getHandshakeStatus() != HandshakeStatus.NEED_WRAP) {
        return true;
      }
      if (wrap(EMPTY).bytesProduced() == 0) {
        return true;
      }
    }
  }

  /**
   * Ends the session: sends close_notify (or, after a failed handshake, the alert telling the peer
   * why) as far as the socket takes it now, without waiting. The caller then closes the socket.
   */
  public void closeQuietly(ByteChannel channel) {
    tasks.abandon();
    try {
      engine.closeOutbound();
      for (int i = 0; i < 4 && !netOut.hasRemaining() && !engine.isOutboundDone(); i++) {
        if (wrap(EMPTY).bytesProduced() == 0) {
          break;
        }
        sentRecords |= channel.write(netOut) > 0;
      }
      if (!sentRecords && !handshakeDone) {
        // the native engine answers bytes that are no TLS at all (a plain HTTP request) with no
        // alert; the JDK's sends one, and a peer is better told
        sentRecords = channel.write(ByteBuffer.wrap(UNEXPECTED_MESSAGE_ALERT.clone())) > 0;
      }
    } catch (IOException | RuntimeException e) {
      // best effort: the socket is closed next either way
    } finally {
      releaseEmptyBuffers();
    }
  }

  /**
   * Gives the empty buffers back to the thread's pool. Every operation already does so on its
   * way out; this is for a caller that wants to be sure an idle connection holds none.
   */
  public void releaseIdleBuffers() {
    releaseEmptyBuffers();
  }

  /**
   * The connection is gone: delegated tasks not started yet are skipped, and the engine is closed
   * both ways, the native one freed (its SSL object is native memory, which nothing frees
   * otherwise). Only the first call does so.
   */
  public void release() {
    tasks.abandon();
    engine.closeOutbound();
    try {
      engine.closeInbound();
    } catch (SSLException e) {
      // no close_notify from the peer: expected when the connection ends without one
    }
    NativeTls.release(engine);
    releaseEmptyBuffers();
  }

  // ---------------------------------------------------------------- internals

  /**
   * Sends what the engine wants to send of its own before it decrypts more (the native engine's
   * session tickets, for one); true when that went out whole.
   */
  private boolean sentOwnRecords(ByteChannel channel) throws IOException {
    if (netOut.hasRemaining() || engine.getHandshakeStatus() != HandshakeStatus.NEED_WRAP) {
      return false;
    }
    return flush(channel) && engine.getHandshakeStatus() != HandshakeStatus.NEED_WRAP;
  }

  /** Reads what the socket has into netIn; false when it had nothing (or ended: see lastReadEof). */
  private boolean readSocket(ByteChannel channel) throws IOException {
    if (!netIn.hasRemaining()) {
      int packet = engine.getSession().getPacketBufferSize();
      netIn = netIn.capacity() == 0 ? TlsBuffers.ofThisThread().acquire(direct, packet) : grow(netIn, packet, false);
    }
    int n = channel.read(netIn);
    lastReadEof = n < 0;
    return n != 0;
  }

  private boolean unwrapHandshake(ByteChannel channel) throws IOException {
    SSLEngineResult result = unwrap();
    if (result.getHandshakeStatus() == HandshakeStatus.FINISHED) {
      return true; // the native engine may say so only here, on an unwrap that found no record after the last
    }
    switch (result.getStatus()) {
      case OK:
        if (result.bytesConsumed() > 0 || result.bytesProduced() > 0
            || engine.getHandshakeStatus() != HandshakeStatus.NEED_UNWRAP) {
          return true;
        }
        return readMore(channel);
      case BUFFER_OVERFLOW:
        growAppIn();
        return true;
      case CLOSED:
        throw new SSLException("the peer closed the TLS session during the handshake");
      default:
        return readMore(channel);
    }
  }

  private boolean readMore(ByteChannel channel) throws IOException {
    if (!readSocket(channel)) {
      return false;
    }
    if (lastReadEof) {
      throw new SSLException("the peer closed the connection during the TLS handshake");
    }
    return true;
  }

  /**
   * After the handshake: a TLS 1.3 message such as a session ticket or a key update may need work;
   * in TLS 1.2 only a renegotiation can, and it is refused (a peer could make the loop pay for one
   * full handshake after another).
   */
  private void afterPostHandshakeMessage(ByteChannel channel) throws IOException {
    HandshakeStatus status = engine.getHandshakeStatus();
    if (status == HandshakeStatus.NOT_HANDSHAKING || status == HandshakeStatus.FINISHED) {
      return;
    }
    if (!"TLSv1.3".equals(engine.getSession().getProtocol())) {
      throw new SSLException("TLS renegotiation is refused");
    }
    if (status == HandshakeStatus.NEED_TASK) {
      // post-handshake messages (tickets, key updates) cost little: run them here
      Runnable task;
      while ((task = engine.getDelegatedTask()) != null) {
        task.run();
      }
      status = engine.getHandshakeStatus();
    }
    if (status == HandshakeStatus.NEED_WRAP) {
      flush(channel);
    }
  }

  private SSLEngineResult unwrap() throws SSLException {
    if (appIn.capacity() == 0) {
      growAppIn(); // the native engine takes a record in even when its plaintext has nowhere to go
    }
    appIn.compact();
    try {
      return unwrap(appIn);
    } finally {
      appIn.flip();
    }
  }

  /**
   * Decrypts from netIn into {@code dst} (write mode), one record at a time: the native engine
   * takes in all it is given and would keep the plaintext that does not fit, where neither a read
   * nor {@link #hasBufferedInput} could see it.
   */
  private SSLEngineResult unwrap(ByteBuffer dst) throws SSLException {
    netIn.flip();
    int limit = netIn.limit();
    int record = completeRecordLength(netIn, netIn.position(), limit);
    if (record > 0) {
      netIn.limit(netIn.position() + record);
    }
    try {
      if (handshakeDone && record > 0 && netIn.get(netIn.position()) == HANDSHAKE_RECORD) {
        // only TLS 1.2 renegotiation sends one after the handshake (TLS 1.3 hides its type); the
        // native engine would ignore it and leave the peer waiting
        throw new SSLException("TLS renegotiation is refused");
      }
      SSLEngineResult result = engine.unwrap(netIn, dst);
      overflowed = result.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW;
      return result;
    } catch (SSLException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw undeclared(e);
    } finally {
      netIn.limit(limit);
      netIn.compact();
    }
  }

  /**
   * The native engine lets its trust manager's {@code CertificateException} through undeclared:
   * a failed handshake all the same.
   */
  private static SSLException undeclared(Exception e) {
    return (SSLException) new SSLHandshakeException(e.getMessage()).initCause(e);
  }

  private SSLEngineResult wrap(ByteBuffer[] srcs) throws SSLException {
    return wrap(srcs, 0, srcs.length);
  }

  /** Encrypts into netOut, which the caller has flushed empty. */
  private SSLEngineResult wrap(ByteBuffer[] srcs, int offset, int length) throws SSLException {
    if (netOut.capacity() == 0) {
      netOut = TlsBuffers.ofThisThread().acquire(direct, engine.getSession().getPacketBufferSize());
    }
    while (true) {
      netOut.clear();
      SSLEngineResult result;
      try {
        result = engine.wrap(srcs, offset, length, netOut);
      } catch (SSLException | RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw undeclared(e);
      } finally {
        netOut.flip();
      }
      switch (result.getStatus()) {
        case BUFFER_OVERFLOW:
          int packet = engine.getSession().getPacketBufferSize();
          if (netOut.capacity() >= packet) {
            throw new SSLException("TLS record larger than the engine's packet size " + packet);
          }
          releaseNetOut();
          netOut = TlsBuffers.ofThisThread().acquire(direct, packet);
          continue;
        case CLOSED:
          if (result.bytesProduced() == 0 && remaining(srcs, offset, length) > 0) {
            throw new SSLException("the TLS session is closed");
          }
          return result;
        default:
          return result;
      }
    }
  }

  private static long remaining(ByteBuffer[] srcs, int offset, int length) {
    long remaining = 0;
    for (int i = offset; i < offset + length; i++) {
      remaining += srcs[i].remaining();
    }
    return remaining;
  }

  private int drainAppIn(ByteBuffer dst) {
    int n = Math.min(appIn.remaining(), dst.remaining());
    if (n == 0) {
      return 0;
    }
    int limit = appIn.limit();
    appIn.limit(appIn.position() + n);
    dst.put(appIn);
    appIn.limit(limit);
    return n;
  }

  /** Room for decrypted bytes: a pooled buffer, or a larger one keeping what appIn holds. */
  private void growAppIn() throws SSLException {
    int size = engine.getSession().getApplicationBufferSize();
    appIn = appIn.capacity() == 0 ? TlsBuffers.ofThisThread().acquire(direct, size).flip() : grow(appIn, size, true);
  }

  /**
   * A larger buffer with the same content, for an engine whose session grew its sizes; the old
   * one goes back to the pool.
   *
   * @param readMode whether {@code buffer} is in read mode (flipped)
   */
  private ByteBuffer grow(ByteBuffer buffer, int size, boolean readMode) throws SSLException {
    int needed = readMode ? Math.max(size, buffer.remaining() + size) : Math.max(size, buffer.capacity() * 2);
    if (!readMode && buffer.capacity() >= 2 * size) {
      throw new SSLException("TLS record larger than the engine's packet size " + size);
    }
    TlsBuffers pool = TlsBuffers.ofThisThread();
    ByteBuffer bigger = pool.acquire(direct, needed);
    if (readMode) {
      bigger.put(buffer).flip();
    } else {
      bigger.put(buffer.flip());
    }
    pool.release(buffer);
    return bigger;
  }

  /** Gives back the buffers holding nothing. */
  private void releaseEmptyBuffers() {
    if (netIn.capacity() > 0 && netIn.position() == 0) {
      TlsBuffers.ofThisThread().release(netIn);
      netIn = NO_NET_IN;
    }
    if (appIn.capacity() > 0 && !appIn.hasRemaining()) {
      TlsBuffers.ofThisThread().release(appIn);
      appIn = NO_APP_IN;
    }
    if (!netOut.hasRemaining()) {
      releaseNetOut();
    }
  }

  private void releaseNetOut() {
    if (netOut.capacity() > 0) {
      TlsBuffers.ofThisThread().release(netOut);
      netOut = NO_NET_OUT;
    }
  }

  private X509Certificate verifiedPeer() {
    if (!engine.getUseClientMode() && !engine.getNeedClientAuth() && !engine.getWantClientAuth()) {
      return null; // no client certificate was asked for: spares the exception saying so
    }
    try {
      Certificate[] chain = engine.getSession().getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate ? (X509Certificate) chain[0] : null;
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }
}
