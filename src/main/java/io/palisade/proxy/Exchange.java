package io.palisade.proxy;

import io.palisade.filter.FilterResult;
import io.palisade.filter.GatewayFilter;
import io.palisade.filter.RequestContext;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.palisade.config.Address;
import io.palisade.upstream.ClusterConfig;
import io.palisade.upstream.HashOn;
import io.palisade.route.RouteConfig;
import io.palisade.error.ErrorKind;
import io.palisade.error.ErrorResponses;
import io.palisade.route.RouteTable;
import io.palisade.server.RequestFraming;
import io.palisade.upstream.Cluster;
import io.palisade.upstream.Endpoint;
import io.palisade.upstream.Pick;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One request's way through the gateway, from its head to the last byte of the response. Every method runs on the
 * downstream connection's event loop, which is also the loop of the upstream connection it borrows, so no state here
 * is shared between threads.
 *
 * <pre>
 *  FILTERING ──▶ DISPATCHING ──▶ FORWARDING ──▶ DONE
 *     │  (policy)     │ (pick, connect)  │ (stream both ways)
 *     └──────────────┴─────────────────┴──▶ DONE with an error response (or an abort once the response began)
 * </pre>
 *
 * <p>Body bytes that arrive before an upstream is attached are queued (at most what one socket read decoded; reading
 * stops until the upstream is ready), then streamed with backpressure: the side being written to decides when the
 * other side reads again.
 */
final class Exchange implements RequestContext {
    enum State { FILTERING, DISPATCHING, FORWARDING, DONE }

    private final ProxyHandler owner;
    private final ChannelHandlerContext ctx;
    private final ProxyRuntime runtime;
    private final GatewaySnapshot snapshot;
    /** The upstream pool of this exchange's event loop, which also keeps its counts. */
    private final UpstreamPool pool;
    private final GatewaySnapshot.RouteRuntime route;
    private final HttpRequest request;
    private final String path;
    private final String query;
    private final String requestId;
    private final String clientIp;
    private final String host;
    private final long startNanos;
    private final boolean clientKeepAlive;
    private final boolean idempotent;
    private final boolean chunkedRequest;
    private final long declaredLength;

    private State state = State.FILTERING;
    private boolean expectContinue;
    private boolean requestComplete;
    private long bodyBytes;
    private boolean bodySent;
    private boolean awaitingFirstBody;
    /** The filters passed; dispatch waits for the first body byte of a chunked request on a require_body route. */
    private boolean parkedForBody;
    /** Created for the first part that must wait: most requests stream or have no body. */
    private ArrayDeque<HttpContent> queued;

    private Cluster cluster;
    private Endpoint endpoint;
    private UpstreamConnection upstream;
    private boolean requestPermit;
    private boolean requestStarted;
    private int retriesLeft;
    private int attempts;
    /** The cluster whose retry budget this request holds a place in (retries may fail over to another). */
    private Cluster retryBudgetHolder;
    private List<Endpoint> triedEndpoints;
    /** When the whole exchange must be over ({@link System#nanoTime}); 0 until dispatch starts it. */
    private long deadlineNanos;
    private long upstreamStartNanos;
    private long upstreamNanos;
    private String upstreamFailureKind;

    private boolean responseStarted;
    private boolean upstreamResponseComplete;
    private boolean upstreamKeepAlive;
    private boolean closeAfterResponse;
    private int status;
    private long responseBytes;
    private boolean waitingDownstreamWritable;
    private boolean waitingUpstreamWritable;

    private String consumer;
    private HttpHeaders extraResponseHeaders;
    private List<CompletionListener> listeners;

    Exchange(ProxyHandler owner, ChannelHandlerContext ctx, ProxyRuntime runtime, GatewaySnapshot snapshot,
             GatewaySnapshot.RouteRuntime route, HttpRequest request, String path, String query, String requestId,
             String clientIp, long startNanos) {
        this.owner = owner;
        this.ctx = ctx;
        this.runtime = runtime;
        this.snapshot = snapshot;
        this.route = route;
        this.request = request;
        this.path = path;
        this.query = query;
        this.requestId = requestId;
        this.clientIp = clientIp;
        this.startNanos = startNanos;
        this.host = request.headers().get(HttpHeaderNames.HOST);
        RequestFraming framing = RequestFraming.of(request); // decided by the protocol handlers, not again here
        this.clientKeepAlive = framing.keepAlive();
        this.idempotent = isIdempotent(request.method());
        this.chunkedRequest = framing.chunked();
        this.declaredLength = framing.contentLength();
        this.expectContinue = framing.expectsContinue();
        this.pool = runtime.pool(ctx.channel().eventLoop());
        UpstreamPool.PoolCounters.add(pool.counters().inflight, 1);
    }

    /** An exchange for a request that matched no route: it only ever answers with an error. */
    static Exchange unrouted(ProxyHandler owner, ChannelHandlerContext ctx, ProxyRuntime runtime,
                             GatewaySnapshot snapshot, HttpRequest request, String requestId, String clientIp,
                             long startNanos) {
        String uri = request.uri();
        int q = uri.indexOf('?');
        return new Exchange(owner, ctx, runtime, snapshot, snapshot.unmatched(), request, q < 0 ? uri
                : uri.substring(0, q), q < 0 ? "" : uri.substring(q + 1), requestId, clientIp, startNanos);
    }

    private static boolean isIdempotent(HttpMethod m) {
        return m == HttpMethod.GET || m == HttpMethod.HEAD || m == HttpMethod.OPTIONS || m == HttpMethod.PUT
                || m == HttpMethod.DELETE || m == HttpMethod.TRACE;
    }

    // ---------------------------------------------------------------- RequestContext

    @Override
    public HttpRequest request() {
        return request;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public String query() {
        return query;
    }

    @Override
    public String clientIp() {
        return clientIp;
    }

    @Override
    public String requestId() {
        return requestId;
    }

    @Override
    public String routeId() {
        return route.config().id();
    }

    @Override
    public int routeIndex() {
        return route.index();
    }

    @Override
    public EventLoop eventLoop() {
        return ctx.channel().eventLoop();
    }

    @Override
    public Optional<String> consumer() {
        return Optional.ofNullable(consumer);
    }

    @Override
    public void consumer(String consumerId) {
        this.consumer = consumerId;
    }

    @Override
    public HttpHeaders responseHeaders() {
        if (extraResponseHeaders == null) {
            extraResponseHeaders = new DefaultHttpHeaders();
        }
        return extraResponseHeaders;
    }

    @Override
    public void onComplete(CompletionListener action) {
        if (listeners == null) {
            listeners = new ArrayList<>(2);
        }
        listeners.add(action);
    }

    boolean isDone() {
        return state == State.DONE;
    }

    boolean requestComplete() {
        return requestComplete;
    }

    // ---------------------------------------------------------------- policy

    /** Checks what can be decided from the head alone, then runs the filter chain. */
    void start() {
        long maxBody = route.maxBody();
        if (declaredLength > maxBody) {
            respondError(ErrorKind.BODY_TOO_LARGE);
            return;
        }
        if (route.requireBody()) {
            if (!chunkedRequest && declaredLength <= 0) {
                respondError(ErrorKind.BODY_REQUIRED);
                return;
            }
            // A chunked body may still turn out empty: dispatch waits for its first byte (seed 003).
            awaitingFirstBody = chunkedRequest;
        }
        runFilters(0);
    }

    private void runFilters(int from) {
        GatewayFilter[] filters = snapshot.filters();
        for (int i = from; i < filters.length; i++) {
            if (state == State.DONE) {
                return;
            }
            CompletableFuture<FilterResult> stage;
            try {
                // A CompletableFuture returns itself here; only other stage types are copied.
                stage = filters[i].filter(this).toCompletableFuture();
                if (stage.isDone()) {
                    // Decided synchronously (the common case: local limits, cached keys): no hop, no allocation.
                    if (!applyResult(stage.join(), null)) {
                        return;
                    }
                    continue;
                }
            } catch (RuntimeException e) {
                applyResult(null, e);
                return;
            }
            int next = i + 1;
            stage.whenComplete((r, e) -> ctx.executor().execute(() -> {
                if (applyResult(r, e)) {
                    runFilters(next);
                }
            }));
            return;
        }
        if (state == State.FILTERING) {
            filtersPassed();
        }
    }

    /** @return true when the chain goes on */
    private boolean applyResult(FilterResult r, Throwable error) {
        if (state != State.FILTERING) {
            return false;
        }
        if (error != null || r == null) {
            runtime.logFailure("filter failed", error);
            respondError(ErrorKind.INTERNAL);
            return false;
        }
        if (!r.proceeds()) {
            respondError(r.rejection(), r.retryAfterSeconds(), r.headers());
            return false;
        }
        return true;
    }

    private void filtersPassed() {
        if (awaitingFirstBody && bodyBytes == 0 && !requestComplete) {
            parkedForBody = true;
            if (expectContinue) {
                sendContinue();
            }
            owner.readDownstream();
            return;
        }
        parkedForBody = false;
        if (awaitingFirstBody && bodyBytes == 0) {
            respondError(ErrorKind.BODY_REQUIRED);
            return;
        }
        awaitingFirstBody = false;
        dispatch(null);
    }

    private void sendContinue() {
        expectContinue = false;
        request.headers().remove(HttpHeaderNames.EXPECT);
        ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                ctx.alloc().buffer(0)));
    }

    // ---------------------------------------------------------------- dispatch

    private void dispatch(Endpoint avoid) {
        state = State.DISPATCHING;
        if (expectContinue) {
            sendContinue();
        }
        if (!requestStarted) {
            requestStarted = true;
            prepareUpstreamRequest();
            startDeadline();
        }
        Optional<Cluster> primary = runtime.clusters().cluster(route.config().cluster());
        if (primary.isEmpty()) {
            respondError(ErrorKind.NO_HEALTHY_UPSTREAM);
            return;
        }
        String key = hashKey(primary.get().config());
        Optional<Pick> choice = avoid == null ? primary.get().pick(key) : primary.get().pick(key, avoid);
        if (avoid != null && choice.isPresent() && tried(choice.get().endpoint())) {
            // Every endpoint this cluster offers has failed this request: retry down the failover chain instead.
            Optional<Pick> alternative = failoverPick(choice.get().cluster(), key);
            if (alternative.isPresent()) {
                choice = alternative;
            }
        }
        if (choice.isEmpty()) {
            respondError(ErrorKind.NO_HEALTHY_UPSTREAM);
            return;
        }
        Pick pick = choice.get();
        Cluster picked = pick.cluster();
        if (cluster != picked) {
            releaseRequestPermit();
            if (!picked.tryAcquireRequest()) {
                respondError(ErrorKind.UPSTREAM_OVERLOADED);
                return;
            }
            requestPermit = true;
            cluster = picked;
            if (attempts == 0) {
                retriesLeft = picked.config().retries().attempts();
            }
        }
        endpoint = pick.endpoint();
        attempts++;
        UpstreamConnection idle = pool.pollIdle(endpoint);
        if (idle != null) {
            attach(idle);
            return;
        }
        if (!cluster.tryAcquireConnection()) {
            respondError(ErrorKind.UPSTREAM_OVERLOADED);
            return;
        }
        if (!cluster.tryAcquirePending()) {
            cluster.releaseConnection();
            respondError(ErrorKind.UPSTREAM_OVERLOADED);
            return;
        }
        UpstreamPool.PoolCounters.add(pool.counters().pending, 1);
        Endpoint target = endpoint;
        Cluster targetCluster = cluster;
        ChannelFuture connect = pool.connect(targetCluster, target, targetCluster.config().timeouts());
        connect.addListener((ChannelFutureListener) f -> {
            targetCluster.releasePending();
            UpstreamPool.PoolCounters.add(pool.counters().pending, -1);
            if (state == State.DONE || endpoint != target) {
                f.channel().close();
                return;
            }
            if (f.isSuccess()) {
                attach((UpstreamConnection) f.channel().pipeline().get("upstream"));
            } else {
                onConnectFailed(f.cause());
            }
        });
    }

    private boolean tried(Endpoint e) {
        return triedEndpoints != null && triedEndpoints.contains(e);
    }

    private Optional<Pick> failoverPick(Cluster from, String key) {
        Optional<String> next = from.config().failover();
        if (next.isEmpty()) {
            return Optional.empty();
        }
        return runtime.clusters().cluster(next.get()).flatMap(c -> c.pick(key)).filter(p -> !tried(p.endpoint()));
    }

    private String hashKey(ClusterConfig cfg) {
        Optional<HashOn> on = cfg.hashOn();
        if (on.isEmpty()) {
            return "";
        }
        HashOn h = on.get();
        String v = switch (h.source()) {
            case HEADER -> request.headers().get(h.name());
            case CLIENT_IP -> clientIp;
            case PATH -> path;
            case QUERY -> queryParam(query, h.name());
        };
        return v == null ? "" : v;
    }

    static String queryParam(String query, String name) {
        int i = 0;
        while (i < query.length()) {
            int amp = query.indexOf('&', i);
            int end = amp < 0 ? query.length() : amp;
            int eq = query.indexOf('=', i);
            if (eq > i && eq < end && query.regionMatches(i, name, 0, name.length()) && eq - i == name.length()) {
                return query.substring(eq + 1, end);
            }
            i = end + 1;
        }
        return null;
    }

    private void prepareUpstreamRequest() {
        HttpHeaders h = request.headers();
        Headers.removeHopByHop(h);
        Headers.addForwarded(h, clientIp, host);
        if (!requestId.equals(h.get(Headers.X_REQUEST_ID))) {
            // The validator set it, and requestId was read from it: only a filter could have changed it.
            h.set(Headers.X_REQUEST_ID, requestId);
        }
        Headers.propagateTrace(h);
        if (chunkedRequest) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        String uri = request.uri();
        if (route.config().stripPrefix()) {
            uri = RouteTable.rewritePath(route.config(), uri);
        } else if (!uri.startsWith("/")) {
            // absolute-form from the client: send origin-form upstream
            uri = query.isEmpty() ? path : path + "?" + query;
        }
        request.setUri(uri);
        request.setProtocolVersion(HttpVersion.HTTP_1_1);
    }

    private void startDeadline() {
        deadlineNanos = System.nanoTime() + route.requestTimeoutNanos();
        owner.armDeadline(deadlineNanos);
    }


    private void attach(UpstreamConnection c) {
        if (state == State.DONE) {
            pool.release(c);
            return;
        }
        upstream = c;
        c.exchange = this;
        if (route.idleTimeout().isPresent()) {
            c.overrideIdle(route.idleTimeout().get());
        }
        state = State.FORWARDING;
        upstreamStartNanos = System.nanoTime();
        endpoint.onRequestStart();
        // Void promises here and on the client side: a failed write fires exceptionCaught, which closes that
        // connection, and the exchange learns of it through the close.
        c.channel.write(request, c.channel.voidPromise());
        HttpContent content;
        boolean lastWritten = false;
        while (queued != null && (content = queued.poll()) != null) {
            if (content.content().isReadable()) {
                bodySent = true;
            }
            lastWritten |= content instanceof LastHttpContent;
            c.channel.write(content, c.channel.voidPromise());
        }
        if (requestComplete && !lastWritten) {
            // A retry of a body-less request: its (empty) last chunk went to the failed connection.
            c.channel.write(LastHttpContent.EMPTY_LAST_CONTENT, c.channel.voidPromise());
        }
        c.channel.flush();
        c.channel.read();
        if (!requestComplete) {
            if (c.channel.isWritable()) {
                owner.readDownstream();
            } else {
                waitingUpstreamWritable = true;
            }
        }
    }

    private void onConnectFailed(Throwable cause) {
        upstreamFailed(endpoint, Endpoint.FailureKind.CONNECT_FAILED, cause instanceof ConnectTimeoutException
                ? "connect_timeout" : "connect");
        // Nothing was sent, so retrying is safe for any method.
        if (tryRetry(true)) {
            return;
        }
        respondError(ErrorKind.UPSTREAM_CONNECT_FAILED);
    }

    private void upstreamFailed(Endpoint e, Endpoint.FailureKind kind, String label) {
        upstreamFailureKind = label;
        e.onFailure(kind);
        runtime.metrics().upstreamFailure(cluster.name(), label);
    }

    private boolean tryRetry(boolean nothingSent) {
        if (retriesLeft <= 0 || bodySent || !(nothingSent || idempotent) || responseStarted) {
            return false;
        }
        if (retryBudgetHolder == null) {
            if (!cluster.tryAcquireRetry()) {
                return false;
            }
            retryBudgetHolder = cluster;
        }
        retriesLeft--;
        Endpoint failed = endpoint;
        if (triedEndpoints == null) {
            triedEndpoints = new ArrayList<>(3);
        }
        triedEndpoints.add(failed);
        detachUpstream(false);
        dispatch(failed);
        return true;
    }

    // ---------------------------------------------------------------- request body

    void onRequestContent(HttpContent content) {
        if (content.decoderResult().isFailure()) {
            content.release();
            requestComplete = true; // nothing more will be read from this connection
            fail(ErrorKind.INVALID_CHUNK);
            return;
        }
        bodyBytes += content.content().readableBytes();
        boolean last = content instanceof LastHttpContent;
        if (last) {
            requestComplete = true;
        }
        if (state == State.DONE) {
            content.release();
            return;
        }
        if (bodyBytes > route.maxBody()) {
            content.release();
            fail(ErrorKind.BODY_TOO_LARGE);
            return;
        }
        if (state == State.FORWARDING) {
            if (content.content().isReadable()) {
                bodySent = true;
            }
            upstream.channel.write(content, upstream.channel.voidPromise());
            if (last) {
                upstream.channel.flush();
            }
            return;
        }
        if (queued == null) {
            queued = new ArrayDeque<>(4);
        }
        queued.add(content);
        if (parkedForBody && (bodyBytes > 0 || last)) {
            filtersPassed();
        }
    }

    void onDownstreamReadComplete() {
        if (state == State.FORWARDING && upstream != null) {
            upstream.channel.flush();
            if (!requestComplete) {
                if (upstream.channel.isWritable()) {
                    owner.readDownstream();
                } else {
                    waitingUpstreamWritable = true;
                }
            }
        } else if (state == State.FILTERING && parkedForBody && !requestComplete) {
            owner.readDownstream();
        }
    }

    void onUpstreamWritable(UpstreamConnection c) {
        if (c == upstream && waitingUpstreamWritable) {
            waitingUpstreamWritable = false;
            owner.readDownstream();
        }
    }

    // ---------------------------------------------------------------- response

    void onUpstreamMessage(UpstreamConnection c, Object msg) {
        if (c != upstream || state != State.FORWARDING) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (((HttpObject) msg).decoderResult().isFailure()) {
            ReferenceCountUtil.release(msg);
            upstreamFailed(endpoint, Endpoint.FailureKind.RESET, "protocol");
            fail(ErrorKind.UPSTREAM_PROTOCOL_ERROR);
            return;
        }
        if (msg instanceof HttpResponse response) {
            if (response.status().codeClass() == io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL
                    && response.status().code() != 101) {
                ReferenceCountUtil.release(msg);
                return;
            }
            onResponseHead(response);
        }
        if (msg instanceof HttpContent content) {
            responseBytes += content.content().readableBytes();
            boolean last = content instanceof LastHttpContent;
            if (last) {
                upstreamResponseComplete = true;
            }
            ctx.write(msg, ctx.voidPromise());
            if (last) {
                finishResponse();
            }
        } else if (msg instanceof HttpResponse) {
            ctx.write(msg, ctx.voidPromise());
        }
    }

    private void onResponseHead(HttpResponse response) {
        responseStarted = true;
        status = response.status().code();
        upstreamNanos = System.nanoTime() - upstreamStartNanos;
        if (status >= 500) {
            upstreamFailed(endpoint, Endpoint.FailureKind.SERVER_ERROR, "5xx");
        } else {
            endpoint.onSuccess();
        }
        HttpHeaders h = response.headers();
        upstreamKeepAlive = HttpUtil.isKeepAlive(response);
        boolean hasLength = h.contains(HttpHeaderNames.CONTENT_LENGTH);
        boolean chunked = HttpUtil.isTransferEncodingChunked(response);
        Headers.removeHopByHop(h);
        boolean bodiless = request.method() == HttpMethod.HEAD || status == 204 || status == 304;
        boolean http10Client = request.protocolVersion() == HttpVersion.HTTP_1_0 || !clientKeepAlive
                && request.protocolVersion() != HttpVersion.HTTP_1_1;
        if (!hasLength && !bodiless) {
            if (http10Client) {
                closeAfterResponse = true; // HTTP/1.0 has no chunked coding: the close ends the body
            } else {
                h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            }
        } else if (chunked && bodiless) {
            h.remove(HttpHeaderNames.TRANSFER_ENCODING);
        }
        if (!h.contains(Headers.X_REQUEST_ID)) {
            h.set(Headers.X_REQUEST_ID, requestId);
        }
        if (extraResponseHeaders != null) {
            h.add(extraResponseHeaders);
        }
        if (!requestComplete || !clientKeepAlive || runtime.draining()) {
            closeAfterResponse = true;
        }
        response.setProtocolVersion(request.protocolVersion() == HttpVersion.HTTP_1_0 ? HttpVersion.HTTP_1_0
                : HttpVersion.HTTP_1_1);
        if (closeAfterResponse) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (request.protocolVersion() == HttpVersion.HTTP_1_0) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    void onUpstreamReadComplete(UpstreamConnection c) {
        if (c != upstream || state != State.FORWARDING) {
            return;
        }
        ctx.flush();
        if (ctx.channel().isWritable()) {
            c.channel.read();
        } else {
            waitingDownstreamWritable = true;
        }
    }

    void onDownstreamWritable() {
        if (waitingDownstreamWritable && upstream != null && state == State.FORWARDING) {
            waitingDownstreamWritable = false;
            upstream.channel.read();
        }
    }

    private void finishResponse() {
        state = State.DONE;
        cancelDeadline();
        boolean reusable = upstreamKeepAlive && requestComplete && (queued == null || queued.isEmpty());
        detachUpstream(reusable);
        if (!requestComplete) {
            closeAfterResponse = true;
        }
        complete(status);
        owner.exchangeDone(this, !closeAfterResponse);
    }

    // ---------------------------------------------------------------- failures

    void onUpstreamClosed(UpstreamConnection c) {
        if (c != upstream || state != State.FORWARDING) {
            return;
        }
        if (!responseStarted) {
            upstreamFailed(endpoint, Endpoint.FailureKind.RESET, "reset");
            if (tryRetry(false)) {
                return;
            }
            fail(ErrorKind.UPSTREAM_RESET);
        } else {
            abort();
        }
    }

    void onUpstreamIdle(UpstreamConnection c) {
        if (c == upstream && state == State.FORWARDING && requestComplete) {
            timedOut();
        }
    }

    void onUpstreamError(UpstreamConnection c, Throwable cause) {
        if (c == upstream && state == State.FORWARDING) {
            runtime.logDebug("upstream error", cause);
        }
    }

    /** The exchange's deadline, or 0 when none is running (filters still deciding, or done). */
    long deadlineNanos() {
        return state == State.DONE ? 0 : deadlineNanos;
    }

    /** Called by the connection's timer once {@link #deadlineNanos()} has passed. */
    void onDeadline() {
        if (state == State.DONE) {
            return;
        }
        timedOut();
    }

    private void timedOut() {
        if (endpoint != null && state == State.FORWARDING) {
            upstreamFailed(endpoint, Endpoint.FailureKind.TIMEOUT, "timeout");
        }
        fail(ErrorKind.UPSTREAM_TIMEOUT);
    }

    /**
     * The protocol layer gave up on the request body. Before a response began, the validator answers with
     * {@code kind}, so this only frees the upstream side; after, the client must see a cut.
     */
    void onRequestAborted(ErrorKind kind) {
        requestComplete = true;
        if (state == State.DONE) {
            return;
        }
        if (responseStarted) {
            abort();
            return;
        }
        stopUnfinished();
        complete(kind.status().code()); // the validator answers, and counts the rejection
    }

    /** The client went away: stop everything and free what the exchange holds. */
    void onDownstreamClosed() {
        if (state == State.DONE) {
            return;
        }
        stopUnfinished();
        complete(0);
    }

    /** Answers with {@code kind} if the response has not begun, otherwise cuts both connections. */
    private void fail(ErrorKind kind) {
        if (responseStarted) {
            abort();
        } else {
            respondError(kind);
        }
    }

    private void abort() {
        stopUnfinished();
        complete(status == 0 ? 502 : status);
        owner.exchangeAborted(this);
    }

    /** Ends the exchange before its response completed: no deadline, no upstream (not reusable), no queued body. */
    private void stopUnfinished() {
        state = State.DONE;
        cancelDeadline();
        detachUpstream(false);
        releaseQueued();
    }

    void respondError(ErrorKind kind) {
        respondError(kind, ErrorResponses.RETRY_AFTER_SECONDS, null);
    }

    private void respondError(ErrorKind kind, int retryAfterSeconds, HttpHeaders extra) {
        if (state == State.DONE) {
            return;
        }
        stopUnfinished();
        runtime.metrics().rejected(kind.code());
        FullHttpResponse response = ErrorResponses.build(kind, requestId, ctx.alloc(), retryAfterSeconds);
        if (extra != null && !extra.isEmpty()) {
            response.headers().add(extra);
        }
        if (extraResponseHeaders != null) {
            response.headers().add(extraResponseHeaders);
        }
        if (request.method() == HttpMethod.HEAD) {
            response.content().clear();
        }
        // Filters decide on the head, before the decoder hands over the (empty) end of a body-less request: only a
        // body that may still be coming forces a close (the validator drops the rest of a body-less request).
        boolean bodyPending = !requestComplete && (chunkedRequest || declaredLength > 0);
        closeAfterResponse = kind.closesConnection() || bodyPending || !clientKeepAlive || runtime.draining();
        if (closeAfterResponse) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        status = kind.status().code();
        ctx.write(response, ctx.voidPromise());
        complete(status);
        owner.exchangeDone(this, !closeAfterResponse);
    }

    private void detachUpstream(boolean reusable) {
        UpstreamConnection c = upstream;
        if (c != null) {
            upstream = null;
            c.exchange = null;
            endpoint.onRequestEnd();
            if (reusable) {
                c.pool.release(c);
            } else {
                c.channel.close();
            }
        }
        waitingDownstreamWritable = false;
        waitingUpstreamWritable = false;
    }

    private void releaseQueued() {
        HttpContent c;
        while (queued != null && (c = queued.poll()) != null) {
            c.release();
        }
    }

    private void cancelDeadline() {
        deadlineNanos = 0; // the connection's timer finds nothing to do and goes idle
    }


    private void releaseRequestPermit() {
        if (requestPermit) {
            requestPermit = false;
            cluster.releaseRequest();
        }
    }

    private void complete(int finalStatus) {
        UpstreamPool.PoolCounters.add(pool.counters().inflight, -1);
        releaseRequestPermit();
        if (retryBudgetHolder != null) {
            retryBudgetHolder.releaseRetry();
            retryBudgetHolder = null;
        }
        long now = System.nanoTime();
        if (upstreamNanos == 0 && upstreamStartNanos != 0) {
            upstreamNanos = now - upstreamStartNanos; // no response head: the time until it failed
        }
        String clusterName = cluster == null ? "" : cluster.name();
        if (finalStatus > 0) {
            route.metrics().record(clusterName, finalStatus, now - startNanos);
        }
        runtime.accessLog().log(this, finalStatus, now - startNanos, clusterName, ctx.executor());
        if (listeners != null) {
            for (CompletionListener l : listeners) {
                try {
                    l.completed(finalStatus, upstreamNanos);
                } catch (RuntimeException e) {
                    runtime.logFailure("completion listener threw", e);
                }
            }
        }
    }

    // ---------------------------------------------------------------- access log fields

    String method() {
        return request.method().name();
    }

    Address endpointAddress() {
        return endpoint == null ? null : endpoint.address();
    }

    String consumerOrNull() {
        return consumer;
    }

    long bodyBytes() {
        return bodyBytes;
    }

    long responseBytes() {
        return responseBytes;
    }

    long upstreamNanos() {
        return upstreamNanos;
    }

    int attempts() {
        return attempts;
    }

    String upstreamFailureKind() {
        return upstreamFailureKind;
    }

    long startNanos() {
        return startNanos;
    }
}
