package io.palisade.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelPromise;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.palisade.upstream.UpstreamProtocol;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.resolver.AddressResolverGroup;
import io.palisade.upstream.Timeouts;
import io.palisade.server.LeanHttpHeaders;
import io.palisade.server.Transport;
import io.palisade.upstream.Cluster;
import io.palisade.upstream.Endpoint;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keep-alive connections to upstream endpoints, one pool per event loop: a downstream connection only ever borrows
 * upstream connections of its own loop, so a request never crosses threads and the pool needs no locks.
 *
 * <p>Idle connections are reused most-recently-used first (the likeliest to still be open) and closed by their idle
 * timeout. The cluster's {@code max_connections} is enforced across all loops with the cluster's atomic counter.
 */
final class UpstreamPool {
    /** Response heads beyond this are an upstream protocol error (502), not a reason to buffer without bound. */
    static final int MAX_RESPONSE_HEADER_BYTES = 64 * 1024;
    static final int MAX_CHUNK = 64 * 1024;
    static final String IDLE = "idle";
    static final String CODEC = "codec";
    static final String CONNECTION = "upstream";
    static final String TLS = "tls";

    private final EventLoop loop;
    private final Transport transport;
    private final AddressResolverGroup<InetSocketAddress> resolver;
    private final PoolCounters counters = new PoolCounters();
    private final Map<Endpoint, ArrayDeque<UpstreamConnection>> idle = new HashMap<>();
    /** This loop's requests queued for a connection under {@code max_pending}, by cluster name, oldest first. */
    private final Map<String, ArrayDeque<Exchange>> queued = new HashMap<>();
    private int queuedCount;
    /** This loop's HTTP/2 connections (h2c and h2), made on first use. */
    private H2cUpstreams h2c;

    UpstreamPool(EventLoop loop, Transport transport, AddressResolverGroup<InetSocketAddress> resolver) {
        this.loop = loop;
        this.transport = transport;
        this.resolver = resolver;
    }

    /**
     * This loop's counts for the gauges, which sum them over the loops. Only the loop changes them, so a change is a
     * read and a release store (plain moves on x86), not an atomic read-modify-write per request.
     */
    static final class PoolCounters {
        final AtomicLong open = new AtomicLong();
        final AtomicLong idle = new AtomicLong();
        /** Requests waiting for a connection: opening their own, or queued for one ({@code max_pending}). */
        final AtomicLong pending = new AtomicLong();
        /** Exchanges of this loop still holding an upstream or running policy. */
        final AtomicLong inflight = new AtomicLong();

        /** On the loop only. */
        static void add(AtomicLong counter, long delta) {
            counter.lazySet(counter.get() + delta);
        }
    }

    PoolCounters counters() {
        return counters;
    }

    EventLoop loop() {
        return loop;
    }

    /** An idle, open connection to {@code endpoint}, or null when a new one must be opened. */
    UpstreamConnection pollIdle(Endpoint endpoint) {
        ArrayDeque<UpstreamConnection> q = idle.get(endpoint);
        if (q == null) {
            return null;
        }
        UpstreamConnection c;
        while ((c = q.pollLast()) != null) {
            PoolCounters.add(counters.idle, -1);
            c.pooled = false;
            if (c.channel.isActive()) {
                return c;
            }
        }
        return null;
    }

    /**
     * Opens a new connection, or on an {@code h2c} cluster a new stream on the endpoint's connection; the future
     * completes on this loop with a channel whose pipeline ends in the {@link UpstreamConnection} named
     * {@code upstream}.
     */
    Future<Channel> connect(Cluster cluster, Endpoint endpoint, Timeouts timeouts) {
        if (cluster.config().protocol() != UpstreamProtocol.HTTP1) {
            return connectH2c(cluster, endpoint, timeouts);
        }
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(transport.clientChannel())
                .resolver(resolver)
                .option(ChannelOption.AUTO_READ, false)
                // The client side's allocator: one set of arenas and thread caches, not two.
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                        timeouts.connect().toMillis()))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        UpstreamConnection conn = new UpstreamConnection(ch, cluster, endpoint, UpstreamPool.this);
                        HttpDecoderConfig decoder = new HttpDecoderConfig()
                                .setMaxInitialLineLength(8192)
                                .setMaxHeaderSize(MAX_RESPONSE_HEADER_BYTES)
                                .setMaxChunkSize(MAX_CHUNK)
                                // Netty's validation; the response head goes on to the client as is, and is asked
                                // about absent headers on the way. Trailers: see UpstreamCodec.
                                .setHeadersFactory(LeanHttpHeaders.headersFactory())
                                .setTrailersFactory(LeanHttpHeaders.trailersFactory());
                        cluster.tls().ifPresent(tls -> ch.pipeline().addLast(TLS, tls.newHandler(ch.alloc(),
                                endpoint.address().host(), endpoint.address().port(), timeouts.connect())));
                        ch.pipeline()
                                .addLast(CODEC, new UpstreamCodec(decoder))
                                .addLast(IDLE, idleHandler(timeouts.idle()))
                                .addLast(CONNECTION, conn);
                    }
                });
        PoolCounters.add(counters.open, 1);
        ChannelFuture f = b.connect(InetSocketAddress.createUnresolved(endpoint.address().host(),
                endpoint.address().port()));
        f.channel().closeFuture().addListener(x -> {
            PoolCounters.add(counters.open, -1);
            cluster.releaseConnection();
        });
        ChannelFuture ready = cluster.tls().isPresent() ? afterHandshake(f) : f;
        Promise<Channel> connected = loop.newPromise();
        ready.addListener(x -> {
            if (x.isSuccess()) {
                connected.setSuccess(f.channel());
            } else {
                connected.setFailure(x.cause());
            }
        });
        return connected;
    }

    /**
     * A TLS connection is ready when its handshake is done, not when TCP connected: a failed handshake (an
     * untrusted certificate, a wrong name) is a failed connect, retried and answered as one (502).
     */
    static ChannelFuture afterHandshake(ChannelFuture connected) {
        Channel ch = connected.channel();
        ChannelPromise ready = ch.newPromise();
        connected.addListener((ChannelFutureListener) c -> {
            if (!c.isSuccess()) {
                ready.tryFailure(c.cause());
                return;
            }
            SslHandler ssl = (SslHandler) ch.pipeline().get(TLS);
            if (ssl == null) {
                ready.tryFailure(new javax.net.ssl.SSLException("TLS handler missing"));
                return;
            }
            ssl.handshakeFuture().addListener(h -> {
                if (h.isSuccess()) {
                    ready.trySuccess();
                } else {
                    ready.tryFailure(h.cause());
                    ch.close();
                }
            });
        });
        return ready;
    }

    private Future<Channel> connectH2c(Cluster cluster, Endpoint endpoint, Timeouts timeouts) {
        if (h2c == null) {
            h2c = new H2cUpstreams(loop, transport, resolver);
        }
        PoolCounters.add(counters.open, 1);
        Future<Channel> stream = h2c.openStream(cluster, endpoint, timeouts, this);
        stream.addListener(x -> {
            if (x.isSuccess()) {
                ((Channel) x.getNow()).closeFuture().addListener(c -> {
                    PoolCounters.add(counters.open, -1);
                    cluster.releaseConnection();
                });
            } else {
                PoolCounters.add(counters.open, -1);
                cluster.releaseConnection();
            }
        });
        return stream;
    }

    /**
     * Fires when the upstream sent nothing for {@code idle}: reader-idle only, because watching writes too would put a
     * listener on every write. While a request body is still being sent the exchange ignores it (the request
     * deadline bounds that case).
     */
    static UpstreamIdleTimer idleHandler(java.time.Duration idle) {
        return new UpstreamIdleTimer(idle);
    }

    /**
     * Returns a connection whose exchange finished cleanly, for reuse: first by a request of this loop queued for a
     * connection to its endpoint, else the pool. While requests of its cluster wait for a connection slot, a
     * connection nobody here can use is closed instead, which gives its slot to them.
     */
    void release(UpstreamConnection c) {
        if (!c.channel.isActive() || c.pooled) {
            return;
        }
        if (c.channel instanceof Http2StreamChannel) {
            // A stream serves one exchange; its slot goes back when it closes.
            c.exchange = null;
            c.channel.close();
            return;
        }
        c.restoreIdle();
        c.exchange = null;
        if (queuedCount > 0 && handToQueued(c)) {
            return;
        }
        if (c.cluster.hasConnectionWaiters()) {
            c.channel.close();
            return;
        }
        c.pooled = true;
        idle.computeIfAbsent(c.endpoint, e -> new ArrayDeque<>()).addLast(c);
        PoolCounters.add(counters.idle, 1);
        // Read while idle so a close or stray bytes from the upstream are noticed (and the connection dropped).
        c.channel.read();
    }

    private boolean handToQueued(UpstreamConnection c) {
        ArrayDeque<Exchange> q = queued.get(c.cluster.name());
        if (q == null) {
            return false;
        }
        for (Iterator<Exchange> it = q.iterator(); it.hasNext(); ) {
            Exchange ex = it.next();
            if (ex.queuedFor(c.endpoint)) {
                it.remove();
                queuedCount--;
                if (q.isEmpty()) {
                    queued.remove(c.cluster.name());
                }
                ex.takeConnection(c);
                return true;
            }
        }
        return false;
    }

    /** Queues {@code ex} for a connection to its cluster (see {@link #release}); on this loop only. */
    void enqueue(Exchange ex, String cluster) {
        queued.computeIfAbsent(cluster, k -> new ArrayDeque<>()).addLast(ex);
        queuedCount++;
        PoolCounters.add(counters.pending, 1);
    }

    /** Takes {@code ex} out of the queue (it got a connection, or ended), if it is still there. */
    void dequeue(Exchange ex, String cluster) {
        ArrayDeque<Exchange> q = queued.get(cluster);
        if (q != null && q.remove(ex)) {
            queuedCount--;
            if (q.isEmpty()) {
                queued.remove(cluster);
            }
        }
        PoolCounters.add(counters.pending, -1);
    }

    /**
     * Closes one idle connection to {@code cluster}, if this loop has one: a queued request, which cannot use it (it
     * waits on another loop, or for another endpoint), gets its slot.
     */
    void closeOneIdle(String cluster) {
        for (ArrayDeque<UpstreamConnection> q : idle.values()) {
            UpstreamConnection c = q.peekFirst();
            if (c != null && c.cluster.name().equals(cluster)) {
                remove(c);
                c.channel.close();
                return;
            }
        }
    }

    /** Forgets a pooled connection that closed or misbehaved while idle. */
    void remove(UpstreamConnection c) {
        if (!c.pooled) {
            return;
        }
        ArrayDeque<UpstreamConnection> q = idle.get(c.endpoint);
        if (q != null && q.remove(c)) {
            PoolCounters.add(counters.idle, -1);
            if (q.isEmpty()) {
                idle.remove(c.endpoint);
            }
        }
        c.pooled = false;
    }
}
