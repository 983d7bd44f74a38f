package io.palisade.proxy;

import io.netty.handler.codec.http.HttpRequest;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.palisade.metrics.GatewayMetrics;
import io.palisade.time.RateLimitedLog;
import io.palisade.time.Ticker;
import io.palisade.outcome.OutcomePublisher;
import io.palisade.server.ProtocolHandlers;
import io.palisade.server.Transport;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's long-lived state: the serving config snapshots (swapped whole on reload; a canary may serve beside the
 * primary), upstream pools (one per event loop), metrics, where each request's outcome goes, and the connection
 * registry used for draining.
 *
 * <pre>{@code
 * ProxyRuntime runtime = ProxyRuntime.builder(metrics).transport(Transport.detect()).outcomes(outcomes)
 *         .build(snapshot);
 * pipeline.addLast("proxy", runtime.newHandler());
 * runtime.swap(nextSnapshot); // new requests see it; requests in flight keep theirs
 * }</pre>
 */
public final class ProxyRuntime {
    static final Object DRAIN = ProtocolHandlers.DRAIN;
    private static final Logger log = LoggerFactory.getLogger(ProxyRuntime.class);

    private final GatewayMetrics metrics;
    private final OutcomePublisher outcomes;
    private final Transport transport;
    private final AddressResolverGroup<InetSocketAddress> resolver;
    private final FastThreadLocal<UpstreamPool> loopPool = new FastThreadLocal<>();
    /** Every loop's pool, for the gauges and {@link #inflight}. */
    private final List<UpstreamPool> pools = new CopyOnWriteArrayList<>();
    private final ChannelGroup connections = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
    private final AtomicLong acceptedTotal = new AtomicLong();
    private final WebSocketTunnel.Stats websockets = new WebSocketTunnel.Stats();
    private final RateLimitedLog failures = RateLimitedLog.every(Duration.ofSeconds(10), log, Ticker.system());
    private volatile Serving serving;
    private volatile boolean draining;

    private ProxyRuntime(Builder b, GatewaySnapshot initial) {
        this.metrics = b.metrics;
        this.outcomes = b.outcomes;
        this.transport = b.transport;
        this.resolver = new DnsAddressResolverGroup(new DnsNameResolverBuilder()
                .datagramChannelType(transport.datagramChannel())
                .socketChannelType(transport.clientChannel()));
        this.serving = new Serving(initial, null, null);
        registerGauges();
    }

    public static Builder builder(GatewayMetrics metrics) {
        return new Builder(metrics);
    }

    /** Builds a {@link ProxyRuntime}. */
    public static final class Builder {
        private final GatewayMetrics metrics;
        private OutcomePublisher outcomes = OutcomePublisher.create();
        private Transport transport = Transport.detect();

        private Builder(GatewayMetrics metrics) {
            this.metrics = Objects.requireNonNull(metrics, "metrics");
        }

        /** Where every exchange publishes its outcome when it ends (by default a publisher nobody listens to). */
        public Builder outcomes(OutcomePublisher outcomes) {
            this.outcomes = Objects.requireNonNull(outcomes, "outcomes");
            return this;
        }

        public Builder transport(Transport transport) {
            this.transport = Objects.requireNonNull(transport, "transport");
            return this;
        }

        public ProxyRuntime build(GatewaySnapshot initial) {
            return new ProxyRuntime(this, Objects.requireNonNull(initial, "initial"));
        }
    }

    private void registerGauges() {
        metrics.gauge("palisade_active_connections", "Open client connections on the data listeners.",
                cb -> cb.call(connections.size()));
        metrics.gauge("palisade_inflight_requests", "Requests being served right now.",
                cb -> cb.call(inflight()));
        metrics.gauge("palisade_upstream_connections", "Upstream connections by state (idle in pool or busy).",
                cb -> {
                    long idle = sum(c -> c.idle);
                    cb.call(idle, "idle");
                    cb.call(Math.max(0, sum(c -> c.open) - idle), "busy");
                }, "state");
        metrics.gauge("palisade_upstream_pending", "Requests waiting for an upstream connection: one of their own"
                        + " opening, or, queued under max_pending, one to free up.",
                cb -> cb.call(sum(c -> c.pending)));
        metrics.gauge("palisade_websocket_tunnels_active", "WebSocket tunnels open now (upgraded connections).",
                cb -> cb.call(websockets.opened.sum() - websockets.closed.sum()));
        metrics.counter("palisade_websocket_tunnels_total", "WebSocket tunnels opened since start.",
                cb -> cb.call(websockets.opened.sum()));
        metrics.counter("palisade_websocket_bytes_total", "Bytes relayed through WebSocket tunnels, by direction"
                + " (to_upstream, to_client).", cb -> {
                    cb.call(websockets.bytesToUpstream.sum(), "to_upstream");
                    cb.call(websockets.bytesToClient.sum(), "to_client");
                }, "direction");
    }

    WebSocketTunnel.Stats websocketStats() {
        return websockets;
    }

    /** The pipeline name of {@link #newHandler()}'s handler. */
    public static final String HANDLER_NAME = "proxy";

    /** The handler to end each client pipeline with (one per connection), under {@link #HANDLER_NAME}. */
    public ChannelHandler newHandler() {
        return new ProxyHandler(this);
    }

    /** The primary snapshot: what every request gets unless a canary takes its share. */
    public GatewaySnapshot snapshot() {
        return serving.primary();
    }

    /** The canary snapshot serving beside the primary, if a release is in progress. */
    public Optional<GatewaySnapshot> canary() {
        return Optional.ofNullable(serving.canary());
    }

    /**
     * Makes {@code next} the only snapshot for new requests (ending any canary); requests in flight finish on the one
     * they started with.
     */
    public void swap(GatewaySnapshot next) {
        this.serving = new Serving(Objects.requireNonNull(next, "next"), null, null);
    }

    /**
     * Serves {@code canary} beside {@code primary}: {@code split} decides for each new request which one it is bound
     * to, from start to end. One volatile write, like {@link #swap}.
     */
    public void serve(GatewaySnapshot primary, GatewaySnapshot canary, TrafficSplit split) {
        this.serving = new Serving(Objects.requireNonNull(primary, "primary"), Objects.requireNonNull(canary, "canary"),
                Objects.requireNonNull(split, "split"));
    }

    /** The snapshot a new request is bound to: one volatile read, and the split's answer only while a canary runs. */
    GatewaySnapshot snapshotFor(String clientIp, HttpRequest request) {
        Serving s = serving;
        return s.canary() != null && s.split().toCanary(clientIp, request) ? s.canary() : s.primary();
    }

    /** What serves now: the primary, and a canary with its split while a release is in progress. */
    private record Serving(GatewaySnapshot primary, GatewaySnapshot canary, TrafficSplit split) {}

    public int openConnections() {
        return connections.size();
    }

    public long acceptedConnections() {
        return acceptedTotal.get();
    }

    /** Requests in flight, counted from exchanges still holding an upstream or running policy. */
    public long inflight() {
        return sum(c -> c.inflight);
    }

    private long sum(Function<UpstreamPool.PoolCounters, AtomicLong> counter) {
        long total = 0;
        for (UpstreamPool p : pools) {
            total += counter.apply(p.counters()).get();
        }
        return total;
    }

    /**
     * Starts a graceful drain: idle keep-alive connections close now, busy ones after their current response (which
     * carries {@code Connection: close}).
     */
    public void drain() {
        draining = true;
        for (Channel c : connections) {
            c.pipeline().fireUserEventTriggered(DRAIN);
        }
    }

    public boolean draining() {
        return draining;
    }

    void connectionOpened(Channel ch) {
        acceptedTotal.incrementAndGet();
        connections.add(ch);
        if (draining) {
            ch.close();
        }
    }

    void connectionClosed(Channel ch) {
        connections.remove(ch);
    }

    GatewayMetrics metrics() {
        return metrics;
    }

    OutcomePublisher outcomes() {
        return outcomes;
    }

    /**
     * Asks every event loop to close one idle connection to {@code cluster}, for a request queued for a connection
     * slot: connections count against {@code max_connections} on every loop, and one idle where the request cannot
     * use it (another loop, another endpoint) would otherwise hold its slot until its idle timeout.
     */
    void askForIdleConnection(String cluster) {
        for (UpstreamPool p : pools) {
            try {
                p.loop().execute(() -> p.closeOneIdle(cluster));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // that loop is shutting down, and its connections with it
            }
        }
    }

    /** The pool of {@code loop}, which must be the calling thread's. */
    UpstreamPool pool(EventLoop loop) {
        UpstreamPool p = loopPool.getIfExists();
        if (p == null) {
            p = new UpstreamPool(loop, transport, resolver);
            loopPool.set(p);
            pools.add(p);
        }
        return p;
    }

    /** Logs an unexpected failure, at most one line every ten seconds with a count of what was suppressed. */
    void logFailure(String what, Throwable cause) {
        failures.warn(what, cause);
    }

    void logDebug(String what, Throwable cause) {
        if (log.isDebugEnabled()) {
            log.debug(what, cause);
        }
    }

    public void close() {
        resolver.close();
    }
}
