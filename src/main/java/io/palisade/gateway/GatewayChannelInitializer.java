package io.palisade.gateway;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.palisade.outcome.OutcomePublisher;
import io.palisade.proxy.GatewaySnapshot;
import io.palisade.server.ServerConfig;
import io.palisade.server.ServerLimits;
import io.palisade.proxy.ProxyRuntime;
import io.palisade.server.ConnectionLimiter;
import io.palisade.server.ProtocolHandlers;
import io.palisade.server.ProxyProtocol;
import io.palisade.tls.HandshakeListener;
import io.palisade.tls.ServerTls;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Builds each client connection's pipeline. The pipeline speaks HTTP and enforces protocol limits; it knows nothing of
 * routes or tenants, which the proxy's filter chain deals with.
 *
 * <pre>
 *  bytes ─▶ connection-limiter ─▶ [tls ─▶ tls-handshake] ─▶ http-codec ─▶ header-read-timeout ─▶ request-validator ─▶ proxy
 *           (accept cap)           (SNI, a TLS listener's     (HTTP/1.1,     (slow heads: 408,      (RFC 9112 framing,    (route, policy,
 *                                   deadline, ALPN h2 branch)  size caps)     idle close)            Host, ids, 4xx)       upstream)
 * </pre>
 *
 * <p>On a TLS listener the handshake is bounded by the same {@code header_read_timeout} as a request head.
 *
 * Limits and the request id policy are read from the live snapshot when a connection is accepted, so a reload's
 * new settings apply to new connections; the outcomes of the requests the protocol handlers refuse name that
 * snapshot's version.
 */
final class GatewayChannelInitializer extends ChannelInitializer<SocketChannel> {
    private final Supplier<GatewaySnapshot> snapshots;
    private final ProxyRuntime runtime;
    private final ConnectionLimiter connectionLimiter;
    private final OutcomePublisher outcomes;
    /** The listener's TLS; absent on a plain listener. */
    private final Optional<ServerTls> tls;
    private final HandshakeListener handshakes;
    /** Set once before the listener binds; read by its event loops after (the bind orders the two). */
    private boolean proxyProtocol;

    GatewayChannelInitializer(Supplier<GatewaySnapshot> snapshots, ProxyRuntime runtime,
                              ConnectionLimiter connectionLimiter, OutcomePublisher outcomes) {
        this(snapshots, runtime, connectionLimiter, outcomes, Optional.empty(), HandshakeListener.NONE);
    }

    GatewayChannelInitializer(Supplier<GatewaySnapshot> snapshots, ProxyRuntime runtime,
                              ConnectionLimiter connectionLimiter, OutcomePublisher outcomes,
                              Optional<ServerTls> tls, HandshakeListener handshakes) {
        this.snapshots = snapshots;
        this.runtime = runtime;
        this.connectionLimiter = connectionLimiter;
        this.outcomes = outcomes;
        this.tls = tls;
        this.handshakes = handshakes;
    }

    /** {@code proxy_protocol: true}: each connection begins with a PROXY protocol header. */
    GatewayChannelInitializer proxyProtocol(boolean on) {
        this.proxyProtocol = on;
        return this;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        GatewaySnapshot snapshot = snapshots.get();
        ServerConfig s = snapshot.server();
        ServerLimits l = s.limits();
        ChannelPipeline p = ch.pipeline();
        addConnectionLimit(p);
        if (proxyProtocol) {
            ProxyProtocol.install(p); // the balancer's header comes before any TLS or HTTP byte
        }
        if (tls.isPresent()) {
            tls.get().install(p, l.headerReadTimeout(), handshakes);
        }
        addCodec(p, l);
        addTimeouts(p, l);
        addRequestValidation(p, s, snapshot.version());
        addProxy(p);
    }

    private void addConnectionLimit(ChannelPipeline p) {
        p.addLast(ProtocolHandlers.CONNECTION_LIMITER, connectionLimiter);
    }

    private static void addCodec(ChannelPipeline p, ServerLimits l) {
        p.addLast(ProtocolHandlers.CODEC, ProtocolHandlers.codec(l));
    }

    private static void addTimeouts(ChannelPipeline p, ServerLimits l) {
        p.addLast(ProtocolHandlers.HEADER_READ_TIMEOUT, ProtocolHandlers.headerReadTimeout(l));
    }

    private void addRequestValidation(ChannelPipeline p, ServerConfig s, String configVersion) {
        p.addLast(ProtocolHandlers.REQUEST_VALIDATOR, ProtocolHandlers.requestValidator(s.limits(), s.requestId(),
                configVersion, outcomes));
    }

    private void addProxy(ChannelPipeline p) {
        p.addLast(ProxyRuntime.HANDLER_NAME, runtime.newHandler());
    }
}
