package io.palisade.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.palisade.testing.FakeTicker;
import io.palisade.upstream.Endpoint.FailureKind;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The retry and failover decision a request makes after a failed attempt. */
class RetriesTest {
    private static EventLoopGroup group;

    private final FakeTicker ticker = new FakeTicker();
    private final ClusterManager manager = ClusterManager.create(group, ticker);

    @BeforeAll
    static void startGroup() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stopGroup() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
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

    @Test
    void resendable_onlyBeforeTheResponseAndTheBody_andOnceSentOnlyWhenIdempotent() {
        assertThat(Retries.resendable(true, false, false, false)).as("connect failed, POST").isTrue();
        assertThat(Retries.resendable(false, true, false, false)).as("reset, GET").isTrue();
        assertThat(Retries.resendable(false, false, false, false)).as("reset, POST").isFalse();
        assertThat(Retries.resendable(true, true, true, false)).as("body streamed").isFalse();
        assertThat(Retries.resendable(true, true, false, true)).as("response began").isFalse();
    }

    @Test
    void start_grantsTheClustersAttempts_andTakeStopsWhenTheyAreSpent() {
        Cluster c = apply(TestClusters.config("a").endpoint("10.0.0.1", 80).endpoint("10.0.0.2", 80)
                .retries(2, 0.2).build());
        Endpoint e = c.endpoints().get(0);
        Retries retries = Retries.start(c).orElseThrow();
        assertThat(retries.left()).isEqualTo(2);
        assertThat(retries.take(e)).isTrue();
        assertThat(retries.take(e)).isTrue();
        assertThat(retries.take(e)).isFalse();
        assertThat(c.retriesInFlight()).isEqualTo(1);
        retries.release();
        retries.release();
        assertThat(c.retriesInFlight()).isZero();
    }

    @Test
    void start_isEmpty_whenTheClusterAllowsNoRetry_orItsBudgetIsSpent() {
        Cluster none = apply(TestClusters.config("none").endpoint("10.0.0.1", 80).retries(0, 0.2).build());
        assertThat(Retries.start(none)).isEmpty();
        assertThat(none.retriesInFlight()).isZero();

        Cluster tight = apply(TestClusters.config("tight").endpoint("10.0.0.1", 80).retries(2, 0.0).build());
        for (int i = 0; i < Cluster.MIN_RETRY_CONCURRENCY; i++) {
            assertThat(Retries.start(tight)).isPresent();
        }
        assertThat(Retries.start(tight)).isEmpty();
        assertThat(tight.rejected(Cluster.Reason.RETRY_BUDGET)).isEqualTo(1);
    }

    @Test
    void next_avoidsTheEndpointThatFailed_whileTheClusterHasAnother() {
        Cluster c = apply(TestClusters.config("a").endpoint("10.0.0.1", 80).endpoint("10.0.0.2", 80).build());
        Endpoint first = c.endpoints().get(0);
        Retries retries = Retries.start(c).orElseThrow();
        retries.take(first);
        for (int i = 0; i < 20; i++) {
            assertThat(retries.next(c, "", first).orElseThrow().endpoint()).isEqualTo(c.endpoints().get(1));
        }
    }

    @Test
    void next_failsOverOnceEveryEndpointOfTheClusterFailedTheRequest_andNeverToAFailedOne() {
        Cluster primary = apply(TestClusters.config("primary").endpoint("10.0.0.1", 80).retries(2, 0.2)
                .failover("backup").build(), TestClusters.config("backup").endpoint("10.0.1.1", 80).build());
        Cluster backup = manager.cluster("backup").orElseThrow();
        Endpoint only = primary.endpoints().get(0);
        Retries retries = Retries.start(primary).orElseThrow();

        retries.take(only);
        Pick next = retries.next(primary, "", only).orElseThrow();
        assertThat(next.cluster()).isSameAs(backup);
        assertThat(next.endpoint()).isEqualTo(backup.endpoints().get(0));

        retries.take(next.endpoint());
        assertThat(retries.next(primary, "", next.endpoint()).orElseThrow().endpoint())
                .as("both failed: the primary's own pick, rather than nothing").isEqualTo(only);
    }

    @Test
    void next_isEmpty_whenNoClusterInTheChainHasAnAvailableEndpoint() {
        // panic_threshold 0: an ejected endpoint is not the last resort it is by default (ClusterTest covers panic).
        Cluster c = apply(TestClusters.config("a").endpoint("10.0.0.1", 80)
                .outlier(1, Duration.ofSeconds(10), Duration.ofSeconds(60), 100).panicThreshold(0).build());
        Endpoint only = c.endpoints().get(0);
        Retries retries = Retries.start(c).orElseThrow();
        retries.take(only);
        only.onFailure(FailureKind.CONNECT_FAILED); // ejected
        assertThat(retries.next(c, "", only)).isEqualTo(Optional.empty());
    }
}
