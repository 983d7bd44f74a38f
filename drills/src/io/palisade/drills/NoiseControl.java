package io.palisade.drills;

import io.palisade.testing.PacedLoad;
import io.palisade.testing.TestUpstream;
import java.time.Duration;
import java.util.List;

/**
 * The control for a latency bound: requests from the drill's JVM straight to an upstream, bypassing the gateway, 20 a
 * second over the phase being measured. When the shared machine is busy they are slowed by the same scheduling as the
 * requests through the gateway; a failure of the gateway does not reach them, so it still crosses the bound.
 *
 * <pre>{@code
 * NoiseControl control = new NoiseControl(upstream);
 * ... the measured phase ...
 * double bound = NoiseBounds.p99Ms(baselineP99, control.stop());
 * }</pre>
 */
final class NoiseControl {
    private static final int PER_SECOND = 20;
    private final PacedLoad load;
    private List<PacedLoad.Sample> samples = List.of();

    NoiseControl(TestUpstream upstream) {
        load = PacedLoad.steady(upstream.port(), null, 1, PER_SECOND, Duration.ofMinutes(10), Long.MAX_VALUE,
                n -> new PacedLoad.Get("/noise-control/" + n));
    }

    /** Ends the control; returns its p99 in milliseconds. */
    double stop() {
        samples = load.stop().samples();
        return p99Ms();
    }

    double p99Ms() {
        return PacedLoad.percentileMs(samples, 0.99);
    }

    /** Its figures, for the report. */
    String figures() {
        return String.format("%d requests straight to the upstream, statuses %s, p50 %.2f ms, p99 %.2f ms, slowest"
                        + " %.2f ms", samples.size(), PacedLoad.statusCounts(samples),
                PacedLoad.percentileMs(samples, 0.5), p99Ms(), PacedLoad.percentileMs(samples, 1.0));
    }
}
