package io.palisade.server;

import io.netty.channel.ChannelHandler;

/**
 * Caps the open client connections of one listener: a connection over the cap is closed as soon as it is accepted,
 * before any byte is read, so an overload costs an accept and a close, never a request's work. Sharable: create one
 * per listener and add the same instance first in every child pipeline of that listener (see
 * {@link ProtocolHandlers#install}); the cap can change while it serves.
 *
 * <pre>{@code
 * ConnectionLimiter limiter = ProtocolHandlers.connectionLimiter(limits);
 * // metrics: limiter.open() as a gauge, limiter.rejected() as a counter
 * }</pre>
 */
public interface ConnectionLimiter extends ChannelHandler {
    /** Connections of this listener open now (accepted and not yet closed, rejected ones not counted). */
    int open();

    /** Connections closed on accept because the listener was full, since start. */
    long rejected();

    int maxConnections();

    /**
     * Changes the cap (a reload): new connections are refused while as many as the new cap are open. Lowering it
     * closes nothing; the connections over it end as clients leave.
     */
    void maxConnections(int maxConnections);

    static ConnectionLimiter create(int maxConnections) {
        return new DefaultConnectionLimiter(maxConnections);
    }
}
