package io.github.wsproxy.internal.uring;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.nio.channels.UnresolvedAddressException;
import java.nio.channels.UnsupportedAddressTypeException;
import java.nio.charset.StandardCharsets;

/** Socket addresses to and from {@code sockaddr_in}, {@code sockaddr_in6} and {@code sockaddr_un}. */
final class SocketAddresses {
  /** Room for any of them (sockaddr_storage is 128 bytes). */
  static final int MAX_SIZE = 128;
  private static final ValueLayout.OfShort PORT = JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN);
  private static final int UNIX_PATH_MAX = 108;

  private SocketAddresses() {}

  /** The address family (AF_*) of {@code address}. */
  static int family(SocketAddress address) {
    if (address instanceof UnixDomainSocketAddress) {
      return Native.AF_UNIX;
    }
    if (address instanceof InetSocketAddress inet) {
      if (inet.isUnresolved()) {
        throw new UnresolvedAddressException();
      }
      return inet.getAddress() instanceof Inet4Address ? Native.AF_INET : Native.AF_INET6;
    }
    throw new UnsupportedAddressTypeException();
  }

  /** Writes {@code address} as a sockaddr of family {@code family} at {@code at}; returns its length. */
  static int write(SocketAddress address, int family, MemorySegment segment, long at) {
    segment.asSlice(at, MAX_SIZE).fill((byte) 0);
    segment.set(JAVA_SHORT, at, (short) family);
    if (address instanceof UnixDomainSocketAddress unix) {
      byte[] path = unix.getPath().toString().getBytes(StandardCharsets.UTF_8);
      if (path.length >= UNIX_PATH_MAX) {
        throw new IllegalArgumentException("UNIX socket path too long: " + unix.getPath());
      }
      MemorySegment.copy(path, 0, segment, JAVA_BYTE, at + 2, path.length);
      return 2 + path.length + 1;
    }
    InetSocketAddress inet = (InetSocketAddress) address;
    segment.set(PORT, at + 2, (short) inet.getPort());
    byte[] ip = inet.getAddress().getAddress();
    if (family == Native.AF_INET) {
      MemorySegment.copy(ip, 0, segment, JAVA_BYTE, at + 4, 4);
      return 16;
    }
    if (ip.length == 4) { // an IPv4 address on an IPv6 socket: ::ffff:a.b.c.d, or :: for the wildcard
      if (!inet.getAddress().isAnyLocalAddress()) {
        segment.set(JAVA_BYTE, at + 8 + 10, (byte) 0xff);
        segment.set(JAVA_BYTE, at + 8 + 11, (byte) 0xff);
        MemorySegment.copy(ip, 0, segment, JAVA_BYTE, at + 8 + 12, 4);
      }
    } else {
      MemorySegment.copy(ip, 0, segment, JAVA_BYTE, at + 8, 16);
      segment.set(JAVA_INT, at + 24, ((Inet6Address) inet.getAddress()).getScopeId());
    }
    return 28;
  }

  /** Reads a sockaddr of {@code length} bytes at {@code at}; an IPv4-mapped IPv6 address comes back as IPv4. */
  static SocketAddress read(MemorySegment segment, long at, int length) {
    int family = segment.get(JAVA_SHORT, at);
    try {
      if (family == Native.AF_INET) {
        byte[] ip = new byte[4];
        MemorySegment.copy(segment, JAVA_BYTE, at + 4, ip, 0, 4);
        return new InetSocketAddress(InetAddress.getByAddress(ip), Short.toUnsignedInt(segment.get(PORT, at + 2)));
      }
      if (family == Native.AF_INET6) {
        byte[] ip = new byte[16];
        MemorySegment.copy(segment, JAVA_BYTE, at + 8, ip, 0, 16);
        return new InetSocketAddress(InetAddress.getByAddress(ip), Short.toUnsignedInt(segment.get(PORT, at + 2)));
      }
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e); // only thrown for an address of a wrong length
    }
    if (family == Native.AF_UNIX) {
      int end = 2;
      while (end < length && segment.get(JAVA_BYTE, at + end) != 0) {
        end++;
      }
      byte[] path = new byte[end - 2];
      MemorySegment.copy(segment, JAVA_BYTE, at + 2, path, 0, path.length);
      return UnixDomainSocketAddress.of(new String(path, StandardCharsets.UTF_8));
    }
    throw new UnsupportedAddressTypeException();
  }
}
