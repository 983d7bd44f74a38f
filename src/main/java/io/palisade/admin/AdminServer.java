package io.palisade.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.palisade.config.Address;
import io.palisade.config.ConfigException;
import io.palisade.time.Ticker;
import io.palisade.tls.HandshakeListener;
import io.palisade.tls.ServerTls;
import io.palisade.tls.TlsFileException;
import io.palisade.tls.TlsSettings;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.LoggerFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The admin HTTP server: the probes ({@code /healthz}, {@code /readyz}, {@code /metrics}), the live view
 * ({@code /config}, {@code /clusters}), {@code POST /config/reload}, and the release API of the {@link ReleaseApi}
 * (docs/admin-api.md). It runs on its own event loop group with its own port, so it keeps answering while the data
 * side is saturated (seed 002: monitoring must not go blind with the thing it monitors).
 *
 * <p>With {@code admin.token_file}, every call but the probes needs the bearer token, read once here: a new token
 * takes a restart. Without it, reads are open and changes ({@code POST}) are accepted only over loopback.
 *
 * <pre>{@code
 * AdminServer admin = AdminServer.start(config.admin(), adminGroup, serverChannelClass, backend, releases, ticker);
 * int port = admin.port();
 * }</pre>
 */
public final class AdminServer implements AutoCloseable {
    /** The largest request body: a config YAML with room to spare. */
    public static final int MAX_REQUEST_BODY = 1024 * 1024;
    /** The handshake deadline of a TLS admin port: admin clients are few and near. */
    static final Duration TLS_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    private final Channel channel;
    private final Optional<ServerTls> tls;

    private AdminServer(Channel channel, Optional<ServerTls> tls) {
        this.channel = channel;
        this.tls = tls;
    }

    /**
     * @param ticker the time of the failed-token-attempt windows
     * @throws ConfigException      when {@code admin.token_file} cannot be read or holds no usable token
     * @throws UncheckedIOException when the address cannot be bound (in use, not local)
     */
    public static AdminServer start(AdminConfig config, EventLoopGroup group,
                                    Class<? extends ServerSocketChannel> channelClass, AdminBackend backend,
                                    ReleaseApi releases, Ticker ticker) throws InterruptedException {
        return start(config, group, channelClass, backend, releases, IngestApi.none(), ticker);
    }

    /** As {@link #start(AdminConfig, EventLoopGroup, Class, AdminBackend, ReleaseApi, Ticker)}, with /ingest. */
    public static AdminServer start(AdminConfig config, EventLoopGroup group,
                                    Class<? extends ServerSocketChannel> channelClass, AdminBackend backend,
                                    ReleaseApi releases, IngestApi ingest, Ticker ticker)
            throws InterruptedException {
        return start(config, group, channelClass, backend, releases, ingest, AlertApi.none(), ticker);
    }

    /** As {@link #start(AdminConfig, EventLoopGroup, Class, AdminBackend, ReleaseApi, IngestApi, Ticker)}, with /alerts. */
    public static AdminServer start(AdminConfig config, EventLoopGroup group,
                                    Class<? extends ServerSocketChannel> channelClass, AdminBackend backend,
                                    ReleaseApi releases, IngestApi ingest, AlertApi alerts, Ticker ticker)
            throws InterruptedException {
        return start(config, group, channelClass, backend, releases, ingest, alerts, IncidentApi.none(), ticker);
    }

    /** As the others, with {@code /incidents} and {@code /maintenances}. */
    public static AdminServer start(AdminConfig config, EventLoopGroup group,
                                    Class<? extends ServerSocketChannel> channelClass, AdminBackend backend,
                                    ReleaseApi releases, IngestApi ingest, AlertApi alerts, IncidentApi incidents,
                                    Ticker ticker) throws InterruptedException {
        return start(config, group, channelClass, backend, releases, ingest, alerts, incidents, ticker,
                HandshakeListener.NONE);
    }

    /**
     * As the others; with {@code admin.tls}, the port speaks only TLS and {@code handshakes} hears how each handshake
     * ended.
     *
     * @throws ConfigException also when a certificate, key or CA file of {@code admin.tls} cannot serve
     */
    public static AdminServer start(AdminConfig config, EventLoopGroup group,
                                    Class<? extends ServerSocketChannel> channelClass, AdminBackend backend,
                                    ReleaseApi releases, IngestApi ingest, AlertApi alerts, IncidentApi incidents,
                                    Ticker ticker, HandshakeListener handshakes) throws InterruptedException {
        return start(config, group, channelClass, backend, releases, ingest, alerts, incidents, ticker, handshakes,
                Optional.empty());
    }

    /**
     * As the others; {@code acceptor} goes on the listening socket's pipeline (the gateway's pause-and-log-once when
     * accepting fails at the open file limit, as on its data listeners).
     */
    public static AdminServer start(AdminConfig config, EventLoopGroup group,
                                    Class<? extends ServerSocketChannel> channelClass, AdminBackend backend,
                                    ReleaseApi releases, IngestApi ingest, AlertApi alerts, IncidentApi incidents,
                                    Ticker ticker, HandshakeListener handshakes, Optional<ChannelHandler> acceptor)
            throws InterruptedException {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(incidents, "incidents");
        Objects.requireNonNull(releases, "releases");
        Objects.requireNonNull(ingest, "ingest");
        Objects.requireNonNull(alerts, "alerts");
        Objects.requireNonNull(ticker, "ticker");
        Pipeline pipeline = new Pipeline(backend, releases, ingest, alerts, incidents, readToken(config.tokenFile()),
                !config.loopbackOnly(), ticker);
        Optional<ServerTls> tls = config.tls().isEmpty() ? Optional.empty() : Optional.of(tls(config.tls().get()));
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(channelClass)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        tls.ifPresent(t -> t.install(ch.pipeline(), TLS_HANDSHAKE_TIMEOUT, handshakes));
                        pipeline.install(ch.pipeline());
                    }
                });
        acceptor.ifPresent(b::handler);
        Address address = config.address();
        ChannelFuture bound = b.bind(new InetSocketAddress(address.host(), address.port())).await();
        if (!bound.isSuccess()) {
            Throwable cause = bound.cause();
            throw new UncheckedIOException(cause instanceof IOException e ? e : new IOException(cause));
        }
        return new AdminServer(bound.channel(), tls);
    }

    private static ServerTls tls(TlsSettings settings) {
        try {
            // No HTTP/2 on the admin port: ALPN offers http/1.1 only.
            return ServerTls.create("admin.tls", settings, Optional.empty(), Clock.systemUTC());
        } catch (TlsFileException e) {
            throw new ConfigException(List.of(e.describe("admin.tls")));
        }
    }

    /** The admin port's TLS, for the certificate watcher; empty on a plain admin port. */
    public Optional<ServerTls> tls() {
        return tls;
    }

    /**
     * New handshakes use {@code settings} (a config reload); a file that cannot serve is logged and the certificates
     * serving now stay. Runs on the caller's thread (it reads files): not an event loop.
     */
    public void reloadTls(TlsSettings settings) {
        if (tls.isEmpty()) {
            return;
        }
        try {
            tls.get().reload(settings);
        } catch (TlsFileException e) {
            LoggerFactory.getLogger(AdminServer.class).warn("{} (the previous certificates stay)",
                    e.describe("admin.tls"));
        }
    }

    private static Optional<String> readToken(Optional<Path> file) {
        if (file.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(AdminToken.read(file.get()));
        } catch (AdminToken.Unusable e) {
            throw new ConfigException(List.of("admin.token_file: " + e.getMessage()));
        }
    }

    /** What every admin connection shares (the token, the failed-attempt windows), and its handlers. */
    static final class Pipeline {
        private final AdminBackend backend;
        private final AdminAuth auth;
        private final Refusals refusals;
        private final ReleaseRoutes routes;
        private final IngestRoutes ingest;
        private final AlertApi alerts;
        private final IncidentRoutes incidents;

        /** @param reachable the admin address is not loopback-only: {@code /metrics} needs the token too */
        Pipeline(AdminBackend backend, ReleaseApi releases, IngestApi ingest, AlertApi alerts, IncidentApi incidents,
                 Optional<String> token, boolean reachable, Ticker ticker) {
            this.backend = backend;
            this.auth = new AdminAuth(token, reachable && token.isPresent(), ticker);
            this.refusals = new Refusals(releases, ticker);
            this.routes = new ReleaseRoutes(releases, refusals);
            this.ingest = new IngestRoutes(ingest, refusals);
            this.alerts = alerts;
            this.incidents = new IncidentRoutes(incidents, refusals);
        }

        Pipeline(AdminBackend backend, ReleaseApi releases, IngestApi ingest, AlertApi alerts, IncidentApi incidents,
                 Optional<String> token, Ticker ticker) {
            this(backend, releases, ingest, alerts, incidents, token, false, ticker);
        }

        Pipeline(AdminBackend backend, ReleaseApi releases, IngestApi ingest, AlertApi alerts, Optional<String> token,
                 Ticker ticker) {
            this(backend, releases, ingest, alerts, IncidentApi.none(), token, ticker);
        }

        Pipeline(AdminBackend backend, ReleaseApi releases, IngestApi ingest, Optional<String> token, Ticker ticker) {
            this(backend, releases, ingest, AlertApi.none(), token, ticker);
        }

        Pipeline(AdminBackend backend, ReleaseApi releases, Optional<String> token, Ticker ticker) {
            this(backend, releases, IngestApi.none(), token, ticker);
        }

        void install(ChannelPipeline p) {
            p.addLast("read-timeout", new ReadTimeoutHandler(30))
                    .addLast("codec", new HttpServerCodec())
                    .addLast("aggregate", new AdminAggregator(MAX_REQUEST_BODY, auth, refusals))
                    .addLast("admin", new AdminHandler(backend, auth, refusals, routes, ingest, alerts,
                            incidents));
        }
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
    }
}
