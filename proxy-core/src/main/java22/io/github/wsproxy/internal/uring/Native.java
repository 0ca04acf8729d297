package io.github.wsproxy.internal.uring;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;

/**
 * The C library functions and Linux system calls the io_uring transport calls through the JDK's
 * native linker (no native library of ours): their handles, and errno turned into exceptions. Every
 * call that can fail captures errno into a per-thread segment the caller passes ({@link #errnoSegment}).
 */
final class Native {
  static final int EINTR = 4;
  static final int EAGAIN = 11;
  static final int ENOBUFS = 105;
  static final int ECONNRESET = 104;
  static final int ECONNREFUSED = 111;
  static final int ETIME = 62;
  static final int ECANCELED = 125;
  static final int ETIMEDOUT = 110;
  static final int ENETUNREACH = 101;
  static final int EHOSTUNREACH = 113;
  static final int EADDRINUSE = 98;

  static final int AF_UNIX = 1;
  static final int AF_INET = 2;
  static final int AF_INET6 = 10;
  static final int SOCK_STREAM = 1;
  static final int SOCK_CLOEXEC = 0x80000;
  static final int SOL_SOCKET = 1;
  static final int SO_REUSEADDR = 2;
  static final int SO_LINGER = 13;
  static final int IPPROTO_TCP = 6;
  static final int IPPROTO_IPV6 = 41;
  static final int IPV6_V6ONLY = 26;
  static final int TCP_NODELAY = 1;
  static final int SHUT_WR = 1;
  static final int SHUT_RDWR = 2;
  static final int MSG_NOSIGNAL = 0x4000;
  static final int EFD_CLOEXEC = 0x80000;

  private static final long SYS_IO_URING_SETUP = 425;
  private static final long SYS_IO_URING_ENTER = 426;
  private static final long SYS_IO_URING_REGISTER = 427;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final SymbolLookup LIBC = LINKER.defaultLookup();
  private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO = CAPTURE.varHandle(PathElement.groupElement("errno"));
  private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");

  /** {@code long syscall(long number, ...)}, every argument passed as a long (what the kernel reads). */
  private static final MethodHandle SYSCALL = LINKER.downcallHandle(LIBC.find("syscall").orElseThrow(),
      FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
      ERRNO_OPTION, Linker.Option.firstVariadicArg(1));
  private static final MethodHandle SOCKET = libc("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
  private static final MethodHandle BIND = libc("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT));
  private static final MethodHandle LISTEN = libc("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
  private static final MethodHandle SETSOCKOPT = libc("setsockopt",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT));
  private static final MethodHandle GETSOCKNAME = libc("getsockname",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
  private static final MethodHandle GETPEERNAME = libc("getpeername",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
  private static final MethodHandle SHUTDOWN = libc("shutdown", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
  private static final MethodHandle CLOSE = libc("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  private static final MethodHandle EVENTFD = libc("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
  private static final MethodHandle MMAP = libc("mmap",
      FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
  private static final MethodHandle MUNMAP = libc("munmap", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
  /** {@code write(2)} without errno: only the wake-up of a loop uses it, from any thread. */
  private static final MethodHandle WRITE = LINKER.downcallHandle(LIBC.find("write").orElseThrow(),
      FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
  private static final MethodHandle STRERROR = LINKER.downcallHandle(LIBC.find("strerror").orElseThrow(),
      FunctionDescriptor.of(ADDRESS, JAVA_INT));

  static final long MAP_FAILED = -1;

  private Native() {}

  private static MethodHandle libc(String name, FunctionDescriptor descriptor) {
    return LINKER.downcallHandle(LIBC.find(name).orElseThrow(), descriptor, ERRNO_OPTION);
  }

  /** A segment to capture errno into, for one thread's calls. */
  static MemorySegment errnoSegment(Arena arena) {
    return arena.allocate(CAPTURE);
  }

  static int errno(MemorySegment capture) {
    return (int) ERRNO.get(capture, 0L);
  }

  static int ioUringSetup(MemorySegment errno, int entries, long params) {
    return (int) syscall(errno, SYS_IO_URING_SETUP, entries, params, 0, 0, 0);
  }

  static int ioUringEnter(MemorySegment errno, int fd, int toSubmit, int minComplete, int flags, long arg, long argSize) {
    return (int) syscall(errno, SYS_IO_URING_ENTER, fd, toSubmit, minComplete, flags, arg, argSize);
  }

  static int ioUringRegister(MemorySegment errno, int fd, int opcode, long arg, int count) {
    return (int) syscall(errno, SYS_IO_URING_REGISTER, fd, opcode, arg, count, 0);
  }

  private static long syscall(MemorySegment errno, long number, long a, long b, long c, long d, long e, long f) {
    try {
      return (long) SYSCALL.invokeExact(errno, number, a, b, c, d, e, f);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static long syscall(MemorySegment errno, long number, long a, long b, long c, long d, long e) {
    return syscall(errno, number, a, b, c, d, e, 0L);
  }

  static int socket(MemorySegment errno, int domain, int type) {
    try {
      return (int) SOCKET.invokeExact(errno, domain, type | SOCK_CLOEXEC, 0);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static int bind(MemorySegment errno, int fd, long address, int length) {
    try {
      return (int) BIND.invokeExact(errno, fd, address, length);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static int listen(MemorySegment errno, int fd, int backlog) {
    try {
      return (int) LISTEN.invokeExact(errno, fd, backlog);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static int setsockopt(MemorySegment errno, int fd, int level, int name, long value, int length) {
    try {
      return (int) SETSOCKOPT.invokeExact(errno, fd, level, name, value, length);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static int getsockname(MemorySegment errno, int fd, long address, long length) {
    try {
      return (int) GETSOCKNAME.invokeExact(errno, fd, address, length);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static int getpeername(MemorySegment errno, int fd, long address, long length) {
    try {
      return (int) GETPEERNAME.invokeExact(errno, fd, address, length);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static int shutdown(MemorySegment errno, int fd, int how) {
    try {
      return (int) SHUTDOWN.invokeExact(errno, fd, how);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static int close(MemorySegment errno, int fd) {
    try {
      return (int) CLOSE.invokeExact(errno, fd);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static int eventfd(MemorySegment errno) {
    try {
      return (int) EVENTFD.invokeExact(errno, 0, EFD_CLOEXEC);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static long mmap(MemorySegment errno, long length, int fd, long offset) {
    int protReadWrite = 3;
    int mapSharedPopulate = 0x01 | 0x8000;
    try {
      return (long) MMAP.invokeExact(errno, 0L, length, protReadWrite, mapSharedPopulate, fd, offset);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static void munmap(MemorySegment errno, long address, long length) {
    try {
      int ignored = (int) MUNMAP.invokeExact(errno, address, length);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /** Writes 8 bytes at {@code value} to the eventfd {@code fd}; any thread. */
  static void writeEventfd(int fd, long value) {
    try {
      long ignored = (long) WRITE.invokeExact(fd, value, 8L);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /** The C library's message for an errno value ("Connection refused"). */
  static String strerror(int errno) {
    try {
      MemorySegment message = (MemorySegment) STRERROR.invokeExact(errno);
      return message.reinterpret(256).getString(0);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /** The exception NIO would throw for this errno: ConnectException for a refused connect, and so on. */
  static IOException exception(int errno) {
    String message = strerror(errno);
    return switch (errno) {
      case ECONNREFUSED, ETIMEDOUT -> new ConnectException(message);
      case ENETUNREACH, EHOSTUNREACH -> new NoRouteToHostException(message);
      case EADDRINUSE -> new BindException(message);
      case ECONNRESET -> new SocketException("Connection reset");
      default -> new IOException(message);
    };
  }

  /** {@link #exception} with what failed in front: "io_uring_setup: Operation not permitted". */
  static IOException exception(String what, int errno) {
    IOException plain = exception(errno);
    return new IOException(what + ": " + plain.getMessage(), plain);
  }

  private static RuntimeException rethrow(Throwable t) {
    if (t instanceof RuntimeException runtime) {
      throw runtime;
    }
    if (t instanceof Error error) {
      throw error;
    }
    throw new IllegalStateException(t);
  }
}
