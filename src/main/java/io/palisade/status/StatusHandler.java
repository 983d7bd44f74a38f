package io.palisade.status;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.palisade.status.PageSnapshot.Resource;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Answers one connection of the status listener from the current {@link PageSnapshot}: a lookup and a write, on the
 * event loop, nothing else. Request bodies are dropped unread (no method that may carry one is served). A client
 * that does not read what it asked for stops being read from until it does.
 */
final class StatusHandler extends ChannelInboundHandlerAdapter {
    static final String ALLOW = "GET, HEAD";
    /** The page needs no script, so it may run none: a last line of defence should escaping ever miss. */
    static final String CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";
    private static final byte[] NOT_FOUND = "Not found.\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] NOT_ALLOWED = "Method not allowed: this page is read-only.\n"
            .getBytes(StandardCharsets.UTF_8);
    private static final byte[] BAD_REQUEST = "Bad request.\n".getBytes(StandardCharsets.UTF_8);
    private static final String TEXT = "text/plain; charset=utf-8";

    private final Supplier<PageSnapshot> snapshots;

    StatusHandler(Supplier<PageSnapshot> snapshots) {
        this.snapshots = snapshots;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpRequest req) {
                serve(ctx, req);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void serve(ChannelHandlerContext ctx, HttpRequest req) {
        if (!req.decoderResult().isSuccess()) {
            write(ctx, false, response(HttpResponseStatus.BAD_REQUEST, BAD_REQUEST, TEXT, false));
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        HttpMethod method = req.method();
        boolean head = method.equals(HttpMethod.HEAD);
        if (!head && !method.equals(HttpMethod.GET)) {
            FullHttpResponse r = response(HttpResponseStatus.METHOD_NOT_ALLOWED, NOT_ALLOWED, TEXT, false);
            r.headers().set(HttpHeaderNames.ALLOW, ALLOW);
            // A body may follow that this handler will not read: the connection cannot be reused.
            write(ctx, false, r);
            return;
        }
        String uri = req.uri();
        int q = uri.indexOf('?');
        String path = q < 0 ? uri : uri.substring(0, q);
        Optional<Resource> resource = snapshots.get().get(path);
        if (resource.isEmpty()) {
            write(ctx, keepAlive, response(HttpResponseStatus.NOT_FOUND, NOT_FOUND, TEXT, head));
            return;
        }
        Resource r = resource.get();
        String ifNoneMatch = req.headers().get(HttpHeaderNames.IF_NONE_MATCH);
        FullHttpResponse response;
        if (ifNoneMatch != null && matches(ifNoneMatch, r.etag())) {
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED,
                    Unpooled.EMPTY_BUFFER);
            common(response.headers());
        } else {
            response = response(HttpResponseStatus.OK, r.body(), r.contentType(), head);
            if (r.contentType().startsWith("text/html")) {
                response.headers().set("Content-Security-Policy", CSP);
            }
        }
        response.headers().set(HttpHeaderNames.ETAG, r.etag());
        write(ctx, keepAlive, response);
    }

    private static boolean matches(String ifNoneMatch, String etag) {
        for (String candidate : ifNoneMatch.split(",")) {
            String c = candidate.trim();
            if (c.equals("*") || c.equals(etag) || c.equals("W/" + etag)) {
                return true;
            }
        }
        return false;
    }

    /** HEAD gets the headers GET would, Content-Length included, and no body. */
    private static FullHttpResponse response(HttpResponseStatus status, byte[] body, String type, boolean head) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, type).setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        common(r.headers());
        return r;
    }

    private static void common(HttpHeaders h) {
        // Revalidate every time (cheap with the ETag): during an incident a cached page is a wrong page.
        h.set(HttpHeaderNames.CACHE_CONTROL, "no-cache")
                .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*")
                .set("X-Content-Type-Options", "nosniff")
                .set("Referrer-Policy", "no-referrer");
    }

    private static void write(ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse r) {
        HttpUtil.setKeepAlive(r, keepAlive);
        if (!keepAlive) {
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        if (!ctx.channel().isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            ctx.channel().config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
