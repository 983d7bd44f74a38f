package io.palisade.gateway;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.palisade.outcome.OutcomePublisher;
import io.palisade.proxy.GatewaySnapshot;
import io.palisade.proxy.ProxyRuntime;
import io.palisade.overload.OverloadState;
import io.palisade.server.ConnectionLimiter;
import io.palisade.server.Http2Counters;
import io.palisade.server.Http2Handlers;
import io.palisade.server.Http2Settings;
import io.palisade.server.ListenerConfig;
import io.palisade.server.ProtocolHandlers;
import io.palisade.server.ProxyProtocol;
import io.palisade.server.ServerConfig;
import io.palisade.server.ServerLimits;
import io.palisade.tls.HandshakeListener;
import io.palisade.tls.ServerTls;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Builds each client connection's pipeline. The pipeline speaks HTTP and enforces protocol limits; it knows nothing of
 * routes or tenants, which the proxy's filter chain deals with.
 *
 * <pre>
 *  bytes ─▶ connection-limiter ─▶ [proxy-protocol] ─▶ [tls ─▶ tls-handshake] ─▶ [h2c preface] ─▶ http-codec
 *           (accept cap)           (balancer's header)  (SNI, deadline,          (plain listener
 *                                                        ALPN h2 branch)          with http2:)
 *        ─▶ header-read-timeout ─▶ request-validator ─▶ proxy
 *           (slow heads: 408,      (RFC 9112 framing,    (route, policy,
 *            idle close)            Host, ids, 4xx)       upstream)
 * </pre>
 *
 * <p>On a TLS listener the handshake is bounded by the same {@code header_read_timeout} as a request head. HTTP/2 comes
 * two ways: on a plain listener with {@code http2:}, a connection that opens with the HTTP/2 preface swaps the HTTP/1.1
 * handlers for {@link Http2Handlers}' (h2c with prior knowledge); on a TLS listener, ALPN's {@code h2} calls
 * {@link #installHttp2} after the handshake. Either way each stream gets a request validator and a proxy of its own.
 *
 * <p>Limits and the request id policy are read from the live snapshot when a connection is accepted (a stream: when it
 * opens), so a reload's new settings apply to new connections; the outcomes of the requests the protocol handlers
 * refuse name that snapshot's version.
 */
final class GatewayChannelInitializer extends ChannelInitializer<SocketChannel> {
    private final Supplier<GatewaySnapshot> snapshots;
    private final ProxyRuntime runtime;
    private final ConnectionLimiter connectionLimiter;
    private final OutcomePublisher outcomes;
    /** The listener whose connections these are, or null (tests that build a bare pipeline). */
    private final ListenerConfig listener;
    private final Http2Counters http2Counters;
    /** The listener's TLS; absent on a plain listener. */
    private final Optional<ServerTls> tls;
    private final HandshakeListener handshakes;
    private final OverloadState overload;

    GatewayChannelInitializer(Supplier<GatewaySnapshot> snapshots, ProxyRuntime runtime,
                              ConnectionLimiter connectionLimiter, OutcomePublisher outcomes) {
        this(snapshots, runtime, connectionLimiter, outcomes, null, new Http2Counters(), Optional.empty(),
                HandshakeListener.NONE);
    }

    GatewayChannelInitializer(Supplier<GatewaySnapshot> snapshots, ProxyRuntime runtime,
                              ConnectionLimiter connectionLimiter, OutcomePublisher outcomes,
                              Optional<ServerTls> tls, HandshakeListener handshakes) {
        this(snapshots, runtime, connectionLimiter, outcomes, null, new Http2Counters(), tls, handshakes);
    }

    GatewayChannelInitializer(Supplier<GatewaySnapshot> snapshots, ProxyRuntime runtime,
                              ConnectionLimiter connectionLimiter, OutcomePublisher outcomes, ListenerConfig listener,
                              Http2Counters http2Counters) {
        this(snapshots, runtime, connectionLimiter, outcomes, listener, http2Counters, Optional.empty(),
                HandshakeListener.NONE);
    }

    /**
     * @param listener its {@code http2:} block turns on h2c on a plain listener (and sets a TLS listener's HTTP/2
     *                 settings), its {@code proxy_protocol} the PROXY header
     */
    GatewayChannelInitializer(Supplier<GatewaySnapshot> snapshots, ProxyRuntime runtime,
                              ConnectionLimiter connectionLimiter, OutcomePublisher outcomes, ListenerConfig listener,
                              Http2Counters http2Counters, Optional<ServerTls> tls, HandshakeListener handshakes) {
        this(snapshots, runtime, connectionLimiter, outcomes, listener, http2Counters, tls, handshakes,
                OverloadState.none());
    }

    /** @param overload asked per request whether to shed it or close its connection after the response */
    GatewayChannelInitializer(Supplier<GatewaySnapshot> snapshots, ProxyRuntime runtime,
                              ConnectionLimiter connectionLimiter, OutcomePublisher outcomes, ListenerConfig listener,
                              Http2Counters http2Counters, Optional<ServerTls> tls, HandshakeListener handshakes,
                              OverloadState overload) {
        this.overload = overload;
        this.snapshots = snapshots;
        this.runtime = runtime;
        this.connectionLimiter = connectionLimiter;
        this.outcomes = outcomes;
        this.listener = listener;
        this.http2Counters = http2Counters;
        this.tls = tls;
        this.handshakes = handshakes;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        GatewaySnapshot snapshot = snapshots.get();
        ServerConfig s = snapshot.server();
        ServerLimits l = s.limits();
        ChannelPipeline p = ch.pipeline();
        addConnectionLimit(p);
        if (listener != null && listener.proxyProtocol()) {
            ProxyProtocol.install(p); // the balancer's header comes before any TLS or HTTP byte
        }
        if (tls.isPresent()) {
            tls.get().install(p, l.headerReadTimeout(), handshakes);
        } else if (listener != null && listener.h2c()) {
            p.addLast(Http2Handlers.PREFACE_DETECTOR, Http2Handlers.priorKnowledge(listener.http2().orElseThrow(), l,
                    http2Counters, this::addStreamHandlers));
        }
        addCodec(p, l);
        addTimeouts(p, l);
        addRequestValidation(p, s, snapshot.version());
        addProxy(p);
    }

    /**
     * The HTTP/2 handlers for a connection that speaks HTTP/2 from its first byte after TLS, where ALPN chose
     * {@code h2}: each stream is served by a request validator and a proxy of its own.
     */
    void installHttp2(ChannelPipeline p) {
        Http2Settings settings = listener == null ? Http2Settings.DEFAULTS
                : listener.http2().orElse(Http2Settings.DEFAULTS);
        Http2Handlers.install(p, settings, snapshots.get().server().limits(), http2Counters, this::addStreamHandlers);
    }

    /**
     * A stream's request validator and proxy, with the limits and request id policy of the snapshot live when the
     * stream opens: a long-lived HTTP/2 connection follows reloads stream by stream, as HTTP/1.1 clients do by
     * connecting again.
     */
    private void addStreamHandlers(ChannelPipeline stream) {
        GatewaySnapshot snapshot = snapshots.get();
        addRequestValidation(stream, snapshot.server(), snapshot.version());
        addProxy(stream);
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
                configVersion, outcomes, overload));
    }

    private void addProxy(ChannelPipeline p) {
        p.addLast(ProxyRuntime.HANDLER_NAME, runtime.newHandler());
    }
}
