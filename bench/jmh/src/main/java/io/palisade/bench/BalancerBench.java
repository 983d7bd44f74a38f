package io.palisade.bench;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.palisade.time.Ticker;
import io.palisade.upstream.Cluster;
import io.palisade.upstream.ClusterManager;
import io.palisade.upstream.Endpoint;
import io.palisade.upstream.Pick;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * Picking an upstream endpoint through {@link ClusterManager} and {@link Cluster#pick}, as the proxy does per request,
 * for each balancer over eight endpoints; and the whole per-request cluster bookkeeping (request permit, pick, the
 * endpoint's in-flight count) on one thread and on two threads at once (the two event loops of the load benchmark
 * share these counters).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class BalancerBench {
    @Param({"round_robin", "weighted", "least_request", "consistent_hash"})
    public String balancer;

    private EventLoopGroup group;
    private ClusterManager manager;

    @Setup(Level.Trial)
    public void setup() {
        String hashOn = balancer.equals("consistent_hash") ? ", hash_on: \"header:X-Tenant\"" : "";
        var config = BenchConfigs.parse("clusters:\n  backend: { endpoints: " + BenchConfigs.endpoints()
                + ", balancer: " + balancer + hashOn
                + ", limits: { max_connections: 100000, max_pending: 100000, max_requests: 100000 } }\n"
                + "routes:\n  - match: { path_prefix: / }\n    cluster: backend\n");
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        manager = ClusterManager.create(group, Ticker.system());
        manager.apply(config.clusters());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Benchmark
    public Optional<Pick> pick() {
        return manager.cluster("backend").orElseThrow().pick("tenant-42");
    }

    /** Everything the proxy does with the cluster for one request that gets an answer. */
    @Benchmark
    public Endpoint pickWithAccounting() {
        return account();
    }

    @Benchmark
    @Threads(2)
    public Endpoint pickWithAccounting_2threads() {
        return account();
    }

    private Endpoint account() {
        Cluster cluster = manager.cluster("backend").orElseThrow();
        if (!cluster.tryAcquireRequest()) {
            throw new IllegalStateException("limit");
        }
        Endpoint e = cluster.pick("tenant-42").orElseThrow().endpoint();
        e.onRequestStart();
        e.onRequestEnd();
        e.onSuccess();
        cluster.releaseRequest();
        return e;
    }
}
