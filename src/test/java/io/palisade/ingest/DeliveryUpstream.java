package io.palisade.ingest;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.palisade.config.Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * A real HTTP/1.1 server on 127.0.0.1 for delivery tests: records every request whole (headers in order, body bytes),
 * answers as the test's function decides per request (a status with headers, hang, close, or hold until released), and
 * counts requests in flight and the most ever in flight at once.
 */
final class DeliveryUpstream implements AutoCloseable {
    /** A request as the upstream saw it. */
    record Request(String method, String uri, List<Map.Entry<String, String>> headers, byte[] body) {
        /** Every value of {@code name}, in order. */
        List<String> all(String name) {
            List<String> values = new ArrayList<>();
            for (Map.Entry<String, String> e : headers) {
                if (e.getKey().toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
                    values.add(e.getValue());
                }
            }
            return values;
        }

        String header(String name) {
            List<String> values = all(name);
            return values.isEmpty() ? null : values.get(0);
        }

        String idempotencyKey() {
            return header("Idempotency-Key");
        }
    }

    /** What to do with one request. */
    sealed interface Answer {}

    record Status(int status, Map<String, String> headers) implements Answer {}

    /** Never answers; the connection stays open. */
    record Hang() implements Answer {}

    /** Closes the connection without an answer. */
    record Close() implements Answer {}

    /** Answers {@code status} once {@code release} completes. */
    record Held(CompletableFuture<Void> release, int status) implements Answer {}

    static Answer status(int status) {
        return new Status(status, Map.of());
    }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final AtomicReference<Function<Request, Answer>> answers =
            new AtomicReference<>(r -> status(200));
    private final List<Request> received = java.util.Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final List<Channel> open = new CopyOnWriteArrayList<>();

    private DeliveryUpstream(int port) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.incrementAndGet();
                        open.add(ch);
                        ch.closeFuture().addListener(f -> open.remove(ch));
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(16 << 20),
                                new Handler());
                    }
                });
        server = b.bind(new InetSocketAddress("127.0.0.1", port)).sync().channel();
    }

    static DeliveryUpstream start() {
        return start(0);
    }

    static DeliveryUpstream start(int port) {
        try {
            return new DeliveryUpstream(port);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    DeliveryUpstream answer(Function<Request, Answer> f) {
        answers.set(f);
        return this;
    }

    Address address() {
        return new Address("127.0.0.1", ((InetSocketAddress) server.localAddress()).getPort());
    }

    /** What was received so far, in order: a copy. */
    List<Request> received() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    int inFlight() {
        return inFlight.get();
    }

    int maxInFlight() {
        return maxInFlight.get();
    }

    int connections() {
        return connections.get();
    }

    /** Closes every open connection; the listener stays up. */
    void dropConnections() {
        open.forEach(Channel::close);
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private boolean counted;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            List<Map.Entry<String, String>> headers = new ArrayList<>();
            req.headers().forEach(headers::add);
            Request r = new Request(req.method().name(), req.uri(), List.copyOf(headers),
                    ByteBufUtil.getBytes(req.content()));
            received.add(r);
            int now = inFlight.incrementAndGet();
            maxInFlight.accumulateAndGet(now, Math::max);
            counted = true;
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            Answer a;
            try {
                a = answers.get().apply(r);
            } catch (RuntimeException e) {
                a = status(500);
            }
            switch (a) {
                case Status s -> write(ctx, s.status(), s.headers(), keepAlive);
                case Hang h -> { }
                case Close c -> ctx.close();
                case Held h -> h.release().whenComplete((v, e) ->
                        ctx.executor().execute(() -> write(ctx, h.status(), Map.of(), keepAlive)));
            }
        }

        private void write(ChannelHandlerContext ctx, int status, Map<String, String> headers, boolean keepAlive) {
            if (counted) {
                counted = false;
                inFlight.decrementAndGet();
            }
            FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(status), Unpooled.copiedBuffer("{}", java.nio.charset.StandardCharsets.UTF_8));
            resp.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, resp.content().readableBytes());
            headers.forEach(resp.headers()::set);
            if (keepAlive) {
                ctx.writeAndFlush(resp);
            } else {
                resp.headers().set(HttpHeaderNames.CONNECTION, "close");
                ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (counted) {
                counted = false;
                inFlight.decrementAndGet();
            }
            super.channelInactive(ctx);
        }
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly();
        open.forEach(Channel::close);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
