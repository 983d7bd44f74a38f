package io.palisade.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.palisade.config.Address;
import io.palisade.upstream.balance.BalancerKind;
import io.palisade.upstream.health.HealthCheckConfig;
import io.palisade.testing.FakeTicker;
import io.palisade.upstream.Endpoint.FailureKind;
import io.palisade.upstream.health.HealthState;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The manager against real servers on loopback for its active checks, on a fake ticker for ejections. Tests wait for
 * the checks' own verdicts, never for an interval to have passed; the waits' limit only bounds a hang.
 */
class ClusterManagerTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static EventLoopGroup group;

    private final FakeTicker ticker = new FakeTicker();
    private final ClusterManager manager = ClusterManager.create(group, ticker);
    private final List<EndpointEvent> events = new CopyOnWriteArrayList<>();
    private final List<HttpServer> servers = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startGroup() {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stopGroup() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @AfterEach
    void close() {
        manager.close();
        for (HttpServer server : servers) {
            server.stop(0);
        }
    }

    private void apply(ClusterConfig... configs) {
        Map<String, ClusterConfig> map = new LinkedHashMap<>();
        for (ClusterConfig c : configs) {
            map.put(c.name(), c);
        }
        manager.apply(map);
    }

    private Cluster cluster(String name) {
        return manager.cluster(name).orElseThrow();
    }

    private static Endpoint endpoint(Cluster cluster, String host) {
        return cluster.endpoints().stream().filter(e -> e.address().host().equals(host)).findFirst().orElseThrow();
    }

    @Test
    void apply_keepsStateOfUnchangedEndpoints_andDropsRemovedOnes() {
        apply(TestClusters.config("a").endpoint("10.0.0.1", 80).endpoint("10.0.0.2", 80).endpoint("10.0.0.3", 80)
                .outlier(3, Duration.ofSeconds(10), Duration.ofSeconds(60), 34).build());
        Cluster v1 = cluster("a");
        Endpoint busy = endpoint(v1, "10.0.0.1");
        busy.onRequestStart();
        busy.onRequestStart();
        Endpoint leaving = endpoint(v1, "10.0.0.3");
        for (int i = 0; i < 3; i++) {
            leaving.onFailure(FailureKind.RESET);
        }
        assertThat(leaving.isEjected()).isTrue();
        v1.tryAcquireRequest();

        apply(TestClusters.config("a").endpoint("10.0.0.1", 80, 5).endpoint("10.0.0.2", 80)
                .endpoint("10.0.0.4", 80).balancer(BalancerKind.LEAST_REQUEST)
                .outlier(3, Duration.ofSeconds(10), Duration.ofSeconds(60), 34).build());
        Cluster v2 = cluster("a");

        assertThat(v2).isNotSameAs(v1);
        assertThat(v2.endpoints()).extracting(e -> e.address().host())
                .containsExactly("10.0.0.1", "10.0.0.2", "10.0.0.4");
        Endpoint busyNow = endpoint(v2, "10.0.0.1");
        assertThat(busyNow.weight()).isEqualTo(5);
        assertThat(busyNow.activeRequests()).isEqualTo(2);
        assertThat(v2.activeRequests()).as("limit counters survive a reload").isEqualTo(1);

        // A request that started on the old generation ends into the same state.
        busy.onRequestEnd();
        assertThat(busyNow.activeRequests()).isEqualTo(1);
        v1.releaseRequest();
        assertThat(v2.activeRequests()).isZero();

        // The removed endpoint gave back its ejection slot, and late failures on it change nothing.
        int eventsBefore = events.size();
        for (int i = 0; i < 10; i++) {
            leaving.onFailure(FailureKind.TIMEOUT);
        }
        assertThat(events).hasSize(eventsBefore);
        Endpoint other = endpoint(v2, "10.0.0.2");
        for (int i = 0; i < 3; i++) {
            other.onFailure(FailureKind.TIMEOUT);
        }
        assertThat(other.isEjected()).isTrue();

        apply(TestClusters.config("b").endpoint("10.0.1.1", 80).build());
        assertThat(manager.cluster("a")).isEmpty();
        assertThat(v2.pick("")).as("a cluster held by a request keeps working").isPresent();
    }

    @Test
    void prepare_changesNothingThatServes_untilActivated() {
        apply(TestClusters.config("a").endpoint("10.0.0.1", 80).endpoint("10.0.0.2", 80).build());
        Cluster serving = cluster("a");
        Endpoint kept = endpoint(serving, "10.0.0.1");
        int eventsBefore = events.size();

        ClusterSet candidate = manager.prepare(Map.of(
                "a", TestClusters.config("a").endpoint("10.0.0.1", 80).endpoint("10.0.0.3", 80).build(),
                "b", TestClusters.config("b").endpoint("10.0.1.1", 80).build()));

        assertThat(manager.cluster("a")).containsSame(serving);
        assertThat(manager.cluster("b")).isEmpty();
        assertThat(manager.primary().clusters()).containsExactly(serving);
        assertThat(events).as("no endpoint retired or probed by a candidate").hasSize(eventsBefore);
        // The endpoint both versions have is one state: a failure seen through the candidate counts for both.
        Endpoint shared = endpoint(candidate.cluster("a").orElseThrow(), "10.0.0.1");
        for (int i = 0; i < 3; i++) {
            shared.onFailure(FailureKind.RESET);
        }
        assertThat(kept.isEjected()).isTrue();
        assertThat(serving.availableEndpoints()).extracting(e -> e.address().host()).containsExactly("10.0.0.2");
        // The endpoint only the serving version has is still served: dropping the candidate leaves it alone.
        assertThat(endpoint(serving, "10.0.0.2").isAvailable()).isTrue();

        manager.activate(List.of(candidate));
        assertThat(manager.cluster("a")).containsSame(candidate.cluster("a").orElseThrow());
        assertThat(manager.cluster("b")).isPresent();
    }

    @Test
    void twoServingSets_shareEndpointState_andFailOverWithinTheirOwnVersion() {
        ClusterSet baseline = manager.prepare(Map.of(
                "a", TestClusters.config("a").endpoint("10.0.0.1", 80).failover("b").build(),
                "b", TestClusters.config("b").endpoint("10.0.1.1", 80).build()));
        manager.activate(List.of(baseline));
        // A release prepares its canary while the baseline serves, so their common endpoints are one state.
        ClusterSet canary = manager.prepare(Map.of(
                "a", TestClusters.config("a").endpoint("10.0.0.1", 80).failover("c").build(),
                "c", TestClusters.config("c").endpoint("10.0.2.1", 80).build()));
        manager.activate(List.of(baseline, canary));
        assertThat(manager.cluster("a")).containsSame(baseline.cluster("a").orElseThrow());

        Endpoint viaCanary = canary.cluster("a").orElseThrow().endpoints().get(0);
        for (int i = 0; i < 3; i++) {
            viaCanary.onFailure(FailureKind.CONNECT_FAILED);
        }
        // Both generations of "a" see the ejection at once, and each fails over within its own version.
        Pick fromBaseline = baseline.cluster("a").orElseThrow().pick("").orElseThrow();
        Pick fromCanary = canary.cluster("a").orElseThrow().pick("").orElseThrow();
        assertThat(fromBaseline.cluster().name()).isEqualTo("b");
        assertThat(fromCanary.cluster().name()).isEqualTo("c");

        // Promoting the canary alone retires what only the baseline had.
        manager.activate(List.of(canary));
        assertThat(manager.cluster("b")).isEmpty();
        assertThat(manager.cluster("c")).isPresent();
        ticker.advance(Duration.ofSeconds(10));
        assertThat(canary.cluster("a").orElseThrow().pick("").orElseThrow().cluster().name()).isEqualTo("a");
    }

    @Test
    void apply_keepsEjectionsOfUnchangedEndpoints() {
        ClusterConfig config = TestClusters.config("a").endpoint("10.0.0.1", 80).endpoint("10.0.0.2", 80).build();
        apply(config);
        Endpoint e = cluster("a").endpoints().get(0);
        for (int i = 0; i < 3; i++) {
            e.onFailure(FailureKind.CONNECT_FAILED);
        }
        apply(TestClusters.config("a").endpoint("10.0.0.1", 80).endpoint("10.0.0.2", 80).endpoint("10.0.0.3", 80)
                .build());
        Cluster reloaded = cluster("a");
        assertThat(reloaded.endpoints().get(0).isEjected()).isTrue();
        assertThat(reloaded.availableEndpoints()).extracting(x -> x.address().host())
                .containsExactly("10.0.0.2", "10.0.0.3");
        ticker.advance(Duration.ofSeconds(10));
        assertThat(reloaded.snapshot().availableEndpoints()).isEqualTo(3);
    }

    @Test
    void heldOldGeneration_seesARecoveryEndedThroughTheNewOne() {
        apply(TestClusters.config("a").endpoint("10.0.0.1", 80).endpoint("10.0.0.2", 80).build());
        Cluster old = cluster("a");
        Endpoint e = old.endpoints().get(0);
        for (int i = 0; i < 3; i++) {
            e.onFailure(FailureKind.TIMEOUT);
        }
        apply(TestClusters.config("a").endpoint("10.0.0.1", 80).endpoint("10.0.0.2", 80).endpoint("10.0.0.3", 80)
                .build());
        ticker.advance(Duration.ofSeconds(10));
        assertThat(cluster("a").availableEndpoints()).hasSize(3);
        assertThat(old.availableEndpoints()).hasSize(2);
        assertThat(old.snapshot().endpoints()).noneMatch(EndpointSnapshot::ejected);
    }

    @Test
    void concurrentPicksDuringApply_neverSeeAHalfBuiltView() throws Exception {
        ClusterConfig[] odd = {
                TestClusters.config("x").endpoint("10.0.0.1", 80).endpoint("10.0.0.2", 80).failover("y").build(),
                TestClusters.config("y").endpoint("10.0.1.1", 80).build()};
        ClusterConfig[] even = {
                TestClusters.config("x").endpoint("10.0.2.1", 80).endpoint("10.0.2.2", 80).endpoint("10.0.2.3", 80)
                        .balancer(BalancerKind.LEAST_REQUEST).failover("y").build(),
                TestClusters.config("y").endpoint("10.0.3.1", 80).build()};
        apply(odd);
        AtomicBoolean stop = new AtomicBoolean();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        AtomicInteger picks = new AtomicInteger();
        List<Thread> pickers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            Thread picker = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        Cluster x = manager.cluster("x").orElseThrow();
                        Pick pick = x.pick("").orElseThrow();
                        assertThat(pick.cluster()).isSameAs(x);
                        assertThat(x.endpoints()).contains(pick.endpoint());
                        // One generation holds clusters of one config only.
                        Map<String, String> nets = new LinkedHashMap<>();
                        for (Cluster c : manager.clusters()) {
                            nets.put(c.name(), c.endpoints().get(0).address().host().substring(0, 6));
                        }
                        assertThat(nets).isIn(Map.of("x", "10.0.0", "y", "10.0.1"),
                                Map.of("x", "10.0.2", "y", "10.0.3"));
                        picks.incrementAndGet();
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            picker.start();
            pickers.add(picker);
        }
        int applies = 0;
        while ((picks.get() < 5_000 || applies < 300) && errors.isEmpty() && applies < 1_000_000) {
            apply(applies++ % 2 == 0 ? even : odd);
        }
        stop.set(true);
        for (Thread picker : pickers) {
            picker.join();
        }
        assertThat(errors).isEmpty();
    }

    @Test
    void clustersSnapshot_isOneConsistentGeneration() {
        apply(TestClusters.config("x").endpoint("10.0.0.1", 80).build(),
                TestClusters.config("y").endpoint("10.0.1.1", 80).build());
        var generation = manager.clusters();
        apply(TestClusters.config("x").endpoint("10.0.2.1", 80).build());
        assertThat(generation).extracting(Cluster::name).containsExactly("x", "y");
        assertThat(manager.clusters()).extracting(Cluster::name).containsExactly("x");
        assertThat(manager.snapshot()).singleElement().extracting(ClusterSnapshot::name).isEqualTo("x");
    }

    @Test
    void listenerThatThrows_isCaught_andOthersStillHearTheEvent() {
        manager.onEndpointStateChange(e -> {
            throw new IllegalStateException("listener bug");
        });
        manager.onEndpointStateChange(events::add);
        apply(TestClusters.config("a").endpoint("10.0.0.1", 80).endpoint("10.0.0.2", 80).build());
        Endpoint e = cluster("a").endpoints().get(0);
        for (int i = 0; i < 6; i++) {
            e.onFailure(FailureKind.SERVER_ERROR); // the second ejection attempt is a no-op: already ejected
        }
        assertThat(events).singleElement().extracting(EndpointEvent::reason)
                .isEqualTo(EndpointEvent.Reason.OUTLIER);
        assertThat(cluster("a").pick("")).isPresent();
    }

    @Test
    void expiredEjection_endsWithoutTraffic() {
        manager.onEndpointStateChange(events::add);
        apply(TestClusters.config("a").endpoint("10.0.0.1", 80).endpoint("10.0.0.2", 80).build());
        Endpoint e = cluster("a").endpoints().get(0);
        for (int i = 0; i < 3; i++) {
            e.onFailure(FailureKind.SERVER_ERROR);
        }
        ticker.advance(Duration.ofSeconds(10));
        await().atMost(WAIT).until(() -> !e.isEjected());
        assertThat(events).extracting(EndpointEvent::reason)
                .containsExactly(EndpointEvent.Reason.OUTLIER, EndpointEvent.Reason.RECOVERED);
    }

    @Test
    void unhealthyPrimary_failsOverToTheOtherCluster_andComesBackWhenHealthy() {
        // Seed 002: the gateway loses a cluster and must divert traffic by itself, then return.
        manager.onEndpointStateChange(events::add);
        AtomicInteger status = new AtomicInteger(200);
        HttpServer primary = server(0, status);
        int port = primary.getAddress().getPort();
        apply(TestClusters.config("primary").endpoint("127.0.0.1", port).failover("backup")
                        .healthCheck(check("/health")).build(),
                TestClusters.config("backup").endpoint("127.0.0.2", 8080).build());
        Endpoint endpoint = cluster("primary").endpoints().get(0);
        await().atMost(WAIT).until(() -> endpoint.health() == HealthState.HEALTHY);
        assertThat(cluster("primary").pick("").orElseThrow().cluster().name()).isEqualTo("primary");

        primary.stop(0);
        await().atMost(WAIT).until(() -> endpoint.health() == HealthState.UNHEALTHY);
        Pick diverted = cluster("primary").pick("").orElseThrow();
        assertThat(diverted.cluster().name()).isEqualTo("backup");
        assertThat(diverted.endpoint().address()).isEqualTo(new Address("127.0.0.2", 8080));

        server(port, status);
        await().atMost(WAIT).until(() -> endpoint.health() == HealthState.HEALTHY);
        assertThat(cluster("primary").pick("").orElseThrow().cluster().name()).isEqualTo("primary");
        assertThat(events).extracting(EndpointEvent::reason).containsOnly(EndpointEvent.Reason.ACTIVE_CHECK);
        assertThat(events).extracting(e -> e.to().health())
                .containsExactly(HealthState.HEALTHY, HealthState.UNHEALTHY, HealthState.HEALTHY);
        assertThat(events.get(1).detail()).startsWith("connect failed");
    }

    @Test
    void apply_restartsChangedChecks_andForgetsTheVerdictWhenTheCheckIsRemoved() {
        manager.onEndpointStateChange(events::add);
        Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
        HttpServer server = startHttp(0, exchange -> {
            String path = exchange.getRequestURI().getPath();
            hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            exchange.sendResponseHeaders(path.equals("/good") ? 200 : 503, -1);
            exchange.close();
        });
        int port = server.getAddress().getPort();
        TestClusters.Builder base = TestClusters.config("a").endpoint("127.0.0.1", port);

        apply(base.healthCheck(check("/bad")).build());
        Endpoint endpoint = cluster("a").endpoints().get(0);
        await().atMost(WAIT).until(() -> endpoint.health() == HealthState.UNHEALTHY);
        assertThat(cluster("a").pick("")).isEmpty();

        apply(TestClusters.config("a").endpoint("127.0.0.1", port).build());
        assertThat(cluster("a").endpoints().get(0).health()).isEqualTo(HealthState.UNKNOWN);
        assertThat(cluster("a").pick("")).isPresent();
        assertThat(events).last().satisfies(e -> {
            assertThat(e.reason()).isEqualTo(EndpointEvent.Reason.CONFIG);
            assertThat(e.from().health()).isEqualTo(HealthState.UNHEALTHY);
            assertThat(e.to().available()).isTrue();
        });
        int badHits = hits.get("/bad").get();

        apply(base.healthCheck(check("/good")).build());
        await().atMost(WAIT).until(() -> cluster("a").endpoints().get(0).health() == HealthState.HEALTHY);
        // Once the new check has answered four times, the removed one had as many intervals to run in, and must not
        // have (one may have been on its way when it was removed).
        await().atMost(WAIT).until(() -> hits.get("/good").get() >= 4);
        assertThat(hits.get("/bad").get()).isLessThanOrEqualTo(badHits + 1);
    }

    @Test
    void apply_rejectsAKeyThatIsNotTheClusterName_andAnythingAfterClose() {
        ClusterConfig config = TestClusters.config("a").endpoint("10.0.0.1", 80).build();
        assertThatThrownBy(() -> manager.apply(Map.of("b", config))).isInstanceOf(IllegalArgumentException.class);
        manager.close();
        assertThatThrownBy(() -> manager.apply(Map.of("a", config))).isInstanceOf(IllegalStateException.class);
    }

    /** Checks every 50 ms; the deadline is one no busy machine reaches, so only the server's answers decide. */
    private static HealthCheckConfig check(String path) {
        return new HealthCheckConfig(path, Duration.ofMillis(50), Duration.ofSeconds(10), 2, 2);
    }

    private HttpServer server(int port, AtomicInteger status) {
        return startHttp(port, exchange -> {
            exchange.sendResponseHeaders(status.get(), -1);
            exchange.close();
        });
    }

    private HttpServer startHttp(int port, com.sun.net.httpserver.HttpHandler handler) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
            server.createContext("/", handler);
            server.start();
            servers.add(server);
            return server;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
