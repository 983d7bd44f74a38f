package io.palisade.error;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/**
 * Builds the one error body shape clients see: {@code {"error": code, "message": text, "request_id": id}}.
 *
 * <p>Only the kind's fixed message and the gateway-generated or client-supplied request id (already validated as a
 * token) are written, so no request data or stack trace can leak into a response.
 */
public final class ErrorResponses {
    /** Seconds a client should wait after a retryable failure; short, since most causes clear in seconds. */
    public static final int RETRY_AFTER_SECONDS = 1;

    private ErrorResponses() {}

    public static FullHttpResponse build(ErrorKind kind, String requestId, ByteBufAllocator alloc) {
        return build(kind, requestId, alloc, RETRY_AFTER_SECONDS);
    }

    public static FullHttpResponse build(ErrorKind kind, String requestId, ByteBufAllocator alloc,
                                         int retryAfterSeconds) {
        byte[] json = body(kind, requestId);
        ByteBuf content = alloc.buffer(json.length).writeBytes(json);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, kind.status(), content);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, json.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        if (kind.retryable()) {
            response.headers().setInt(HttpHeaderNames.RETRY_AFTER, Math.max(1, retryAfterSeconds));
        }
        if (kind.closesConnection()) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        if (requestId != null) {
            response.headers().set("x-request-id", requestId);
        }
        return response;
    }

    static byte[] body(ErrorKind kind, String requestId) {
        StringBuilder sb = new StringBuilder(128);
        sb.append("{\"error\":\"").append(kind.code()).append("\",\"message\":\"").append(kind.message())
                .append("\",\"request_id\":");
        if (requestId == null) {
            sb.append("null");
        } else {
            sb.append('"');
            appendEscaped(sb, requestId);
            sb.append('"');
        }
        return sb.append("}\n").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void appendEscaped(StringBuilder sb, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c > 0x7e) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
    }
}
