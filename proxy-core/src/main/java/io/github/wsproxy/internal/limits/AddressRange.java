package io.github.wsproxy.internal.limits;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/** An IP address or a CIDR block ({@code 10.0.0.0/8}, {@code ::1}, {@code 2001:db8::/32}). */
public final class AddressRange {
  private final byte[] network;
  private final int prefixBits;

  private AddressRange(byte[] network, int prefixBits) {
    this.network = network;
    this.prefixBits = prefixBits;
  }

  /**
   * Parses an address or CIDR block given as a literal (no host names: nothing is looked up).
   *
   * @throws IllegalArgumentException if it is not an IP literal with an optional valid prefix length
   */
  public static AddressRange parse(String text) {
    String spec = text.strip();
    int slash = spec.indexOf('/');
    String address = slash < 0 ? spec : spec.substring(0, slash);
    if (address.isEmpty() || !(address.contains(":") || address.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}"))) {
      throw new IllegalArgumentException("not an IP address or CIDR block: " + text);
    }
    byte[] bytes;
    try {
      bytes = InetAddress.getByName(address).getAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IP address or CIDR block: " + text);
    }
    int bits = bytes.length * 8;
    if (slash >= 0) {
      try {
        bits = Integer.parseInt(spec.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad prefix length in " + text);
      }
      if (bits < 0 || bits > bytes.length * 8) {
        throw new IllegalArgumentException("prefix length out of range in " + text);
      }
    }
    return new AddressRange(bytes, bits);
  }

  /** Parses every entry; see {@link #parse}. */
  public static List<AddressRange> parseAll(List<String> texts) {
    return texts.stream().map(AddressRange::parse).toList();
  }

  /** Whether the address lies in this range (an IPv4 address never matches an IPv6 range). */
  public boolean contains(InetAddress address) {
    byte[] candidate = address.getAddress();
    if (candidate.length != network.length) {
      return false;
    }
    int full = prefixBits / 8;
    for (int i = 0; i < full; i++) {
      if (candidate[i] != network[i]) {
        return false;
      }
    }
    int rest = prefixBits % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xFF << (8 - rest)) & 0xFF;
    return (candidate[full] & mask) == (network[full] & mask);
  }
}
