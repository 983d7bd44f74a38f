package io.palisade.ingest;

import static org.awaitility.Awaitility.await;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.palisade.ratelimit.AdaptiveConcurrencySettings;
import io.palisade.route.IngestAction;
import io.palisade.store.IngestLog;
import io.palisade.time.Ticker;
import io.palisade.upstream.CircuitLimits;
import io.palisade.upstream.ClusterConfig;
import io.palisade.upstream.ClusterManager;
import io.palisade.upstream.EndpointConfig;
import io.palisade.upstream.RetryConfig;
import io.palisade.upstream.Timeouts;
import io.palisade.upstream.balance.BalancerKind;
import io.palisade.upstream.health.OutlierConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drain rate of one forwarder: a backlog of 1 KiB records delivered to a loopback upstream that answers 200 at once.
 * Not part of the suite (the name does not end in Test); run it with {@code -Dtest=ForwarderBench}. Prints a line.
 */
class ForwarderBench {
    @TempDir
    Path tmp;

    @Test
    void drainRate() throws Exception {
        int records = Integer.getInteger("bench.records", 20_000);
        int concurrency = Integer.getInteger("bench.concurrency", 32);
        EventLoopGroup checkers = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        boolean interval = Boolean.getBoolean("bench.interval");
        try (IngestLog log = IngestLog.sqlite(tmp.resolve("ingest.db"), interval ? IngestLog.Durability.INTERVAL
                : IngestLog.Durability.ALWAYS);
             DeliveryUpstream up = DeliveryUpstream.start();
             ClusterManager manager = ClusterManager.create(checkers, Ticker.system())) {
            Journal journal = Journal.start(log, interval ? Optional.of(Duration.ofMillis(100)) : Optional.empty(),
                    100_000);
            manager.apply(Map.of("collector", new ClusterConfig("collector",
                    List.of(new EndpointConfig(up.address(), 1)), BalancerKind.ROUND_ROBIN, Optional.empty(),
                    new Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(30)),
                    Optional.empty(), new OutlierConfig(5, Duration.ofSeconds(10), Duration.ofSeconds(60), 50, 50),
                    new CircuitLimits(1000, 1000, 1000), new RetryConfig(2, 0.2), Optional.empty(),
                    AdaptiveConcurrencySettings.disabled())));
            byte[] body = new byte[Integer.getInteger("bench.bytes", 1024)];
            List<CompletableFuture<IngestLog.Appended>> appends = new ArrayList<>();
            Clock clock = Clock.systemUTC();
            for (int i = 0; i < records; i++) {
                appends.add(journal.append(new IngestLog.NewRecord(String.format("rec-%08d", i), "track",
                        clock.instant(), "POST", "/v1/track", "", List.of(new IngestLog.Header("Content-Type",
                        "application/octet-stream")), Optional.empty(), body, body.length + 40, Optional.empty(),
                        clock.instant())));
            }
            CompletableFuture.allOf(appends.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
            IngestAction action = new IngestAction("collector", 1 << 20, 1L << 30, false, List.of("Content-Type"),
                    new IngestAction.Retry(Duration.ofMillis(500), Duration.ofMinutes(5), 25, Duration.ofHours(24)),
                    concurrency);
            ForwarderStats stats = new ForwarderStats();
            Forwarder f = new Forwarder("track", action, manager::cluster, log, journal, clock, timer, stats,
                    b -> { });
            long t0 = System.nanoTime();
            f.start();
            long[] inFlightSum = new long[2];
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(20))
                    .until(() -> {
                        inFlightSum[0] += stats.inFlight();
                        inFlightSum[1]++;
                        return stats.delivered() == records;
                    });
            double seconds = (System.nanoTime() - t0) / 1e9;
            Journal.Stats js = journal.stats();
            System.out.printf("forwarder drain: %d records of %d bytes, concurrency %d: %.2f s, %.0f records/s,"
                    + " mean in flight %.1f; journal: %d result commits (%d results), %d append commits,"
                    + " mean commit %.2f ms%n", records, body.length, concurrency, seconds, records / seconds,
                    inFlightSum[0] / (double) inFlightSum[1], js.resultCommits(), js.results(), js.commits(),
                    js.commitSecondsSum() * 1000 / Math.max(1, js.commits()));
            f.close();
            f.terminated().get(30, TimeUnit.SECONDS);
            journal.close();
        } finally {
            timer.shutdownNow();
            checkers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
