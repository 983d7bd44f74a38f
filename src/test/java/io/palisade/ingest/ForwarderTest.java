package io.palisade.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.palisade.config.Address;
import io.palisade.ratelimit.AdaptiveConcurrencySettings;
import io.palisade.route.IngestAction;
import io.palisade.store.IngestLog;
import io.palisade.testing.FakeTicker;
import io.palisade.time.Ticker;
import io.palisade.upstream.CircuitLimits;
import io.palisade.upstream.Cluster;
import io.palisade.upstream.ClusterConfig;
import io.palisade.upstream.ClusterManager;
import io.palisade.upstream.EndpointConfig;
import io.palisade.upstream.RetryConfig;
import io.palisade.upstream.Timeouts;
import io.palisade.upstream.balance.BalancerKind;
import io.palisade.upstream.health.OutlierConfig;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Forwarders on a real SQLite ingest log and journal, delivering to real loopback upstreams through real clusters.
 * Retry durations are short (10 ms to 100 ms) where the HTTP client's own timeouts make a fake clock impractical; no
 * assertion depends on how long anything took.
 */
class ForwarderTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final IngestAction.Retry QUICK = new IngestAction.Retry(Duration.ofMillis(10),
            Duration.ofMillis(100), 25, Duration.ofHours(24));
    private static EventLoopGroup checkers;

    @TempDir
    Path tmp;
    private IngestLog log;
    private Journal journal;
    private ClusterManager manager;
    private ScheduledExecutorService timer;
    private final Map<String, ClusterConfig> clusterConfigs = new LinkedHashMap<>();
    private final List<Forwarder> forwarders = new ArrayList<>();
    private final List<AutoCloseable> upstreams = new ArrayList<>();
    private final AtomicLong freed = new AtomicLong();
    private final AtomicInteger ids = new AtomicInteger();
    private Clock clock = Clock.systemUTC();

    @BeforeAll
    static void startCheckers() {
        checkers = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stopCheckers() {
        checkers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @BeforeEach
    void open() {
        log = IngestLog.sqlite(tmp.resolve("ingest.db"), IngestLog.Durability.ALWAYS);
        manager = ClusterManager.create(checkers, Ticker.system());
        timer = Executors.newSingleThreadScheduledExecutor();
    }

    @AfterEach
    void close() throws Exception {
        for (Forwarder f : forwarders) {
            f.close();
        }
        for (AutoCloseable u : upstreams) {
            u.close();
        }
        for (Forwarder f : forwarders) {
            f.terminated().get(30, TimeUnit.SECONDS);
        }
        if (journal != null) {
            journal.close();
        }
        timer.shutdownNow();
        manager.close();
        log.close();
    }

    // ---- fixtures ------------------------------------------------------------------------------------------------

    private void useClock(Clock c) {
        clock = c;
    }

    private Journal journal() {
        if (journal == null) {
            journal = Journal.start(log, Optional.empty(), 10_000, clock);
        }
        return journal;
    }

    private DeliveryUpstream upstream() {
        return upstream(0);
    }

    private DeliveryUpstream upstream(int port) {
        DeliveryUpstream u = DeliveryUpstream.start(port);
        upstreams.add(u);
        return u;
    }

    private Cluster cluster(String name, Address address, Duration requestTimeout) {
        return cluster(name, address, requestTimeout, 1000);
    }

    private Cluster cluster(String name, Address address, Duration requestTimeout, int maxRequests) {
        clusterConfigs.put(name, new ClusterConfig(name, List.of(new EndpointConfig(address, 1)),
                BalancerKind.ROUND_ROBIN, Optional.empty(),
                new Timeouts(Duration.ofSeconds(2), requestTimeout, Duration.ofSeconds(30)), Optional.empty(),
                // Ejection is the cluster's business, tested there; here every attempt reaches the endpoint.
                new OutlierConfig(1_000_000, Duration.ofSeconds(10), Duration.ofSeconds(60), 50, 50),
                new CircuitLimits(1000, 1000, maxRequests), new RetryConfig(2, 0.2), Optional.empty(),
                AdaptiveConcurrencySettings.disabled()));
        manager.apply(new LinkedHashMap<>(clusterConfigs));
        return manager.cluster(name).orElseThrow();
    }

    private Cluster cluster(String name, Address address) {
        return cluster(name, address, Duration.ofSeconds(10));
    }

    private static IngestAction action(String cluster, int concurrency, IngestAction.Retry retry) {
        return new IngestAction(cluster, 1 << 20, 1L << 30, true, List.of("Content-Type"), retry, concurrency);
    }

    private Forwarder forwarder(String route, IngestAction action, ForwarderStats stats) {
        Forwarder f = new Forwarder(route, action, manager::cluster, log, journal(), clock, timer, stats,
                freed::addAndGet);
        forwarders.add(f);
        return f;
    }

    /** A forwarder whose jitter always draws the longest wait, so a test can count attempts on a fake clock. */
    private Forwarder forwarderWithLongestWaits(String route, IngestAction action, ForwarderStats stats) {
        RandomGenerator longest = new RandomGenerator() {
            @Override
            public long nextLong() {
                return Long.MAX_VALUE;
            }

            @Override
            public long nextLong(long bound) {
                return bound - 1;
            }
        };
        Forwarder f = new Forwarder(route, action, manager::cluster, log, journal(), clock, timer, stats,
                freed::addAndGet, longest);
        forwarders.add(f);
        return f;
    }

    private record Stored(String id, String method, String path, String query, List<IngestLog.Header> headers,
                          byte[] body, long bytes) {}

    private Stored accept(String route, String method, String path, String query, List<IngestLog.Header> headers,
                          byte[] body) throws Exception {
        String id = String.format("rec-%05d", ids.incrementAndGet());
        long bytes = body.length + method.length() + path.length() + query.length() + 20;
        IngestLog.NewRecord r = new IngestLog.NewRecord(id, route, clock.instant(), method, path, query, headers,
                Optional.empty(), body, bytes, Optional.empty(), clock.instant().plusSeconds(3600));
        IngestLog.Appended appended = journal().append(r).get(30, TimeUnit.SECONDS);
        assertThat(appended.id()).isEqualTo(id);
        return new Stored(id, method, path, query, headers, body, bytes);
    }

    private Stored accept(String route) throws Exception {
        return accept(route, "POST", "/v1/track", "", List.of(new IngestLog.Header("Content-Type",
                "application/json")), "{\"n\":1}".getBytes(StandardCharsets.UTF_8));
    }

    private long pending(String route) {
        IngestLog.Totals t = log.totals().get(route);
        return t == null ? 0 : t.pending();
    }

    private static long deliveriesOf(DeliveryUpstream up, String id) {
        return up.received().stream().filter(r -> id.equals(r.idempotencyKey())).count();
    }

    /** {@code log}, counting its {@code due} calls: how often a forwarder read records back. */
    private IngestLog countingDue(AtomicInteger dueCalls) {
        IngestLog target = log;
        return (IngestLog) java.lang.reflect.Proxy.newProxyInstance(IngestLog.class.getClassLoader(),
                new Class<?>[] {IngestLog.class}, (proxy, method, args) -> {
                    if (method.getName().equals("due")) {
                        dueCalls.incrementAndGet();
                    }
                    try {
                        return method.invoke(target, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** Appends {@code n} records at once, each offered to {@code f} on commit as IngestService does; their ids. */
    private List<String> acceptOffered(String route, Forwarder f, int n) throws Exception {
        List<CompletableFuture<IngestLog.Appended>> all = new ArrayList<>();
        List<String> idsOut = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String id = String.format("rec-%05d", ids.incrementAndGet());
            byte[] body = ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8);
            IngestLog.NewRecord r = new IngestLog.NewRecord(id, route, clock.instant(), "POST", "/v1/track", "",
                    List.of(new IngestLog.Header("Content-Type", "application/json")), Optional.empty(), body,
                    body.length + 40L, Optional.empty(), clock.instant().plusSeconds(3600));
            all.add(journal().append(r, stored -> f.offer(new IngestLog.Pending(0, r.id(), r.route(),
                    r.receivedAt(), r.method(), r.path(), r.query(), r.headers(), r.consumer(), r.body(), r.bytes(),
                    0, r.receivedAt()))));
            idsOut.add(id);
        }
        for (CompletableFuture<IngestLog.Appended> a : all) {
            a.get(30, TimeUnit.SECONDS);
        }
        return idsOut;
    }

    // ---- tests ---------------------------------------------------------------------------------------------------

    @Test
    void deliversEveryRecord_asStored_withItsIdAsIdempotencyKey() throws Exception {
        DeliveryUpstream up = upstream();
        Cluster cluster = cluster("collector", up.address());
        List<Stored> stored = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            String method = i % 3 == 0 ? "PUT" : "POST";
            String query = i % 2 == 0 ? "tenant=t" + i + "&x={" + i + "}" : "";
            byte[] body = i % 5 == 0 ? new byte[0] : ("{\"i\":" + i + "}").getBytes(StandardCharsets.UTF_8);
            stored.add(accept("track", method, "/v1/track/" + i, query, List.of(
                    new IngestLog.Header("Content-Type", "application/json"),
                    new IngestLog.Header("X-Tenant", "t" + i),
                    new IngestLog.Header("Idempotency-Key", "client-key-" + i)), body));
        }
        ForwarderStats stats = new ForwarderStats();
        forwarder("track", action("collector", 8, QUICK), stats).start();

        await().atMost(WAIT).until(() -> stats.delivered() == 40);

        assertThat(up.received()).hasSize(40);
        for (Stored s : stored) {
            DeliveryUpstream.Request got = up.received().stream().filter(r -> s.id().equals(r.idempotencyKey()))
                    .findFirst().orElseThrow();
            assertThat(got.method()).isEqualTo(s.method());
            assertThat(got.uri()).isEqualTo(s.query().isEmpty() ? s.path() : s.path() + "?" + s.query());
            assertThat(got.body()).isEqualTo(s.body());
            assertThat(got.all("Idempotency-Key")).containsExactly(s.id());
            assertThat(got.all("X-Tenant")).containsExactly(s.headers().get(1).value());
            assertThat(got.all("Content-Type")).containsExactly("application/json");
            assertThat(got.all("Content-Length")).containsExactly(String.valueOf(s.body().length));
        }
        assertThat(pending("track")).isZero();
        await().atMost(WAIT).until(() -> stats.inFlight() == 0);
        assertThat(stats.attempts()).isEqualTo(40);
        assertThat(stats.retried()).isZero();
        assertThat(stats.quarantined()).isZero();
        assertThat(freed.get()).isEqualTo(stored.stream().mapToLong(Stored::bytes).sum());
        assertThat(cluster.activeRequests()).as("max_requests slots given back").isZero();
        assertThat(cluster.endpoints()).allSatisfy(e -> assertThat(e.activeRequests()).isZero());
    }

    @Test
    void neverMoreThanConcurrencyInFlight() throws Exception {
        CompletableFuture<Void> gate = new CompletableFuture<>();
        DeliveryUpstream up = upstream().answer(r -> gate.isDone() ? DeliveryUpstream.status(200)
                : new DeliveryUpstream.Held(gate, 200));
        cluster("collector", up.address());
        for (int i = 0; i < 30; i++) {
            accept("track");
        }
        ForwarderStats stats = new ForwarderStats();
        forwarder("track", action("collector", 3, QUICK), stats).start();

        await().atMost(WAIT).until(() -> up.inFlight() == 3 && stats.inFlight() == 3);
        gate.complete(null);
        await().atMost(WAIT).until(() -> stats.delivered() == 30);

        assertThat(up.maxInFlight()).isEqualTo(3);
        assertThat(up.received()).hasSize(30);
    }

    @Test
    void a503IsRetried_thenDelivered_withTheSameIdempotencyKey() throws Exception {
        Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
        DeliveryUpstream up = upstream().answer(r -> seen.computeIfAbsent(r.idempotencyKey(),
                k -> new AtomicInteger()).incrementAndGet() == 1 ? DeliveryUpstream.status(503)
                : DeliveryUpstream.status(200));
        Cluster cluster = cluster("collector", up.address());
        List<Stored> stored = List.of(accept("track"), accept("track"), accept("track"));
        ForwarderStats stats = new ForwarderStats();
        forwarder("track", action("collector", 8, QUICK), stats).start();

        await().atMost(WAIT).until(() -> stats.delivered() == 3);

        assertThat(stats.retried()).isEqualTo(3);
        assertThat(stats.attempts()).isEqualTo(6);
        for (Stored s : stored) {
            assertThat(deliveriesOf(up, s.id())).isEqualTo(2);
        }
        assertThat(pending("track")).isZero();
        assertThat(cluster.activeRequests()).isZero();
    }

    @Test
    void retryAfter_setsTheNextAttempt_onTheInjectedClock() throws Exception {
        FakeTicker ticker = new FakeTicker();
        Instant t0 = Instant.parse("2026-03-01T12:00:00Z");
        useClock(ticker.clock(t0));
        AtomicInteger calls = new AtomicInteger();
        DeliveryUpstream up = upstream().answer(r -> calls.incrementAndGet() == 1
                ? new DeliveryUpstream.Status(429, Map.of("Retry-After", "30"))
                : DeliveryUpstream.status(200));
        cluster("collector", up.address());
        Stored s = accept("track");
        ForwarderStats stats = new ForwarderStats();
        IngestAction.Retry retry = new IngestAction.Retry(Duration.ofMillis(10), Duration.ofMinutes(5), 25,
                Duration.ofHours(24));
        Forwarder f = forwarder("track", action("collector", 4, retry), stats);
        f.start();

        await().atMost(WAIT).until(() -> stats.retried() == 1);
        IngestLog.Detail detail = log.find("track", s.id(), 0).orElseThrow();
        assertThat(detail.nextAttemptAt()).as("the backoff drew at most 10ms; Retry-After asked 30s")
                .contains(t0.plusSeconds(30));
        assertThat(detail.attempts()).singleElement().satisfies(a -> assertThat(a.status()).isEqualTo(429));
        assertThat(up.received()).hasSize(1);

        ticker.advance(Duration.ofSeconds(30));
        f.wake();
        await().atMost(WAIT).until(() -> stats.delivered() == 1);
        assertThat(deliveriesOf(up, s.id())).isEqualTo(2);
    }

    @Test
    void a400IsQuarantinedAtOnce_withItsStatus() throws Exception {
        DeliveryUpstream up = upstream().answer(r -> DeliveryUpstream.status(400));
        cluster("collector", up.address());
        Stored s = accept("track");
        ForwarderStats stats = new ForwarderStats();
        forwarder("track", action("collector", 4, QUICK), stats).start();

        await().atMost(WAIT).until(() -> stats.quarantined() == 1);

        assertThat(log.quarantine("track", 10)).singleElement().satisfies(q -> {
            assertThat(q.id()).isEqualTo(s.id());
            assertThat(q.attempts()).isEqualTo(1);
            assertThat(q.lastStatus()).isEqualTo(400);
            assertThat(q.reason()).contains("400");
        });
        assertThat(stats.retried()).isZero();
        assertThat(pending("track")).isZero();
        assertThat(up.received()).hasSize(1);
        assertThat(freed.get()).as("quarantined bytes still count").isZero();
    }

    @Test
    void aRecordIsQuarantined_onlyOnceAttemptsAndAgeAreBothSpent() throws Exception {
        // A fake clock moved 100ms per attempt: attempts (4) are spent at the 4th, age (1s) only at the 11th. Waits
        // are drawn at their longest (5ms to 20ms), so each attempt comes due only when the clock is moved: a full
        // jitter draw under a millisecond would make an attempt due at once, and the count would not be the test's.
        FakeTicker ticker = new FakeTicker();
        useClock(ticker.clock(Instant.parse("2026-03-01T12:00:00Z")));
        DeliveryUpstream up = upstream().answer(r -> DeliveryUpstream.status(503));
        Cluster cluster = cluster("collector", up.address());
        Stored s = accept("track");
        ForwarderStats stats = new ForwarderStats();
        IngestAction.Retry retry = new IngestAction.Retry(Duration.ofMillis(5), Duration.ofMillis(20), 4,
                Duration.ofSeconds(1));
        Forwarder f = forwarderWithLongestWaits("track", action("collector", 2, retry), stats);
        f.start();

        for (int failed = 1; failed <= 10; failed++) {
            int n = failed;
            await().atMost(WAIT).until(() -> stats.retried() == n);
            assertThat(stats.quarantined()).isZero();
            ticker.advance(Duration.ofMillis(100));
            f.wake();
        }
        await().atMost(WAIT).until(() -> stats.quarantined() == 1);

        IngestLog.Quarantined q = log.quarantine("track", 10).get(0);
        assertThat(q.id()).isEqualTo(s.id());
        assertThat(q.attempts()).isEqualTo(11);
        assertThat(q.lastStatus()).isEqualTo(503);
        assertThat(q.reason()).isEqualTo("gave up after 11 attempts over 1s; last: status 503");
        assertThat(deliveriesOf(up, s.id())).isEqualTo(11);
        assertThat(stats.retried()).isEqualTo(10);
        assertThat(stats.attempts()).isEqualTo(11);
        assertThat(cluster.endpoints().get(0).consecutiveFailures()).as("each 5xx told the endpoint").isEqualTo(11);
    }

    @Test
    void connectRefused_thenTheUpstreamComesUp_theBacklogDrains() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        cluster("collector", new Address("127.0.0.1", port));
        for (int i = 0; i < 20; i++) {
            accept("track");
        }
        ForwarderStats stats = new ForwarderStats();
        forwarder("track", action("collector", 4, QUICK), stats).start();
        await().atMost(WAIT).until(() -> stats.retried() >= 8);
        IngestLog.Detail detail = log.find("track", "rec-00001", 0).orElseThrow();
        assertThat(detail.attempts()).isNotEmpty().allSatisfy(a -> {
            assertThat(a.status()).isZero();
            assertThat(a.error()).startsWith("connect failed");
        });
        assertThat(stats.delivered()).isZero();

        DeliveryUpstream up = upstream(port);
        await().atMost(WAIT).until(() -> stats.delivered() == 20);
        assertThat(up.received().stream().map(DeliveryUpstream.Request::idempotencyKey).distinct()).hasSize(20);
        assertThat(pending("track")).isZero();
    }

    @Test
    void aHungClusterOnOneRoute_doesNotSlowAnotherRoute() throws Exception {
        DeliveryUpstream hung = upstream().answer(r -> new DeliveryUpstream.Hang());
        DeliveryUpstream fine = upstream();
        cluster("slow", hung.address(), Duration.ofMinutes(5));
        cluster("fast", fine.address());
        for (int i = 0; i < 6; i++) {
            accept("a");
        }
        for (int i = 0; i < 60; i++) {
            accept("b");
        }
        ForwarderStats a = new ForwarderStats();
        ForwarderStats b = new ForwarderStats();
        forwarder("a", action("slow", 4, QUICK), a).start();
        await().atMost(WAIT).until(() -> hung.inFlight() == 4);
        forwarder("b", action("fast", 4, QUICK), b).start();

        await().atMost(WAIT).until(() -> b.delivered() == 60);

        assertThat(a.inFlight()).as("route a still waits on its hung upstream").isEqualTo(4);
        assertThat(hung.inFlight()).isEqualTo(4);
        assertThat(a.delivered()).isZero();
        assertThat(pending("a")).isEqualTo(6);
        assertThat(pending("b")).isZero();
    }

    @Test
    void recordsPendingBeforeTheStart_areDelivered() throws Exception {
        DeliveryUpstream up = upstream();
        cluster("collector", up.address());
        List<Stored> stored = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            stored.add(accept("track"));
        }
        assertThat(pending("track")).isEqualTo(25);
        ForwarderStats stats = new ForwarderStats();
        forwarder("track", action("collector", 4, QUICK), stats).start(); // no wake(): start() finds them

        await().atMost(WAIT).until(() -> stats.delivered() == 25);
        assertThat(up.received()).extracting(DeliveryUpstream.Request::idempotencyKey)
                .containsExactlyInAnyOrderElementsOf(stored.stream().map(Stored::id).toList());
    }

    @Test
    void wake_deliversARecordAcceptedWhileIdle() throws Exception {
        DeliveryUpstream up = upstream();
        cluster("collector", up.address());
        ForwarderStats stats = new ForwarderStats();
        Forwarder f = forwarder("track", action("collector", 4, QUICK), stats);
        f.start();
        for (int i = 1; i <= 3; i++) {
            accept("track");
            f.wake();
            int n = i;
            await().atMost(WAIT).until(() -> stats.delivered() == n);
        }
        assertThat(up.received()).hasSize(3);
    }

    @Test
    void aReplayedRecord_isDeliveredAgain() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        DeliveryUpstream up = upstream().answer(r -> calls.incrementAndGet() == 1 ? DeliveryUpstream.status(400)
                : DeliveryUpstream.status(200));
        cluster("collector", up.address());
        Stored s = accept("track");
        ForwarderStats stats = new ForwarderStats();
        Forwarder f = forwarder("track", action("collector", 4, QUICK), stats);
        f.start();
        await().atMost(WAIT).until(() -> stats.quarantined() == 1);

        int replayed = journal().write(l -> l.replay("track", List.of(s.id()), false, clock.instant()))
                .get(30, TimeUnit.SECONDS);
        assertThat(replayed).isEqualTo(1);
        f.wake();

        await().atMost(WAIT).until(() -> stats.delivered() == 1);
        assertThat(deliveriesOf(up, s.id())).isEqualTo(2);
        assertThat(log.quarantine("track", 10)).isEmpty();
        assertThat(pending("track")).isZero();
    }

    @Test
    void aMissingCluster_isRetried_andUpdateAppliesANewCluster() throws Exception {
        DeliveryUpstream up = upstream();
        cluster("collector", up.address());
        Stored s = accept("track");
        ForwarderStats stats = new ForwarderStats();
        Forwarder f = forwarder("track", action("gone", 4, QUICK), stats);
        f.start();
        await().atMost(WAIT).until(() -> stats.retried() >= 2);
        assertThat(log.find("track", s.id(), 0).orElseThrow().attempts()).allSatisfy(a ->
                assertThat(a.error()).isEqualTo("cluster gone is not in the serving config"));

        f.update(action("collector", 4, QUICK));
        await().atMost(WAIT).until(() -> stats.delivered() == 1);
        assertThat(deliveriesOf(up, s.id())).isEqualTo(1);
    }

    @Test
    void aClusterAtItsRequestLimit_isRetried_untilASlotIsFree() throws Exception {
        DeliveryUpstream up = upstream();
        Cluster cluster = cluster("collector", up.address(), Duration.ofSeconds(10), 1);
        assertThat(cluster.tryAcquireRequest()).as("the proxy's request holds the only slot").isTrue();
        Stored s = accept("track");
        ForwarderStats stats = new ForwarderStats();
        forwarder("track", action("collector", 4, QUICK), stats).start();
        await().atMost(WAIT).until(() -> stats.retried() >= 2);
        assertThat(log.find("track", s.id(), 0).orElseThrow().attempts()).allSatisfy(a ->
                assertThat(a.error()).isEqualTo("cluster collector is at its request limit (max_requests)"));
        assertThat(up.received()).isEmpty();

        cluster.releaseRequest();
        await().atMost(WAIT).until(() -> stats.delivered() == 1);
        assertThat(deliveriesOf(up, s.id())).isEqualTo(1);
        assertThat(cluster.activeRequests()).isZero();
    }

    @Test
    void close_letsTheAttemptInFlightEndUnrecorded_andTheRecordGoesAgainAfterARestart() throws Exception {
        CompletableFuture<Void> release = new CompletableFuture<>();
        AtomicInteger calls = new AtomicInteger();
        DeliveryUpstream up = upstream().answer(r -> calls.incrementAndGet() == 1
                ? new DeliveryUpstream.Held(release, 200) : DeliveryUpstream.status(200));
        cluster("collector", up.address());
        Stored s = accept("track");
        ForwarderStats stats = new ForwarderStats();
        Forwarder first = forwarder("track", action("collector", 4, QUICK), stats);
        first.start();
        await().atMost(WAIT).until(() -> up.inFlight() == 1);

        first.close();
        release.complete(null);
        first.terminated().get(30, TimeUnit.SECONDS);
        assertThat(stats.inFlight()).isZero();
        assertThat(stats.delivered()).as("the answer came after close: not recorded").isZero();
        assertThat(pending("track")).isEqualTo(1);

        forwarder("track", action("collector", 4, QUICK), stats).start();
        await().atMost(WAIT).until(() -> stats.delivered() == 1);
        assertThat(deliveriesOf(up, s.id())).as("the upstream dedupes by Idempotency-Key").isEqualTo(2);
    }
    @Test
    void offeredRecords_areDeliveredFromMemory_eachOnce_withoutReadingThemBack() throws Exception {
        DeliveryUpstream up = upstream();
        cluster("collector", up.address());
        ForwarderStats stats = new ForwarderStats();
        AtomicInteger dueCalls = new AtomicInteger();
        Forwarder f = new Forwarder("track", action("collector", 8, QUICK), manager::cluster, countingDue(dueCalls),
                journal(), clock, timer, stats, freed::addAndGet);
        forwarders.add(f);
        f.start();
        await().atMost(WAIT).until(() -> dueCalls.get() >= 1); // the start's read: nothing from before
        List<String> accepted = new ArrayList<>();
        for (int round = 0; round < 10; round++) {
            accepted.addAll(acceptOffered("track", f, 20));
            // A route that keeps up: each round is delivered before the next comes (one that does not is below).
            await().atMost(WAIT).until(() -> stats.delivered() == accepted.size());
        }
        await().atMost(WAIT).until(() -> stats.delivered() == accepted.size());
        for (String id : accepted) {
            assertThat(deliveriesOf(up, id)).as(id).isEqualTo(1);
        }
        assertThat(pending("track")).isZero();
        // The start's read, and a timer's read within each second at most; never one per record.
        assertThat(dueCalls.get()).as("log reads for %d records", accepted.size()).isLessThan(20);
    }

    @Test
    void offersBeyondMemory_orWhileBehind_areReadFromTheLog_eachDeliveredOnce() throws Exception {
        DeliveryUpstream up = upstream().answer(r -> {
            try {
                Thread.sleep(2); // slower than accepting: offers pile up past the memory bound
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return DeliveryUpstream.status(200);
        });
        cluster("collector", up.address());
        ForwarderStats stats = new ForwarderStats();
        Forwarder f = forwarder("track", action("collector", 1, QUICK), stats);
        f.start();
        List<String> accepted = acceptOffered("track", f, 300);
        await().atMost(WAIT).until(() -> stats.delivered() == accepted.size());
        for (String id : accepted) {
            assertThat(deliveriesOf(up, id)).as(id).isEqualTo(1);
        }
        assertThat(pending("track")).isZero();
    }

    @Test
    void offersAndLogReadsAtOnce_deliverEachRecordOnce() throws Exception {
        DeliveryUpstream up = upstream();
        cluster("collector", up.address());
        ForwarderStats stats = new ForwarderStats();
        Forwarder f = forwarder("track", action("collector", 4, QUICK), stats);
        f.start();
        // Wake-ups force log reads while records are offered: a record a read takes before its offer arrives is
        // held when the offer is taken in, and passed over.
        AtomicBoolean accepting = new AtomicBoolean(true);
        Thread waker = new Thread(() -> {
            while (accepting.get()) {
                f.wake();
                java.util.concurrent.locks.LockSupport.parkNanos(200_000);
            }
        });
        waker.start();
        List<String> accepted = new ArrayList<>();
        try {
            for (int round = 0; round < 20; round++) {
                accepted.addAll(acceptOffered("track", f, 25));
            }
        } finally {
            accepting.set(false);
            waker.join();
        }
        // Nothing held any more: a second attempt of any record would still be held, or counted as delivered.
        await().atMost(WAIT).until(() -> stats.delivered() >= accepted.size() && stats.inFlight() == 0);
        assertThat(stats.delivered()).isEqualTo(accepted.size());
        for (String id : accepted) {
            assertThat(deliveriesOf(up, id)).as(id).isEqualTo(1);
        }
        assertThat(up.received()).hasSize(accepted.size());
    }
}
