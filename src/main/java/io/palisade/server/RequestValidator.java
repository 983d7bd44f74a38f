package io.palisade.server;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.palisade.error.ErrorKind;
import io.palisade.error.ErrorResponses;
import io.palisade.outcome.Outcome;
import io.palisade.outcome.OutcomePublisher;
import io.palisade.server.ServerConfig.RequestIdPolicy;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.palisade.overload.OverloadState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits right after the codec and makes sure the proxy only ever sees well-formed requests, one at a time, and that
 * every request gets exactly one response. The contract it keeps with the proxy is on {@link ProtocolHandlers}.
 *
 * <p>Inbound, per request: a failed {@code DecoderResult} or an RFC 9112 violation in the head is answered here with
 * the matching {@link ErrorKind}, and the rest of that request is dropped; a valid head gets its {@code X-Request-Id}
 * and goes on, followed by its body while the body stays valid and within {@code maxBody}. A body that fails later
 * ends with a {@link RequestAborted} event instead of a {@code LastHttpContent}.
 *
 * <p>Outbound, it watches the responses written for the current request, so that it knows whether one has started
 * (then it cannot answer itself), refuses a second one, closes after the response when the request or response asks
 * for it or a framing error made the connection unusable, and only then lets the next pipelined request through (held,
 * with reads paused, until the current response is complete: responses must go out in request order).
 *
 * <p>Every request it answers itself without the proxy having seen it ends in an {@link Outcome} (route
 * {@link Outcome#UNMATCHED_ROUTE}, the error, the bytes of the error body), so refused requests are logged and counted
 * like any other; the proxy publishes the outcome of every request it received.
 *
 * <p>It ties together parts that each have a class of their own: {@link RequestChecks} (what is wrong with a head,
 * and the answer), {@link RequestIds} (the request's id), {@link ResponseTracker} (one request and its response),
 * {@link PipeliningSequencer} (held pipelined requests, paused reads), {@link GracefulClose} (closing once, without
 * losing the response) and {@link RefusalOutcomes} (the outcomes of the requests answered here).
 */
final class RequestValidator extends ChannelDuplexHandler implements PipeliningSequencer.Target {
    private static final Logger log = LoggerFactory.getLogger(RequestValidator.class);
    /** For the 405 to {@code CONNECT}: the methods the gateway proxies at all; a route may allow fewer. */
    static final String PROXIED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
    /** Set on an HTTP/2 connection once overload has sent it GOAWAY. */
    private static final AttributeKey<Boolean> OVERLOAD_GOAWAY =
            AttributeKey.valueOf(RequestValidator.class, "overloadGoAway");

    private final RequestChecks checks;
    /** {@code server.request_id: keep}: a valid client id is the request's id; else every id is generated. */
    private final boolean keepClientIds;
    private final RefusalOutcomes refusals;
    private final OverloadState overload;
    private final PipeliningSequencer sequencer = new PipeliningSequencer();
    private final GracefulClose graceful = new GracefulClose();
    private final ResponseTracker tracker = new ResponseTracker();
    /** The request being served ({@link #tracker}), or null between requests. */
    private ResponseTracker current;

    RequestValidator(ServerLimits limits) {
        this(limits, "", OutcomePublisher.create());
    }

    RequestValidator(ServerLimits limits, String configVersion, OutcomePublisher outcomes) {
        this(limits, RequestIdPolicy.KEEP, configVersion, outcomes);
    }

    RequestValidator(ServerLimits limits, RequestIdPolicy requestIds, String configVersion,
                     OutcomePublisher outcomes) {
        this(limits, requestIds, configVersion, outcomes, OverloadState.none());
    }

    RequestValidator(ServerLimits limits, RequestIdPolicy requestIds, String configVersion,
                     OutcomePublisher outcomes, OverloadState overload) {
        this.overload = overload;
        this.checks = new RequestChecks(limits);
        this.keepClientIds = requestIds == RequestIdPolicy.KEEP;
        this.refusals = new RefusalOutcomes(configVersion, outcomes);
    }

    // ---- inbound

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpObject)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (graceful.closing()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!sequencer.holdIfBusy(ctx, msg, current != null)) {
            process(ctx, msg);
        }
    }

    @Override
    public boolean busy() {
        return current != null;
    }

    @Override
    public boolean closing() {
        return graceful.closing();
    }

    @Override
    public void process(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
            onRequest(ctx, request);
        } else if (msg instanceof HttpContent content) {
            onContent(ctx, content);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onRequest(ChannelHandlerContext ctx, HttpRequest request) {
        DecoderResult result = request.decoderResult();
        if (result.isFailure() && result.cause() instanceof PrematureChannelClosureException) {
            // The client closed in the middle of a head: there is nobody to answer.
            ReferenceCountUtil.release(request);
            beginClosing(ctx);
            return;
        }
        assert current == null : "a request is processed only after the previous one finished";
        long start = refusals.requestStart(ctx);
        ResponseTracker ex = tracker.start(RequestIds.assign(request, keepClientIds), request, start);
        current = ex;
        if (result.isFailure()) {
            ex.distrustHead();
        }
        ErrorKind kind = result.isFailure() ? RequestChecks.headFailure(request, result.cause())
                : checks.check(request);
        if (kind == null && overload.shedRequest()) {
            // Before the proxy sees it: a shed request costs no routing, auth or upstream work.
            kind = ErrorKind.OVERLOADED;
        } else if (kind == null && overload.stopKeepAlive()) {
            if (ctx.channel() instanceof Http2StreamChannel stream) {
                // HTTP/2's keep-alive is its connection: GOAWAY(NO_ERROR) lets this stream and the others in flight
                // finish, and sends the client's next requests to a new connection (the drain every connection
                // gets at shutdown), once per connection.
                Channel connection = stream.parent();
                if (connection.attr(OVERLOAD_GOAWAY).setIfAbsent(Boolean.TRUE) == null) {
                    connection.pipeline().fireUserEventTriggered(ProtocolHandlers.DRAIN);
                }
            } else {
                // The response says Connection: close and the connection ends after it: the client's next request
                // opens a new connection, which a balancer in front can send to a less loaded instance.
                ex.keepAlive = false;
            }
        }
        if (kind == null) {
            ex.forwarded = true;
            ex.inboundDone = request instanceof LastHttpContent;
            ctx.fireChannelRead(request);
            return;
        }
        // A failed decode ends the stream (the decoder discards the rest); a rejected valid head still has its body
        // to come, which is read and dropped.
        if (result.isFailure()) {
            ex.cut();
        } else {
            ex.inboundDone = request instanceof LastHttpContent;
        }
        ReferenceCountUtil.release(request);
        respond(ctx, ex, kind);
    }

    private void onContent(ChannelHandlerContext ctx, HttpContent content) {
        ResponseTracker ex = current;
        if (ex == null || ex.inboundDone) {
            content.release();
            return;
        }
        DecoderResult result = content.decoderResult();
        if (result.isFailure()) {
            content.release();
            ex.cut();
            requestBroken(ctx, ex, RequestChecks.bodyFailure(result.cause()));
            return;
        }
        ex.bodyBytes += content.content().readableBytes();
        if (ex.bodyBytes > checks.maxBody()) {
            content.release();
            ex.cut();
            requestBroken(ctx, ex, ErrorKind.BODY_TOO_LARGE);
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (last) {
            ex.inboundDone = true;
        }
        if (!ex.forwarded || ex.responseDone()) {
            // Already answered (rejected here, or the proxy answered before the body ended): read and drop the rest.
            content.release();
            if (last) {
                maybeFinish(ctx, ex);
            }
            return;
        }
        ctx.fireChannelRead(content);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == RequestHeadStarted.INSTANCE) {
            if (current == null && !sequencer.holding()) {
                refusals.headStarted(ctx);
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof DecoderException)) {
            ctx.fireExceptionCaught(cause);
            return;
        }
        // Decoder failures are normally failed DecoderResults; a thrown one is unexpected but still caused by input.
        log.debug("HTTP decoding failed on {}", ctx.channel(), cause);
        if (graceful.closing()) {
            return;
        }
        ResponseTracker ex = current;
        if (ex == null) {
            ex = tracker.startOutsideRequest(RequestIds.generate(), RefusalOutcomes.now(ctx));
            ex.cut();
            current = ex;
            respond(ctx, ex, ErrorKind.MALFORMED_REQUEST);
            return;
        }
        ex.cut();
        requestBroken(ctx, ex, ErrorKind.MALFORMED_REQUEST);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        ResponseTracker ex = current;
        if (ex != null && ex.forwarded && !ex.inboundDone && !ex.responseDone()) {
            ex.inboundDone = true;
            ctx.fireUserEventTriggered(new RequestAborted(ErrorKind.TRUNCATED_BODY, ex.requestId));
        }
        graceful.begin();
        sequencer.releaseHeld();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        sequencer.releaseHeld();
    }

    // ---- outbound

    /** See {@link GracefulClose#deferClose}: a close during the linger waits for the linger's own. */
    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        if (!graceful.deferClose(ctx, promise)) {
            ctx.close(promise);
        }
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (!graceful.closing() && sequencer.suppressRead()) {
            return;
        }
        ctx.read();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof HttpObject http)) {
            ctx.write(msg, promise);
            return;
        }
        ResponseTracker ex = current;
        switch (ex == null ? ResponseTracker.Write.REFUSE : ex.onWrite(http, graceful.closing())) {
            case REFUSE -> ResponseTracker.refuse(msg, promise, ex);
            case PASS -> ctx.write(msg, promise);
            case LAST -> {
                ctx.write(msg, promise);
                maybeFinish(ctx, ex);
            }
            case LAST_THEN_CLOSE -> {
                // Only a close needs to know when the response has gone; a keep-alive response keeps its (often
                // void) promise.
                ChannelPromise written = promise.unvoid();
                ctx.write(msg, written);
                beginClosing(ctx);
                closeAfter(ctx, written, ex);
            }
        }
    }

    // ---- answering and closing

    /** Answers the current request with {@code kind}; nothing has been written for it yet. */
    private void respond(ChannelHandlerContext ctx, ResponseTracker ex, ErrorKind kind) {
        ex.answered(kind);
        FullHttpResponse response = ErrorResponses.build(kind, ex.requestId, ctx.alloc());
        if (kind == ErrorKind.METHOD_NOT_ALLOWED) {
            response.headers().set(HttpHeaderNames.ALLOW, PROXIED_METHODS);
        }
        boolean close = kind.closesConnection() || !ex.keepAlive || graceful.closing();
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            beginClosing(ctx);
        }
        long bodyBytes = ex.head ? 0 : response.content().readableBytes(); // the codec sends no body to a HEAD
        ChannelFuture written = ctx.writeAndFlush(response);
        if (!ex.forwarded) {
            refusals.publish(ctx, ex, kind, bodyBytes);
        }
        if (close) {
            closeAfter(ctx, written, ex);
        } else {
            maybeFinish(ctx, ex);
        }
    }

    /** The request's body failed after its head went on (or a thrown decoder error): the connection is unusable. */
    private void requestBroken(ChannelHandlerContext ctx, ResponseTracker ex, ErrorKind kind) {
        ex.failure = kind;
        beginClosing(ctx);
        if (ex.forwarded && !ex.responseDone()) {
            ctx.fireUserEventTriggered(new RequestAborted(kind, ex.requestId));
        }
        switch (ex.response) {
            case NONE -> respond(ctx, ex, kind);
            case DONE -> closeAfterWritten(ctx, ex);
            // The proxy's response is under way: let it finish, then close (see write()).
            case STARTED -> ex.closeAfterResponse = true;
            // Inside an interim response there is no clean way to add a final one.
            case INTERIM -> ctx.close();
        }
    }

    /**
     * Closes after {@code write}: at once when the client has sent all it announced (the common {@code Connection:
     * close} case), or after a linger when more of its bytes may still arrive (an unread body, pipelined requests, the
     * rest of a request cut off by a failure: a slow head, an oversized one, a bad chunk), so they do not turn into a
     * reset that destroys the response.
     */
    private void closeAfter(ChannelHandlerContext ctx, ChannelFuture write, ResponseTracker ex) {
        graceful.afterWrite(ctx, write, ex.inputMayFollow() || sequencer.holding());
    }

    /** Closes after a response already written, whose write future nobody kept. */
    private void closeAfterWritten(ChannelHandlerContext ctx, ResponseTracker ex) {
        if (!graceful.arranged()) {
            // Writes complete in order: an empty one completes once the response before it has gone.
            closeAfter(ctx, ctx.writeAndFlush(Unpooled.EMPTY_BUFFER), ex);
        }
    }

    private void beginClosing(ChannelHandlerContext ctx) {
        if (graceful.begin()) {
            sequencer.releaseHeld();
            // Keep reading (and dropping) until the close, so the client is not reset while still sending.
            sequencer.resumeReads(ctx);
        }
    }

    private void maybeFinish(ChannelHandlerContext ctx, ResponseTracker ex) {
        if (ex != current || !ex.inboundDone || !ex.responseDone() || graceful.closing()) {
            return;
        }
        current = null;
        sequencer.requestFinished(ctx, this);
    }
}
