package io.palisade.proxy;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import io.palisade.error.ErrorKind;
import io.palisade.route.RouteLookup;
import io.palisade.route.RouteTable;
import io.palisade.server.ProtocolHandlers;
import io.palisade.server.ProxyProtocol;
import io.palisade.server.RequestAborted;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The last handler of a client connection: turns each decoded request into an {@link Exchange} and runs one at a time.
 *
 * <p>The channel does not auto-read. It reads while waiting for a request head, while streaming a request body whose
 * upstream can take more, and after a response completes; not while the policy chain runs and not while a complete
 * request waits for its response. That keeps memory per connection bounded. Pipelined requests never reach this
 * handler early: the request validator holds them until the current response has been written.
 */
final class ProxyHandler extends ChannelDuplexHandler {
    private final ProxyRuntime runtime;
    private ChannelHandlerContext ctx;
    private Exchange current;
    private String clientIp = "";
    private ScheduledFuture<?> deadlineTimer;
    private long timerDueNanos;
    private boolean draining;
    private boolean peerKnown;

    ProxyHandler(ProxyRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        SocketAddress remote = ctx.channel().remoteAddress();
        if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
            clientIp = inet.getAddress().getHostAddress();
        }
        if (!(ctx.channel() instanceof Http2StreamChannel)) {
            // An HTTP/2 stream is a request, not a connection: its connection is counted, and drained, itself.
            runtime.connectionOpened(ctx.channel());
        }
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (current != null) {
            if (!current.requestComplete() && msg instanceof HttpContent content && !(msg instanceof HttpRequest)) {
                current.onRequestContent(content);
                return;
            }
            // The validator hands over one request at a time; anything else here means that contract broke.
            ReferenceCountUtil.release(msg);
            runtime.logFailure("a message arrived while the previous request was still being served", null);
            ctx.close();
            return;
        }
        if (msg instanceof HttpRequest request) {
            startExchange(request);
        } else {
            ReferenceCountUtil.release(msg); // the tail of a request answered early by the protocol handlers
        }
    }

    private void startExchange(HttpRequest request) {
        long start = System.nanoTime();
        if (!peerKnown) {
            // Behind a PROXY-protocol balancer the header, read before the first request, names the peer.
            String proxied = ProxyProtocol.client(ctx.channel());
            if (proxied != null) {
                clientIp = proxied;
            }
            peerKnown = true;
        }
        String client = runtime.snapshot().server().trustedProxies().clientIp(clientIp, request.headers());
        GatewaySnapshot snapshot = runtime.snapshotFor(client, request);
        // The validator gave every request that reached us an id (the client's, if well-formed).
        String requestId = ProtocolHandlers.requestId(request, "-");
        String uri = request.uri();
        int q = uri.indexOf('?');
        String rawPath = q < 0 ? uri : uri.substring(0, q);
        String query = q < 0 ? "" : uri.substring(q + 1);
        if (!rawPath.startsWith("/")) {
            rawPath = absoluteFormPath(rawPath);
        }
        Optional<String> path = RouteTable.normalizePath(rawPath);
        if (path.isEmpty()) {
            earlyError(request, snapshot, requestId, client, start, ErrorKind.MALFORMED_REQUEST, null);
            return;
        }
        RouteLookup lookup = snapshot.routes().find(request.method().name(),
                request.headers().get(HttpHeaderNames.HOST), path.get(), request.headers());
        if (!lookup.isFound()) {
            earlyError(request, snapshot, requestId, client, start, lookup.error().orElse(ErrorKind.ROUTE_NOT_FOUND),
                    lookup.kind() == RouteLookup.Kind.METHOD_NOT_ALLOWED ? lookup.allowHeader() : null);
            return;
        }
        GatewaySnapshot.RouteRuntime route = snapshot.route(lookup.route().orElseThrow());
        current = new Exchange(this, ctx, runtime, snapshot, route, request, path.get(), query, requestId, client,
                start);
        current.peerIp = clientIp;
        if (request instanceof HttpContent content) {
            current.onRequestContent(content);
        }
        current.start();
    }

    /** {@code http://host/path} → {@code /path}; anything else is left to fail normalisation. */
    private static String absoluteFormPath(String target) {
        int scheme = target.indexOf("://");
        if (scheme < 0) {
            return target;
        }
        int slash = target.indexOf('/', scheme + 3);
        return slash < 0 ? "/" : target.substring(slash);
    }

    /** Answers a request that matched no route (or an unusable one) with a short-lived exchange-less response. */
    private void earlyError(HttpRequest request, GatewaySnapshot snapshot, String requestId, String client, long start,
                            ErrorKind kind, String allow) {
        current = Exchange.unrouted(this, ctx, runtime, snapshot, request, requestId, client, start);
        if (allow != null) {
            current.responseHeaders().set(HttpHeaderNames.ALLOW, allow);
        }
        if (request instanceof HttpContent content) {
            current.onRequestContent(content);
        }
        current.respondError(kind);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (current != null) {
            current.onDownstreamReadComplete();
        } else {
            ctx.read(); // a request head is still arriving
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (current != null && ctx.channel().isWritable()) {
            current.onDownstreamWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (current != null) {
            current.onDownstreamClosed();
            current = null;
        }
        if (deadlineTimer != null) {
            deadlineTimer.cancel(false);
            deadlineTimer = null;
        }
        runtime.connectionClosed(ctx.channel());
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof RequestAborted aborted) {
            // The body broke (bad chunk, over the limit, client gone): the exchange answers now if it still can, so
            // its outcome has the answer's bytes; the validator closes the connection after.
            if (current != null) {
                Exchange ex = current;
                current = null;
                ex.onRequestAborted(aborted.kind());
            }
            return;
        }
        if (evt == ProxyRuntime.DRAIN) {
            draining = true;
            if (current == null) {
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            runtime.logDebug("client connection error", cause); // resets and broken pipes are a client's right
        } else {
            runtime.logFailure("unexpected error on a client connection", cause);
        }
        ctx.close();
    }

    // ---------------------------------------------------------------- called by Exchange

    void readDownstream() {
        ctx.read();
    }

    /**
     * Makes sure the connection's one deadline timer fires by {@code deadlineNanos}. Requests on a keep-alive
     * connection reuse that timer: when it fires early (for an exchange that finished) it re-arms for the current
     * one, so a request schedules and cancels nothing in the common case.
     */
    void armDeadline(long deadlineNanos) {
        if (deadlineTimer != null) {
            if (timerDueNanos <= deadlineNanos) {
                return;
            }
            deadlineTimer.cancel(false);
        }
        scheduleTimer(deadlineNanos);
    }

    private void scheduleTimer(long dueNanos) {
        timerDueNanos = dueNanos;
        deadlineTimer = ctx.executor().schedule(this::onDeadlineTimer, Math.max(0, dueNanos - System.nanoTime()),
                TimeUnit.NANOSECONDS);
    }

    private void onDeadlineTimer() {
        deadlineTimer = null;
        Exchange ex = current;
        long due = ex == null ? 0 : ex.deadlineNanos();
        if (due == 0) {
            return;
        }
        if (System.nanoTime() - due >= 0) {
            ex.onDeadline();
        } else {
            scheduleTimer(due);
        }
    }

    /** The response is written (not yet flushed): flush, then serve the next request or close. */
    void exchangeDone(Exchange ex, boolean keepAlive) {
        if (ex != current) {
            return;
        }
        current = null;
        if (!keepAlive || draining) {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.flush();
        ctx.read();
    }

    /**
     * The exchange became a WebSocket tunnel, which takes this connection over and removes this handler: nothing
     * more to serve here, and the deadline timer has nobody to time.
     */
    void exchangeTunnelled(Exchange ex) {
        if (ex == current) {
            current = null;
        }
        if (deadlineTimer != null) {
            deadlineTimer.cancel(false);
            deadlineTimer = null;
        }
    }

    /** The response had begun when the exchange failed: the client must see a cut, not a short body. */
    void exchangeAborted(Exchange ex) {
        if (ex == current) {
            current = null;
        }
        ctx.flush();
        ctx.close();
    }
}
