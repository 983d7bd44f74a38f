package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import io.palisade.testing.PacedLoad;
import io.palisade.testing.TestUpstream;
import java.time.Duration;
import java.util.List;

/**
 * How exact a local limit is through the whole gateway.
 *
 * <p>REAL TIME, on purpose: this measures the real thing (the gateway on its system ticker, a real client offering
 * 2.5 x the limit for ~10 s), so it cannot run on a fake ticker. It asserts measured ratios, never a duration.
 *
 * <p>The reference is GCRA's bound {@code rate x span + burst}, span from the first to the last request actually
 * sent. That bound is an upper limit always; it is also the expected count only while the offered load never pauses
 * longer than the bucket takes to refill its burst ({@code burst / rate}): during a longer pause (the client or the
 * gateway descheduled on a busy shared machine) a bucket refills only up to its burst and the rest of that time's
 * allowance is lost, exactly as the algorithm says. So: admitted never above the bound by more than 2 %; admitted
 * within 2 % of what an exact GCRA admits for the actual send times; and, when the load had no such pause, within 2 %
 * of the bound itself. The figures are printed either way.
 */
class RateLimitAccuracyTest {
    private static final int RATE = 200;
    private static final int BURST = 50;
    /** 2.5 x the limit, from 8 closed-loop workers on schedule. */
    private static final int OFFERED = 500;
    private static final Duration RUN = Duration.ofSeconds(10);

    @GatewayTest
    void localLimit_throughTheGateway_admitsWithinTwoPercentOfRateTimesSpanPlusBurst(Gateways gateways) {
        try (TestUpstream upstream = TestUpstream.start("orders");
             GatewayFixture gw = gateways.start("""
                     clusters:
                       orders: { endpoints: [ "%s" ] }
                     routes:
                       - name: orders
                         match: { path_prefix: /orders }
                         cluster: orders
                         rate_limits:
                           - { key: route, rate: %d/s, burst: %d, name: accuracy }
                     """.formatted(upstream.address(), RATE, BURST))) {
            List<PacedLoad.Sample> samples;
            long connects;
            try (PacedLoad load = PacedLoad.start(gw.port(), null, 8, OFFERED, RUN, OFFERED * RUN.toSeconds(),
                    n -> new PacedLoad.Get("/orders/" + n))) {
                samples = load.await().samples();
                connects = load.connects();
            }
            double span = PacedLoad.spanSeconds(samples);
            long admitted = samples.stream().filter(s -> s.status() == 200).count();
            long limited = samples.stream().filter(s -> s.status() == 429).count();
            double bound = RATE * span + BURST;
            long exact = PacedLoad.gcraAdmits(samples, RATE, BURST);
            long gap = PacedLoad.largestGapNanos(samples);
            boolean continuous = gap < 1_000_000_000L * BURST / RATE;
            System.out.printf("[accuracy] local %d/s burst %d: sent %d in %.3f s (%.0f/s offered, %d connections),"
                            + " %d admitted, %d limited; rate x span + burst = %.1f (%+.2f%%); exact GCRA on the send"
                            + " times = %d (%+.2f%%); largest pause %.1f ms (%s); latency p50 %.2f ms p99 %.2f ms%n",
                    RATE, BURST, samples.size(), span, samples.size() / span, connects, admitted, limited, bound,
                    (admitted - bound) / bound * 100, exact, (admitted - exact) * 100.0 / exact, gap / 1e6,
                    continuous ? "continuous load" : "the load paused longer than burst/rate",
                    PacedLoad.percentileMs(samples, 0.5), PacedLoad.percentileMs(samples, 0.99));

            assertThat(admitted + limited).as("every request answered 200 or 429").isEqualTo(samples.size());
            assertThat(upstream.requestCount()).isEqualTo((int) admitted);
            assertThat((double) admitted).as("never above rate x span + burst").isLessThanOrEqualTo(bound * 1.02);
            assertThat((admitted - exact) / (double) exact).as("admitted vs exact GCRA on the send times")
                    .isBetween(-0.02, 0.02);
            if (continuous) {
                assertThat((admitted - bound) / bound).as("admitted vs rate x span + burst").isBetween(-0.02, 0.02);
            }
        }
    }
}
