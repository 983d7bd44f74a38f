package io.palisade.gateway;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.palisade.admin.AdminConfig;
import io.palisade.admin.AdminServer;
import io.palisade.admin.IncidentApi;
import io.palisade.release.ReleaseManager;
import io.palisade.store.StateStore;
import io.palisade.ingest.IngestService;
import io.palisade.alert.AlertEngine;
import io.palisade.slo.SloEngine;
import io.palisade.route.IngestAction;
import io.palisade.route.RouteConfig;
import io.palisade.upstream.Cluster;
import io.palisade.config.Address;
import io.palisade.config.ConfigException;
import io.palisade.server.Http2Counters;
import io.palisade.server.ListenerConfig;
import io.palisade.admin.ReloadResult;
import io.palisade.metrics.GatewayMetrics;
import io.palisade.outcome.OutcomePublisher;
import io.palisade.proxy.AccessLog;
import io.palisade.proxy.GatewaySnapshot;
import io.palisade.proxy.ProxyRuntime;
import io.palisade.proxy.TrafficSplit;
import io.palisade.overload.OverloadManager;
import io.palisade.server.AcceptBackoff;
import io.palisade.server.ConnectionLimiter;
import io.palisade.server.ProtocolHandlers;
import io.palisade.server.Transport;
import io.palisade.time.Ticker;
import io.palisade.tls.CertificateWatcher;
import io.palisade.tls.HandshakeListener;
import io.palisade.tls.Http2Branch;
import io.palisade.tls.ServerTls;
import io.palisade.tls.TlsFileException;
import io.palisade.tls.TlsSettings;
import io.palisade.upstream.ClusterManager;
import io.palisade.upstream.ClusterSet;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.HashSet;
import java.util.Set;
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
    /**
     * The name this gateway's SLO counters are kept under in the state store. Embedded SQLite is one gateway's own;
     * gateways sharing PostgreSQL will need names of their own when that engine serves a cluster of gateways.
     */
    static final String NODE = "local";

    private final Path configFile;
    private final Transport transport;
    private final EventLoopGroup acceptor;
    private final EventLoopGroup workers;
    private final EventLoopGroup adminGroup;
    private final EventLoopGroup healthGroup;
    private final ExecutorService control;
    private final GatewayMetrics metrics = new GatewayMetrics();
    /** Streams, resets and GOAWAYs of every HTTP/2 client connection. */
    private final Http2Counters http2Counters = new Http2Counters();
    private final OutcomePublisher outcomes = OutcomePublisher.create();
    private final AccessLog accessLog;
    private final ClusterManager clusters;
    private final DnsAddressResolverGroup healthResolver;
    private final ProxyRuntime runtime;
    private final FilterChainFactory filterFactory;
    /** One per listener, by name, as server.limits.max_connections says; a reload changes their cap. */
    private final Map<String, ConnectionLimiter> connectionLimiters = new LinkedHashMap<>();
    /** Heap pressure: stops keep-alive, then sheds requests (server.overload); the admin listener never asks it. */
    private OverloadManager overload;
    /** Pauses accepting (data listeners and admin) at the open file limit, with one log line. */
    private AcceptBackoff acceptBackoff;
    private Listeners listeners;
    private final AdminServer admin;
    private final EventLoopLagMonitor lagMonitor;
    /** Versions, audit: JDBC, used by the release thread only. */
    private final StateStore store;
    private final ReleaseManager<ConfigLoader.Loaded, Candidate> releases;
    /** Ingest routes' records, in their own file beside the config store; opens in the background. */
    private final IngestService ingest;
    /** Data listeners' TLS by listener name; their certificates reload with the config and when their files change. */
    private final Map<String, ServerTls> listenerTls = new LinkedHashMap<>();
    /** Each listener's pipeline builder, which its TLS's ALPN h2 branch calls back into. */
    private final Map<String, GatewayChannelInitializer> channelInitializers =
            new java.util.concurrent.ConcurrentHashMap<>();
    /** Polls the listeners' certificate files. */
    private CertificateWatcher certificates;
    /** Burn rates of the configured SLOs, from every outcome; counters saved in the state store. */
    private final SloEngine slo;
    /** SLO and built-in alerts (GET /alerts, metrics); the status page's incidents listen to it. */
    private final AlertEngine alerts;
    /** The public status page on its own listener; null without a status_page: section. */
    private final StatusPageRuntime statusPage;
    private final Clock clock;
    private volatile ConfigLoader.Loaded live;
    private volatile boolean ready;
    private volatile boolean closed;

    private Gateway(Path configFile, Path stateDir, Ticker ticker, Clock clock) throws InterruptedException {
        this.configFile = configFile;
        this.clock = clock;
        String fileYaml = ConfigLoader.readText(configFile);
        // Whatever a failed start has made by then (threads, sockets, files, connections) is released before the
        // failure goes to the caller: a start retried in-process, or a test, must not inherit them.
        try {
            this.store = StateStore.embedded(stateDir);
            this.releases = new ReleaseManager<>(new GatewayDeployment(this), store, outcomes, clock, ticker);
            ReleaseManager.Start<ConfigLoader.Loaded> start = releases.start(fileYaml, configFile.toString());
            ConfigLoader.Loaded initial = start.parsed().withVersion(Long.toString(start.version().number()));
            this.live = initial;
            GatewayConfig cfg = initial.config();
            this.transport = Transport.detect();
            int workerThreads = cfg.server().workerThreads() > 0 ? cfg.server().workerThreads()
                    : Runtime.getRuntime().availableProcessors();
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
            this.clusters = ClusterManager.builder(healthGroup).ticker(ticker)
                    .transport(transport.clientChannel(), healthResolver).build();
            this.filterFactory = new FilterChainFactory(cfg, metrics, ticker, clock);
            this.ingest = IngestService.start(stateDir, cfg.ingest(), this::servingCluster, clock);
            IngestMetrics.register(metrics, ingest);
            Candidate first = prepare(initial);
            this.accessLog = AccessLog.create(cfg.accessLog());
            outcomes.subscribe(new OutcomeMetrics(metrics));
            if (cfg.accessLog().enabled()) {
                outcomes.subscribe(accessLog);
            }
            this.runtime = ProxyRuntime.builder(metrics)
                    .transport(transport)
                    .outcomes(outcomes)
                    .build(first.snapshot());
            activate(first);
            for (ListenerConfig l : cfg.listeners()) {
                connectionLimiters.put(l.name(), ProtocolHandlers.connectionLimiter(cfg.server().limits(), l, ticker));
            }
            GatewayGauges.register(metrics, clusters, connectionLimiters.values());
            this.acceptBackoff = AcceptBackoff.create(ticker);
            this.overload = OverloadManager.start(cfg.server().overload(), ticker);
            GatewayGauges.registerOverload(metrics, overload);
            GatewayGauges.registerAccepts(metrics, acceptBackoff);
            GatewayGauges.registerHttp2(metrics, http2Counters);
            this.lagMonitor = new EventLoopLagMonitor(workers, metrics);
            this.slo = SloEngine.create(cfg.slos(), clock, store, NODE);
            outcomes.subscribe(slo);
            slo.register(metrics);
            slo.start();
            this.alerts = AlertEngine.builder(clock).slos(slo)
                    .signals(new GatewaySignals(filterFactory, runtime, ingest, lagMonitor::worstNowSeconds)).build();
            outcomes.subscribe(alerts.traffic());
            alerts.register(metrics);
            releases.onRolledBack((version, reason) -> alerts.configRolledBack(Long.toString(version), reason));
            alerts.start();
            this.statusPage = cfg.statusPage().isPresent()
                    ? StatusPageRuntime.start(cfg.statusPage().get(), slo, alerts, transport,
                    new StoredIncidents(store, clock), cfg.webhooks(), store, clock) : null;
            this.certificates = CertificateWatcher.start(CertificateWatcher.DEFAULT_INTERVAL);
            for (ListenerConfig l : cfg.listeners()) {
                if (l.tls().isPresent()) {
                    String name = l.name();
                    // ALPN's h2 hands the connection to the listener's HTTP/2 handlers, made below.
                    Http2Branch h2 = pipeline -> channelInitializers.get(name).installHttp2(pipeline);
                    ServerTls tls = serverTls("listeners." + name + ".tls", l.tls().get(), Optional.of(h2), clock);
                    listenerTls.put(l.name(), tls);
                    certificates.watch(tls);
                }
            }
            this.listeners = new Listeners(transport, workers, acceptor,
                    (l, limiter) -> channelInitializers.computeIfAbsent(l.name(), n -> new GatewayChannelInitializer(
                            runtime::snapshot, runtime, limiter, outcomes, l, http2Counters,
                            Optional.ofNullable(listenerTls.get(n)), handshakes(n), overload)), acceptBackoff);
            listeners.bind(cfg.listeners(), connectionLimiters);
            releases.serving(start, first);
            this.admin = startAdmin(cfg.admin(), ticker);
            admin.tls().ifPresent(certificates::watch);
            registerTlsMetrics();
            ready = true;
            log.info("palisade {} serving config version {} on {} (admin {}, transport {}, {} event loops, state {})",
                    version(), cfg.version(), listeners.ports(), admin.port(), transport, workerThreads, stateDir);
            if (statusPage != null) {
                log.info("status page on port {}", statusPage.port());
            }
        } catch (RuntimeException | Error | InterruptedException e) {
            releaseAfterFailedStart(e);
            throw e;
        }
    }

    /**
     * Loads, validates and serves {@code configFile}, keeping its versions and audit in {@code palisade-state} beside
     * it; throws {@link ConfigException} when it is invalid and no stored version can serve instead.
     */
    public static Gateway start(Path configFile) throws InterruptedException {
        return start(configFile, defaultStateDir(configFile));
    }

    /** As {@link #start(Path)}, with the state (versions, audit) in {@code stateDir}, created if missing. */
    public static Gateway start(Path configFile, Path stateDir) throws InterruptedException {
        return start(configFile, stateDir, Ticker.system(), Clock.systemUTC());
    }

    static Path defaultStateDir(Path configFile) {
        Path dir = configFile.toAbsolutePath().getParent();
        return (dir == null ? Path.of(".") : dir).resolve("palisade-state");
    }

    /**
     * As {@link #start(Path)}, with the time source of what decides by a ticker or a clock (rate limits, auth caches,
     * breakers and key fetches, ejections), so tests can run those decisions on a fake ticker. Deadlines and health
     * check intervals are event-loop timers and stay on real time.
     */
    static Gateway start(Path configFile, Ticker ticker, Clock clock) throws InterruptedException {
        return start(configFile, defaultStateDir(configFile), ticker, clock);
    }

    static Gateway start(Path configFile, Path stateDir, Ticker ticker, Clock clock) throws InterruptedException {
        Objects.requireNonNull(configFile, "configFile");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(ticker, "ticker");
        Objects.requireNonNull(clock, "clock");
        return new Gateway(configFile, stateDir, ticker, clock);
    }

    public static String version() {
        String v = Gateway.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** A cluster of the serving (primary) version, by name, for ingest deliveries; empty before the first swap. */
    private Optional<Cluster> servingCluster(String name) {
        ProxyRuntime r = runtime;
        return r == null ? Optional.empty() : r.snapshot().clusters().cluster(name);
    }

    IngestService ingest() {
        return ingest;
    }

    /** The config that serves (the primary's while a canary runs beside it); null only during start-up. */
    ConfigLoader.Loaded live() {
        return live;
    }

    ClusterManager clusters() {
        return clusters;
    }

    ReleaseManager<ConfigLoader.Loaded, Candidate> releases() {
        return releases;
    }

    boolean serving() {
        return ready && !closed;
    }

    /** The proxy behind the listeners, for tests that drive its handler on a channel of their own. */
    ProxyRuntime runtime() {
        return runtime;
    }

    /** The listening sockets: one per event loop and listener with SO_REUSEPORT, one per listener without. */
    List<Channel> listenerChannels() {
        return listeners.channels();
    }

    /**
     * The admin port, refused with its address like a listener's when it is taken (rather than Netty's bind
     * exception, which names neither).
     */
    private AdminServer startAdmin(AdminConfig config, Ticker ticker) throws InterruptedException {
        Address address = config.address();
        String what = "admin " + address;
        if (address.port() != 0) {
            Listeners.ensurePortFree(what, new InetSocketAddress(address.host(), address.port()));
        }
        try {
            return AdminServer.start(config, adminGroup, transport.serverChannel(), new GatewayAdmin(this),
                    releases, new IngestAdmin(ingest, store, control, clock), alerts.api(), statusPage == null
                            ? IncidentApi.none() : new IncidentAdmin(statusPage.book(), store, control, clock),
                    ticker, handshakes("admin"), Optional.of(acceptBackoff.newHandler("admin")));
        } catch (UncheckedIOException e) {
            // Taken between the check and the bind.
            throw new UncheckedIOException(what + ": " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** The bound port of a data listener (useful when the config asked for port 0). */
    public int port(String listener) {
        return listeners.port(listener);
    }

    /** The status page's bound port; -1 without a {@code status_page:} section. */
    public int statusPagePort() {
        return statusPage == null ? -1 : statusPage.port();
    }

    StatusPageRuntime statusPage() {
        return statusPage;
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
     * Every request's outcome, published on its event loop when the gateway is done with it (metrics and the access
     * log subscribe here). A subscriber must be cheap and thread-safe: see {@link io.palisade.outcome.OutcomeSubscriber}.
     */
    public OutcomePublisher outcomes() {
        return outcomes;
    }

    /**
     * Re-reads the config file and releases it like {@code config apply} does: validated, probed, stored and rolled
     * out as the active version's {@code rollout:} says; when it is refused the live config keeps serving and the
     * result lists why.
     */
    public CompletionStage<ReloadResult> reload() {
        CompletableFuture<ReloadResult> result = new CompletableFuture<>();
        control.execute(() -> {
            try {
                doReload().whenComplete((r, e) -> {
                    if (e != null) {
                        result.completeExceptionally(e);
                    } else {
                        result.complete(r);
                    }
                });
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    private CompletionStage<ReloadResult> doReload() {
        String yaml;
        try {
            yaml = ConfigLoader.readText(configFile);
        } catch (ConfigException e) {
            metrics.configReload(false);
            log.warn("config reload refused, {} stays live:\n  {}", live.config().version(),
                    String.join("\n  ", e.errors()));
            return CompletableFuture.completedFuture(ReloadResult.refused(live.config().version(), e.errors()));
        }
        return releases.reload(yaml, configFile.toString(), "reload").thenApply(reply -> {
            ReloadResult result = ReloadReplies.result(reply, live.config().version());
            metrics.configReload(result.applied());
            if (!result.applied()) {
                log.warn("config reload refused, {} stays live:\n  {}", live.config().version(),
                        String.join("\n  ", result.errors()));
            }
            return result;
        });
    }

    /**
     * One config version made ready to serve, with no effect on what serves now: its snapshot, and the clusters and
     * policy chain that belong to it. It can be probed and dropped, or activated.
     */
    record Candidate(ConfigLoader.Loaded loaded, ClusterSet clusters, FilterChainFactory.Policy policy,
                     GatewaySnapshot snapshot) {}

    Candidate prepare(ConfigLoader.Loaded loaded) {
        GatewayConfig cfg = loaded.config();
        ClusterSet set = clusters.prepare(cfg.clusters());
        FilterChainFactory.Policy policy = filterFactory.prepare(cfg);
        GatewaySnapshot snapshot = GatewaySnapshot.build(new GatewaySnapshot.Parts(cfg.version(), cfg.routes(), set,
                cfg.server(), policy.filters(), cfg.auth().apiKey().query(), ingest));
        return new Candidate(loaded, set, policy, snapshot);
    }

    /**
     * Makes {@code next} the only version that serves: its clusters' health checks and its services' settings apply,
     * then one swap hands new requests to its snapshot. Requests in flight finish on theirs.
     */
    void activate(Candidate next) {
        applyConnectionCaps(next.loaded().config());
        applyTls(next.loaded().config());
        clusters.activate(List.of(next.clusters()));
        filterFactory.activate(List.of(next.policy()));
        runtime.swap(next.snapshot());
        live = next.loaded();
        GatewayConfig cfg = next.loaded().config();
        ingest.configure(cfg.ingest(), ingestRoutes(List.of(cfg)));
        if (slo != null) {
            slo.update(cfg.slos()); // at start-up the engine is made after the first activation, with these SLOs
        }
        metrics.retainOnly(next.snapshot().routeIds(), cfg.clusters().keySet(), cfg.auth().consumers().keySet());
        metrics.retainVersions(Set.of(cfg.version()));
    }

    /**
     * Serves {@code canary} beside {@code primary}, {@code split} binding each new request to one of them: both
     * versions' clusters are checked and both chains' services stay open until one of them is activated alone.
     */
    void activate(Candidate primary, Candidate canary, TrafficSplit split) {
        applyConnectionCaps(primary.loaded().config());
        applyTls(primary.loaded().config());
        clusters.activate(List.of(primary.clusters(), canary.clusters()));
        filterFactory.activate(List.of(primary.policy(), canary.policy()));
        runtime.serve(primary.snapshot(), canary.snapshot(), split);
        live = primary.loaded();
        GatewayConfig a = primary.loaded().config();
        GatewayConfig b = canary.loaded().config();
        ingest.configure(a.ingest(), ingestRoutes(List.of(a, b)));
        if (slo != null) {
            slo.update(a.slos()); // the primary's objectives; a canary's apply once it is promoted
        }
        metrics.retainOnly(union(primary.snapshot().routeIds(), canary.snapshot().routeIds()),
                union(a.clusters().keySet(), b.clusters().keySet()),
                union(a.auth().consumers().keySet(), b.auth().consumers().keySet()));
        metrics.retainVersions(Set.of(a.version(), b.version()));
    }

    /**
     * Every serving version's ingest routes by name; where both versions have one, the first's settings deliver (the
     * primary's: a canary's delivery settings apply once it is promoted).
     */
    private static Map<String, IngestAction> ingestRoutes(List<GatewayConfig> serving) {
        Map<String, IngestAction> out = new LinkedHashMap<>();
        for (GatewayConfig cfg : serving) {
            for (RouteConfig r : cfg.routes()) {
                r.ingest().ifPresent(action -> out.putIfAbsent(r.id(), action));
            }
        }
        return out;
    }

    /**
     * A TLS listener's settings and files as the activated config names them, for new handshakes; open connections
     * keep theirs. The config's validation read the files already, so a failure here is a file changed since: it is
     * logged and the contexts serving now stay.
     */
    private void applyTls(GatewayConfig cfg) {
        for (ListenerConfig l : cfg.listeners()) {
            ServerTls tls = listenerTls.get(l.name());
            if (tls != null && l.tls().isPresent()) {
                try {
                    tls.reload(l.tls().get());
                } catch (TlsFileException e) {
                    log.warn("{} (the previous certificates stay)", e.describe("listeners." + l.name() + ".tls"));
                }
            }
        }
        if (admin != null) {
            cfg.admin().tls().ifPresent(admin::reloadTls);
        }
    }

    /** A listener's TLS at start, a file that cannot serve refusing the start as a config error. */
    static ServerTls serverTls(String path, TlsSettings settings, Optional<Http2Branch> h2, Clock clock) {
        try {
            return ServerTls.create(path, settings, h2, clock);
        } catch (TlsFileException e) {
            throw new ConfigException(List.of(e.describe(path)));
        }
    }

    /** How the certificate file watcher fared, per TLS listener (the admin port as {@code admin}). */
    private void registerTlsMetrics() {
        Map<String, ServerTls> all = new LinkedHashMap<>(listenerTls);
        admin.tls().ifPresent(t -> all.put("admin", t));
        if (all.isEmpty()) {
            return;
        }
        metrics.counter("palisade_tls_certificate_file_reloads", "Certificate, key or CA file changes a TLS listener"
                + " noticed, by result: ok (new handshakes use them) or refused (they could not serve; logged, the"
                + " previous certificates stay).", cb -> all.forEach((name, tls) -> {
                    cb.call(tls.fileReloads(), name, "ok");
                    cb.call(tls.fileReloadsRefused(), name, "refused");
                }), "listener", "result");
    }

    /** Counts a listener's handshakes. */
    private HandshakeListener handshakes(String listener) {
        return new HandshakeListener() {
            @Override
            public void succeeded(String version, String protocol) {
                metrics.tlsHandshake(listener, version, protocol);
            }

            @Override
            public void failed(String reason) {
                metrics.tlsHandshakeFailed(listener, reason);
            }
        };
    }

    /** Lowering a cap closes no connection: new ones wait until the count is under it. */
    private void applyConnectionCaps(GatewayConfig cfg) {
        for (ConnectionLimiter limiter : connectionLimiters.values()) {
            limiter.maxConnections(cfg.server().limits().maxConnections());
            limiter.maxConnectionsPerIp(cfg.server().limits().maxConnectionsPerIp());
        }
        if (overload != null) {
            overload.settings(cfg.server().overload());
        }
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new HashSet<>(a);
        all.addAll(b);
        return all;
    }

    /**
     * Stops accepting, lets in-flight requests finish within {@code server.drain_timeout}, then stops everything.
     */
    @Override
    public void close() {
        stop();
    }

    /**
     * {@link #close()}, telling how the drain went: what {@code palisade run} exits with on SIGTERM.
     *
     * @return true when every request in flight finished within {@code server.drain_timeout} (or the gateway was
     *         already closed); false when the timeout passed and the requests still in flight were cut
     */
    public boolean stop() {
        if (closed) {
            return true;
        }
        closed = true;
        ready = false;
        listeners.close();
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
        long cut = runtime.inflight();
        if (cut > 0) {
            log.warn("drain timeout: closing with {} requests in flight", cut);
        }
        lagMonitor.stop();
        overload.close();
        certificates.close();
        admin.close();
        if (statusPage != null) {
            statusPage.close();
        }
        alerts.close();
        slo.close();
        clusters.close();
        healthResolver.close();
        filterFactory.close();
        runtime.close();
        ingest.close();
        accessLog.close();
        releases.close();
        store.close();
        shutdownGroups();
        control.shutdownNow();
        log.info("palisade stopped");
        return cut == 0;
    }

    /**
     * Undoes a start that failed part way, in the order {@link #close} stops a running gateway, skipping what was not
     * made yet (its field is still null, read here outside the constructor). A failure while releasing is added to
     * the start's failure, not thrown instead of it.
     */
    private void releaseAfterFailedStart(Throwable failure) {
        List<Runnable> steps = new ArrayList<>();
        if (listeners != null) {
            steps.add(listeners::close);
        }
        if (admin != null) {
            steps.add(admin::close);
        }
        if (lagMonitor != null) {
            steps.add(lagMonitor::stop);
        }
        if (overload != null) {
            steps.add(overload::close);
        }
        if (certificates != null) {
            steps.add(certificates::close);
        }
        if (statusPage != null) {
            steps.add(statusPage::close);
        }
        if (alerts != null) {
            steps.add(alerts::close);
        }
        if (slo != null) {
            steps.add(slo::close);
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
        }
        if (ingest != null) {
            steps.add(ingest::close);
        }
        if (accessLog != null) {
            steps.add(accessLog::close);
        }
        if (releases != null) {
            steps.add(releases::close);
        }
        if (store != null) {
            steps.add(store::close);
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
            // The quiet period lets io_uring deliver the cancellations of reads pending on closed connections (their
            // buffers are released then); with none, a loop can exit first and leave them unreleased.
            g.shutdownGracefully(100, 2_000, TimeUnit.MILLISECONDS);
        }
        for (EventLoopGroup g : groups) {
            g.terminationFuture().awaitUninterruptibly(3, TimeUnit.SECONDS);
        }
    }

    Duration drainTimeout() {
        return live.config().server().drainTimeout();
    }
}
