package io.palisade.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.palisade.config.Address;
import io.palisade.upstream.balance.BalancerKind;
import io.palisade.upstream.health.HealthCheckConfig;
import io.palisade.testing.FakeTicker;
import io.palisade.upstream.Endpoint.FailureKind;
import io.palisade.upstream.health.HealthState;
import io.palisade.upstream.health.ProbeResult;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Picking, passive ejection and failover, driven by a fake ticker: no sleeps. */
class ClusterTest {
    private static EventLoopGroup group;

    private final FakeTicker ticker = new FakeTicker();
    private final ClusterManager manager = ClusterManager.create(group, ticker);
    private final List<EndpointEvent> events = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startGroup() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stopGroup() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @BeforeEach
    void listen() {
        manager.onEndpointStateChange(events::add);
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private Cluster apply(ClusterConfig... configs) {
        Map<String, ClusterConfig> map = new LinkedHashMap<>();
        for (ClusterConfig c : configs) {
            map.put(c.name(), c);
        }
        manager.apply(map);
        return manager.cluster(configs[0].name()).orElseThrow();
    }

    private static TestClusters.Builder four(String name) {
        return TestClusters.config(name).endpoint("10.0.0.1", 80).endpoint("10.0.0.2", 80)
                .endpoint("10.0.0.3", 80).endpoint("10.0.0.4", 80);
    }

    private static Set<Endpoint> pickMany(Cluster cluster, int n) {
        Set<Endpoint> seen = new HashSet<>();
        for (int i = 0; i < n; i++) {
            cluster.pick("").ifPresent(p -> seen.add(p.endpoint()));
        }
        return seen;
    }

    private static void fail(Endpoint e, int times) {
        for (int i = 0; i < times; i++) {
            e.onFailure(FailureKind.SERVER_ERROR);
        }
    }

    @Test
    void pick_returnsTheSameCachedPickForAnEndpoint() {
        Cluster cluster = apply(TestClusters.config("solo").endpoint("10.0.0.1", 80).build());
        Optional<Pick> first = cluster.pick("");
        assertThat(first).isPresent();
        assertThat(cluster.pick("")).isSameAs(first);
        assertThat(first.get().cluster()).isSameAs(cluster);
        assertThat(manager.cluster("solo")).isSameAs(manager.cluster("solo"));
    }

    @Test
    void consecutiveFailures_ejectTheEndpointUntilTheEjectionEnds() {
        Cluster cluster = apply(four("a").build());
        Endpoint bad = cluster.endpoints().get(1);

        fail(bad, 2);
        assertThat(bad.isEjected()).isFalse();
        fail(bad, 1);
        assertThat(bad.isEjected()).isTrue();
        assertThat(bad.isAvailable()).isFalse();
        assertThat(bad.ejectedUntilNanos() - ticker.read()).isEqualTo(Duration.ofSeconds(10).toNanos());
        assertThat(pickMany(cluster, 100)).hasSize(3).doesNotContain(bad);
        assertThat(events).singleElement().satisfies(e -> {
            assertThat(e.reason()).isEqualTo(EndpointEvent.Reason.OUTLIER);
            assertThat(e.address()).isEqualTo(new Address("10.0.0.2", 80));
            assertThat(e.from().available()).isTrue();
            assertThat(e.to().ejected()).isTrue();
            assertThat(e.detail()).contains("3 consecutive failures", "SERVER_ERROR", "10000 ms");
        });

        ticker.advance(Duration.ofSeconds(9));
        assertThat(pickMany(cluster, 100)).doesNotContain(bad);
        ticker.advance(Duration.ofSeconds(1));
        assertThat(pickMany(cluster, 100)).contains(bad);
        assertThat(bad.isEjected()).isFalse();
        assertThat(events).hasSize(2);
        assertThat(events.get(1).reason()).isEqualTo(EndpointEvent.Reason.RECOVERED);
        assertThat(events.get(1).to().available()).isTrue();
    }

    @Test
    void aSuccess_breaksTheRunOfFailures() {
        Cluster cluster = apply(four("a").build());
        Endpoint e = cluster.endpoints().get(0);
        fail(e, 2);
        e.onSuccess();
        fail(e, 2);
        assertThat(e.isEjected()).isFalse();
        assertThat(e.consecutiveFailures()).isEqualTo(2);
    }

    @Test
    void repeatedEjections_growAndAreCapped() {
        Cluster cluster = apply(four("a").outlier(1, Duration.ofSeconds(10), Duration.ofSeconds(30), 50).build());
        Endpoint e = cluster.endpoints().get(0);
        long[] expected = {10, 20, 30, 30};
        for (long seconds : expected) {
            e.onFailure(FailureKind.TIMEOUT);
            assertThat(e.ejectedUntilNanos() - ticker.read()).isEqualTo(Duration.ofSeconds(seconds).toNanos());
            ticker.advance(Duration.ofSeconds(seconds));
            cluster.pick("");
            assertThat(e.isEjected()).isFalse();
        }
        assertThat(e.ejectionCount()).isEqualTo(4);
    }

    @Test
    void ejections_neverExceedMaxEjectionPercent() {
        Cluster cluster = apply(four("a").build()); // 50% of 4: two at most
        for (Endpoint e : cluster.endpoints()) {
            fail(e, 3);
        }
        assertThat(cluster.endpoints()).filteredOn(Endpoint::isEjected).hasSize(2);
        assertThat(cluster.availableEndpoints()).hasSize(2);

        // When one comes back, the budget lets another one go.
        ticker.advance(Duration.ofSeconds(10));
        cluster.pick("");
        Endpoint kept = cluster.endpoints().get(3);
        fail(kept, 3);
        assertThat(kept.isEjected()).isTrue();
    }

    @Test
    void smallCluster_alwaysAllowsOneEjection_andZeroPercentDisablesIt() {
        Cluster single = apply(TestClusters.config("single").endpoint("10.0.0.1", 80)
                .outlier(3, Duration.ofSeconds(10), Duration.ofSeconds(60), 10).build());
        fail(single.endpoints().get(0), 3);
        assertThat(single.endpoints().get(0).isEjected()).isTrue();
        // Out of the available set; picks still reach it through panic (see the panic tests below).
        assertThat(single.availableEndpoints()).isEmpty();

        Cluster never = apply(four("never").outlier(3, Duration.ofSeconds(10), Duration.ofSeconds(60), 0).build());
        fail(never.endpoints().get(0), 10);
        assertThat(never.endpoints().get(0).isEjected()).isFalse();
    }

    @Test
    void oneEndpointCluster_itsEjectedEndpointStillTakesTraffic_inPanic_untilTheEjectionEnds() {
        Cluster cluster = apply(TestClusters.config("solo").endpoint("10.0.0.1", 80).build());
        Endpoint only = cluster.endpoints().get(0);
        fail(only, 3);
        assertThat(only.isEjected()).isTrue();

        for (int i = 0; i < 5; i++) {
            assertThat(cluster.pick("").orElseThrow().endpoint()).isEqualTo(only);
        }
        assertThat(cluster.pick("", only).orElseThrow().endpoint()).isEqualTo(only);
        assertThat(cluster.inPanic()).isTrue();
        assertThat(cluster.snapshot().panic()).isTrue();
        assertThat(cluster.panicPicks()).isEqualTo(6);

        ticker.advance(Duration.ofSeconds(10));
        assertThat(cluster.pick("").orElseThrow().endpoint()).isEqualTo(only);
        assertThat(only.isEjected()).isFalse();
        assertThat(cluster.inPanic()).isFalse();
        assertThat(cluster.panicPicks()).as("no panic once the ejection ended").isEqualTo(6);
    }

    @Test
    void ejectionsLeavingFewerThanThePanicThreshold_putEveryEndpointBackInRotation() {
        Cluster cluster = apply(four("a").outlier(3, Duration.ofSeconds(10), Duration.ofSeconds(60), 100)
                .panicThreshold(50).build());
        List<Endpoint> all = cluster.endpoints();
        fail(all.get(0), 3);
        fail(all.get(1), 3);
        assertThat(cluster.inPanic()).as("2 of 4 left: 50%, not under it").isFalse();
        assertThat(pickMany(cluster, 200)).containsExactlyInAnyOrder(all.get(2), all.get(3));
        assertThat(cluster.panicPicks()).isZero();

        fail(all.get(2), 3);
        assertThat(cluster.availableEndpoints()).containsExactly(all.get(3));
        assertThat(cluster.inPanic()).as("1 of 4 left: 25%").isTrue();
        assertThat(pickMany(cluster, 200)).containsExactlyInAnyOrderElementsOf(all);
        assertThat(cluster.panicPicks()).isEqualTo(200);
    }

    @Test
    void panicThresholdZero_letsEjectionEmptyTheCluster() {
        Cluster cluster = apply(TestClusters.config("solo").endpoint("10.0.0.1", 80).panicThreshold(0).build());
        fail(cluster.endpoints().get(0), 3);
        assertThat(cluster.pick("")).isEmpty();
        assertThat(cluster.inPanic()).isFalse();
    }

    @Test
    void inPanic_endpointsAnActiveCheckMarkedDown_stayOut_andNoneAllowedMeansNoPick() {
        Cluster cluster = apply(TestClusters.config("c").endpoint("127.0.0.1", 9).endpoint("127.0.0.1", 10)
                .endpoint("127.0.0.1", 11).outlier(3, Duration.ofSeconds(10), Duration.ofSeconds(60), 100)
                .healthCheck(new HealthCheckConfig("/health", Duration.ofHours(1), Duration.ofSeconds(1), 1, 1))
                .build());
        List<Endpoint> all = cluster.endpoints();
        markUnhealthy(all.get(0));
        fail(all.get(1), 3);
        fail(all.get(2), 3);

        assertThat(cluster.inPanic()).isTrue();
        assertThat(pickMany(cluster, 200)).containsExactlyInAnyOrder(all.get(1), all.get(2));

        markUnhealthy(all.get(1));
        markUnhealthy(all.get(2));
        assertThat(cluster.pick("")).as("active checks are not second-guessed").isEmpty();
        assertThat(cluster.inPanic()).isFalse();
    }

    @Test
    void allEjected_failsOverFirst_andPanicsOnlyWhenTheWholeChainHasNothing() {
        ClusterConfig primary = TestClusters.config("primary").endpoint("10.0.0.1", 80).endpoint("10.0.0.2", 80)
                .outlier(1, Duration.ofSeconds(10), Duration.ofSeconds(60), 100).failover("secondary").build();
        ClusterConfig secondary = TestClusters.config("secondary").endpoint("10.1.0.1", 80)
                .outlier(1, Duration.ofSeconds(20), Duration.ofSeconds(60), 100).build();
        Cluster cluster = apply(primary, secondary);
        Cluster backup = manager.cluster("secondary").orElseThrow();
        cluster.endpoints().get(0).onFailure(FailureKind.CONNECT_FAILED);
        cluster.endpoints().get(1).onFailure(FailureKind.CONNECT_FAILED);

        assertThat(cluster.pick("").orElseThrow().cluster()).isSameAs(backup);
        assertThat(cluster.panicPicks()).isZero();

        backup.endpoints().get(0).onFailure(FailureKind.CONNECT_FAILED);
        Pick last = cluster.pick("").orElseThrow();
        assertThat(last.cluster()).as("the primary's ejected endpoints before the backup's").isSameAs(cluster);
        assertThat(last.endpoint().isEjected()).isTrue();
        assertThat(cluster.panicPicks()).isEqualTo(1);
        assertThat(backup.panicPicks()).isZero();

        ticker.advance(Duration.ofSeconds(10));
        Pick home = cluster.pick("").orElseThrow();
        assertThat(home.cluster()).isSameAs(cluster);
        assertThat(home.endpoint().isEjected()).isFalse();
        assertThat(cluster.panicPicks()).isEqualTo(1);
    }

    @Test
    void allEndpointsUnavailable_picksFromTheFailoverCluster() {
        ClusterConfig primary = TestClusters.config("primary").endpoint("10.0.0.1", 80).endpoint("10.0.0.2", 80)
                .outlier(1, Duration.ofSeconds(10), Duration.ofSeconds(60), 100).failover("secondary").build();
        ClusterConfig secondary = TestClusters.config("secondary").endpoint("10.1.0.1", 80).build();
        Cluster cluster = apply(primary, secondary);
        Cluster backup = manager.cluster("secondary").orElseThrow();

        cluster.endpoints().get(0).onFailure(FailureKind.CONNECT_FAILED);
        assertThat(cluster.pick("").orElseThrow().cluster()).isSameAs(cluster);
        cluster.endpoints().get(1).onFailure(FailureKind.CONNECT_FAILED);

        Pick pick = cluster.pick("").orElseThrow();
        assertThat(pick.cluster()).isSameAs(backup);
        assertThat(pick.endpoint().address()).isEqualTo(new Address("10.1.0.1", 80));

        ticker.advance(Duration.ofSeconds(10));
        assertThat(cluster.pick("").orElseThrow().cluster()).as("back home once recovered").isSameAs(cluster);
    }

    @Test
    void activeCheckVerdicts_takeEndpointsOutAndFailOverDownAChain() {
        Cluster a = apply(checked("a", 9).failover("b").build(), checked("b", 10).failover("c").build(),
                TestClusters.config("c").endpoint("10.0.2.1", 80).build());
        Cluster b = manager.cluster("b").orElseThrow();
        markUnhealthy(a.endpoints().get(0));
        markUnhealthy(b.endpoints().get(0));

        assertThat(a.endpoints().get(0).health()).isEqualTo(HealthState.UNHEALTHY);
        assertThat(a.pick("").orElseThrow().cluster().name()).isEqualTo("c");
        assertThat(events).extracting(EndpointEvent::reason).containsOnly(EndpointEvent.Reason.ACTIVE_CHECK);
    }

    @Test
    void failoverCycle_withNothingAvailable_endsEmptyInsteadOfLooping() {
        Cluster a = apply(checked("a", 9).failover("b").build(), checked("b", 10).failover("a").build());
        markUnhealthy(a.endpoints().get(0));
        markUnhealthy(manager.cluster("b").orElseThrow().endpoints().get(0));

        assertThat(a.pick("")).isEmpty();
        assertThat(a.pick("", a.endpoints().get(0))).isEmpty();
    }

    @Test
    void failoverToAMissingCluster_isEmpty() {
        Cluster a = apply(checked("a", 9).failover("gone").build());
        markUnhealthy(a.endpoints().get(0));
        assertThat(a.pick("")).isEmpty();
    }

    @Test
    void consistentHash_ejectingAnEndpoint_movesOnlyItsKeysAndTheyReturnAfterwards() {
        Cluster cluster = apply(four("ring").balancer(BalancerKind.CONSISTENT_HASH).build());
        Map<String, Endpoint> before = new LinkedHashMap<>();
        for (int k = 0; k < 2000; k++) {
            before.put("tenant-" + k, cluster.pick("tenant-" + k).orElseThrow().endpoint());
        }
        Endpoint ejected = cluster.endpoints().get(2);
        fail(ejected, 3);
        before.forEach((key, owner) -> {
            Endpoint now = cluster.pick(key).orElseThrow().endpoint();
            if (owner.equals(ejected)) {
                assertThat(now).isNotEqualTo(ejected);
            } else {
                assertThat(now).as(key).isEqualTo(owner);
            }
        });
        ticker.advance(Duration.ofSeconds(10));
        before.forEach((key, owner) -> assertThat(cluster.pick(key).orElseThrow().endpoint()).isEqualTo(owner));
    }

    @Test
    void retryPick_avoidsThePreviousEndpointWhenAnotherIsAvailable() {
        Cluster cluster = apply(four("a").build());
        Endpoint first = cluster.pick("").orElseThrow().endpoint();
        for (int i = 0; i < 100; i++) {
            assertThat(cluster.pick("", first).orElseThrow().endpoint()).isNotEqualTo(first);
        }
        Cluster solo = apply(TestClusters.config("solo").endpoint("10.0.0.9", 80).build());
        Endpoint only = solo.endpoints().get(0);
        assertThat(solo.pick("", only).orElseThrow().endpoint()).isEqualTo(only);
    }

    @Test
    void snapshot_showsEndpointStateAndLimits() {
        Cluster cluster = apply(four("a").build());
        Endpoint e = cluster.endpoints().get(0);
        e.onRequestStart();
        fail(e, 3);
        ticker.advance(Duration.ofSeconds(4));
        cluster.tryAcquireRequest();

        ClusterSnapshot snapshot = cluster.snapshot();
        assertThat(snapshot.name()).isEqualTo("a");
        assertThat(snapshot.availableEndpoints()).isEqualTo(3);
        assertThat(snapshot.activeRequests()).isEqualTo(1);
        assertThat(snapshot.rejected()).containsEntry(Cluster.Reason.MAX_REQUESTS, 0L);
        assertThat(snapshot.endpoints().get(0)).isEqualTo(new EndpointSnapshot(new Address("10.0.0.1", 80), 1,
                HealthState.UNKNOWN, true, 6000, 1, 1, 0));
        assertThat(snapshot.endpoints().get(1).available()).isTrue();
    }

    /**
     * A cluster whose active check exists (so verdicts count) but in practice never runs during the test; if it did,
     * it would find the loopback port closed, the same verdict the test hands in.
     */
    private static TestClusters.Builder checked(String name, int port) {
        return TestClusters.config(name).endpoint("127.0.0.1", port)
                .healthCheck(new HealthCheckConfig("/health", Duration.ofHours(1), Duration.ofSeconds(1), 1, 1));
    }

    private static void markUnhealthy(Endpoint e) {
        e.core().owner.probed(e.core(), new ProbeResult(false, "status 503"));
    }
}
