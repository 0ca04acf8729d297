package io.github.wsproxy.internal.uring;

/**
 * A socket registered with a {@link UringTransport}: its slot in the transport's table (which its
 * operations' {@code user_data} names), how many of its operations are in flight, and whether it is
 * queued for a readiness call. The slot is freed only once no operation of it is in flight, so no
 * completion can reach a later occupant of the slot.
 */
abstract class Registration {
  /** The transport it is registered with (a listen socket gets it when registered). */
  UringTransport transport;
  int fd;
  int slot = -1;
  /**
   * Whether the socket is also in the ring's table of fixed files, at index {@link #slot}: its
   * operations then name it by that index (IOSQE_FIXED_FILE), which spares the kernel a look-up and
   * a reference count of the descriptor per operation.
   */
  boolean fixed;
  /** Operations submitted (or queued) whose last completion has not arrived. */
  int inflight;
  /** Whether this registration is in the transport's ready list. */
  boolean queued;

  Registration(UringTransport transport, int fd) {
    this.transport = transport;
    this.fd = fd;
  }

  /** The {@code user_data} of an operation of this registration. */
  final long userData(int op) {
    return ((long) slot << 8) | op;
  }

  /** A completion of one of this registration's operations ({@code UringTransport.OP_*}). */
  abstract void complete(int op, int result, int flags);

  /** Calls the handler with what is ready and wanted, if anything; from the ready list. */
  abstract void dispatch();

  /** Whether this registration is closed for good, its descriptor included: its slot can go once nothing is in flight. */
  abstract boolean finished();

  /** Closes the socket at once, when the transport itself closes. */
  abstract void abandon();
}
