package io.palisade.upstream.health;

import io.palisade.tls.ClientTls;
import io.palisade.error.Causes;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.ScheduledFuture;
import io.palisade.config.Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active HTTP health checks on an {@link EventLoopGroup}: every {@code interval} (±10% jitter, so checks of many
 * endpoints drift apart instead of arriving in bursts) each started {@link Check} sends
 * {@code GET <path> HTTP/1.1} with {@code Host} and {@code Connection: close} on a fresh connection; a 2xx or 3xx
 * status within {@code timeout} passes, anything else fails. The timeout bounds the whole check (DNS, connect,
 * request, response head) through the event loop's scheduler, and is also the connect timeout.
 *
 * <p>Nothing blocks: names are resolved by Netty's asynchronous DNS resolver, and each check lives on one event loop,
 * so its state needs no locks. The next check is scheduled when the previous one ends, so checks of one endpoint never
 * overlap. Results go to the check's listener on that event loop; a listener that throws is logged, and checking goes
 * on.
 *
 * <pre>{@code
 * ActiveHealthChecker checker = ActiveHealthChecker.create(group);
 * ActiveHealthChecker.Check check = checker.start(address, config, r -> tracker.record(r.passed(), 2, 3));
 * ...
 * check.close();
 * checker.close();
 * }</pre>
 */
public final class ActiveHealthChecker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ActiveHealthChecker.class);
    private static final String USER_AGENT = "palisade-health-check";

    private final EventLoopGroup group;
    private final Bootstrap template;
    private final Optional<AddressResolverGroup<?>> ownedResolver;
    private final Set<Check> checks = ConcurrentHashMap.newKeySet();
    private boolean closed; // guarded by this

    private ActiveHealthChecker(EventLoopGroup group, Class<? extends SocketChannel> channelType,
                                AddressResolverGroup<? extends SocketAddress> resolver, boolean ownsResolver) {
        this.group = group;
        this.template = new Bootstrap()
                .channel(channelType)
                .resolver(resolver)
                .option(ChannelOption.TCP_NODELAY, true);
        this.ownedResolver = ownsResolver ? Optional.of(resolver) : Optional.empty();
    }

    /**
     * A checker on an NIO event loop group, with its own asynchronous DNS resolver (closed with the checker).
     *
     * @throws IllegalArgumentException when {@code group} is not an NIO group; use the other factory for epoll
     */
    public static ActiveHealthChecker create(EventLoopGroup group) {
        if (!(group instanceof IoEventLoopGroup io && io.isIoType(NioIoHandler.class))) {
            throw new IllegalArgumentException("not an NIO event loop group (pass the channel type and resolver): "
                    + group);
        }
        DnsAddressResolverGroup resolver = new DnsAddressResolverGroup(
                new DnsNameResolverBuilder().datagramChannelType(NioDatagramChannel.class));
        return new ActiveHealthChecker(group, NioSocketChannel.class, resolver, true);
    }

    /**
     * A checker for any transport: {@code channelType} must match {@code group} (for example
     * {@code EpollSocketChannel} on an epoll group), and {@code resolver} is shared (for example with the connection
     * pool) and closed by the caller.
     */
    public static ActiveHealthChecker create(EventLoopGroup group, Class<? extends SocketChannel> channelType,
                                             AddressResolverGroup<? extends SocketAddress> resolver) {
        return new ActiveHealthChecker(Objects.requireNonNull(group, "group"),
                Objects.requireNonNull(channelType, "channelType"), Objects.requireNonNull(resolver, "resolver"),
                false);
    }

    /**
     * Starts checking {@code address}; the first check runs within a tenth of the interval.
     *
     * @param listener gets every result, on the check's event loop; keep it short and non-blocking
     * @throws IllegalStateException when this checker is closed
     */
    public synchronized Check start(Address address, HealthCheckConfig config, Consumer<ProbeResult> listener) {
        return start(address, config, Optional.empty(), listener);
    }

    /** As {@link #start(Address, HealthCheckConfig, Consumer)}, over TLS when {@code tls} is present. */
    public synchronized Check start(Address address, HealthCheckConfig config, Optional<ClientTls> tls,
                                    Consumer<ProbeResult> listener) {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(listener, "listener");
        if (closed) {
            throw new IllegalStateException("health checker is closed");
        }
        EventLoop loop = group.next();
        Check check = new Check(loop, template.clone(loop), address, config, tls, listener);
        checks.add(check);
        long interval = Math.max(1, config.interval().toNanos());
        check.begin(ThreadLocalRandom.current().nextLong(interval / 10 + 1));
        return check;
    }

    /** Stops every check and closes the resolver if this checker created it. Does not touch the event loop group. */
    @Override
    public synchronized void close() {
        closed = true;
        for (Check check : checks) {
            check.close();
        }
        ownedResolver.ifPresent(AddressResolverGroup::close);
    }

    /**
     * The periodic check of one endpoint. {@link #close()} may be called from any thread; everything else runs on
     * the check's event loop.
     */
    public final class Check implements AutoCloseable {
        private final EventLoop loop;
        private final Bootstrap bootstrap;
        private final Address address;
        private final HealthCheckConfig config;
        private final Consumer<ProbeResult> listener;
        private final Optional<ClientTls> tls;
        private final long timeoutNanos;
        private volatile boolean stopped;
        private ScheduledFuture<?> next; // event loop only
        private Probe current; // event loop only

        private Check(EventLoop loop, Bootstrap bootstrap, Address address, HealthCheckConfig config,
                      Optional<ClientTls> tls, Consumer<ProbeResult> listener) {
            this.loop = loop;
            this.tls = tls;
            this.timeoutNanos = Math.max(1, config.timeout().toNanos());
            int connectMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, config.timeout().toMillis()));
            this.bootstrap = bootstrap.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectMillis);
            this.address = address;
            this.config = config;
            this.listener = listener;
        }

        public Address address() {
            return address;
        }

        public HealthCheckConfig config() {
            return config;
        }

        /** Stops checking; a check in flight is abandoned without a result. Idempotent, any thread. */
        @Override
        public void close() {
            stopped = true;
            checks.remove(this);
            try {
                loop.execute(this::cancelOnLoop);
            } catch (RejectedExecutionException e) {
                // The event loop is shutting down and takes its timers and channels with it.
            }
        }

        private void cancelOnLoop() {
            if (next != null) {
                next.cancel(false);
            }
            if (current != null) {
                current.abandon();
            }
        }

        private void begin(long delayNanos) {
            try {
                loop.execute(() -> scheduleNext(delayNanos));
            } catch (RejectedExecutionException e) {
                stopped = true; // the event loop is shutting down: nothing to check with
            }
        }

        private void scheduleNext(long delayNanos) {
            if (stopped) {
                return;
            }
            try {
                next = loop.schedule(this::probe, delayNanos, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                stopped = true;
            }
        }

        private long jitteredInterval() {
            long interval = Math.max(1, config.interval().toNanos());
            long jitter = interval / 10;
            return interval - jitter + ThreadLocalRandom.current().nextLong(2 * jitter + 1);
        }

        private void probe() {
            if (stopped) {
                return;
            }
            Probe probe = new Probe();
            current = probe;
            probe.deadline = loop.schedule(
                    () -> probe.finish(false, "timed out after " + config.timeout().toMillis() + " ms"),
                    timeoutNanos, TimeUnit.NANOSECONDS);
            ChannelFuture connect = bootstrap.clone()
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            // Over TLS the request waits in the SslHandler until the handshake is done; a failed
                            // handshake closes the channel and fails the probe.
                            tls.ifPresent(t -> ch.pipeline().addLast(t.newHandler(ch.alloc(), address.host(),
                                    address.port(), config.timeout())));
                            ch.pipeline().addLast(new HttpClientCodec(), new ProbeHandler(probe));
                        }
                    })
                    .connect(InetSocketAddress.createUnresolved(address.host(), address.port()));
            probe.channel = connect.channel();
            connect.addListener((ChannelFuture f) -> {
                if (!f.isSuccess()) {
                    probe.finish(false, "connect failed: " + Causes.describe(f.cause()));
                    return;
                }
                f.channel().writeAndFlush(request()).addListener((ChannelFuture w) -> {
                    if (!w.isSuccess()) {
                        probe.finish(false, "write failed: " + Causes.describe(w.cause()));
                    }
                });
            });
        }

        private FullHttpRequest request() {
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, config.path(),
                    Unpooled.EMPTY_BUFFER);
            request.headers()
                    .set(HttpHeaderNames.HOST, address.toString())
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                    .set(HttpHeaderNames.USER_AGENT, USER_AGENT)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
            return request;
        }

        private void deliver(ProbeResult result) {
            if (stopped) {
                return;
            }
            try {
                listener.accept(result);
            } catch (RuntimeException e) {
                LOG.warn("health check listener failed for {}", address, e);
            }
            scheduleNext(jitteredInterval());
        }

        /** One check: one connection, one request, one verdict. Event loop only. */
        private final class Probe {
            private Channel channel;
            private ScheduledFuture<?> deadline;
            private boolean done;

            void finish(boolean passed, String detail) {
                if (done) {
                    return;
                }
                done = true;
                release();
                deliver(new ProbeResult(passed, detail));
            }

            void abandon() {
                if (!done) {
                    done = true;
                    release();
                }
            }

            private void release() {
                if (deadline != null) {
                    deadline.cancel(false);
                }
                if (channel != null) {
                    channel.close();
                }
            }
        }

        private final class ProbeHandler extends SimpleChannelInboundHandler<HttpObject> {
            private final Probe probe;

            ProbeHandler(Probe probe) {
                this.probe = probe;
            }

            @Override
            protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
                if (msg.decoderResult().isFailure()) {
                    probe.finish(false, "invalid response: " + Causes.describe(msg.decoderResult().cause()));
                    return;
                }
                if (msg instanceof HttpResponse response) {
                    int code = response.status().code();
                    if (code >= 200) { // 1xx are interim; the final status follows
                        probe.finish(code < 400, "status " + code);
                    }
                }
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) throws Exception {
                probe.finish(false, "connection closed before a response");
                super.channelInactive(ctx);
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                probe.finish(false, Causes.describe(cause));
            }
        }
    }

}
