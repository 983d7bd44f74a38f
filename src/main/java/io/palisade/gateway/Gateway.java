package io.palisade.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.EventExecutor;
import io.palisade.admin.AdminBackend;
import io.palisade.admin.AdminServer;
import io.palisade.config.Address;
import io.palisade.config.ConfigException;
import io.palisade.config.ConfigLoader;
import io.palisade.config.GatewayConfig;
import io.palisade.config.ListenerConfig;
import io.palisade.config.ReloadResult;
import io.palisade.metrics.GatewayMetrics;
import io.palisade.proxy.AccessLog;
import io.palisade.proxy.GatewaySnapshot;
import io.palisade.proxy.ProxyRuntime;
import io.palisade.server.ConnectionLimiter;
import io.palisade.server.ProtocolHandlers;
import io.palisade.server.Transport;
import io.palisade.time.Ticker;
import io.palisade.upstream.Cluster;
import io.palisade.upstream.ClusterManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running gateway: data listeners, the admin port, clusters with their health checks, and the live config snapshot.
 *
 * <p>Threads: {@code server.worker_threads} data event loops, each accepting its share of the connections on its own
 * listening socket (SO_REUSEPORT; with NIO, one acceptor thread hands them out instead) and serving them, upstream
 * connections included (they share the loop of the client connection they serve); one admin loop, one health-check loop, and one control thread for reloads (file
 * reads and validation never run on an event loop).
 *
 * <pre>{@code
 * try (Gateway gw = Gateway.start(Path.of("palisade.yaml"))) {
 *     gw.reload().toCompletableFuture().join(); // what SIGHUP and POST /config/reload do
 * }
 * }</pre>
 */
public final class Gateway implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Gateway.class);
    /** Admin JSON: Optionals as values or null, addresses as {@code host:port}. */
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new Jdk8Module())
            .registerModule(new SimpleModule().addSerializer(Address.class, ToStringSerializer.instance));

    private final Path configFile;
    private final Transport transport;
    private final EventLoopGroup acceptor;
    private final EventLoopGroup workers;
    private final EventLoopGroup adminGroup;
    private final EventLoopGroup healthGroup;
    private final ExecutorService control;
    private final GatewayMetrics metrics = new GatewayMetrics();
    private final ClusterManager clusters;
    private final DnsAddressResolverGroup healthResolver;
    private final ProxyRuntime runtime;
    private final FilterChainFactory filterFactory;
    /** One per listener, by name, as server.limits.max_connections says; a reload changes their cap. */
    private final Map<String, ConnectionLimiter> connectionLimiters = new LinkedHashMap<>();
    private final List<Channel> listeners = new ArrayList<>();
    private final Map<String, Integer> listenerPorts = new LinkedHashMap<>();
    private final AdminServer admin;
    private final EventLoopLagMonitor lagMonitor;
    private volatile ConfigLoader.Loaded live;
    private volatile boolean ready;
    private volatile boolean closed;
    /** The access log while the runtime that will own it is being built; a failed start closes it. */
    private AccessLog startingAccessLog;

    private Gateway(Path configFile, ConfigLoader.Loaded initial) throws InterruptedException {
        this.configFile = configFile;
        this.live = initial;
        GatewayConfig cfg = initial.config();
        this.transport = Transport.detect();
        int workerThreads = cfg.server().workerThreads() > 0 ? cfg.server().workerThreads()
                : Runtime.getRuntime().availableProcessors();
        // Whatever a failed start has made by then (threads, sockets, files, connections) is released before the
        // failure goes to the caller: a start retried in-process, or a test, must not inherit them.
        try {
            this.workers = transport.newGroup(workerThreads, "palisade-io");
            // With SO_REUSEPORT the event loops accept for themselves (see bindPerLoop); only NIO needs an acceptor.
            this.acceptor = transport.reusePort().isPresent() ? null : transport.newGroup(1, "palisade-accept");
            this.adminGroup = transport.newGroup(1, "palisade-admin");
            this.healthGroup = transport.newGroup(1, "palisade-health");
            this.control = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "palisade-control");
                t.setDaemon(true);
                return t;
            });
            this.healthResolver = new DnsAddressResolverGroup(new DnsNameResolverBuilder()
                    .datagramChannelType(transport.datagramChannel())
                    .socketChannelType(transport.clientChannel()));
            this.clusters = ClusterManager.builder(healthGroup).ticker(Ticker.system())
                    .transport(transport.clientChannel(), healthResolver).build();
            clusters.apply(cfg.clusters());
            this.filterFactory = new FilterChainFactory(metrics, Ticker.system(), Clock.systemUTC());
            GatewaySnapshot snapshot = GatewaySnapshot.build(cfg, filterFactory.filters(cfg), metrics);
            startingAccessLog = AccessLog.create(cfg.accessLog());
            this.runtime = ProxyRuntime.builder(clusters, metrics)
                    .transport(transport)
                    .accessLog(startingAccessLog)
                    .build(snapshot);
            for (ListenerConfig l : cfg.listeners()) {
                connectionLimiters.put(l.name(), ProtocolHandlers.connectionLimiter(cfg.server().limits()));
            }
            registerGauges();
            this.lagMonitor = new EventLoopLagMonitor(workers, metrics);
            bindListeners(cfg);
            this.admin = AdminServer.start(cfg.admin().address(), adminGroup, transport.serverChannel(),
                    new Backend());
        } catch (RuntimeException | Error | InterruptedException e) {
            releaseAfterFailedStart(e);
            throw e;
        }
        ready = true;
        log.info("palisade {} serving config {} on {} (admin {}, transport {}, {} event loops)", version(),
                cfg.version(), listenerPorts, admin.port(), transport, workerThreads);
    }

    /** Loads, validates and serves {@code configFile}; throws {@link ConfigException} when it is invalid. */
    public static Gateway start(Path configFile) throws InterruptedException {
        Objects.requireNonNull(configFile, "configFile");
        return new Gateway(configFile, ConfigLoader.loadWithSource(configFile));
    }

    public static String version() {
        String v = Gateway.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** The listening sockets: one per event loop and listener with SO_REUSEPORT, one per listener without. */
    List<Channel> listenerChannels() {
        return List.copyOf(listeners);
    }

    private void bindListeners(GatewayConfig cfg) throws InterruptedException {
        for (ListenerConfig l : cfg.listeners()) {
            InetSocketAddress address = new InetSocketAddress(l.address().host(), l.address().port());
            Optional<ChannelOption<Boolean>> reusePort = transport.reusePort();
            ConnectionLimiter limiter = connectionLimiters.get(l.name());
            int port = reusePort.isPresent() ? bindPerLoop(address, reusePort.get(), limiter)
                    : bindWithAcceptor(address, limiter);
            listenerPorts.put(l.name(), port);
        }
    }

    /**
     * One socket per event loop on the same port (SO_REUSEPORT), each serving the connections it accepts on its own
     * loop, as nginx and Envoy do with reuse-port: a new connection costs no cross-thread hand-off and wake-up. A port
     * another process holds is refused first, since SO_REUSEPORT would otherwise let two gateways of the same user
     * share it silently.
     */
    private int bindPerLoop(InetSocketAddress address, ChannelOption<Boolean> reusePort, ConnectionLimiter limiter)
            throws InterruptedException {
        if (address.getPort() != 0) {
            ensurePortFree(address);
        }
        int port = address.getPort();
        for (EventExecutor executor : workers) {
            EventLoop loop = (EventLoop) executor;
            Channel ch = bind(serverBootstrap(loop, loop, limiter).option(reusePort, true),
                    new InetSocketAddress(address.getAddress(), port));
            port = ((InetSocketAddress) ch.localAddress()).getPort();
        }
        return port;
    }

    /** One acceptor thread handing connections to the event loops, where SO_REUSEPORT is not available (NIO). */
    private int bindWithAcceptor(InetSocketAddress address, ConnectionLimiter limiter) throws InterruptedException {
        Channel ch = bind(serverBootstrap(acceptor, workers, limiter), address);
        return ((InetSocketAddress) ch.localAddress()).getPort();
    }

    private Channel bind(ServerBootstrap bootstrap, InetSocketAddress address) throws InterruptedException {
        ChannelFuture bound = bootstrap.bind(address).await();
        if (!bound.isSuccess()) {
            Throwable cause = bound.cause();
            IOException io = cause instanceof IOException e ? e : new IOException(cause);
            throw new UncheckedIOException("listener " + address + ": " + cause.getMessage(), io);
        }
        listeners.add(bound.channel());
        return bound.channel();
    }

    private static void ensurePortFree(InetSocketAddress address) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(address);
        } catch (IOException e) {
            throw new UncheckedIOException("listener " + address + ": " + e.getMessage(), e);
        }
    }

    private ServerBootstrap serverBootstrap(EventLoopGroup acceptorGroup, EventLoopGroup childGroup,
                                            ConnectionLimiter limiter) {
        return new ServerBootstrap()
                .group(acceptorGroup, childGroup)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                // TCP_NODELAY is not set here: every transport's socket config turns it on by default already, and
                // setting it again costs a system call per connection.
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 64 * 1024))
                .childHandler(new GatewayChannelInitializer(() -> runtime.snapshot().config().server().limits(),
                        runtime, limiter, kind -> metrics.rejected(kind.code())));
    }

    private void registerGauges() {
        metrics.gauge("palisade_upstream_endpoint_healthy",
                "1 when an endpoint is available (healthy and not ejected), else 0.", cb -> {
                    for (Cluster c : clusters.clusters()) {
                        for (var e : c.endpoints()) {
                            cb.call(e.isAvailable() ? 1 : 0, c.name(), e.address().toString());
                        }
                    }
                }, "cluster", "endpoint");
        metrics.gauge("palisade_upstream_endpoint_active_requests", "Requests in flight per endpoint.", cb -> {
            for (Cluster c : clusters.clusters()) {
                for (var e : c.endpoints()) {
                    cb.call(e.activeRequests(), c.name(), e.address().toString());
                }
            }
        }, "cluster", "endpoint");
        metrics.gauge("palisade_upstream_panic_active", "1 while passive ejections leave a cluster under its"
                + " outlier.panic_threshold, so its ejected endpoints take traffic again; else 0.", cb -> {
                    for (Cluster c : clusters.clusters()) {
                        cb.call(c.inPanic() ? 1 : 0, c.name());
                    }
                }, "cluster");
        metrics.counter("palisade_upstream_panic_picks", "Endpoint picks made while the cluster was in panic"
                + " (ejected endpoints back in rotation).", cb -> {
                    for (Cluster c : clusters.clusters()) {
                        cb.call(c.panicPicks(), c.name());
                    }
                }, "cluster");
        metrics.gauge("palisade_client_connections_rejected", "Client connections closed at accept (over their"
                + " listener's cap), all listeners together.", cb -> {
                    long rejected = 0;
                    for (ConnectionLimiter l : connectionLimiters.values()) {
                        rejected += l.rejected();
                    }
                    cb.call(rejected);
                });
    }

    /** The bound port of a data listener (useful when the config asked for port 0). */
    public int port(String listener) {
        Integer p = listenerPorts.get(listener);
        if (p == null) {
            throw new IllegalArgumentException("listener: " + listener + " (expected one of " + listenerPorts.keySet()
                    + ")");
        }
        return p;
    }

    public int adminPort() {
        return admin.port();
    }

    public GatewayConfig config() {
        return live.config();
    }

    public GatewayMetrics metrics() {
        return metrics;
    }

    /**
     * Re-reads the config file on the control thread, validates it and swaps the whole snapshot in; when the file is
     * invalid the live config keeps serving and the result lists the errors.
     */
    public CompletionStage<ReloadResult> reload() {
        CompletableFuture<ReloadResult> result = new CompletableFuture<>();
        control.execute(() -> {
            try {
                result.complete(doReload());
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    private ReloadResult doReload() {
        String liveVersion = live.config().version();
        ConfigLoader.Loaded next;
        try {
            next = ConfigLoader.loadWithSource(configFile);
        } catch (ConfigException e) {
            metrics.configReload(false);
            log.warn("config reload refused, {} stays live:\n  {}", liveVersion, String.join("\n  ", e.errors()));
            return ReloadResult.refused(liveVersion, e.errors());
        }
        List<String> restartOnly = restartOnlyChanges(live.config(), next.config());
        if (!restartOnly.isEmpty()) {
            metrics.configReload(false);
            log.warn("config reload refused, {} stays live: {}", liveVersion, restartOnly);
            return ReloadResult.refused(liveVersion, restartOnly);
        }
        AccessLog nextAccessLog = null;
        if (!live.config().accessLog().equals(next.config().accessLog())) {
            try {
                nextAccessLog = AccessLog.create(next.config().accessLog());
            } catch (UncheckedIOException e) {
                metrics.configReload(false);
                String error = e.getMessage() + " (" + e.getCause().getMessage() + ")";
                log.warn("config reload refused, {} stays live: {}", liveVersion, error);
                return ReloadResult.refused(liveVersion, List.of(error));
            }
        }
        GatewaySnapshot snapshot;
        try {
            snapshot = GatewaySnapshot.build(next.config(), filterFactory.filters(next.config()), metrics);
        } catch (RuntimeException e) {
            if (nextAccessLog != null) {
                nextAccessLog.close();
            }
            throw e;
        }
        clusters.apply(next.config().clusters());
        int maxConnections = next.config().server().limits().maxConnections();
        for (ConnectionLimiter limiter : connectionLimiters.values()) {
            limiter.maxConnections(maxConnections);
        }
        runtime.swap(snapshot);
        if (nextAccessLog != null) {
            runtime.swapAccessLog(nextAccessLog, workers);
        }
        metrics.retainOnly(snapshot.routeIds(), next.config().clusters().keySet(),
                next.config().auth().consumers().keySet());
        live = next;
        metrics.configReload(true);
        log.info("config {} is live (was {})", next.config().version(), liveVersion);
        return ReloadResult.applied(next.config().version());
    }

    /** Sockets and threads are set up once; changing them needs a restart, and a reload says so instead. */
    private static List<String> restartOnlyChanges(GatewayConfig now, GatewayConfig next) {
        List<String> errors = new ArrayList<>();
        if (!now.listeners().equals(next.listeners())) {
            errors.add("listeners: changed (expected: unchanged on reload; restart to change listeners)");
        }
        if (!now.admin().equals(next.admin())) {
            errors.add("admin: changed (expected: unchanged on reload; restart to change the admin address)");
        }
        if (now.server().workerThreads() != next.server().workerThreads()) {
            errors.add("server.worker_threads: changed (expected: unchanged on reload; restart to change it)");
        }
        return errors;
    }

    /**
     * Stops accepting, lets in-flight requests finish within {@code server.drain_timeout}, then stops everything.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        ready = false;
        for (Channel ch : listeners) {
            ch.close().awaitUninterruptibly();
        }
        runtime.drain();
        long deadline = System.nanoTime() + live.config().server().drainTimeout().toNanos();
        while ((runtime.inflight() > 0 || runtime.openConnections() > 0) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20); // the closing thread polls the drain; no event loop waits here
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (runtime.inflight() > 0) {
            log.warn("drain timeout: closing with {} requests in flight", runtime.inflight());
        }
        lagMonitor.stop();
        admin.close();
        clusters.close();
        healthResolver.close();
        filterFactory.close();
        runtime.close();
        shutdownGroups();
        control.shutdownNow();
        log.info("palisade stopped");
    }

    /**
     * Undoes a start that failed part way, in the order {@link #close} stops a running gateway, skipping what was not
     * made yet (its field is still null, read here outside the constructor). A failure while releasing is added to
     * the start's failure, not thrown instead of it.
     */
    private void releaseAfterFailedStart(Throwable failure) {
        List<Runnable> steps = new ArrayList<>();
        steps.add(() -> listeners.forEach(ch -> ch.close().awaitUninterruptibly()));
        if (admin != null) {
            steps.add(admin::close);
        }
        if (lagMonitor != null) {
            steps.add(lagMonitor::stop);
        }
        if (clusters != null) {
            steps.add(clusters::close);
        }
        if (healthResolver != null) {
            steps.add(healthResolver::close);
        }
        if (filterFactory != null) {
            steps.add(filterFactory::close);
        }
        if (runtime != null) {
            steps.add(runtime::close);
        } else if (startingAccessLog != null) {
            steps.add(startingAccessLog::close);
        }
        steps.add(this::shutdownGroups);
        if (control != null) {
            steps.add(control::shutdownNow);
        }
        for (Runnable step : steps) {
            try {
                step.run();
            } catch (RuntimeException e) {
                failure.addSuppressed(e);
            }
        }
    }

    private void shutdownGroups() {
        List<EventLoopGroup> groups = new ArrayList<>();
        for (EventLoopGroup g : new EventLoopGroup[] {workers, adminGroup, healthGroup, acceptor}) {
            if (g != null) {
                groups.add(g);
            }
        }
        for (EventLoopGroup g : groups) {
            g.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        }
        for (EventLoopGroup g : groups) {
            g.terminationFuture().awaitUninterruptibly(3, TimeUnit.SECONDS);
        }
    }

    Duration drainTimeout() {
        return live.config().server().drainTimeout();
    }

    private final class Backend implements AdminBackend {
        @Override
        public boolean ready() {
            return ready && !runtime.draining();
        }

        @Override
        public String metrics() {
            return metrics.scrape();
        }

        @Override
        public JsonNode config() {
            ObjectNode out = JSON.createObjectNode();
            out.put("version", live.config().version());
            out.set("config", ConfigLoader.redacted(live.tree()));
            return out;
        }

        @Override
        public JsonNode clusters() {
            ArrayNode out = JSON.createArrayNode();
            for (Cluster c : clusters.clusters()) {
                out.add(JSON.valueToTree(c.snapshot()));
            }
            return out;
        }

        @Override
        public CompletionStage<ReloadResult> reload() {
            return Gateway.this.reload();
        }
    }
}
