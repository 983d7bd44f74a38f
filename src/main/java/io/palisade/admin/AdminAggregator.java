package io.palisade.admin;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;
import java.net.SocketAddress;
import java.util.Optional;

/**
 * Netty's aggregator with the admin port's answer to a body over the limit: a JSON 413 (Netty's own is empty), and a
 * row for the audit. The connection is handled as Netty does: kept when the client announced the length and keeps
 * the connection alive (the rest of the body is read and dropped, so the client sees the 413 rather than a reset),
 * closed after a refused {@code Expect: 100-continue} (the client may not send the body the decoder would wait for)
 * and when the body was already streaming in without a length.
 */
final class AdminAggregator extends HttpObjectAggregator {
    private final AdminAuth auth;
    private final Refusals refusals;

    AdminAggregator(int maxContentLength, AdminAuth auth, Refusals refusals) {
        super(maxContentLength, true);
        this.auth = auth;
        this.refusals = refusals;
    }

    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
        Object answer = super.newContinueResponse(start, maxContentLength, pipeline);
        if (answer instanceof FullHttpResponse r && r.status().equals(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE)
                && start instanceof HttpRequest request) {
            ReferenceCountUtil.release(answer);
            report(pipeline.channel().remoteAddress(), request);
            // The aggregator closes the connection after this answer (closeOnExpectationFailed).
            return tooLarge(false);
        }
        return answer;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) throws Exception {
        if (!(oversized instanceof HttpRequest request)) {
            super.handleOversizedMessage(ctx, oversized);
            return;
        }
        report(ctx.channel().remoteAddress(), request);
        boolean keep = !(oversized instanceof FullHttpMessage) && HttpUtil.isKeepAlive(request);
        ChannelFuture written = ctx.writeAndFlush(tooLarge(keep));
        written.addListener(keep ? ChannelFutureListener.CLOSE_ON_FAILURE : ChannelFutureListener.CLOSE);
    }

    private FullHttpResponse tooLarge(boolean keepAlive) {
        FullHttpResponse r = Responses.json(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, Responses.error(
                "body_too_large", "The request body is over " + maxContentLength() + " bytes."));
        if (!keepAlive) {
            r.headers().set(HttpHeaderNames.CONNECTION, "close");
        }
        return r;
    }

    private void report(SocketAddress remote, HttpRequest request) {
        Optional<String> authorization = Optional.ofNullable(request.headers().get(HttpHeaderNames.AUTHORIZATION));
        Caller caller = auth.identify(remote, authorization);
        String uri = request.uri();
        int q = uri.indexOf('?');
        refusals.report(caller, request.method().name(), q < 0 ? uri : uri.substring(0, q), 413,
                "body over " + maxContentLength() + " bytes");
    }
}
