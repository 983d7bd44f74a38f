package io.palisade.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.palisade.error.ErrorKind;
import io.palisade.error.ErrorResponses;
import io.palisade.filter.RequestContext;
import io.palisade.outcome.Outcome;
import io.palisade.server.RequestFraming;
import io.palisade.upstream.Cluster;
import io.palisade.upstream.Endpoint;
import io.palisade.upstream.Retries;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One request's way through the gateway, from its head to the last byte of the response. Every method runs on the
 * downstream connection's event loop, which is also the loop of the upstream connection it borrows, so no state here
 * is shared between threads.
 *
 * <pre>
 *  FILTERING ──▶ DISPATCHING ──▶ FORWARDING ──▶ DONE (the last byte of the upstream's response went out)
 *  (policy)      (pick, connect)   (stream both ways)
 *                   ▲   ▲ retry: connect     │ retry: reset before a response
 *                   └───┘ failed             │
 *                   ▲────────────────────────┘
 *  from any state ──▶ DONE with the gateway's own answer, a cut once the response began, or the client gone
 *
 *  on an ingest route: FILTERING ──▶ INGESTING ──▶ DONE (202 once the store says the record is durable)
 *                                    (read the whole body, store it)
 * </pre>
 *
 * <p>This file is the state machine: the states, every event that can move an exchange (from the client connection,
 * the upstream connection and the deadline timer), every transition, and every way to DONE, each of which publishes
 * the exchange's one {@link Outcome}. The work between transitions is done in one file per job:
 * <ul>
 *   <li>{@link ExchangeFilters}: runs the filter chain, without a hop when filters decide at once;</li>
 *   <li>{@link ExchangeBody}: admits the request body (limits, {@code require_body}, {@code 100-continue}) and
 *       queues what arrives before an upstream is attached;</li>
 *   <li>{@link ExchangeDispatch}: picks an endpoint, connects or reuses a connection, and retries or fails over as
 *       {@link Retries} decides;</li>
 *   <li>{@link Headers}: rewrites the request and response heads between the two hops;</li>
 *   <li>{@link ExchangeStreaming}: streams both ways with backpressure: the side being written to decides when the
 *       other side reads again;</li>
 *   <li>{@link ExchangeIngest}: on an ingest route, reads the whole body, hands it to the {@link IngestTarget} and
 *       answers 202 when it is durable;</li>
 *   <li>{@link ExchangeAccounting}: publishes the outcome (bytes, times, attempts) and runs the filters' completion
 *       listeners.</li>
 * </ul>
 * A request's state stays in this one object, its fields grouped by the job that owns them, so that splitting the
 * work costs no allocation per request; the jobs are static methods over it.
 */
final class Exchange implements RequestContext {
    enum State { FILTERING, DISPATCHING, FORWARDING, INGESTING, DONE }

    /** A WebSocket upgrade the route tunnels ({@link WebSocketTunnel}): its 101 hands both connections over. */
    boolean upgrade;
    /** The Sec-WebSocket-Key the gateway made up for an RFC 8441 upgrade, whose accept it checks; else null. */
    String websocketKey;

    // ---- the request, fixed at its head (read by every job)
    final ProxyHandler owner;
    final ChannelHandlerContext ctx;
    final ProxyRuntime runtime;
    final GatewaySnapshot snapshot;
    /** The upstream pool of this exchange's event loop, which also keeps its counts. */
    final UpstreamPool pool;
    final GatewaySnapshot.RouteRuntime route;
    final HttpRequest request;
    final String path;
    final String query;
    final String requestId;
    /** The client: the connection's peer, or who a trusted proxy says it forwards for (server.trusted_proxies). */
    final String clientIp;
    /** The connection's peer, appended to X-Forwarded-For upstream; the client's unless a trusted proxy is between. */
    String peerIp;
    final String host;
    final long startNanos;
    final boolean clientKeepAlive;
    final boolean idempotent;
    final boolean chunkedRequest;
    /**
     * The client sent {@code TE: trailers} (gRPC clients do): hop-by-hop, so not forwarded as such, but an HTTP/2
     * upstream is told again ({@link H2cUpstreams}), since gRPC servers insist on it.
     */
    boolean clientAcceptsTrailers;
    final long declaredLength;

    private State state = State.FILTERING;

    // ---- body admission (ExchangeBody)
    boolean expectContinue;
    boolean requestComplete;
    long bodyBytes;
    /** Body bytes went upstream: the body cannot be replayed to another endpoint. */
    boolean bodySent;
    boolean awaitingFirstBody;
    /** The filters passed; dispatch waits for the first body byte of a chunked request on a require_body route. */
    boolean parkedForBody;
    /** Created for the first part that must wait: most requests stream or have no body. */
    ArrayDeque<HttpContent> queued;

    // ---- dispatch (ExchangeDispatch)
    /**
     * Waiting for a connection under {@code max_pending}: none idle to reuse, and every one {@code max_connections}
     * allows is open. {@link #slotWake} is its registration with the cluster.
     */
    boolean waitingForConnection;
    Runnable slotWake;
    /** The route's weighted cluster this request goes to ({@link RouteClusters}); -1 until picked. */
    int slot = -1;
    /** The cluster of the current attempt, holding its request slot: after a failover, not the route's. */
    Cluster cluster;
    Endpoint endpoint;
    UpstreamConnection upstream;
    boolean requestPermit;
    boolean requestStarted;
    /** Made at the first failed attempt that may be retried; most requests never need one. */
    Retries retries;
    int attempts;
    /** When the whole exchange must be over ({@link System#nanoTime}); 0 until dispatch starts it. */
    long deadlineNanos;
    long upstreamStartNanos;

    // ---- streaming (ExchangeStreaming)
    boolean responseStarted;
    boolean upstreamKeepAlive;
    boolean closeAfterResponse;
    int status;
    boolean waitingDownstreamWritable;
    boolean waitingUpstreamWritable;

    // ---- ingest (ExchangeIngest)
    /** The body read so far on an ingest route; null elsewhere and once handed over. */
    io.netty.buffer.CompositeByteBuf ingestBody;
    /** The record went to the store: a deadline now means the store did not answer in time. */
    boolean ingestSubmitted;
    /** The client's Idempotency-Key, checked when INGESTING starts. */
    Optional<String> ingestKey = Optional.empty();

    // ---- accounting (ExchangeAccounting)
    long responseBytes;
    long upstreamNanos;
    String upstreamFailureKind;
    String consumer;
    HttpHeaders extraResponseHeaders;
    List<CompletionListener> listeners;

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
        this.peerIp = clientIp;
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
    public Optional<java.security.cert.X509Certificate> clientCertificate() {
        return io.palisade.tls.TlsConnection.peerCertificate(ctx.channel());
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
    public String upstreamCluster() {
        Cluster chosen = ExchangeDispatch.chosen(this);
        return chosen == null ? "" : chosen.name();
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

    State state() {
        return state;
    }

    boolean isDone() {
        return state == State.DONE;
    }

    boolean requestComplete() {
        return requestComplete;
    }

    // ---------------------------------------------------------------- transitions

    /** Checks what can be decided from the head alone, then runs the filter chain (FILTERING). */
    void start() {
        if (ExchangeBody.admitHead(this) && WebSocketTunnel.admit(this)) {
            ExchangeFilters.run(this, 0);
        }
    }

    /** The filter chain let the request through, or a request parked for its first body byte got it. */
    void filtersPassed() {
        if (ExchangeBody.readyForDispatch(this)) {
            if (route.ingest() != null) {
                state = State.INGESTING;
                ExchangeIngest.start(this);
            } else {
                dispatch(null);
            }
        }
    }

    /** To DISPATCHING: an attempt, the first or a retry that avoids the endpoint that failed the last one. */
    void dispatch(Endpoint avoid) {
        state = State.DISPATCHING;
        ExchangeDispatch.dispatch(this, avoid);
    }

    /** DISPATCHING to FORWARDING: the attempt has its upstream connection. */
    void forwarding(UpstreamConnection c) {
        upstream = c;
        c.exchange = this;
        state = State.FORWARDING;
    }

    // ---------------------------------------------------------------- events from the client connection

    void onRequestContent(HttpContent content) {
        ExchangeBody.onContent(this, content);
    }

    void onDownstreamReadComplete() {
        ExchangeStreaming.onDownstreamReadComplete(this);
    }

    void onDownstreamWritable() {
        ExchangeStreaming.onDownstreamWritable(this);
    }

    /**
     * The protocol layer gave up on the request body; the handler has already let go of this exchange, and the
     * validator closes the connection (gracefully) after what is written now. Before a response began, the exchange
     * answers with {@code kind} itself, during the event (the validator's contract allows it), so the answer is
     * counted and logged with its bytes once; after, the client must see a cut. With the client gone, nobody is
     * answered.
     */
    void onRequestAborted(ErrorKind kind) {
        requestComplete = true;
        if (state == State.DONE) {
            return;
        }
        if (responseStarted) {
            abort(kind);
        } else if (!ctx.channel().isActive()) {
            stopUnfinished();
            complete(Outcome.Ending.CLIENT_GONE, 0, kind);
        } else {
            respondError(kind);
            ctx.flush(); // the handler let go of this exchange first, so exchangeDone does not flush for it
        }
    }

    /** The client went away: stop everything and free what the exchange holds. */
    void onDownstreamClosed() {
        if (state == State.DONE) {
            return;
        }
        stopUnfinished();
        complete(Outcome.Ending.CLIENT_GONE, 0, null);
    }

    // ---------------------------------------------------------------- events from the upstream connection

    void onUpstreamMessage(UpstreamConnection c, Object msg) {
        ExchangeStreaming.onUpstreamMessage(this, c, msg);
    }

    void onUpstreamReadComplete(UpstreamConnection c) {
        ExchangeStreaming.onUpstreamReadComplete(this, c);
    }

    void onUpstreamWritable(UpstreamConnection c) {
        ExchangeStreaming.onUpstreamWritable(this, c);
    }

    void onUpstreamClosed(UpstreamConnection c) {
        if (c != upstream || state != State.FORWARDING) {
            return;
        }
        if (!responseStarted) {
            ExchangeDispatch.upstreamFailed(this, Endpoint.FailureKind.RESET, "reset");
            if (ExchangeDispatch.tryRetry(this, false)) {
                return;
            }
            fail(ErrorKind.UPSTREAM_RESET);
        } else {
            abort(ErrorKind.UPSTREAM_RESET);
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

    // ---------------------------------------------------------------- the deadline

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
        if (state == State.INGESTING) {
            respondError(ingestSubmitted ? ErrorKind.INGEST_UNAVAILABLE : ErrorKind.BODY_TIMEOUT);
            return;
        }
        if (waitingForConnection) {
            // Still waiting for a connection: the upstream never saw the request, the cluster was at its limits.
            respondError(ErrorKind.UPSTREAM_OVERLOADED);
            return;
        }
        if (endpoint != null && state == State.FORWARDING) {
            ExchangeDispatch.upstreamFailed(this, Endpoint.FailureKind.TIMEOUT, "timeout");
        }
        fail(ErrorKind.UPSTREAM_TIMEOUT);
    }

    // ---------------------------------------------------------------- to DONE

    /** The last byte of the upstream's response was written to the client. */
    void finishResponse() {
        state = State.DONE;
        deadlineNanos = 0;
        boolean reusable = upstreamKeepAlive && requestComplete && (queued == null || queued.isEmpty());
        ExchangeDispatch.detachUpstream(this, reusable);
        if (!requestComplete) {
            closeAfterResponse = true;
        }
        complete(Outcome.Ending.ANSWERED, status, null);
        owner.exchangeDone(this, !closeAfterResponse);
    }

    /**
     * The upstream connection leaves the exchange for a tunnel: not back to the pool, not closed, its endpoint's
     * request over.
     */
    void handOverUpstream() {
        UpstreamConnection c = upstream;
        upstream = null;
        c.exchange = null;
        endpoint.onRequestEnd();
        waitingDownstreamWritable = false;
        waitingUpstreamWritable = false;
    }

    /**
     * The 101 (200 on an HTTP/2 stream) went to the client: the exchange is answered, and its connection (or stream)
     * belongs to a tunnel from now on.
     */
    void finishAsTunnel(int answered) {
        state = State.DONE;
        deadlineNanos = 0;
        complete(Outcome.Ending.ANSWERED, answered, null);
        owner.exchangeTunnelled(this);
    }

    /** Answers with {@code kind} if the response has not begun, otherwise cuts both connections. */
    void fail(ErrorKind kind) {
        if (responseStarted) {
            abort(kind);
        } else {
            respondError(kind);
        }
    }

    private void abort(ErrorKind kind) {
        stopUnfinished();
        complete(Outcome.Ending.CUT, status == 0 ? 502 : status, kind);
        owner.exchangeAborted(this);
    }

    void respondError(ErrorKind kind) {
        respondError(kind, ErrorResponses.RETRY_AFTER_SECONDS, null);
    }

    /** The gateway's own answer, with {@code extra} headers (a filter's, e.g. RateLimit) on it. */
    void respondError(ErrorKind kind, int retryAfterSeconds, HttpHeaders extra) {
        if (state == State.DONE) {
            return;
        }
        FullHttpResponse response = ErrorResponses.build(kind, requestId, ctx.alloc(), retryAfterSeconds);
        if (extra != null && !extra.isEmpty()) {
            response.headers().add(extra);
        }
        respondOwn(response, kind);
    }

    /**
     * Ends the exchange with a response the gateway made itself (an error's, or an ingest route's 202).
     *
     * @param kind the error it answers with, or null
     */
    void respondOwn(FullHttpResponse response, ErrorKind kind) {
        if (state == State.DONE) {
            response.release();
            return;
        }
        stopUnfinished();
        if (extraResponseHeaders != null) {
            response.headers().add(extraResponseHeaders);
        }
        if (request.method() == HttpMethod.HEAD) {
            response.content().clear();
        }
        // Filters decide on the head, before the decoder hands over the (empty) end of a body-less request: only a
        // body that may still be coming forces a close (the validator drops the rest of a body-less request).
        boolean bodyPending = !requestComplete && (chunkedRequest || declaredLength > 0);
        closeAfterResponse = (kind != null && kind.closesConnection()) || bodyPending || !clientKeepAlive
                || runtime.draining();
        if (closeAfterResponse) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        status = response.status().code();
        responseBytes = response.content().readableBytes();
        ctx.write(response, ctx.voidPromise());
        complete(Outcome.Ending.ANSWERED, status, kind);
        owner.exchangeDone(this, !closeAfterResponse);
    }

    /** Whether this exchange is queued for a connection that {@code e}'s would do. */
    boolean queuedFor(Endpoint e) {
        return waitingForConnection && endpoint.equals(e);
    }

    /** A connection of this loop, to its endpoint, that its last exchange released while this one was queued. */
    void takeConnection(UpstreamConnection c) {
        ExchangeDispatch.takeConnection(this, c);
    }

    /** Ends the exchange before its response completed: no deadline, no upstream (not reusable), no queued body. */
    private void stopUnfinished() {
        if (waitingForConnection) {
            ExchangeDispatch.leaveQueue(this);
        }
        state = State.DONE;
        deadlineNanos = 0; // the connection's timer finds nothing to do and goes idle
        ExchangeDispatch.detachUpstream(this, false);
        ExchangeBody.releaseQueued(this);
        ExchangeIngest.release(this);
    }

    /**
     * The one end of every exchange: gives back what dispatch holds, then publishes the outcome and runs the
     * completion listeners.
     *
     * @param error why the gateway answered with an error or cut the response, or null
     */
    private void complete(Outcome.Ending ending, int finalStatus, ErrorKind error) {
        ExchangeDispatch.release(this);
        ExchangeAccounting.end(this, ending, finalStatus, error);
    }
}
