package io.palisade.drills;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.testing.SilentServer;
import io.palisade.testing.TestUpstream;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Seed 004: a dependency accepted connections and never answered; with no timeout, every serving thread waited on it.
 * Here one route's upstream is such a server. Its callers must get 504 at the route's deadline while another route
 * keeps its latency, and no event loop may stall.
 */
class Seed004HungUpstreamDrill {
    private static final Pattern LAG = Pattern.compile("palisade_event_loop_lag_max_seconds ([0-9.eE-]+)");

    @Test
    void hungUpstream_504AtDeadline_otherRoutesUnaffected() throws Exception {
        Report report = new Report("seed004-hung-upstream");
        try (TestUpstream fast = TestUpstream.start("fast"); SilentServer hung = new SilentServer()) {
            String yaml = """
                    access_log: { enabled: false }
                    clusters:
                      hung:
                        endpoints: [ "%s" ]
                        timeouts: { connect: 200ms, request: 10s, idle: 30s }
                        retries: { attempts: 0 }
                        limits: { max_connections: 4096, max_pending: 4096, max_requests: 4096 }
                        outlier: { consecutive_failures: 1000000, ejection: 1s }
                      fast:
                        endpoints: [ "%s" ]
                    routes:
                      - match: { path_prefix: /hung }
                        cluster: hung
                        timeouts: { request: 500ms }
                      - match: { path_prefix: /ok }
                        cluster: fast
                    """.formatted(hung.address(), fast.address());
            try (GatewayProcess gw = GatewayProcess.start("seed004", yaml, Ports.free(), Ports.free());
                 LagProbe control = new LagProbe()) {
                List<Load.Sample> before;
                try (Load ok = new Load(4, Duration.ofSeconds(30),
                        n -> Load.get(gw.url("/ok"), Duration.ofSeconds(5)))) {
                    before = ok.runUntil(4000).samples();
                }
                List<Load.Sample> during;
                List<Load.Sample> hungSamples;
                try (Load bad = new Load(64, Duration.ofSeconds(60),
                        n -> Load.get(gw.url("/hung"), Duration.ofSeconds(10)));
                     Load ok = new Load(4, Duration.ofSeconds(60),
                             n -> Load.get(gw.url("/ok"), Duration.ofSeconds(5)))) {
                    // The hung route stays saturated (64 callers parked on it) for as long as the other route
                    // takes to serve as many requests as in the baseline.
                    ok.runUntil(4000);
                    bad.runUntil(0);
                    during = ok.samples();
                    hungSamples = bad.samples();
                }
                double slowestHungMs = hungSamples.stream().mapToLong(Load.Sample::latencyMicros).max().orElse(0)
                        / 1000.0;
                report.line("hung route: %d requests, statuses %s, fastest %.0f ms, slowest %.0f ms (deadline 500 ms)",
                        hungSamples.size(), Load.statusCounts(hungSamples),
                        hungSamples.stream().mapToLong(Load.Sample::latencyMicros).min().orElse(0) / 1000.0,
                        slowestHungMs);
                report.line("other route: p50 %.2f ms / p99 %.2f ms before, p50 %.2f ms / p99 %.2f ms during"
                                + " (%d and %d requests, statuses %s)",
                        Load.percentileMs(before, 0.5), Load.percentileMs(before, 0.99),
                        Load.percentileMs(during, 0.5), Load.percentileMs(during, 0.99), before.size(),
                        during.size(), Load.statusCounts(during));
                double lag = maxLag(gw.metrics());
                report.line("largest event-loop lag seen: %.1f ms (a thread of the drill's own JVM: %.1f ms);"
                        + " silent server accepted %d connections", lag * 1000, control.maxLagSeconds() * 1000,
                        hung.acceptedCount());

                assertThat(hungSamples).isNotEmpty().allMatch(s -> s.status() == 504);
                assertThat(hungSamples).allMatch(s -> s.latencyMicros() >= 500_000);
                assertThat(during).isNotEmpty().allMatch(s -> s.status() == 200);
                assertThat(Load.percentileMs(during, 0.99)).as("other route never waits on the hung one")
                        .isLessThan(500);
                // A blocked event loop would lag by the hung route's deadline or more; scheduling noise on a shared
                // machine shows up in the control too.
                assertThat(lag).as("no event loop stalled").isLessThan(control.maxLagSeconds() + 0.25);
                assertThat(gw.stop()).isIn(0, 143);
                assertThat(gw.logText()).doesNotContain("LEAK");
            }
        }
    }

    private static double maxLag(String metrics) {
        Matcher m = LAG.matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }
}
