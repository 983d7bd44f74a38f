package io.palisade.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.palisade.server.Transport;
import io.palisade.time.Ticker;
import io.palisade.upstream.Cluster;
import io.palisade.upstream.ClusterManager;
import io.palisade.upstream.TestClusters;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The upstream connection's idle timeout: the cluster's, or a route's for one exchange, on Netty's mock time. */
class UpstreamIdleTimerTest {
    private static final Duration CLUSTER_IDLE = Duration.ofSeconds(60);

    private EventLoopGroup checks;
    private ClusterManager clusters;
    private EmbeddedChannel channel;
    private UpstreamConnection connection;

    @BeforeEach
    void connect() {
        checks = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        clusters = ClusterManager.create(checks, Ticker.system());
        clusters.apply(Map.of("app", TestClusters.config("app").endpoint("127.0.0.1", 9).build()));
        Cluster cluster = clusters.cluster("app").orElseThrow();
        channel = new EmbeddedChannel();
        channel.freezeTime();
        UpstreamPool pool = new UpstreamPool(channel.eventLoop(), Transport.detect(), null);
        connection = new UpstreamConnection(channel, cluster, cluster.endpoints().get(0), pool);
        channel.pipeline().addLast(UpstreamPool.IDLE, UpstreamPool.idleHandler(CLUSTER_IDLE))
                .addLast("upstream", connection);
    }

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
        clusters.close();
        checks.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Moves Netty's clock and runs what came due; an idle event on an unused connection closes it. */
    private void advance(Duration d) {
        channel.advanceTimeBy(d.toNanos(), TimeUnit.NANOSECONDS);
        channel.runScheduledPendingTasks();
    }

    @Test
    void routeOverride_changesTheTimeoutInPlace_withoutReplacingTheHandler_andTimesFromTheExchangesStart() {
        ChannelHandler installed = channel.pipeline().get(UpstreamPool.IDLE);
        advance(Duration.ofSeconds(50)); // in the pool, most of the cluster's idle timeout gone

        connection.startIdle(Optional.of(Duration.ofMillis(200)));
        assertThat(channel.pipeline().get(UpstreamPool.IDLE)).isSameAs(installed);
        advance(Duration.ofMillis(199));
        assertThat(channel.isOpen()).isTrue();
        advance(Duration.ofMillis(1));
        assertThat(channel.isOpen()).as("idle for the route's 200ms").isFalse();
    }

    @Test
    void restoringTheClustersTimeout_keepsTheHandler_andTheConnectionLivesTheClustersIdle() {
        ChannelHandler installed = channel.pipeline().get(UpstreamPool.IDLE);
        for (int request = 0; request < 3; request++) {
            connection.startIdle(Optional.of(Duration.ofMillis(200)));
            advance(Duration.ofMillis(100)); // the exchange ends within its idle timeout
            connection.restoreIdle();
        }
        assertThat(channel.pipeline().get(UpstreamPool.IDLE)).isSameAs(installed);
        advance(Duration.ofMillis(250));
        assertThat(channel.isOpen()).as("the route's timeout no longer applies").isTrue();
        advance(CLUSTER_IDLE.minusMillis(251));
        assertThat(channel.isOpen()).isTrue();
        advance(Duration.ofMillis(1));
        assertThat(channel.isOpen()).as("idle for the cluster's 60s in the pool").isFalse();
    }

    @Test
    void aConnectionReusedLateInItsPoolLife_getsTheClustersWholeIdleTimeoutForTheExchange() {
        advance(Duration.ofSeconds(50));
        connection.startIdle(Optional.empty());
        advance(CLUSTER_IDLE.minusMillis(1));
        assertThat(channel.isOpen()).as("silence counts from the request, not from the connection's last use").isTrue();
        advance(Duration.ofMillis(1));
        assertThat(channel.isOpen()).isFalse();
    }
}
