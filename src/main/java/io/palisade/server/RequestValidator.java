package io.palisade.server;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelConfig;
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
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.palisade.server.ServerConfig.RequestIdPolicy;
import io.netty.util.concurrent.Ticker;
import io.palisade.error.ErrorKind;
import io.palisade.error.ErrorResponses;
import io.palisade.error.GatewayException;
import io.palisade.outcome.Outcome;
import io.palisade.outcome.OutcomePublisher;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.List;
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
 * for it or a framing error made the connection unusable, and only then lets the next pipelined request through (held
 * here, with reads paused, until the current response is complete: responses must go out in request order).
 *
 * <p>Every request it answers itself without the proxy having seen it ends in an {@link Outcome} (route
 * {@link Outcome#UNMATCHED_ROUTE}, the error, the bytes of the error body), so refused requests are logged and counted
 * like any other; the proxy publishes the outcome of every request it received.
 */
final class RequestValidator extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(RequestValidator.class);
    /** For the 405 to {@code CONNECT}: the methods the gateway proxies at all; a route may allow fewer. */
    static final String PROXIED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

    private enum ResponseState { NONE, INTERIM, STARTED, DONE }

    /**
     * One request and its response. A connection has at most one at a time, and nothing keeps it once its request is
     * finished, so each handler resets one instance per request instead of allocating one.
     */
    private static final class Exchange {
        String requestId;
        boolean keepAlive;
        boolean http10;
        boolean head;
        /** The head went to the proxy, so the proxy owns the request until it ends or is aborted. */
        boolean forwarded;
        /** No more of this request will arrive: its last content, or a failure that ends the stream. */
        boolean inboundDone;
        /**
         * The stream ended on a failure (decoding, or a body over the limit): the decoder or this handler drops what
         * follows, but the client may still be sending it.
         */
        boolean streamCut;
        ResponseState response;
        boolean closeAfterResponse;
        /** Why this handler answered or aborted the request; refused late writes carry it. */
        ErrorKind failure;
        long bodyBytes;
        /** For the outcome of a request answered here: when its head began, its method and target ("" unknown). */
        long startNanos;
        String method;
        String target;

        Exchange start(String id, HttpRequest request, long startNanos) {
            reset(id, startNanos);
            keepAlive = HttpUtil.isKeepAlive(request);
            http10 = HttpVersion.HTTP_1_0.equals(request.protocolVersion());
            head = HttpMethod.HEAD.equals(request.method());
            method = request.method().name();
            target = request.uri();
            return this;
        }

        /** For a failure outside any request: not keep-alive, so answering it closes the connection. */
        Exchange startOutsideRequest(String id, long startNanos) {
            reset(id, startNanos);
            keepAlive = false;
            http10 = false;
            head = false;
            method = "";
            target = "";
            return this;
        }

        private void reset(String id, long start) {
            requestId = id;
            startNanos = start;
            forwarded = false;
            inboundDone = false;
            streamCut = false;
            response = ResponseState.NONE;
            closeAfterResponse = false;
            failure = null;
            bodyBytes = 0;
        }

        boolean responseStarted() {
            return response == ResponseState.STARTED || response == ResponseState.DONE;
        }

        boolean responseDone() {
            return response == ResponseState.DONE;
        }
    }

    private final long maxUriBytes;
    private final long maxBody;
    /** Pipelined requests (and their bodies) read while an earlier request's response is still being written. */
    private final ArrayDeque<Object> held = new ArrayDeque<>();
    private final Exchange exchange = new Exchange();
    /** The request being served ({@link #exchange}), or null between requests. */
    private Exchange current;
    /** The connection is done for: everything inbound is dropped, and it closes after the pending response. */
    private boolean closing;
    private boolean closeArranged;
    /** The close arranged after the response lingers for input still arriving (see {@link #close}). */
    private boolean lingering;
    private ChannelHandlerContext context;
    /** A {@code read()} was held back while requests were held (for a proxy that reads with autoRead off). */
    private boolean readSuppressed;
    /** This handler turned autoRead off while holding requests, and must turn it back on. */
    private boolean autoReadPaused;
    private boolean drainScheduled;
    /** The first byte of the next request's head arrived at {@link #headStartNanos}. */
    private boolean headStarted;
    private long headStartNanos;

    /** {@code server.request_id: keep}: a valid client id is the request's id; else every id is generated. */
    private final boolean keepClientIds;
    private final String configVersion;
    private final OutcomePublisher outcomes;

    RequestValidator(ServerLimits limits) {
        this(limits, "", OutcomePublisher.create());
    }

    RequestValidator(ServerLimits limits, String configVersion, OutcomePublisher outcomes) {
        this(limits, RequestIdPolicy.KEEP, configVersion, outcomes);
    }

    RequestValidator(ServerLimits limits, RequestIdPolicy requestIds, String configVersion,
                     OutcomePublisher outcomes) {
        this.maxUriBytes = limits.maxUriBytes();
        this.maxBody = limits.maxBody();
        this.keepClientIds = requestIds == RequestIdPolicy.KEEP;
        this.configVersion = configVersion;
        this.outcomes = outcomes;
    }

    // ---- inbound

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpObject)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (closing) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!held.isEmpty() || (msg instanceof HttpRequest && current != null)) {
            if (held.isEmpty()) {
                pauseReads(ctx);
            }
            held.add(msg);
            return;
        }
        process(ctx, msg);
    }

    private void process(ChannelHandlerContext ctx, Object msg) {
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
        // A held pipelined request's head began while another was served: it is timed from here instead.
        long start = headStarted ? headStartNanos : now(ctx);
        headStarted = false;
        Exchange ex = exchange.start(requestId(request), request, start);
        current = ex;
        if (result.isFailure()) {
            // What an undecodable head says its method and target are is not to be trusted, or logged.
            ex.method = "";
            ex.target = "";
        }
        ErrorKind kind = result.isFailure() ? headFailure(request, result.cause()) : check(request);
        if (kind == null) {
            ex.forwarded = true;
            ex.inboundDone = request instanceof LastHttpContent;
            ctx.fireChannelRead(request);
            return;
        }
        // A failed decode ends the stream (the decoder discards the rest); a rejected valid head still has its body
        // to come, which is read and dropped.
        if (result.isFailure()) {
            cut(ex);
        } else {
            ex.inboundDone = request instanceof LastHttpContent;
        }
        ReferenceCountUtil.release(request);
        respond(ctx, ex, kind);
    }

    private void onContent(ChannelHandlerContext ctx, HttpContent content) {
        Exchange ex = current;
        if (ex == null || ex.inboundDone) {
            content.release();
            return;
        }
        DecoderResult result = content.decoderResult();
        if (result.isFailure()) {
            content.release();
            cut(ex);
            requestBroken(ctx, ex, bodyFailure(result.cause()));
            return;
        }
        ex.bodyBytes += content.content().readableBytes();
        if (ex.bodyBytes > maxBody) {
            content.release();
            cut(ex);
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
            if (current == null && held.isEmpty()) {
                headStarted = true;
                headStartNanos = now(ctx);
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
        if (closing) {
            return;
        }
        Exchange ex = current;
        if (ex == null) {
            ex = exchange.startOutsideRequest(RequestIds.generate(), now(ctx));
            cut(ex);
            current = ex;
            respond(ctx, ex, ErrorKind.MALFORMED_REQUEST);
            return;
        }
        cut(ex);
        requestBroken(ctx, ex, ErrorKind.MALFORMED_REQUEST);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Exchange ex = current;
        if (ex != null && ex.forwarded && !ex.inboundDone && !ex.responseDone()) {
            ex.inboundDone = true;
            ctx.fireUserEventTriggered(new RequestAborted(ErrorKind.TRUNCATED_BODY, ex.requestId));
        }
        closing = true;
        releaseHeld();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseHeld();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        context = ctx;
    }

    // ---- outbound

    /**
     * A close asked for by the proxy (or anything after this handler) while the close arranged here lingers is left
     * to that one: the proxy closes as soon as its response is flushed, and closing then, with the client's bytes
     * still unread, sends a reset instead of the end of the response (the client's sends fail, and many clients
     * report the reset, not the 413 they were sent). The linger ends by itself within
     * {@link GracefulClose#LINGER_MILLIS}.
     */
    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        if (lingering && ctx.channel().isActive()) {
            ctx.channel().closeFuture().addListener(f -> promise.trySuccess());
            return;
        }
        ctx.close(promise);
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (!held.isEmpty() && !closing) {
            // Bounded buffering: no more bytes until the held requests can go on.
            readSuppressed = true;
            return;
        }
        ctx.read();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof HttpObject)) {
            ctx.write(msg, promise);
            return;
        }
        Exchange ex = current;
        if (msg instanceof HttpResponse response) {
            if (ex == null || ex.response != ResponseState.NONE) {
                refuse(msg, promise, ex);
                return;
            }
            if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                ex.response = ResponseState.INTERIM;
            } else {
                ex.response = ResponseState.STARTED;
                prepareFinalResponse(ex, response);
            }
        } else if (ex == null || (ex.response != ResponseState.STARTED && ex.response != ResponseState.INTERIM)) {
            refuse(msg, promise, ex);
            return;
        }
        if (!(msg instanceof LastHttpContent)) {
            ctx.write(msg, promise);
            return;
        }
        if (ex.response == ResponseState.INTERIM) {
            ex.response = ResponseState.NONE;
            ctx.write(msg, promise);
            return;
        }
        ex.response = ResponseState.DONE;
        if (ex.closeAfterResponse || closing) {
            // Only a close needs to know when the response has gone; a keep-alive response keeps its (often void)
            // promise.
            ChannelPromise written = promise.unvoid();
            ctx.write(msg, written);
            beginClosing(ctx);
            closeAfter(written, ex);
        } else {
            ctx.write(msg, promise);
            maybeFinish(ctx, ex);
        }
    }

    /** Keeps the connection's framing right whatever the proxy wrote: close semantics and HTTP/1.0 delimiting. */
    private void prepareFinalResponse(Exchange ex, HttpResponse response) {
        HttpHeaders headers = response.headers();
        int code = response.status().code();
        boolean bodyless = ex.head || code == 204 || code == 304;
        boolean chunked = HttpUtil.isTransferEncodingChunked(response);
        if (ex.http10 && chunked) {
            // An HTTP/1.0 client knows no chunked coding: the body goes out as is, delimited by the close.
            headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
        }
        boolean delimitedByClose = !bodyless && !HttpUtil.isContentLengthSet(response) && (!chunked || ex.http10);
        if (delimitedByClose || !ex.keepAlive || closing
                || headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true)) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ex.closeAfterResponse = true;
        } else if (ex.http10) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    private static void refuse(Object msg, ChannelPromise promise, Exchange ex) {
        ReferenceCountUtil.release(msg);
        ErrorKind why = ex != null && ex.failure != null ? ex.failure : ErrorKind.INTERNAL;
        promise.tryFailure(GatewayException.of(why));
    }

    // ---- answering and closing

    /** Answers the current request with {@code kind}; nothing has been written for it yet. */
    private void respond(ChannelHandlerContext ctx, Exchange ex, ErrorKind kind) {
        ex.failure = kind;
        ex.response = ResponseState.DONE;
        FullHttpResponse response = ErrorResponses.build(kind, ex.requestId, ctx.alloc());
        if (kind == ErrorKind.METHOD_NOT_ALLOWED) {
            response.headers().set(HttpHeaderNames.ALLOW, PROXIED_METHODS);
        }
        boolean close = kind.closesConnection() || !ex.keepAlive || closing;
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            beginClosing(ctx);
        }
        long bodyBytes = ex.head ? 0 : response.content().readableBytes(); // the codec sends no body to a HEAD
        ChannelFuture written = ctx.writeAndFlush(response);
        if (!ex.forwarded) {
            published(ctx, ex, kind, bodyBytes);
        }
        if (close) {
            closeAfter(written, ex);
        } else {
            maybeFinish(ctx, ex);
        }
    }

    /** The outcome of a request answered here before the proxy saw it. */
    private void published(ChannelHandlerContext ctx, Exchange ex, ErrorKind kind, long bytesOut) {
        String target = kind == ErrorKind.URI_TOO_LONG ? "" : ex.target; // over the limit: not written to logs
        int q = target.indexOf('?');
        outcomes.publish(new Outcome(ex.requestId, configVersion, ex.startNanos, clientIp(ctx), ex.method,
                q < 0 ? target : target.substring(0, q), q < 0 ? "" : target.substring(q + 1),
                Outcome.UNMATCHED_ROUTE, "", "", "", kind.status().code(), Outcome.Ending.ANSWERED,
                Outcome.errorOf(kind), ex.bodyBytes, bytesOut, now(ctx) - ex.startNanos, 0, 0, ""));
    }

    private static String clientIp(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress inet && inet.getAddress() != null
                ? inet.getAddress().getHostAddress() : "";
    }

    /**
     * Now, on {@link System#nanoTime()}'s scale as outcomes are, read from the event loop's ticker (the one its
     * scheduler and the header read deadline run on; a test's mock ticker), which counts from its own origin.
     */
    private static long now(ChannelHandlerContext ctx) {
        Ticker ticker = ctx.executor().ticker();
        return ticker.initialNanoTime() + ticker.nanoTime();
    }

    /** The request's body failed after its head went on (or a thrown decoder error): the connection is unusable. */
    private void requestBroken(ChannelHandlerContext ctx, Exchange ex, ErrorKind kind) {
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
    private void closeAfter(ChannelFuture write, Exchange ex) {
        if (!closeArranged) {
            closeArranged = true;
            lingering = !ex.inboundDone || ex.streamCut || !held.isEmpty();
            GracefulClose.afterWrite(context, write, lingering);
        }
    }

    private static void cut(Exchange ex) {
        ex.inboundDone = true;
        ex.streamCut = true;
    }

    /** Closes after a response already written, whose write future nobody kept. */
    private void closeAfterWritten(ChannelHandlerContext ctx, Exchange ex) {
        if (!closeArranged) {
            // Writes complete in order: an empty one completes once the response before it has gone.
            closeAfter(ctx.writeAndFlush(Unpooled.EMPTY_BUFFER), ex);
        }
    }

    private void beginClosing(ChannelHandlerContext ctx) {
        if (closing) {
            return;
        }
        closing = true;
        releaseHeld();
        // Keep reading (and dropping) until the close, so the client is not reset while still sending.
        resumeReads(ctx);
    }

    private void maybeFinish(ChannelHandlerContext ctx, Exchange ex) {
        if (ex != current || !ex.inboundDone || !ex.responseDone() || closing) {
            return;
        }
        current = null;
        if (!held.isEmpty()) {
            scheduleDrain(ctx);
        } else {
            resumeReads(ctx);
        }
    }

    private void scheduleDrain(ChannelHandlerContext ctx) {
        if (drainScheduled) {
            return;
        }
        drainScheduled = true;
        // Not inline: this may run inside the proxy's write() call, and it must not get its next request from there.
        ctx.executor().execute(() -> {
            drainScheduled = false;
            drain(ctx);
        });
    }

    private void drain(ChannelHandlerContext ctx) {
        while (!closing && !held.isEmpty()) {
            if (held.peek() instanceof HttpRequest && current != null) {
                return;
            }
            process(ctx, held.poll());
        }
        if (held.isEmpty() && !closing) {
            resumeReads(ctx);
        }
    }

    /**
     * Bounds what pipelining can buffer here to what was already read: with autoRead on (the default) by turning it
     * off, with autoRead off by holding back {@code read()} calls (see {@link #read}).
     */
    private void pauseReads(ChannelHandlerContext ctx) {
        ChannelConfig config = ctx.channel().config();
        if (config.isAutoRead()) {
            config.setAutoRead(false);
            autoReadPaused = true;
        }
    }

    private void resumeReads(ChannelHandlerContext ctx) {
        if (autoReadPaused) {
            autoReadPaused = false;
            readSuppressed = false;
            ctx.channel().config().setAutoRead(true); // which also reads
        } else if (readSuppressed) {
            readSuppressed = false;
            ctx.read();
        }
    }

    private void releaseHeld() {
        Object o;
        while ((o = held.poll()) != null) {
            ReferenceCountUtil.release(o);
        }
    }

    // ---- checks

    private ErrorKind check(HttpRequest request) {
        String target = request.uri();
        if (target.length() > maxUriBytes) {
            return ErrorKind.URI_TOO_LONG;
        }
        HttpMethod method = request.method();
        if (!HttpSyntax.isValidTarget(method, target)) {
            return ErrorKind.MALFORMED_REQUEST;
        }
        HttpHeaders headers = request.headers();
        boolean http11 = HttpVersion.HTTP_1_1.equals(request.protocolVersion());
        // No getAll and no iterator: this runs for every request; the decoder counted the Host fields.
        String host = headers.get(HttpHeaderNames.HOST);
        if (host == null) {
            if (http11) {
                return ErrorKind.MISSING_HOST;
            }
        } else if (RequestHeaders.fieldsSent(headers, HttpHeaderNames.HOST) > 1 || !HttpSyntax.isValidHost(host)) {
            return ErrorKind.INVALID_HOST;
        }
        if (HttpMethod.CONNECT.equals(method)) {
            return ErrorKind.METHOD_NOT_ALLOWED;
        }
        boolean hasLength = headers.contains(HttpHeaderNames.CONTENT_LENGTH);
        if (headers.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            ErrorKind coding = transferCodingError(request);
            if (coding != null) {
                return coding;
            }
        } else if (!hasLength && HttpMethod.GET.equals(method) && headers.contains(HttpHeaderNames.SEC_WEBSOCKET_KEY1)
                && headers.contains(HttpHeaderNames.SEC_WEBSOCKET_KEY2)) {
            // Netty would read an 8-byte hixie-76 body here that no other hop expects.
            return ErrorKind.AMBIGUOUS_FRAMING;
        }
        // The framing headers are unambiguous now: the framing is decided here, once, for this handler and the proxy.
        RequestFraming framing = RequestFraming.decide(request);
        if (framing.contentLength() > maxBody) {
            return ErrorKind.BODY_TOO_LARGE;
        }
        if (headers.contains(HttpHeaderNames.EXPECT)) {
            List<String> expectations = headers.getAll(HttpHeaderNames.EXPECT);
            if (!HttpSyntax.isExactly(expectations, "100-continue")) {
                return ErrorKind.EXPECTATION_FAILED;
            }
            if (!http11) {
                // RFC 9110 §10.1.1: a 100-continue from an HTTP/1.0 client is ignored, so nobody sends it a 100.
                headers.remove(HttpHeaderNames.EXPECT);
            }
        }
        if (headers instanceof RequestHeaders decoded) {
            decoded.framing(framing);
        }
        return null;
    }

    /**
     * What is wrong with a request's {@code Transfer-Encoding}, or null when it is {@code chunked} alone on HTTP/1.1
     * without {@code Content-Length}.
     */
    private static ErrorKind transferCodingError(HttpRequest request) {
        HttpHeaders headers = request.headers();
        // RFC 9112 §6.1: Transfer-Encoding on HTTP/1.0 means faulty framing; with Content-Length, smuggling.
        if (!HttpVersion.HTTP_1_1.equals(request.protocolVersion())
                || headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            return ErrorKind.AMBIGUOUS_FRAMING;
        }
        if (!HttpSyntax.isExactly(headers.getAll(HttpHeaderNames.TRANSFER_ENCODING), "chunked")) {
            return ErrorKind.UNSUPPORTED_TRANSFER_CODING;
        }
        return null;
    }

    private static ErrorKind headFailure(HttpRequest request, Throwable cause) {
        if (cause instanceof GatewayException g) {
            return g.kind();
        }
        // Netty (4.2.18+) fails a request whose Transfer-Encoding it cannot frame before the checks here see it, with
        // a generic exception; the partly decoded head still has its headers, so it gets the same answer it would get
        // from check(): ambiguous framing, or 501 for a coding the gateway does not implement.
        if (request.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            ErrorKind framing = transferCodingError(request);
            if (framing != null) {
                return framing;
            }
        }
        if (cause instanceof TooLongHttpLineException) {
            return ErrorKind.URI_TOO_LONG;
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return ErrorKind.HEADERS_TOO_LARGE;
        }
        return ErrorKind.MALFORMED_REQUEST;
    }

    private static ErrorKind bodyFailure(Throwable cause) {
        return cause instanceof GatewayException g ? g.kind() : ErrorKind.INVALID_CHUNK;
    }

    /**
     * Keeps a valid client id (unless ids are always generated), else sets a fresh one, so the proxy, the logs and
     * error bodies share one id.
     */
    private String requestId(HttpRequest request) {
        HttpHeaders headers = request.headers();
        if (keepClientIds) {
            String sent = headers.get(RequestIds.HEADER);
            if (sent != null && RequestHeaders.fieldsSent(headers, RequestIds.HEADER) == 1
                    && RequestIds.isValid(sent)) {
                return sent;
            }
        }
        String id = RequestIds.generate();
        headers.set(RequestIds.HEADER, id);
        return id;
    }
}
