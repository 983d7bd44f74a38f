package io.palisade.server;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;

/**
 * On each HTTP/2 stream, before the frame-to-HTTP codec: the {@code CONNECT} method, which that codec cannot turn into
 * an HTTP/1.1 request by itself.
 *
 * <ul>
 *   <li><b>RFC 8441 extended CONNECT</b> ({@code :method CONNECT} with {@code :protocol websocket}, which the listener
 *       allows by sending {@code SETTINGS_ENABLE_CONNECT_PROTOCOL = 1}): becomes the request an HTTP/1.1 WebSocket
 *       client would send, {@code GET :path} with {@code Upgrade: websocket} and {@code Connection: Upgrade}, and no
 *       body, so the validator and the proxy take it as any WebSocket upgrade (the route's {@code websocket} switch,
 *       auth, rate limits). The frame codec refuses {@code upgrade} and {@code connection} from HTTP/2 clients
 *       (RFC 9113 §8.2.2), so on a stream such a request can only come from here: that is how the proxy knows to
 *       answer {@code 200} on the stream instead of {@code 101} and to relay DATA frames. The client's DATA frames
 *       after the HEADERS are the tunnel's bytes, read by the tunnel once it is open.</li>
 *   <li><b>Any other {@code CONNECT}</b> (a plain one, or a {@code :protocol} other than {@code websocket}): handed on
 *       as a {@code CONNECT} request, which the validator answers {@code 405 method_not_allowed} as on HTTP/1.1 (the
 *       gateway does not open TCP tunnels).</li>
 *   <li>{@code :protocol} on any other method is malformed (RFC 8441 §4): {@code RST_STREAM(PROTOCOL_ERROR)}.</li>
 * </ul>
 * The handler leaves the pipeline after the stream's first HEADERS frame; it keeps no state, so one serves every stream.
 */
@ChannelHandler.Sharable
final class Http2ExtendedConnect extends ChannelInboundHandlerAdapter {
    static final Http2ExtendedConnect INSTANCE = new Http2ExtendedConnect();

    private static final AsciiString PROTOCOL = Http2Headers.PseudoHeaderName.PROTOCOL.value();
    private static final AsciiString WEBSOCKET = AsciiString.cached("websocket");
    private static final AsciiString CONNECT = HttpMethod.CONNECT.asciiName();
    private static final AsciiString GET = HttpMethod.GET.asciiName();
    private static final AsciiString ROOT = AsciiString.cached("/");

    private Http2ExtendedConnect() {}

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Http2HeadersFrame frame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        ctx.pipeline().remove(ctx.name());
        Http2Headers h = frame.headers();
        CharSequence protocol = h.get(PROTOCOL);
        boolean connect = h.method() != null && CONNECT.contentEquals(h.method());
        if (!connect) {
            if (protocol != null) {
                ReferenceCountUtil.release(msg);
                ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.PROTOCOL_ERROR));
                return;
            }
            ctx.fireChannelRead(msg);
            return;
        }
        h.remove(PROTOCOL);
        if (protocol != null && WEBSOCKET.contentEqualsIgnoreCase(protocol)) {
            h.method(GET);
            HttpRequest request;
            try {
                request = HttpConversionUtil.toHttpRequest(frame.stream().id(), h, true);
            } catch (Http2Exception | RuntimeException e) {
                ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.PROTOCOL_ERROR));
                return;
            }
            // Built here rather than by the codec after, which drops connection-specific fields from what it
            // converts.
            request.headers().set(HttpHeaderNames.UPGRADE, WEBSOCKET);
            request.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            ctx.fireChannelRead(request);
            // No request body: what the client sends on the stream from now on is the tunnel's.
            ctx.fireChannelRead(new DefaultLastHttpContent());
            return;
        }
        if (h.path() == null) {
            // A plain CONNECT has no :path (RFC 9113 §8.5); the codec needs one to build the request the validator
            // refuses.
            h.path(ROOT);
        }
        ctx.fireChannelRead(msg);
    }
}
