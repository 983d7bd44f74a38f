package io.palisade.canary;

import java.util.Locale;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * H0: the canary's p99 is at most the larger of the baseline's p99 times {@code 1 + maxIncrease} and the baseline's
 * p99 plus {@link JudgeSettings#P99_FLOOR}. Under H0 at most 1% of canary requests take longer than that threshold,
 * so the test counts the canary's requests above it and asks the exact binomial test whether their share is above 1%.
 *
 * <p>The threshold is built on a distribution-free upper confidence bound of the baseline's p99 (an order statistic),
 * not on its point estimate, so that a baseline window with a light tail cannot make an equal canary look slow. That
 * bound exists only once the baseline has enough requests for its look's alpha: about 900 at the defaults, and never
 * fewer than 138 at any confidence, since each look's bound gets under a quarter of alpha. Until then latency is not
 * judged. The bound and the test each get half of the look's alpha. Histogram buckets are rounded so that both only
 * err towards H0: the bound takes a bucket's highest value, and canary requests in the threshold's bucket count as
 * below it.
 */
final class LatencyEvidence {
    private static final double QUANTILE = 0.99;
    private static final long FLOOR_MICROS = JudgeSettings.P99_FLOOR.toNanos() / 1_000;

    private LatencyEvidence() {}

    static Finding judge(Histogram baseline, Histogram canary, double maxIncrease, double alpha) {
        long canaryRequests = canary.getTotalCount();
        if (canaryRequests == 0) {
            return new Finding(false, "p99: no canary requests");
        }
        double half = alpha / 2;
        long rank = Stats.upperRank(baseline.getTotalCount(), QUANTILE, half);
        if (rank == 0) {
            return new Finding(false, String.format(Locale.ROOT,
                    "p99: not judged, %d baseline requests are too few to bound its p99", baseline.getTotalCount()));
        }
        long bound = valueAtRank(baseline, rank);
        long threshold = Math.min(canary.getHighestTrackableValue(),
                Math.max((long) Math.ceil(bound * (1 + maxIncrease)), bound + FLOOR_MICROS));
        long above = canaryRequests - canary.getCountBetweenValues(0, threshold);
        double p = Stats.pAbove(above, canaryRequests, 1 - QUANTILE);
        boolean regressed = p <= half;
        return new Finding(regressed, String.format(Locale.ROOT,
                "p99: canary %.2f ms, baseline %.2f ms (at most %.2f ms), threshold %.2f ms, canary above it %d/%d,"
                        + " p = %.3g %s %.3g",
                canary.getValueAtPercentile(99.0) / 1_000.0, baseline.getValueAtPercentile(99.0) / 1_000.0,
                bound / 1_000.0, threshold / 1_000.0, above, canaryRequests, p, regressed ? "<=" : ">", half));
    }

    /** The highest value of the bucket holding the {@code rank}-th smallest value (exact counts, no percentages). */
    private static long valueAtRank(Histogram histogram, long rank) {
        long seen = 0;
        for (HistogramIterationValue v : histogram.recordedValues()) {
            seen += v.getCountAtValueIteratedTo();
            if (seen >= rank) {
                return histogram.highestEquivalentValue(v.getValueIteratedTo());
            }
        }
        return histogram.getMaxValue();
    }
}
