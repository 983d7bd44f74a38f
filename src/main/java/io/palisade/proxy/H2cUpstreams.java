package io.palisade.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.handler.ssl.SslHandler;
import io.palisade.server.Transport;
import io.palisade.time.RateLimitedLog;
import io.palisade.time.Ticker;
import io.palisade.tls.ClientTls;
import java.time.Duration;
import javax.net.ssl.SSLHandshakeException;
import org.slf4j.LoggerFactory;
import io.palisade.upstream.Cluster;
import io.palisade.upstream.Endpoint;
import io.palisade.upstream.Timeouts;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP/2 connections of one event loop's pool ({@code protocol: h2c} clusters, and {@code protocol: h2} over TLS):
 * one HTTP/2 connection per endpoint, opened on first use (h2c with prior knowledge; h2 after a TLS handshake whose
 * ALPN selected {@code h2}), and a stream on it for each request.
 *
 * <p>A stream looks to the exchange like an HTTP/1.1 connection of its own: a channel whose pipeline turns the
 * request it writes into HEADERS and DATA frames and the response frames back into an {@code HttpResponse},
 * {@code HttpContent}s and a {@code LastHttpContent} with the trailers (gRPC's {@code grpc-status} among them), and
 * ends in an {@link UpstreamConnection}. It counts against the cluster's {@code max_connections} as a connection does,
 * and is closed, never pooled, when its exchange ends.
 *
 * <p>The connection closes after the cluster's idle timeout with no stream open, or when the endpoint sends GOAWAY
 * (the next request opens a new one).
 */
final class H2cUpstreams {
    private static final String STREAM_CODEC = "h2-codec";
    private static final RateLimitedLog ALPN_REFUSALS = RateLimitedLog.every(Duration.ofSeconds(10),
            LoggerFactory.getLogger(H2cUpstreams.class), Ticker.system());

    private final EventLoop loop;
    private final Transport transport;
    private final AddressResolverGroup<InetSocketAddress> resolver;
    private final Map<Endpoint, ChannelFuture> connections = new HashMap<>();

    H2cUpstreams(EventLoop loop, Transport transport, AddressResolverGroup<InetSocketAddress> resolver) {
        this.loop = loop;
        this.transport = transport;
        this.resolver = resolver;
    }

    /** A new stream to {@code endpoint}, on its connection (opened first when there is none usable). */
    Future<Channel> openStream(Cluster cluster, Endpoint endpoint, Timeouts timeouts, UpstreamPool pool) {
        Promise<Channel> stream = loop.newPromise();
        ChannelFuture connection = connection(cluster, endpoint, timeouts);
        if (connection.isDone()) {
            open(connection, cluster, endpoint, timeouts, pool, stream);
        } else {
            connection.addListener(f -> open(connection, cluster, endpoint, timeouts, pool, stream));
        }
        return stream;
    }

    private void open(ChannelFuture connection, Cluster cluster, Endpoint endpoint, Timeouts timeouts,
                      UpstreamPool pool, Promise<Channel> stream) {
        if (!connection.isSuccess()) {
            stream.setFailure(connection.cause());
            return;
        }
        new Http2StreamChannelBootstrap(connection.channel())
                .option(ChannelOption.AUTO_READ, false)
                .handler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel ch) {
                        ch.pipeline()
                                .addLast(STREAM_CODEC, new Http2StreamFrameToHttpObjectCodec(false, true))
                                .addLast("h2-response", new ResponseAdapter())
                                .addLast("h2-request", new RequestAdapter())
                                .addLast(UpstreamPool.IDLE, UpstreamPool.idleHandler(timeouts.idle()))
                                .addLast("upstream", new UpstreamConnection(ch, cluster, endpoint, pool));
                    }
                })
                .open()
                .addListener(f -> {
                    if (f.isSuccess()) {
                        stream.setSuccess((Channel) f.getNow());
                    } else {
                        stream.setFailure(f.cause());
                    }
                });
    }

    private ChannelFuture connection(Cluster cluster, Endpoint endpoint, Timeouts timeouts) {
        ChannelFuture existing = connections.get(endpoint);
        if (existing != null && (!existing.isDone() || usable(existing.channel()))) {
            return existing;
        }
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(transport.clientChannel())
                .resolver(resolver)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                        timeouts.connect().toMillis()))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (cluster.tls().isPresent()) {
                            // h2: the HTTP/2 handlers (and the preface they send) wait for ALPN's h2: selectedH2.
                            ch.pipeline().addLast(UpstreamPool.TLS, cluster.tls().get().newHandler(ch.alloc(),
                                    endpoint.address().host(), endpoint.address().port(), timeouts.connect()));
                        } else {
                            addHttp2Handlers(ch.pipeline(), timeouts);
                        }
                    }
                });
        ChannelFuture tcp = b.connect(InetSocketAddress.createUnresolved(endpoint.address().host(),
                endpoint.address().port()));
        ChannelFuture connect = cluster.tls().isPresent() ? selectedH2(cluster, endpoint, timeouts, tcp) : tcp;
        connections.put(endpoint, connect);
        connect.channel().closeFuture().addListener(f -> connections.remove(endpoint, connect));
        return connect;
    }

    /**
     * An {@code h2} connection is ready once its handshake is done and ALPN selected {@code h2}. An endpoint that
     * selected nothing (no ALPN) or something else would read the HTTP/2 preface as garbage: that is a failed
     * connect (counted as {@code tls}, retried on another endpoint, else 502), logged with what it selected.
     */
    private static void addHttp2Handlers(ChannelPipeline p, Timeouts timeouts) {
        p.addLast("h2-frame-codec", Http2FrameCodecBuilder.forClient()
                        .initialSettings(Http2Settings.defaultSettings().pushEnabled(false)
                                .initialWindowSize(1024 * 1024))
                        .validateHeaders(true)
                        .build())
                .addLast("h2-idle", new IdleStateHandler(0, 0, timeouts.idle().toNanos(), TimeUnit.NANOSECONDS))
                // Pushes are turned off in the SETTINGS above; a stream the server opens anyway is closed.
                .addLast("h2-multiplex", new Http2MultiplexHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        ctx.close();
                    }
                }))
                // Last: stream errors reach their streams through the multiplexer first.
                .addLast("h2-close-when-idle", new CloseWhenIdle());
    }

    private static ChannelFuture selectedH2(Cluster cluster, Endpoint endpoint, Timeouts timeouts,
                                            ChannelFuture tcp) {
        ChannelFuture handshake = UpstreamPool.afterHandshake(tcp);
        Channel ch = tcp.channel();
        ChannelPromise ready = ch.newPromise();
        handshake.addListener(h -> {
            if (!h.isSuccess()) {
                ready.tryFailure(h.cause());
                return;
            }
            SslHandler ssl = (SslHandler) ch.pipeline().get(UpstreamPool.TLS);
            String selected = ssl == null ? null : ssl.applicationProtocol();
            if (ClientTls.H2.equals(selected)) {
                addHttp2Handlers(ch.pipeline(), timeouts);
                ready.trySuccess();
                return;
            }
            String why = "clusters." + cluster.name() + ": endpoint " + endpoint.address() + " did not select h2 in"
                    + " TLS ALPN (selected: " + (selected == null ? "nothing" : selected) + "); protocol: h2 needs"
                    + " an HTTP/2 server over TLS";
            ALPN_REFUSALS.warn(cluster.name(), why, null);
            ready.tryFailure(new SSLHandshakeException(why));
            ch.close();
        });
        return ready;
    }

    /** Open, and not told by the endpoint to go away. */
    private static boolean usable(Channel ch) {
        if (!ch.isActive()) {
            return false;
        }
        Http2FrameCodec codec = ch.pipeline().get(Http2FrameCodec.class);
        return codec != null && !codec.connection().goAwayReceived() && !codec.connection().goAwaySent();
    }

    /** The connection's idle timeout: closes it when nothing happened on it for that long and no stream is open. */
    private static final class CloseWhenIdle extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent) {
                Http2FrameCodec codec = ctx.pipeline().get(Http2FrameCodec.class);
                if (codec.connection().numActiveStreams() == 0) {
                    ctx.close();
                }
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        /** The connection failed (a reset, a protocol error): its streams learn of it by their own close. */
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Tells the upstream the client takes trailers ({@code TE: trailers}), when it said so. */
    private static final class RequestAdapter extends ChannelOutboundHandlerAdapter {
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof HttpRequest request) {
                UpstreamConnection c = (UpstreamConnection) ctx.pipeline().get("upstream");
                if (c != null && c.exchange != null && c.exchange.clientAcceptsTrailers) {
                    request.headers().set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
                }
            }
            ctx.write(msg, promise);
        }
    }

    /**
     * Shapes the response as the HTTP/1.1 decoder delivers it: a head, then contents ending in a last one; without the
     * codec's {@code x-http2-*} extension headers.
     */
    private static final class ResponseAdapter extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof FullHttpResponse full) {
                HttpResponse head = new DefaultHttpResponse(full.protocolVersion(), full.status(), full.headers());
                strip(head.headers());
                ctx.fireChannelRead(head);
                ctx.fireChannelRead(new DefaultLastHttpContent(full.content(), full.trailingHeaders()));
                return;
            }
            if (msg instanceof HttpResponse head) {
                strip(head.headers());
            }
            ctx.fireChannelRead(msg);
        }

        private static void strip(HttpHeaders headers) {
            for (HttpConversionUtil.ExtensionHeaderNames name : HttpConversionUtil.ExtensionHeaderNames.values()) {
                headers.remove(name.text());
            }
        }
    }
}
