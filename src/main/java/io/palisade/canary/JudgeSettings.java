package io.palisade.canary;

import java.time.Duration;
import java.util.Objects;

/**
 * What the {@link CanaryJudge} calls a regression and how sure it must be, from the rollout's {@code judge} settings.
 *
 * <pre>{@code
 * rollout:
 *   steps: [1%, 10%, 50%, 100%]
 *   step_duration: 30s
 *   min_requests: 200
 *   judge: { max_error_rate_increase: 1%, max_p99_increase: 50%, confidence: 99%, interval: 5s }
 *
 * new JudgeSettings(0.01, 0.5, 0.99, Duration.ofSeconds(5), 200,
 *         JudgeSettings.looksFor(4, Duration.ofSeconds(30), Duration.ofSeconds(5)));   // = defaults()
 * }</pre>
 *
 * @param maxErrorRateIncrease how far the canary's failure rate may exceed the baseline's, in absolute terms
 *                             (0.01 = one percentage point)
 * @param maxP99Increase       how far the canary's p99 latency may exceed the baseline's, relative (0.5 = +50%);
 *                             never less than {@link #P99_FLOOR} above it
 * @param confidence           one minus the chance, over a whole rollout, that a canary no worse than allowed is
 *                             rolled back
 * @param interval             how often the release manager looks (the judge itself keeps no time)
 * @param minRequests          canary requests a step needs before it may be promoted; rollbacks do not wait for them
 * @param maxLooks             looks the whole rollout is planned to take: {@code 1 - confidence} is spent across them
 */
public record JudgeSettings(double maxErrorRateIncrease, double maxP99Increase, double confidence, Duration interval,
                            long minRequests, int maxLooks) {
    /**
     * The least a p99 may grow before it counts, however small the baseline's: loopback latencies of a fraction of a
     * millisecond triple on a scheduling hiccup, and a GC pause hits both versions in one process alike.
     */
    public static final Duration P99_FLOOR = Duration.ofMillis(5);

    public JudgeSettings {
        Objects.requireNonNull(interval, "interval");
        if (!(maxErrorRateIncrease >= 0 && maxErrorRateIncrease < 1)) {
            throw new IllegalArgumentException(
                    "max_error_rate_increase: " + maxErrorRateIncrease + " (expected: >= 0 and < 1)");
        }
        if (!(maxP99Increase >= 0 && Double.isFinite(maxP99Increase))) {
            throw new IllegalArgumentException("max_p99_increase: " + maxP99Increase + " (expected: >= 0)");
        }
        if (!(confidence > 0 && confidence < 1)) {
            throw new IllegalArgumentException("confidence: " + confidence + " (expected: > 0 and < 1)");
        }
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval: " + interval + " (expected: > 0)");
        }
        if (minRequests < 1) {
            // No data must never pass: a step with zero canary requests would otherwise be promoted.
            throw new IllegalArgumentException("min_requests: " + minRequests + " (expected: >= 1)");
        }
        if (maxLooks < 1) {
            throw new IllegalArgumentException("maxLooks: " + maxLooks + " (expected: >= 1)");
        }
    }

    /** 1 pp, +50%, 99%, every 5 s, 200 requests, and the 24 looks of four 30 s steps. */
    public static JudgeSettings defaults() {
        Duration interval = Duration.ofSeconds(5);
        return new JudgeSettings(0.01, 0.5, 0.99, interval, 200, looksFor(4, Duration.ofSeconds(30), interval));
    }

    /** The looks a rollout of {@code steps} steps of {@code stepDuration} takes at one per {@code interval}. */
    public static int looksFor(int steps, Duration stepDuration, Duration interval) {
        if (steps < 1 || stepDuration.isNegative() || stepDuration.isZero() || interval.isNegative()
                || interval.isZero()) {
            throw new IllegalArgumentException("steps: " + steps + ", step_duration: " + stepDuration + ", interval: "
                    + interval + " (expected: all > 0)");
        }
        long perStep = (stepDuration.toNanos() + interval.toNanos() - 1) / interval.toNanos();
        return (int) Math.min(Integer.MAX_VALUE, steps * perStep);
    }

    /** The chance of a false rollback the whole rollout may spend: {@code 1 - confidence}. */
    public double alpha() {
        return 1 - confidence;
    }
}
