package io.palisade.tls;

import io.netty.channel.ChannelPipeline;

/**
 * The {@code h2} branch of ALPN on a TLS listener: what runs once a client and the gateway agreed on HTTP/2. The
 * HTTP/2 support implements it; without one registered, listeners offer only {@code http/1.1} in ALPN.
 *
 * <p>Called on the connection's event loop right after the handshake, with the TLS handlers (connection limiter,
 * {@code SslHandler}) left at the head of {@code pipeline} and every HTTP/1.1 handler after them (codec, timeouts,
 * validator, proxy) removed: the branch adds its own handlers at the end.
 */
@FunctionalInterface
public interface Http2Branch {
    void install(ChannelPipeline pipeline);
}
