package io.palisade.server;

import java.time.Duration;

/**
 * Protocol limits applied to every request before any routing (seed 003: no input may crash or wedge the gateway).
 *
 * @param maxHeaderBytes    the whole header block; larger gets 431
 * @param maxUriBytes       the request target; longer gets 414
 * @param maxBody           the body, unless a route says less; larger gets 413
 * @param headerReadTimeout time from the first byte of a request to the end of its headers; slower gets 408
 * @param clientIdle        an idle keep-alive client connection is closed after this
 * @param maxConnections    client connections per listener; more are closed on accept
 * @param maxConnectionsPerIp client connections per listener from one client address (IPv4 address, IPv6 /64); more
 *                          are closed on accept; 0: no cap
 */
public record ServerLimits(long maxHeaderBytes, long maxUriBytes, long maxBody, Duration headerReadTimeout,
                           Duration clientIdle, int maxConnections, int maxConnectionsPerIp) {
    /**
     * {@code server.limits.max_connections_per_ip} when not written: far above what one API client, or a fleet of
     * them behind one NAT address, keeps open (pools of tens of connections per process), far below the listener's
     * default cap of 10,000, so one address cannot take the listener.
     */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_IP = 0;

    /** With the default cap per client address. */
    public ServerLimits(long maxHeaderBytes, long maxUriBytes, long maxBody, Duration headerReadTimeout,
                        Duration clientIdle, int maxConnections) {
        this(maxHeaderBytes, maxUriBytes, maxBody, headerReadTimeout, clientIdle, maxConnections,
                DEFAULT_MAX_CONNECTIONS_PER_IP);
    }
}
