package io.github.wsproxy.internal.intercept;

/**
 * The way bytes, frames and messages travel through a connection: from the client to the upstream
 * or back. It names the side they come from and the side they go to, for log lines and close
 * reasons. It lives here, below the relay, because the interceptor chain and the connection handle
 * speak of directions too.
 */
public enum Direction {
  /** From the client, to the upstream server. */
  CLIENT_TO_UPSTREAM("client", "upstream"),
  /** From the upstream server, to the client. */
  UPSTREAM_TO_CLIENT("upstream", "client");

  private final String source;
  private final String destination;

  Direction(String source, String destination) {
    this.source = source;
    this.destination = destination;
  }

  /** The way back. */
  public Direction opposite() {
    return this == CLIENT_TO_UPSTREAM ? UPSTREAM_TO_CLIENT : CLIENT_TO_UPSTREAM;
  }

  /** Whether this direction starts at the client (its frames are masked, and re-masked by the proxy). */
  public boolean fromClient() {
    return this == CLIENT_TO_UPSTREAM;
  }

  /** The side this direction comes from, as log lines and close reasons name it: "client" or "upstream". */
  public String source() {
    return source;
  }

  /** The side this direction goes to: "upstream" or "client". */
  public String destination() {
    return destination;
  }
}
