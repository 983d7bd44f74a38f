package io.palisade.ingest;

import io.palisade.error.Causes;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.palisade.config.Address;
import io.palisade.ingest.DeliveryResult.Failure;
import io.palisade.server.Transport;
import io.palisade.store.IngestLog;
import io.palisade.upstream.Timeouts;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends one stored record to one endpoint over HTTP/1.1 and reports what came of it: the status and any
 * {@code Retry-After}, or why there was none. One per ingest route, with its own event loop thread, DNS resolver and
 * keep-alive connections, so a sick cluster's connections and timers never touch another route's.
 *
 * <p><b>Why Netty and not the JDK's HttpClient.</b> The JDK client takes a {@link java.net.URI}, which cannot carry
 * what delivery must: an endpoint host with an underscore (the config and the proxy accept {@code my_service:8080};
 * the JDK client refuses it as an "unsupported URI"), or a stored request target with characters {@code URI} refuses
 * but the gateway accepted ({@code {}, {@code |}, {@code "}, {@code ^}, brackets in the path, a stray {@code %}), which
 * would have to be re-encoded rather than sent as stored. It also adds a {@code User-Agent} of its own and its request
 * timeout stops at the response headers. Here the request line, headers and body are exactly the stored ones.
 *
 * <p><b>What is sent.</b> The stored method, {@code path?query} and body as they are; the stored headers but for
 * those that describe the connection or the framing, which are this hop's ({@code Host}, {@code Connection},
 * {@code Content-Length}, {@code Transfer-Encoding}, {@code Expect}, {@code Upgrade}, {@code Keep-Alive}, {@code TE},
 * {@code Trailer}, {@code Proxy-Connection}); {@code Host} names the endpoint; {@code Content-Length} is always sent
 * ({@code 0} for an empty body); {@code Idempotency-Key} is the record id, replacing any stored one, so an upstream
 * can drop a record delivered twice (after a lost answer, or a restart with attempts in flight). As on proxied
 * requests, {@code X-Consumer-Id} names the record's consumer and no stored {@code X-Consumer-*} header is sent.
 *
 * <p><b>Deadlines.</b> The cluster's {@code timeouts.connect} bounds the TCP connect, and {@code timeouts.request} the
 * whole exchange from the attempt's start (name resolution and connect included) up to the response head; the result is reported at the response head,
 * and the rest of the body is read (and dropped) under the same deadline so the connection can be reused, or the
 * connection is closed. An idle kept-alive connection is closed after {@code timeouts.idle}. A kept-alive connection
 * that the upstream closed just as it was reused (nothing came back on it) is replaced by a fresh one once, within
 * the same attempt.
 *
 * <p>{@link #send} may be called from any thread; the future completes on this client's event loop, so what runs on
 * it must be short and must not block.
 */
final class DeliveryClient implements AutoCloseable {
    /** Headers of the stored request that belong to the client's connection, or that this client sets itself. */
    private static final Set<String> NOT_COPIED = Set.of("host", "connection", "content-length", "transfer-encoding",
            "expect", "upgrade", "keep-alive", "te", "trailer", "proxy-connection", "idempotency-key");
    static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    /**
     * As the proxy does ({@code auth.AuthHeaders}): upstreams trust {@code X-Consumer-*} to name the caller, so only
     * the gateway sets them; a stored one (a client's) is never sent, and {@code X-Consumer-Id} is the record's
     * consumer, when the request had one.
     */
    static final String CONSUMER_PREFIX = "x-consumer-";
    static final String CONSUMER_ID = "X-Consumer-Id";

    private final EventLoopGroup group;
    private final EventLoop loop;
    private final DnsAddressResolverGroup resolver;
    private final Bootstrap template;
    /** Kept-alive connections by endpoint, the most recently used last. Event loop only. */
    private final Map<Address, ArrayDeque<Conn>> idle = new HashMap<>();
    /** Exchanges started and not yet ended (their connection released or closed). */
    private final AtomicInteger exchanges = new AtomicInteger();
    private final AtomicBoolean terminated = new AtomicBoolean();
    private volatile boolean closed;

    /**
     * A client whose event loop thread is named {@code palisade-ingest-http-<route>-...}, on the process's transport
     * (io_uring or epoll where the machine has them, as the proxy's upstream connections): on NIO the event loop spent
     * about a third more CPU per delivery.
     */
    DeliveryClient(String route) {
        Transport transport = Transport.detect();
        this.group = transport.newGroup(1, "palisade-ingest-http-" + route);
        this.loop = group.next();
        this.resolver = new DnsAddressResolverGroup(
                new DnsNameResolverBuilder().datagramChannelType(transport.datagramChannel()));
        this.template = new Bootstrap().group(loop).channel(transport.clientChannel()).resolver(resolver)
                .option(ChannelOption.TCP_NODELAY, true);
    }

    /**
     * Delivers {@code record} to {@code address}. The future never fails: every outcome is a {@link DeliveryResult}.
     */
    CompletableFuture<DeliveryResult> send(Address address, Timeouts timeouts, IngestLog.Pending record) {
        if (closed) {
            return CompletableFuture.completedFuture(DeliveryResult.failed(Failure.UNAVAILABLE, "forwarder closed"));
        }
        HttpHeaders headers;
        HttpMethod method;
        try {
            method = HttpMethod.valueOf(record.method());
            headers = headers(address, record);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(DeliveryResult.failed(Failure.UNSENDABLE, String.valueOf(
                    e.getMessage())));
        }
        Exchange ex = new Exchange(address, timeouts, method, target(record.path(), record.query()), headers,
                record.body());
        exchanges.incrementAndGet();
        try {
            loop.execute(() -> start(ex));
        } catch (RejectedExecutionException e) {
            exchanges.decrementAndGet();
            return CompletableFuture.completedFuture(DeliveryResult.failed(Failure.UNAVAILABLE, "forwarder closed"));
        }
        return ex.result;
    }

    /** The request target as stored: {@code path} (or {@code /}) and, when there is one, {@code ?query}. */
    static String target(String path, String query) {
        String p = path.isEmpty() ? "/" : path;
        return query.isEmpty() ? p : p + "?" + query;
    }

    /** The headers to send (see the class comment); names and values are checked, and refused with an exception. */
    static HttpHeaders headers(Address address, IngestLog.Pending record) {
        HttpHeaders h = DefaultHttpHeadersFactory.headersFactory().withValidation(true).newHeaders();
        h.set(HttpHeaderNames.HOST, address.toString());
        for (IngestLog.Header header : record.headers()) {
            String name = header.name().toLowerCase(Locale.ROOT);
            if (!NOT_COPIED.contains(name) && !name.startsWith(CONSUMER_PREFIX)) {
                h.add(header.name(), header.value());
            }
        }
        record.consumer().ifPresent(consumer -> h.set(CONSUMER_ID, consumer));
        h.set(IDEMPOTENCY_KEY, record.id());
        h.setInt(HttpHeaderNames.CONTENT_LENGTH, record.body().length);
        return h;
    }

    /**
     * Stops taking work and closes idle connections; exchanges in flight run to their end (each is bounded by its
     * deadline), then the event loop and resolver stop. Does not wait. Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        try {
            loop.execute(() -> {
                for (ArrayDeque<Conn> conns : idle.values()) {
                    for (Conn c : conns) {
                        c.channel.close();
                    }
                }
                idle.clear();
                terminateIfIdle();
            });
        } catch (RejectedExecutionException e) {
            // Already stopped.
        }
    }

    /** Completes when the event loop has stopped (after {@link #close()} and the last exchange). */
    CompletableFuture<Void> terminated() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        group.terminationFuture().addListener(f -> done.complete(null));
        return done;
    }

    private void terminateIfIdle() {
        if (closed && exchanges.get() == 0 && terminated.compareAndSet(false, true)) {
            resolver.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    // ---- on the event loop ---------------------------------------------------------------------------------------

    private void start(Exchange ex) {
        ex.deadline = loop.schedule(ex::timedOut, Math.max(1, nanos(ex.timeouts.request())), TimeUnit.NANOSECONDS);
        Conn c = pollIdle(ex.address);
        if (c != null) {
            ex.reused = true;
            attach(ex, c);
        } else {
            connect(ex);
        }
    }

    private Conn pollIdle(Address address) {
        ArrayDeque<Conn> conns = idle.get(address);
        while (conns != null && !conns.isEmpty()) {
            Conn c = conns.pollLast();
            if (c.idleTimer != null) {
                c.idleTimer.cancel(false);
                c.idleTimer = null;
            }
            if (c.channel.isActive()) {
                return c;
            }
        }
        return null;
    }

    private void connect(Exchange ex) {
        Conn conn = new Conn(ex.address);
        long connectMillis = Math.max(1, Math.min(Integer.MAX_VALUE, ex.timeouts.connect().toMillis()));
        ChannelFuture f = template.clone()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectMillis)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new ResponseHandler(conn));
                    }
                })
                .connect(InetSocketAddress.createUnresolved(ex.address.host(), ex.address.port()));
        conn.channel = f.channel();
        conn.current = ex;
        ex.conn = conn;
        f.addListener((ChannelFuture done) -> {
            if (ex.conn != conn || ex.ended) {
                done.channel().close();
                return;
            }
            if (!done.isSuccess()) {
                ex.fail(Failure.CONNECT_FAILED, connectError(done.cause(), connectMillis));
                return;
            }
            write(ex, conn);
        });
    }

    private void attach(Exchange ex, Conn conn) {
        conn.current = ex;
        conn.anythingRead = false;
        conn.cause = null;
        ex.conn = conn;
        write(ex, conn);
    }

    private void write(Exchange ex, Conn conn) {
        conn.channel.writeAndFlush(ex.request()).addListener((ChannelFuture w) -> {
            if (!w.isSuccess()) {
                conn.cause = Causes.describe(w.cause());
                w.channel().close(); // channelInactive decides: a fresh connection, or a broken attempt
            }
        });
    }

    /** The exchange on {@code conn} read its whole response: the connection is kept for the next, or closed. */
    private void released(Exchange ex, Conn conn, boolean keepAlive) {
        conn.current = null;
        ex.end();
        if (keepAlive && !closed && conn.channel.isActive()) {
            long idleNanos = Math.max(1, nanos(ex.timeouts.idle()));
            conn.idleTimer = loop.schedule(() -> {
                if (conn.current == null) {
                    ArrayDeque<Conn> conns = idle.get(conn.address);
                    if (conns != null) {
                        conns.remove(conn);
                    }
                    conn.channel.close();
                }
            }, idleNanos, TimeUnit.NANOSECONDS);
            idle.computeIfAbsent(conn.address, a -> new ArrayDeque<>()).addLast(conn);
        } else {
            conn.channel.close();
        }
    }

    /** The connection of {@code conn} closed. */
    private void closedConnection(Conn conn) {
        if (conn.idleTimer != null) {
            conn.idleTimer.cancel(false);
            conn.idleTimer = null;
        }
        Exchange ex = conn.current;
        conn.current = null;
        if (ex == null) {
            ArrayDeque<Conn> conns = idle.get(conn.address);
            if (conns != null) {
                conns.remove(conn);
                if (conns.isEmpty()) {
                    idle.remove(conn.address);
                }
            }
            return;
        }
        if (ex.conn != conn) {
            return;
        }
        if (ex.resultSent) {
            ex.end(); // the answer was reported; only the rest of its body was lost
            return;
        }
        if (ex.reused && !conn.anythingRead && !ex.ended && !closed) {
            // A kept-alive connection the upstream had closed as it was reused: one fresh connection, same attempt.
            ex.reused = false;
            connect(ex);
            return;
        }
        ex.fail(Failure.RESET, conn.cause != null ? conn.cause : "connection closed before a response");
    }

    /** One keep-alive connection to one endpoint. Event loop only. */
    private static final class Conn {
        final Address address;
        Channel channel;
        Exchange current;
        ScheduledFuture<?> idleTimer;
        boolean anythingRead;
        String cause;

        Conn(Address address) {
            this.address = address;
        }
    }

    /** One attempt: its request, its deadline, its result. Event loop only, but for the result future. */
    private final class Exchange {
        final Address address;
        final Timeouts timeouts;
        final HttpMethod method;
        final String target;
        final HttpHeaders headers;
        final byte[] body;
        final CompletableFuture<DeliveryResult> result = new CompletableFuture<>();
        ScheduledFuture<?> deadline;
        Conn conn;
        boolean reused;
        /** A final status was seen; the body is being read so the connection can be reused. */
        boolean resultSent;
        boolean interim;
        boolean ended;

        Exchange(Address address, Timeouts timeouts, HttpMethod method, String target, HttpHeaders headers,
                 byte[] body) {
            this.address = address;
            this.timeouts = timeouts;
            this.method = method;
            this.target = target;
            this.headers = headers;
            this.body = body;
        }

        FullHttpRequest request() {
            FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, target,
                    body.length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
            r.headers().set(headers);
            return r;
        }

        void answer(int status, Optional<String> retryAfter) {
            if (!resultSent && !ended) {
                resultSent = true;
                result.complete(DeliveryResult.answered(status, retryAfter));
            }
        }

        void fail(Failure failure, String error) {
            if (!resultSent) {
                resultSent = true;
                result.complete(DeliveryResult.failed(failure, error));
            }
            Conn c = conn;
            end();
            if (c != null) {
                c.current = null;
                c.channel.close();
            }
        }

        void timedOut() {
            deadline = null;
            if (ended) {
                return;
            }
            // After the answer only the rest of its body is cut, and the answer stands.
            fail(Failure.TIMEOUT, "no response within " + shortDuration(timeouts.request()));
        }

        void end() {
            if (ended) {
                return;
            }
            ended = true;
            if (deadline != null) {
                deadline.cancel(false);
                deadline = null;
            }
            if (!resultSent) {
                resultSent = true;
                result.complete(DeliveryResult.failed(Failure.RESET, "connection closed before a response"));
            }
            exchanges.decrementAndGet();
            terminateIfIdle();
        }
    }

    /** Reads responses of one connection: the status of the exchange on it, then drops the body. */
    private final class ResponseHandler extends ChannelInboundHandlerAdapter {
        private final Conn conn;
        private boolean keepAlive;

        ResponseHandler(Conn conn) {
            this.conn = conn;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                conn.anythingRead = true;
                Exchange ex = conn.current;
                if (ex == null || !(msg instanceof HttpObject object)) {
                    ctx.close(); // bytes nobody asked for: the connection cannot be trusted with the next request
                    return;
                }
                if (object.decoderResult().isFailure()) {
                    conn.cause = "invalid response: " + Causes.describe(object.decoderResult().cause());
                    ctx.close();
                    return;
                }
                if (msg instanceof HttpResponse response) {
                    int code = response.status().code();
                    if (code < 200 && code != 101) {
                        ex.interim = true; // 100, 102, 103: the final status follows
                    } else {
                        ex.interim = false;
                        keepAlive = HttpUtil.isKeepAlive(response) && code != 101;
                        ex.answer(code, Optional.ofNullable(response.headers().get(HttpHeaderNames.RETRY_AFTER)));
                    }
                }
                if (msg instanceof LastHttpContent) {
                    if (ex.interim) {
                        ex.interim = false;
                    } else if (ex.resultSent) {
                        released(ex, conn, keepAlive);
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            closedConnection(conn);
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            conn.cause = Causes.describe(cause);
            ctx.close();
        }
    }

    private static String connectError(Throwable cause, long connectMillis) {
        if (cause instanceof io.netty.channel.ConnectTimeoutException) {
            return "connect timeout after " + connectMillis + "ms";
        }
        if (cause instanceof UnknownHostException || cause != null && cause.getCause() instanceof UnknownHostException) {
            return "cannot resolve: " + Causes.describe(cause);
        }
        return "connect failed: " + Causes.describe(cause);
    }


    /** {@code 5s}, {@code 250ms}. */
    static String shortDuration(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    private static long nanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }
}
