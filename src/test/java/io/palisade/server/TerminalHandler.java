package io.palisade.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Stands in for the proxy: answers {@code 200 ok <uri> <body bytes>} to every complete request ({@code 404} when the
 * path starts with {@code /missing}), and records what it saw. With {@code deferred}, it holds answers until
 * {@link #answerPending} is called, to test pipelining.
 */
final class TerminalHandler extends ChannelInboundHandlerAdapter {
    final List<String> seen = new CopyOnWriteArrayList<>();
    final List<Object> events = new CopyOnWriteArrayList<>();
    final List<Throwable> errors;
    final List<ChannelFuture> writes = new CopyOnWriteArrayList<>();
    private final boolean deferred;
    private final List<String> pending = new CopyOnWriteArrayList<>();
    private ChannelHandlerContext ctx;
    private String uri;
    private long bodyBytes;

    TerminalHandler() {
        this(false);
    }

    TerminalHandler(boolean deferred) {
        this(deferred, new CopyOnWriteArrayList<>());
    }

    /** Reports exceptions that reach it, other than I/O errors of a client going away, to {@code errors}. */
    TerminalHandler(boolean deferred, List<Throwable> errors) {
        this.deferred = deferred;
        this.errors = errors;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpRequest r) {
                uri = r.uri();
                bodyBytes = 0;
                seen.add("head " + r.method() + " " + r.uri() + " id=" + ProtocolHandlers.requestId(r).orElse("-"));
            }
            if (msg instanceof HttpContent c) {
                bodyBytes += c.content().readableBytes();
                if (msg instanceof LastHttpContent) {
                    seen.add("end " + uri + " " + bodyBytes);
                    String answer = uri + " " + bodyBytes;
                    if (deferred) {
                        pending.add(answer);
                    } else {
                        answer(answer);
                    }
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    void answerPending() {
        while (!pending.isEmpty()) {
            answer(pending.remove(0));
        }
    }

    private void answer(String answer) {
        byte[] body = ("ok " + answer).getBytes(StandardCharsets.US_ASCII);
        ByteBuf content = ctx.alloc().buffer(body.length).writeBytes(body);
        HttpResponseStatus status = answer.startsWith("/missing") ? HttpResponseStatus.NOT_FOUND
                : HttpResponseStatus.OK;
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        writes.add(ctx.writeAndFlush(res));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        events.add(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof IOException)) {
            errors.add(cause);
        }
        ctx.close();
    }
}
