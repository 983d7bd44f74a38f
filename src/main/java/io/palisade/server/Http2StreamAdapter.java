package io.palisade.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameStreamException;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.palisade.error.ErrorKind;
import io.palisade.error.GatewayException;
import java.util.Iterator;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On each HTTP/2 stream, between the frame-to-HTTP codec and the request validator: makes the request the codec built
 * from the stream's HEADERS one the HTTP/1.1 handlers after it (validator, proxy) can take as they take any other.
 *
 * <ul>
 *   <li>Drops the codec's {@code x-http2-*} extension headers (stream id, scheme), which must not reach an upstream;
 *       a client's own header of those names goes too.</li>
 *   <li>Refuses (400 {@code malformed_request}, through the validator) a field value with CR, LF or NUL, which
 *       HPACK can carry but which would split or end a header line on an HTTP/1.1 upstream (RFC 9113 §8.2.1); the
 *       codec has already refused connection-specific fields and malformed pseudo-headers with a stream error, and a
 *       {@code content-length} that disagrees with the DATA frames with RST_STREAM(PROTOCOL_ERROR).</li>
 *   <li>Outbound, holds a response head until the next write: when that ends an empty body, the two go out as one
 *       HEADERS frame that ends the stream (gRPC's trailers-only responses, 204s), not HEADERS and an empty DATA.</li>
 *   <li>Outbound, takes the empty buffers the HTTP/1.1 handlers write to learn when a response has gone (a stream
 *       carries frames, not bytes): they complete at once.</li>
 * </ul>
 */
final class Http2StreamAdapter extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(Http2StreamAdapter.class);

    /** A response head written and not yet sent (see {@link #write}). */
    private HttpResponse heldHead;
    private ChannelPromise heldPromise;

    @Override
    public void flush(ChannelHandlerContext ctx) {
        if (heldHead != null) {
            ctx.write(heldHead, heldPromise);
            heldHead = null;
            heldPromise = null;
        }
        ctx.flush();
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        if (heldHead != null) {
            ctx.write(heldHead, heldPromise);
            heldHead = null;
            heldPromise = null;
        }
        ctx.close(promise);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof FullHttpRequest full) {
            // A stream whose HEADERS ended it: the proxy takes a head and then its (here empty) last content, as the
            // HTTP/1.1 decoder delivers them, not one message that is both.
            HttpRequest head = new DefaultHttpRequest(full.protocolVersion(), full.method(), full.uri(),
                    full.headers());
            LastHttpContent last = new DefaultLastHttpContent(full.content(), full.trailingHeaders());
            channelRead(ctx, head);
            channelRead(ctx, last);
            return;
        }
        if (msg instanceof HttpRequest request) {
            HttpHeaders headers = request.headers();
            for (HttpConversionUtil.ExtensionHeaderNames name : HttpConversionUtil.ExtensionHeaderNames.values()) {
                headers.remove(name.text());
            }
            if (hasForbiddenCharacter(headers)) {
                request.setDecoderResult(DecoderResult.failure(GatewayException.of(ErrorKind.MALFORMED_REQUEST)));
            }
        } else if (msg instanceof LastHttpContent last && hasForbiddenCharacter(last.trailingHeaders())) {
            last.trailingHeaders().clear();
            last.setDecoderResult(DecoderResult.failure(GatewayException.of(ErrorKind.MALFORMED_REQUEST)));
        }
        ctx.fireChannelRead(msg);
    }

    static boolean hasForbiddenCharacter(HttpHeaders headers) {
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence(); it.hasNext(); ) {
            CharSequence value = it.next().getValue();
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c == '\r' || c == '\n' || c == 0) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * A stream error (malformed request, content-length that disagrees with the DATA frames, a window overflow,
     * HEADERS on a half-closed stream): the stream is reset with its error code, and the close that follows ends the
     * exchange. Nothing for the handlers after to report.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Http2Error error = cause instanceof Http2FrameStreamException f ? f.error()
                : cause instanceof Http2Exception e ? e.error() : null;
        if (error != null) {
            log.debug("HTTP/2 stream error on {}", ctx.channel(), cause);
            // The multiplexer closes the stream after this, which alone would reset it with CANCEL: the client
            // should learn what was wrong.
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(error));
            return;
        }
        ctx.fireExceptionCaught(cause);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (heldHead != null) {
            HttpResponse head = heldHead;
            ChannelPromise headPromise = heldPromise;
            heldHead = null;
            heldPromise = null;
            if (msg instanceof LastHttpContent last && !last.content().isReadable()
                    && last.trailingHeaders().isEmpty()) {
                // A response with no body: HEADERS that end the stream, as gRPC's trailers-only answers must be.
                last.release();
                FullHttpResponse full = new DefaultFullHttpResponse(head.protocolVersion(), head.status(),
                        Unpooled.EMPTY_BUFFER, head.headers(), EmptyHttpHeaders.INSTANCE);
                ctx.write(full, headPromise);
                promise.trySuccess();
                return;
            }
            ctx.write(head, headPromise);
        }
        if (msg instanceof HttpResponse head && !(msg instanceof FullHttpResponse)
                && head.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
            // Held until the next write or flush: if the body turns out empty, one HEADERS frame ends the stream.
            heldHead = head;
            heldPromise = promise;
            return;
        }
        if (msg instanceof ByteBuf buf && !buf.isReadable()) {
            buf.release();
            // Frames written before it are on the connection already: flushed, the response has gone as far as a
            // write future could ever say, and a close after this one no longer overtakes them.
            ctx.flush();
            promise.trySuccess();
            return;
        }
        ctx.write(msg, promise);
    }
}
