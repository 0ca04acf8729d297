package io.github.wsproxy;

import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;

/**
 * One proxied connection (a client and its upstream leg), as interceptors see it. Every method may
 * be called from any thread at any time; sending and closing are carried out on the connection's
 * event loop, in the order of the calls.
 */
public interface ProxyConnection {

  /**
   * The connection's number, as in the access log ({@code conn=}).
   *
   * @return the connection's id
   */
  long id();

  /**
   * The client's address.
   *
   * @return the client's address, as the proxy sees it
   */
  InetSocketAddress remoteAddress();

  /**
   * The client's certificate, verified during the TLS handshake when the listener asks for one
   * ({@link ServerTls#withClientAuth}); null without TLS, without client authentication, or when an
   * optional certificate was not presented. Its subject is {@code
   * clientCertificate().getSubjectX500Principal()}.
   *
   * @return the client's verified certificate, or null
   */
  X509Certificate clientCertificate();

  /**
   * The request target the client asked for (path and query).
   *
   * @return the client's request target
   */
  String target();

  /**
   * The subprotocol the upstream chose, or null (also before the connection is open).
   *
   * @return the chosen subprotocol, or null
   */
  String subprotocol();

  /**
   * Whether both legs are open and not closing.
   *
   * @return whether the connection is open
   */
  boolean isOpen();

  /**
   * An attribute attached to this connection, or null.
   *
   * @param name the attribute's name
   * @return the attribute's value, or null
   */
  Object attribute(String name);

  /**
   * An attribute attached to this connection, or null.
   *
   * @param <T> the attribute's type
   * @param name the attribute's name
   * @param type the class the attribute is expected to be of
   * @return the attribute's value, or null
   * @throws ClassCastException if it is not of that type
   */
  default <T> T attribute(String name, Class<T> type) {
    return type.cast(attribute(name));
  }

  /**
   * Attaches an attribute that later callbacks on this connection see; null removes it.
   *
   * @param name the attribute's name
   * @param value the attribute's value, or null to remove it
   */
  void setAttribute(String name, Object value);

  /**
   * Sends a message of the proxy's own to the client, after what is already on its way there.
   *
   * @param message the message to send
   * @return false when the connection is not open, or more than {@link
   *     WsProxy.Builder#maxMessageBytes} of sent messages are still waiting to be written
   */
  boolean sendToClient(Message message);

  /**
   * Sends a message of the proxy's own to the upstream; see {@link #sendToClient}.
   *
   * @param message the message to send
   * @return false when the connection is not open, or too many sent messages are still waiting to
   *     be written
   */
  boolean sendToUpstream(Message message);

  /**
   * Closes the connection: both the client and the upstream get a close frame with this code and
   * reason, and nothing more is relayed. Does nothing if the connection is already closing.
   *
   * @param code 1000–1003, 1007–1014 or 3000–4999
   * @param reason at most 123 bytes of UTF-8 are sent
   * @throws IllegalArgumentException if the code cannot be sent in a close frame
   */
  void close(int code, String reason);
}
