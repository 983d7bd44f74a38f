package io.palisade.drills;

import java.time.Duration;

/**
 * The only timing bounds a drill asserts. A drill runs its load generator, the gateway and the upstreams on one
 * machine (CI's has 2 cores, shared with other work). There, at load averages of 20 to 50, scheduling alone has been
 * measured to push a route's p99 to about a second, and to answer single requests 3 s past their due time and more. A
 * bound must sit above that noise and below what a seed's failure produces: errors, timeouts, requests held for a hung
 * dependency's whole deadline, seconds of delay. So a bound is 10 x the same figure measured without the trouble (the
 * baseline) and 10 x the same figure of a {@link NoiseControl} measured alongside (the machine's noise at that moment),
 * and never below a floor. The precise figures are printed in the reports either way.
 */
final class NoiseBounds {
    /** The lowest p99 bound. */
    static final Duration P99_FLOOR = Duration.ofSeconds(1);
    /**
     * The lowest bound on one request's extra delay: above the 3.3 s that a starved machine (load average 25) added to
     * the first requests through a cold path of a freshly started gateway.
     */
    static final Duration SINGLE_FLOOR = Duration.ofSeconds(5);
    /** How far a figure may exceed its baseline and its control. */
    static final int FACTOR = 10;

    private NoiseBounds() {}

    /** The bound on a p99 that must stay as it was: 10 x the baseline's p99, 10 x the control's, at least 1 s. */
    static double p99Ms(double baselineP99Ms, double controlP99Ms) {
        return Math.max(FACTOR * Math.max(baselineP99Ms, controlP99Ms), P99_FLOOR.toMillis());
    }

    /** The bound on one request's extra delay: 10 x the baseline's p99, 10 x the control's, at least 5 s. */
    static double singleMs(double baselineP99Ms, double controlP99Ms) {
        return Math.max(FACTOR * Math.max(baselineP99Ms, controlP99Ms), SINGLE_FLOOR.toMillis());
    }

    /** How a bound was reached, for the reports. */
    static String explain(double baselineMs, double controlMs, Duration floor, double boundMs) {
        return String.format("bound max(%d x baseline %.2f, %d x control %.2f, %d) = %.0f ms", FACTOR, baselineMs,
                FACTOR, controlMs, floor.toMillis(), boundMs);
    }
}
