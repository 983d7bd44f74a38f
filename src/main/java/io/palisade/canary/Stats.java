package io.palisade.canary;

import org.apache.commons.statistics.distribution.BetaDistribution;
import org.apache.commons.statistics.distribution.BinomialDistribution;
import org.apache.commons.statistics.inference.AlternativeHypothesis;
import org.apache.commons.statistics.inference.BinomialTest;

/** The exact tests and bounds the judge is built on, over counts that may exceed what the library takes. */
final class Stats {
    private static final BinomialTest GREATER = BinomialTest.withDefaults().with(AlternativeHypothesis.GREATER_THAN);
    /** The library counts in ints; a step held for hours at high traffic may count more. */
    private static final long MAX_TRIALS = 1 << 30;

    private Stats() {}

    /**
     * The exact (Clopper-Pearson) upper bound of a rate seen as {@code successes} of {@code trials}: the true rate is
     * above it with chance at most {@code alpha}. 1 when nothing was seen.
     */
    static double upperBound(long successes, long trials, double alpha) {
        if (successes >= trials) {
            return 1;
        }
        long s = scaled(successes, trials);
        long n = scaled(trials, trials);
        if (s >= n) {
            return 1;
        }
        return BetaDistribution.of(s + 1, n - s).inverseSurvivalProbability(alpha);
    }

    /**
     * The exact binomial test's p-value for "the rate is above {@code rate}", having seen {@code successes} of
     * {@code trials}.
     */
    static double pAbove(long successes, long trials, double rate) {
        if (successes == 0 || trials == 0) {
            return 1;
        }
        return GREATER.test((int) scaled(trials, trials), (int) scaled(successes, trials), rate).getPValue();
    }

    /**
     * The smallest rank {@code r} (1-based, ascending) such that the {@code r}-th of {@code n} values lies at or above
     * the population's {@code quantile} with chance at least {@code 1 - alpha}, or 0 when {@code n} values are too few
     * for any. Distribution-free: fewer than {@code r} values fall below the quantile unless more than
     * {@code Binomial(n, quantile)}'s {@code 1 - alpha} point do.
     */
    static long upperRank(long n, double quantile, double alpha) {
        if (n < 1) {
            return 0;
        }
        if (n > MAX_TRIALS) {
            // The order statistic's rank scales with n: compute it on the thinned count, then scale back up.
            long thinned = upperRank(MAX_TRIALS, quantile, alpha);
            return thinned == 0 ? 0 : Math.min(n, (long) Math.ceil((double) thinned / MAX_TRIALS * n));
        }
        long below = BinomialDistribution.of((int) n, quantile).inverseCumulativeProbability(1 - alpha);
        return below + 1 > n ? 0 : below + 1;
    }

    /**
     * Counts past what the library takes are thinned in proportion: a smaller sample at the same rate carries less
     * evidence, so a test on it stays valid and only loses power.
     */
    private static long scaled(long count, long trials) {
        return trials <= MAX_TRIALS ? count : (long) ((double) count / trials * MAX_TRIALS);
    }
}
