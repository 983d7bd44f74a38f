package io.palisade.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.palisade.error.ErrorKind;
import io.palisade.server.ProtocolHandlers;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * A WebSocket upgrade (RFC 6455 §4) carried through the gateway: the upgrade request goes through the filter chain as
 * any request (auth, rate limits, validation), then to the upstream with its {@code Upgrade} and {@code Connection}
 * kept; when the upstream answers {@code 101 Switching Protocols}, the 101 goes to the client and both connections
 * become one byte tunnel. The gateway does not parse frames: what each side sends reaches the other unchanged.
 *
 * <p>The exchange ends at the 101: its outcome (status 101, the time to the 101) is the upgrade's, so a connection
 * that stays open for hours is not an hour-long request in latency SLOs. The tunnel is counted apart
 * ({@link Stats}). Both connections are on the same event loop (the upstream connection is borrowed from the client
 * connection's loop), so the relay needs no locking: each side reads only while the other can take what it writes,
 * and the route's {@code timeouts.websocket_idle} closes a tunnel that carried nothing either way for that long. A
 * close from either side (or a drain of the gateway) closes the other after what was already read is written.
 *
 * <p>Other upgrades ({@code h2c}, anything but {@code websocket}) are ignored, as RFC 9110 §7.8 lets a server do: the
 * {@code Upgrade} header is removed like every hop-by-hop header and the request is served as HTTP/1.1, never
 * tunnelled. A WebSocket upgrade on a route without {@code websocket: true} is refused with
 * {@link ErrorKind#WEBSOCKET_NOT_ENABLED}, rather than answered by the upstream as a plain request, which a WebSocket
 * client could only report as "unexpected response 200".
 */
final class WebSocketTunnel {
    static final String DOWNSTREAM_RELAY = "palisade-websocket-relay";
    static final String IDLE = "palisade-websocket-idle";
    private static final String WEBSOCKET = "websocket";

    /** Tunnel counters of one gateway, exported as {@code palisade_websocket_*}. */
    static final class Stats {
        final LongAdder opened = new LongAdder();
        final LongAdder closed = new LongAdder();
        final LongAdder bytesToUpstream = new LongAdder();
        final LongAdder bytesToClient = new LongAdder();
    }

    private final Stats stats;
    private final Channel client;
    private final Channel upstream;
    private final Relay fromClient;
    private final Relay fromUpstream;
    private final Runnable onClosed;
    private boolean closed;

    private WebSocketTunnel(Stats stats, Channel client, Channel upstream, Runnable onClosed) {
        this.stats = stats;
        this.client = client;
        this.upstream = upstream;
        this.onClosed = onClosed;
        this.fromClient = new Relay(upstream, stats.bytesToUpstream);
        this.fromUpstream = new Relay(client, stats.bytesToClient);
        fromClient.other = fromUpstream;
        fromUpstream.other = fromClient;
    }

    /**
     * Decides what a request's {@code Upgrade} means before the filters run: nothing (no upgrade, or one the gateway
     * ignores), a tunnel to set up ({@link Exchange#upgrade}), or a refusal, which this answers. Returns whether the
     * exchange goes on.
     */
    static boolean admit(Exchange ex) {
        HttpRequest request = ex.request;
        if (!isWebSocketUpgrade(request)) {
            return true;
        }
        if (!ex.route.config().websocket()) {
            ex.respondError(ErrorKind.WEBSOCKET_NOT_ENABLED);
            return false;
        }
        ex.upgrade = true;
        return true;
    }

    /** RFC 6455 §4.1: GET, HTTP/1.1, {@code Upgrade} naming websocket and {@code Connection} naming upgrade. */
    static boolean isWebSocketUpgrade(HttpRequest request) {
        HttpHeaders h = request.headers();
        return request.method() == HttpMethod.GET && request.protocolVersion() == HttpVersion.HTTP_1_1
                && h.containsValue(HttpHeaderNames.UPGRADE, WEBSOCKET, true)
                && h.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
    }

    /** The upgrade request as the upstream gets it: {@link Headers#toUpstream} removed these, as hop-by-hop. */
    static void restoreUpgradeHeaders(HttpHeaders h) {
        h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        h.set(HttpHeaderNames.UPGRADE, WEBSOCKET);
    }

    /**
     * The upstream answered the upgrade with 101: the 101 goes to the client, the exchange ends, and the two
     * connections are handed to a tunnel. Runs on the exchange's event loop, inside the upstream decoder's read.
     */
    static void open(Exchange ex, UpstreamConnection c, HttpResponse response) {
        HttpHeaders h = response.headers();
        Headers.removeHopByHop(h);
        restoreUpgradeHeaders(h);
        if (!h.contains(Headers.X_REQUEST_ID)) {
            h.set(Headers.X_REQUEST_ID, ex.requestId);
        }
        if (ex.extraResponseHeaders != null) {
            h.add(ex.extraResponseHeaders);
        }
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        ex.responseStarted = true;
        ex.status = 101;
        ex.upstreamNanos = System.nanoTime() - ex.upstreamStartNanos;
        ex.endpoint.onSuccess();
        ex.ctx.write(response, ex.ctx.voidPromise());
        Channel upstreamChannel = c.channel;
        ex.handOverUpstream();
        Duration idle = ex.route.config().websocketIdle().orElse(
                io.palisade.route.RouteConfig.DEFAULT_WEBSOCKET_IDLE);
        Channel clientChannel = ex.ctx.channel();
        ProxyRuntime runtime = ex.runtime;
        WebSocketTunnel t = new WebSocketTunnel(runtime.websocketStats(), clientChannel, upstreamChannel,
                () -> runtime.connectionClosed(clientChannel));
        ex.finishAsTunnel();
        t.rewire(ex.ctx.pipeline(), upstreamChannel.pipeline(), idle);
    }

    /**
     * The HTTP handlers leave both pipelines and the relays take their place. Each relay is added before the codec is
     * removed, so whatever the codec had read past the HTTP message (a first frame in the same packet as the 101) is
     * handed to the relay as bytes.
     */
    private void rewire(ChannelPipeline down, ChannelPipeline up, Duration idle) {
        stats.opened.increment();
        down.addLast(IDLE, new IdleStateHandler(0, 0, idle.toNanos(), TimeUnit.NANOSECONDS));
        down.addLast(DOWNSTREAM_RELAY, fromClient);
        for (String name : new String[] {ProxyRuntime.HANDLER_NAME, ProtocolHandlers.REQUEST_VALIDATOR,
            ProtocolHandlers.HEADER_READ_TIMEOUT}) {
            if (down.get(name) != null) {
                down.remove(name);
            }
        }
        up.addLast(DOWNSTREAM_RELAY, fromUpstream);
        for (String name : new String[] {UpstreamPool.CONNECTION, UpstreamPool.IDLE}) {
            if (up.get(name) != null) {
                up.remove(name);
            }
        }
        if (up.get(UpstreamPool.CODEC) != null) {
            up.remove(UpstreamPool.CODEC);
        }
        if (down.get(ProtocolHandlers.CODEC) != null) {
            down.remove(ProtocolHandlers.CODEC);
        }
        client.flush();
        if (!client.isActive() || !upstream.isActive()) {
            close();
            return;
        }
        client.read();
        upstream.read();
    }

    /** Closes both sides once what each has been given is written; counted once. */
    private void close() {
        if (closed) {
            return;
        }
        closed = true;
        stats.closed.increment();
        client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        upstream.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        onClosed.run();
    }

    /** One direction: what its channel reads goes to {@code to}; it reads again only once {@code to} can take more. */
    private final class Relay extends ChannelInboundHandlerAdapter {
        private final Channel to;
        private final LongAdder bytes;
        Relay other;
        private ChannelHandlerContext ctx;
        private boolean waitingForWritable;

        Relay(Channel to, LongAdder bytes) {
            this.to = to;
            this.bytes = bytes;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf data;
            if (msg instanceof ByteBuf b) {
                data = b;
            } else if (msg instanceof HttpContent content) {
                // The upstream decoder's end of the 101 (empty), or bytes it decoded past it before it was removed.
                data = content.content().retain();
                content.release();
            } else {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (closed || !data.isReadable()) {
                data.release();
                return;
            }
            bytes.add(data.readableBytes());
            to.write(data, to.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            to.flush();
            if (closed) {
                return;
            }
            if (to.isWritable()) {
                ctx.read();
            } else {
                waitingForWritable = true;
            }
        }

        /** The other direction's channel is this one's destination: it drained, so this side may read again. */
        void resume() {
            if (waitingForWritable && !closed) {
                waitingForWritable = false;
                ctx.read();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                other.resume();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            close();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent || evt == ProxyRuntime.DRAIN) {
                close();
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            close();
        }
    }
}
