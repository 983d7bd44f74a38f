package io.palisade.drills;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.palisade.testing.LoopbackHttp;
import io.palisade.testing.PacedLoad;
import io.palisade.testing.RedisServer;
import io.palisade.testing.TestUpstream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Two real gateway processes share one global limit in Redis: together they must admit what one exact limiter would,
 * within 5 %, while each is offered 1.25 x the whole limit (2.5 x together) for ~10 s.
 *
 * <p>Real time and real processes, on purpose. The reference is GCRA's bound {@code rate x span + burst}, span from
 * the first to the last request sent to either node. It is an upper limit always, and the expected count when the load
 * never paused longer than {@code burst / rate}; on a busy shared machine the load can pause (a bucket refills only up
 * to its burst), so the count is also held against an exact GCRA run over the actual send times (see
 * {@code RateLimitAccuracyTest}).
 *
 * <p>{@code redis.timeout} is 1 s here, far above what production would use: on a 2-core machine shared with other
 * loads a gateway process can be descheduled for hundreds of milliseconds, and a check that misses its deadline is
 * (correctly) decided at the node's local share. Such checks are counted and reported with the figures.
 */
class RedisSharedLimitDrill {
    private static final int RATE = 200;
    private static final int BURST = 100;
    private static final int PER_NODE = 250;
    private static final Duration RUN = Duration.ofSeconds(10);
    private static final Pattern FALLBACK = Pattern.compile("(?m)^palisade_ratelimit_fallback_active ([0-9.]+)$");
    private static final Pattern REDIS_ERRORS =
            Pattern.compile("(?m)^palisade_ratelimit_redis_errors_total ([0-9.eE+]+)$");

    @Test
    void twoGateways_shareOneRedisLimit_withinFivePercent() throws Exception {
        Report report = new Report("redis-shared-limit");
        try (RedisServer redis = RedisServer.start(); TestUpstream upstream = TestUpstream.start("orders")) {
            String yaml = """
                    access_log: { enabled: false }
                    rate_limiting:
                      store: redis
                      redis: { address: "%s", timeout: 1s, probe_interval: 200ms }
                      nodes: 2
                    clusters:
                      orders: { endpoints: [ "%s" ] }
                    routes:
                      - name: orders
                        match: { path_prefix: /orders }
                        cluster: orders
                        rate_limits:
                          - { key: route, rate: %d/s, burst: %d, name: shared }
                    """.formatted(redis.address(), upstream.address(), RATE, BURST);
            try (GatewayProcess a = GatewayProcess.start("redis-shared-a", yaml, Ports.free(), Ports.free());
                 GatewayProcess b = GatewayProcess.start("redis-shared-b", yaml, Ports.free(), Ports.free())) {
                for (GatewayProcess gw : List.of(a, b)) {
                    // A node that could not connect at start retries on the checks of its traffic (probes ride on
                    // checks): warm it up with requests until it decides on Redis.
                    try (LoopbackHttp warm = new LoopbackHttp(gw.port(), null, 10_000)) {
                        await("node connected to Redis").atMost(Duration.ofSeconds(30))
                                .pollInterval(Duration.ofMillis(100)).until(() -> {
                                    warm.get("/orders/warm-up");
                                    return metric(gw.metrics(), FALLBACK) == 0;
                                });
                    }
                }
                double errorsBefore = metric(a.metrics(), REDIS_ERRORS) + metric(b.metrics(), REDIS_ERRORS);

                List<PacedLoad.Sample> all = new ArrayList<>();
                List<List<PacedLoad.Sample>> perNode = new ArrayList<>();
                try (PacedLoad la = PacedLoad.start(a.port(), null, 4, PER_NODE, RUN, PER_NODE * RUN.toSeconds(),
                        n -> new PacedLoad.Get("/orders/a" + n));
                     PacedLoad lb = PacedLoad.start(b.port(), null, 4, PER_NODE, RUN, PER_NODE * RUN.toSeconds(),
                             n -> new PacedLoad.Get("/orders/b" + n))) {
                    long base = Math.min(la.startNanos(), lb.startNanos());
                    for (PacedLoad l : List.of(la, lb)) {
                        List<PacedLoad.Sample> s = l.await().samples().stream()
                                .map(x -> new PacedLoad.Sample(x.sentNanos() + l.startNanos() - base, x.status(),
                                        x.latencyNanos(), x.rateLimit())).toList();
                        perNode.add(s);
                        all.addAll(s);
                    }
                }
                all.sort(Comparator.comparingLong(PacedLoad.Sample::sentNanos));
                String ma = a.metrics();
                String mb = b.metrics();
                double redisErrors = metric(ma, REDIS_ERRORS) + metric(mb, REDIS_ERRORS) - errorsBefore;

                double span = PacedLoad.spanSeconds(all);
                long admitted = all.stream().filter(s -> s.status() == 200).count();
                long limited = all.stream().filter(s -> s.status() == 429).count();
                double bound = RATE * span + BURST;
                long exact = PacedLoad.gcraAdmits(all, RATE, BURST);
                long gap = PacedLoad.largestGapNanos(all);
                boolean continuous = gap < 1_000_000_000L * BURST / RATE;
                report.line("two nodes, global %d/s burst %d in Redis, each offered %d/s for %d s", RATE, BURST,
                        PER_NODE, RUN.toSeconds());
                for (int i = 0; i < 2; i++) {
                    List<PacedLoad.Sample> s = perNode.get(i);
                    report.line("node %s: %d sent, statuses %s, %.1f admitted/s, p50 %.2f ms p99 %.2f ms",
                            i == 0 ? "a" : "b", s.size(), PacedLoad.statusCounts(s),
                            s.stream().filter(x -> x.status() == 200).count() / PacedLoad.spanSeconds(s),
                            PacedLoad.percentileMs(s, 0.5), PacedLoad.percentileMs(s, 0.99));
                }
                report.line("together: %d sent in %.3f s, %d admitted, %d limited; rate x span + burst = %.1f (%+.2f%%);"
                                + " exact GCRA on the send times = %d (%+.2f%%); largest pause %.1f ms (%s);"
                                + " Redis calls that missed the deadline or failed during the run (decided at the node's"
                        + " share): %.0f", all.size(), span, admitted, limited, bound,
                        (admitted - bound) / bound * 100, exact, (admitted - exact) * 100.0 / exact, gap / 1e6,
                        continuous ? "continuous load" : "the load paused longer than burst/rate", redisErrors);

                assertThat(admitted + limited).as("every request answered 200 or 429").isEqualTo(all.size());
                assertThat(upstream.received().stream().filter(r -> !r.uri().equals("/orders/warm-up")).count())
                        .isEqualTo(admitted);
                assertThat((double) admitted).as("never above rate x span + burst").isLessThanOrEqualTo(bound * 1.05);
                assertThat((admitted - exact) / (double) exact).as("admitted vs exact GCRA on the send times")
                        .isBetween(-0.05, 0.05);
                if (continuous) {
                    assertThat((admitted - bound) / bound).as("admitted vs rate x span + burst")
                            .isBetween(-0.05, 0.05);
                }
                assertThat(a.stop()).isIn(0, 143);
                assertThat(b.stop()).isIn(0, 143);
                assertThat(a.logText()).doesNotContain("LEAK");
                assertThat(b.logText()).doesNotContain("LEAK");
            }
        }
    }

    private static double metric(String metrics, Pattern p) {
        Matcher m = p.matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }
}
