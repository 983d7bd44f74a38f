package io.palisade.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real HTTP/1.1 server on 127.0.0.1 for tests, whose behaviour a test can switch at any time: answer (with a
 * status, a body, a delay), echo the request body, hang (accept the request, never answer), or close the connection.
 * It records what it received so tests can check what the gateway forwarded.
 */
public final class TestUpstream implements AutoCloseable {
    /** What to do with one request. */
    public sealed interface Behavior {}

    public record Respond(int status, String body, long delayMillis) implements Behavior {}

    public record Echo() implements Behavior {}

    public record Hang() implements Behavior {}

    /** Holds each request until {@code release} completes, then answers 200: a slow upstream without a clock. */
    public record Held(java.util.concurrent.CompletableFuture<Void> release) implements Behavior {}

    public record Close() implements Behavior {}

    public record Large(int bytes) implements Behavior {}

    /** A request as the upstream saw it. */
    public record Received(String method, String uri, HttpHeaders headers, int bodyBytes) {}

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final String name;
    private final AtomicReference<Behavior> behavior = new AtomicReference<>(new Respond(200, null, 0));
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final List<Channel> open = new CopyOnWriteArrayList<>();

    private TestUpstream(String name, int port) throws InterruptedException {
        this(name, port, null);
    }

    private TestUpstream(String name, int port, io.netty.handler.ssl.SslContext tls) throws InterruptedException {
        this.name = name;
        ServerBootstrap b = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .option(io.netty.channel.ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.incrementAndGet();
                        open.add(ch);
                        ch.closeFuture().addListener(f -> open.remove(ch));
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 << 20), new Handler());
                        if (tls != null) {
                            // A client that refuses our certificate is a test's point, not news for the log.
                            ch.pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
                                @Override
                                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                    ctx.close();
                                }
                            });
                        }
                    }
                });
        server = b.bind(new InetSocketAddress("127.0.0.1", port)).sync().channel();
    }

    public static TestUpstream start(String name) {
        return start(name, 0);
    }

    /** An upstream that speaks only TLS, with {@code tls}'s certificate. */
    public static TestUpstream startTls(String name, io.netty.handler.ssl.SslContext tls) {
        try {
            return new TestUpstream(name, 0, tls);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static TestUpstream start(String name, int port) {
        try {
            return new TestUpstream(name, port);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    public String address() {
        return "127.0.0.1:" + port();
    }

    public TestUpstream behave(Behavior b) {
        behavior.set(b);
        return this;
    }

    public List<Received> received() {
        return received;
    }

    public int requestCount() {
        return received.size();
    }

    public int connectionCount() {
        return connections.get();
    }

    /** Closes every open connection (the listener stays up). */
    public void dropConnections() {
        open.forEach(Channel::close);
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            received.add(new Received(req.method().name(), req.uri(), new DefaultHttpHeaders().add(req.headers()),
                    req.content().readableBytes()));
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            Behavior b = req.uri().startsWith("/healthz") && !(behavior.get() instanceof Hang)
                    && !(behavior.get() instanceof Close) ? new Respond(200, "ok", 0) : behavior.get();
            switch (b) {
                case Respond r -> {
                    String body = r.body() != null ? r.body() : "{\"upstream\":\"" + name + "\",\"uri\":\""
                            + req.uri() + "\"}";
                    FullHttpResponse resp = response(r.status(), Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
                    if (r.delayMillis() > 0) {
                        ctx.executor().schedule(() -> write(ctx, resp, keepAlive), r.delayMillis(),
                                TimeUnit.MILLISECONDS);
                    } else {
                        write(ctx, resp, keepAlive);
                    }
                }
                case Echo e -> write(ctx, response(200, req.content().retainedDuplicate()), keepAlive);
                case Large l -> {
                    ByteBuf buf = ctx.alloc().buffer(l.bytes());
                    for (int i = 0; i < l.bytes(); i++) {
                        buf.writeByte('a' + i % 26);
                    }
                    write(ctx, response(200, buf), keepAlive);
                }
                case Hang h -> { }
                case Held h -> {
                    FullHttpResponse resp = response(200, Unpooled.copiedBuffer("{\"upstream\":\"" + name
                            + "\",\"uri\":\"" + req.uri() + "\"}", StandardCharsets.UTF_8));
                    h.release().whenComplete((v, e) -> ctx.executor().execute(() -> write(ctx, resp, keepAlive)));
                }
                case Close c -> ctx.close();
            }
        }

        private FullHttpResponse response(int status, ByteBuf body) {
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                    body);
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
                    .set("x-upstream", name);
            return r;
        }

        private void write(ChannelHandlerContext ctx, FullHttpResponse r, boolean keepAlive) {
            if (keepAlive) {
                ctx.writeAndFlush(r);
            } else {
                r.headers().set(HttpHeaderNames.CONNECTION, "close");
                ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly();
        open.forEach(Channel::close);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
