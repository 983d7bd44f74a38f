package io.palisade.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2StreamChannel;
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
import io.palisade.server.Http2Handlers;
import io.palisade.server.ProtocolHandlers;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;
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
 *
 * <p><b>Over HTTP/2</b> (RFC 8441): the client's extended CONNECT reaches the proxy as an upgrade request on its
 * stream ({@code server.Http2ExtendedConnect}). The upstream still speaks HTTP/1.1, so the gateway supplies the
 * {@code Sec-WebSocket-Key} the HTTP/2 client does not send and checks the upstream's accept; the client gets 200 on
 * its stream; the stream side of the tunnel is DATA frames (through the stream's codec, which stays) rather than raw
 * bytes, and END_STREAM stands for the FIN both ways.
 */
final class WebSocketTunnel {
    static final String DOWNSTREAM_RELAY = "palisade-websocket-relay";
    static final String IDLE = "palisade-websocket-idle";
    private static final String WEBSOCKET = "websocket";
    private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

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
    /** The client is an HTTP/2 stream (RFC 8441): bytes travel in DATA frames, END_STREAM is the end of a side. */
    private final boolean h2;
    private boolean closed;
    /** HTTP/2 only: the client's END_STREAM arrived (its half of the tunnel is over). */
    private boolean clientEnded;

    private WebSocketTunnel(Stats stats, Channel client, Channel upstream, boolean h2, Runnable onClosed) {
        this.stats = stats;
        this.client = client;
        this.upstream = upstream;
        this.h2 = h2;
        this.onClosed = onClosed;
        this.fromClient = new Relay(upstream, stats.bytesToUpstream, h2, false);
        this.fromUpstream = new Relay(client, stats.bytesToClient, false, h2);
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
     * The upgrade request of {@code ex} as the upstream gets it. An RFC 8441 client sends no {@code Sec-WebSocket-Key}
     * (HTTP/2 needs no proof that the server speaks WebSocket), but an HTTP/1.1 upstream wants one: the gateway makes
     * one up and checks the upstream's accept against it ({@link #open}).
     */
    static void restoreUpgradeHeaders(Exchange ex, HttpHeaders h) {
        restoreUpgradeHeaders(h);
        if (overHttp2(ex)) {
            byte[] nonce = new byte[16];
            ThreadLocalRandom.current().nextBytes(nonce);
            ex.websocketKey = Base64.getEncoder().encodeToString(nonce);
            h.set(HttpHeaderNames.SEC_WEBSOCKET_KEY, ex.websocketKey);
            if (!h.contains(HttpHeaderNames.SEC_WEBSOCKET_VERSION)) {
                h.set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, "13");
            }
        }
    }

    /** The client is an HTTP/2 stream: the upgrade came as an extended CONNECT (RFC 8441). */
    static boolean overHttp2(Exchange ex) {
        return ex.ctx.channel() instanceof Http2StreamChannel;
    }

    /**
     * The upstream answered the upgrade with 101: the client gets its answer (the 101 on HTTP/1.1; on an HTTP/2
     * stream, 200 once the upstream's {@code Sec-WebSocket-Accept} proves it took the gateway's key), the exchange
     * ends, and the two connections are handed to a tunnel. Runs on the exchange's event loop, inside the upstream
     * decoder's read.
     */
    static void open(Exchange ex, UpstreamConnection c, HttpResponse response) {
        HttpHeaders h = response.headers();
        boolean h2 = overHttp2(ex);
        if (h2 && !acceptMatches(ex.websocketKey, h.get(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT))) {
            ReferenceCountUtil.release(response);
            ExchangeDispatch.upstreamFailed(ex, io.palisade.upstream.Endpoint.FailureKind.RESET, "protocol");
            ex.fail(ErrorKind.UPSTREAM_PROTOCOL_ERROR);
            return;
        }
        Headers.removeHopByHop(h);
        HttpResponse toClient = response;
        if (h2) {
            // RFC 8441 §5: the stream is open on a 2xx; the handshake's key and accept stay between gateway and
            // upstream, and connection-specific fields have no place on HTTP/2.
            h.remove(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT);
            h.remove(HttpHeaderNames.CONTENT_LENGTH);
            toClient = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, h);
            ReferenceCountUtil.release(response);
        } else {
            restoreUpgradeHeaders(h);
            response.setProtocolVersion(HttpVersion.HTTP_1_1);
        }
        if (!h.contains(Headers.X_REQUEST_ID)) {
            h.set(Headers.X_REQUEST_ID, ex.requestId);
        }
        if (ex.extraResponseHeaders != null) {
            h.add(ex.extraResponseHeaders);
        }
        ex.responseStarted = true;
        ex.status = toClient.status().code();
        ex.upstreamNanos = System.nanoTime() - ex.upstreamStartNanos;
        ex.endpoint.onSuccess();
        if (h2) {
            // Flushed now: the stream adapter holds a response head until a flush, and it leaves the pipeline below.
            ex.ctx.writeAndFlush(toClient, ex.ctx.voidPromise());
        } else {
            ex.ctx.write(toClient, ex.ctx.voidPromise());
        }
        Channel upstreamChannel = c.channel;
        ex.handOverUpstream();
        Duration idle = ex.route.config().websocketIdle().orElse(
                io.palisade.route.RouteConfig.DEFAULT_WEBSOCKET_IDLE);
        Channel clientChannel = ex.ctx.channel();
        ProxyRuntime runtime = ex.runtime;
        WebSocketTunnel t = new WebSocketTunnel(runtime.websocketStats(), clientChannel, upstreamChannel, h2,
                () -> runtime.connectionClosed(clientChannel));
        ex.finishAsTunnel(ex.status);
        t.rewire(ex.ctx.pipeline(), upstreamChannel.pipeline(), idle);
    }

    /** RFC 6455 §4.2.2: the accept value is base64(SHA-1(key + the protocol's GUID)). */
    static boolean acceptMatches(String key, String accept) {
        if (key == null || accept == null) {
            return false;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1").digest(
                    (key + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
            return MessageDigest.isEqual(Base64.getEncoder().encode(digest),
                    accept.strip().getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every Java platform", e);
        }
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
        // On an HTTP/2 stream the frame-to-HTTP codec stays: it turns DATA frames into HttpContent and back.
        for (String name : new String[] {ProxyRuntime.HANDLER_NAME, ProtocolHandlers.REQUEST_VALIDATOR,
            ProtocolHandlers.HEADER_READ_TIMEOUT, Http2Handlers.STREAM_ADAPTER}) {
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

    /**
     * Closes both sides once what each has been given is written; counted once. An HTTP/2 client gets END_STREAM, as
     * a TCP client would get the FIN (RFC 9113 §8.5): its stream closes when the client ends its side too (or resets
     * it, or stays silent for the idle timeout), rather than with a reset of its own.
     */
    private void close() {
        if (closed) {
            return;
        }
        closed = true;
        stats.closed.increment();
        if (h2) {
            if (client.isActive()) {
                ChannelFuture ended = client.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                if (clientEnded) {
                    ended.addListener(ChannelFutureListener.CLOSE);
                } else {
                    client.read(); // on to the client's END_STREAM
                }
            }
        } else {
            client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
        upstream.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        onClosed.run();
    }

    /**
     * The HTTP/2 client ended its side (END_STREAM): the upstream gets a FIN once what came before is written, and
     * may still answer (its close frame) until it closes; after the tunnel closed, the stream is done.
     */
    private void clientEnded() {
        clientEnded = true;
        if (closed) {
            client.close();
            return;
        }
        upstream.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
            if (upstream instanceof DuplexChannel duplex && upstream.isActive()) {
                duplex.shutdownOutput();
            } else {
                close();
            }
        });
    }

    /** One direction: what its channel reads goes to {@code to}; it reads again only once {@code to} can take more. */
    private final class Relay extends ChannelInboundHandlerAdapter {
        private final Channel to;
        private final LongAdder bytes;
        /** This side is an HTTP/2 client stream: a LastHttpContent is its END_STREAM. */
        private final boolean readsH2Stream;
        /** The destination is an HTTP/2 client stream: bytes go as HttpContent, which its codec makes DATA frames. */
        private final boolean writesH2Stream;
        Relay other;
        private ChannelHandlerContext ctx;
        private boolean waitingForWritable;

        Relay(Channel to, LongAdder bytes, boolean readsH2Stream, boolean writesH2Stream) {
            this.to = to;
            this.bytes = bytes;
            this.readsH2Stream = readsH2Stream;
            this.writesH2Stream = writesH2Stream;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf data;
            boolean end = false;
            if (msg instanceof ByteBuf b) {
                data = b;
            } else if (msg instanceof HttpContent content) {
                // The upstream decoder's end of the 101 (empty), or bytes it decoded past it before it was removed;
                // from an HTTP/2 client, its DATA frames, the last one ending its side.
                data = content.content().retain();
                end = readsH2Stream && content instanceof LastHttpContent;
                content.release();
            } else {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (closed || !data.isReadable()) {
                data.release();
            } else {
                bytes.add(data.readableBytes());
                to.write(writesH2Stream ? new DefaultHttpContent(data) : data, to.voidPromise());
            }
            if (end) {
                clientEnded();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            to.flush();
            if (closed) {
                if (readsH2Stream && !clientEnded && ctx.channel().isActive()) {
                    ctx.read(); // dropping what comes, until the client's END_STREAM
                }
                return;
            }
            if (readsH2Stream && clientEnded) {
                return; // nothing more can come from this side
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
                if (closed && readsH2Stream) {
                    ctx.close(); // the client never ended its side after ours: a reset ends the stream
                }
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
