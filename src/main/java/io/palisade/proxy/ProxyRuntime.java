package io.palisade.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.palisade.metrics.GatewayMetrics;
import io.palisade.server.Transport;
import io.palisade.upstream.ClusterManager;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's long-lived state: the current config snapshot (swapped whole on reload), the clusters, upstream pools
 * (one per event loop), metrics, the access log and the connection registry used for draining.
 *
 * <pre>{@code
 * ProxyRuntime runtime = ProxyRuntime.builder(clusters, metrics).transport(Transport.detect()).build(snapshot);
 * pipeline.addLast("proxy", runtime.newHandler());
 * runtime.swap(nextSnapshot); // new requests see it; requests in flight keep theirs
 * }</pre>
 */
public final class ProxyRuntime {
    static final Object DRAIN = new Object();
    private static final Logger log = LoggerFactory.getLogger(ProxyRuntime.class);
    private static final long LOG_INTERVAL_NANOS = 10_000_000_000L;

    private final ClusterManager clusters;
    private final GatewayMetrics metrics;
    private volatile AccessLog accessLog;
    private final Transport transport;
    private final AddressResolverGroup<InetSocketAddress> resolver;
    private final FastThreadLocal<UpstreamPool> loopPool = new FastThreadLocal<>();
    /** Every loop's pool, for the gauges and {@link #inflight}. */
    private final List<UpstreamPool> pools = new CopyOnWriteArrayList<>();
    private final ChannelGroup connections = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
    private final AtomicLong acceptedTotal = new AtomicLong();
    private final AtomicLong lastFailureLog = new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS);
    private final AtomicLong suppressedFailures = new AtomicLong();
    private volatile GatewaySnapshot snapshot;
    private volatile boolean draining;

    private ProxyRuntime(Builder b, GatewaySnapshot initial) {
        this.clusters = b.clusters;
        this.metrics = b.metrics;
        this.accessLog = b.accessLog;
        this.transport = b.transport;
        this.resolver = new DnsAddressResolverGroup(new DnsNameResolverBuilder()
                .datagramChannelType(transport.datagramChannel())
                .socketChannelType(transport.clientChannel()));
        this.snapshot = initial;
        registerGauges();
    }

    public static Builder builder(ClusterManager clusters, GatewayMetrics metrics) {
        return new Builder(clusters, metrics);
    }

    /** Builds a {@link ProxyRuntime}. */
    public static final class Builder {
        private final ClusterManager clusters;
        private final GatewayMetrics metrics;
        private AccessLog accessLog = AccessLog.disabled();
        private Transport transport = Transport.detect();

        private Builder(ClusterManager clusters, GatewayMetrics metrics) {
            this.clusters = Objects.requireNonNull(clusters, "clusters");
            this.metrics = Objects.requireNonNull(metrics, "metrics");
        }

        public Builder accessLog(AccessLog accessLog) {
            this.accessLog = Objects.requireNonNull(accessLog, "accessLog");
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
        metrics.gauge("palisade_upstream_pending", "Requests waiting for an upstream connection to open.",
                cb -> cb.call(sum(c -> c.pending)));
    }

    /** The handler to end each client pipeline with (one per connection). */
    public ChannelHandler newHandler() {
        return new ProxyHandler(this);
    }

    public GatewaySnapshot snapshot() {
        return snapshot;
    }

    /** Makes {@code next} the snapshot for new requests; requests in flight finish on the one they started with. */
    public void swap(GatewaySnapshot next) {
        this.snapshot = Objects.requireNonNull(next, "next");
    }

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

    ClusterManager clusters() {
        return clusters;
    }

    GatewayMetrics metrics() {
        return metrics;
    }

    AccessLog accessLog() {
        return accessLog;
    }

    /**
     * Makes {@code next} the access log of the lines logged from now on (a reload changed {@code access_log}). The old
     * one closes, its file with it, once every loop of {@code loops} has handed over the lines it still buffers for it:
     * a task queued behind the loop's pending work, which queues a second one behind the hand-overs that work
     * scheduled. Never waits; callable from any thread.
     */
    public void swapAccessLog(AccessLog next, EventLoopGroup loops) {
        AccessLog old = accessLog;
        accessLog = Objects.requireNonNull(next, "next");
        List<EventExecutor> all = new ArrayList<>();
        loops.forEach(all::add);
        AtomicInteger pending = new AtomicInteger(all.size());
        Runnable done = () -> {
            old.releaseLoopBuffer();
            if (pending.decrementAndGet() == 0) {
                old.shutdown();
            }
        };
        for (EventExecutor loop : all) {
            try {
                loop.execute(() -> {
                    try {
                        loop.execute(done);
                    } catch (RejectedExecutionException e) {
                        done.run(); // the loop is shutting down: it hands over nothing more
                    }
                });
            } catch (RejectedExecutionException e) {
                done.run();
            }
        }
        if (all.isEmpty()) {
            old.shutdown();
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
        long now = System.nanoTime();
        long last = lastFailureLog.get();
        if (now - last >= LOG_INTERVAL_NANOS && lastFailureLog.compareAndSet(last, now)) {
            long suppressed = suppressedFailures.getAndSet(0);
            log.warn("{} ({} similar suppressed)", what, suppressed, cause);
        } else {
            suppressedFailures.incrementAndGet();
        }
    }

    void logDebug(String what, Throwable cause) {
        if (log.isDebugEnabled()) {
            log.debug(what, cause);
        }
    }

    public void close() {
        accessLog.close();
        resolver.close();
    }
}
