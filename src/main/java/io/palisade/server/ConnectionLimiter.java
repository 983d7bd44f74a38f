package io.palisade.server;

import io.netty.channel.ChannelHandler;
import io.palisade.time.Ticker;

/**
 * Caps the open client connections of one listener, in all and per client address: a connection over either cap is
 * closed as soon as it is accepted, before any byte is read, so an overload costs an accept and a close, never a
 * request's work. Sharable: create one per listener and add the same instance first in every child pipeline of that
 * listener (see {@link ProtocolHandlers#install}); the caps can change while it serves.
 *
 * <p>The cap per address ({@code server.limits.max_connections_per_ip}) keeps one client (a slowloris, a leaking
 * connection pool) from taking the whole listener: it is counted per IPv4 address and per IPv6 /64, on the
 * connection's peer, or on a listener with {@code proxy_protocol: true} on the client its PROXY header names (a
 * connection is counted for its client once that header is read; {@code X-Forwarded-For} is per request and is not
 * used here). Memory stays bounded by the open connections: an address's entry goes when its last connection closes.
 *
 * <pre>{@code
 * ConnectionLimiter limiter = ProtocolHandlers.connectionLimiter(limits);
 * // metrics: limiter.open() as a gauge, limiter.rejected() and limiter.rejectedPerIp() as counters
 * }</pre>
 */
public interface ConnectionLimiter extends ChannelHandler {
    /** Connections of this listener open now (accepted and not yet closed, rejected ones not counted). */
    int open();

    /** Connections closed on accept because the listener was full, since start. */
    long rejected();

    /** Connections closed on accept because their client address had {@link #maxConnectionsPerIp()} open. */
    long rejectedPerIp();

    /** Client addresses (IPv4 addresses, IPv6 /64s) with a connection open now. */
    int addressesTracked();

    int maxConnections();

    /**
     * Changes the cap (a reload): new connections are refused while as many as the new cap are open. Lowering it
     * closes nothing; the connections over it end as clients leave.
     */
    void maxConnections(int maxConnections);

    /** The cap per client address; 0 when there is none. */
    int maxConnectionsPerIp();

    /** Changes the cap per client address (a reload), as {@link #maxConnections(int)} does the listener's; 0: none. */
    void maxConnectionsPerIp(int maxConnectionsPerIp);

    /** A limiter without a cap per client address, for a listener without the PROXY protocol. */
    static ConnectionLimiter create(int maxConnections) {
        return create("http", maxConnections, 0, false, Ticker.system());
    }

    /**
     * @param listener      the listener's name, for the log line about connections over the cap per address
     * @param proxyProtocol whether the listener reads a PROXY header: then the client it names is counted, once read
     * @param ticker        paces that log line (one per 10 s at most)
     */
    static ConnectionLimiter create(String listener, int maxConnections, int maxConnectionsPerIp,
                                    boolean proxyProtocol, Ticker ticker) {
        return new DefaultConnectionLimiter(listener, maxConnections, maxConnectionsPerIp, proxyProtocol, ticker);
    }
}
