package io.palisade.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/** The admin port's answers: JSON bodies, never cached, and the connection closed when the request asked for it. */
final class Responses {
    static final ObjectMapper JSON = new ObjectMapper();

    private Responses() {}

    static byte[] json(Object node) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static ObjectNode errorNode(String code, String message) {
        return JSON.createObjectNode().put("error", code).put("message", message);
    }

    static byte[] error(String code, String message) {
        return json(errorNode(code, message));
    }

    static FullHttpResponse response(HttpResponseStatus status, byte[] body, String type) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, type).setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        return r;
    }

    static FullHttpResponse json(HttpResponseStatus status, byte[] body) {
        return response(status, body, "application/json");
    }

    static ChannelFuture write(ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse r) {
        if (!keepAlive) {
            r.headers().set(HttpHeaderNames.CONNECTION, "close");
            return ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        }
        return ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    static ChannelFuture send(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, byte[] body) {
        return write(ctx, keepAlive, json(status, body));
    }
}
