package io.github.wsproxy;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;

/**
 * One live connection, as {@link WsProxy#connections()} saw it at one moment.
 *
 * @param id the connection's number, as in the access log; {@link WsProxy#closeConnection} takes it
 * @param client the client's address
 * @param target the request target, or null while the request is being read
 * @param upstream the upstream server, or null before one was chosen
 * @param state {@code handshake}, {@code open} or {@code closing}
 * @param age since the client connected
 * @param bytesFromClient bytes received from the client after the handshake
 * @param messagesFromClient complete messages received from the client
 * @param bytesFromUpstream bytes received from the upstream after the handshake
 * @param messagesFromUpstream complete messages received from the upstream
 */
public record ConnectionSnapshot(
    long id,
    InetSocketAddress client,
    String target,
    URI upstream,
    String state,
    Duration age,
    long bytesFromClient,
    long messagesFromClient,
    long bytesFromUpstream,
    long messagesFromUpstream) {}
