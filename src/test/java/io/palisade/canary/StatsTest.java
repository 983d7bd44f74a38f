package io.palisade.canary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import org.junit.jupiter.api.Test;

class StatsTest {
    @Test
    void upperBound_ofNothingSeen_isTheClosedForm() {
        // Clopper-Pearson with no successes: 1 - alpha^(1/n).
        assertThat(Stats.upperBound(0, 990, 1e-4)).isCloseTo(1 - Math.pow(1e-4, 1.0 / 990), offset(1e-12));
        assertThat(Stats.upperBound(0, 0, 1e-4)).isEqualTo(1);
        assertThat(Stats.upperBound(5, 5, 1e-4)).isEqualTo(1);
    }

    @Test
    void upperBound_coversTheRateSeen() {
        assertThat(Stats.upperBound(50, 10_000, 1e-4)).isGreaterThan(0.005).isLessThan(0.01);
    }

    @Test
    void pAbove_isTheBinomialTail() {
        assertThat(Stats.pAbove(5, 5, 0.02)).isCloseTo(Math.pow(0.02, 5), offset(1e-15));
        assertThat(Stats.pAbove(0, 100, 0.02)).isEqualTo(1);
        assertThat(Stats.pAbove(1, 1, 0.5)).isCloseTo(0.5, offset(1e-12));
    }

    @Test
    void pAbove_thinsCountsPastAnInt_keepingTheRate() {
        assertThat(Stats.pAbove(2_000_000_000L, 3_000_000_000L, 0.5)).isLessThan(1e-10);
        assertThat(Stats.pAbove(1_000_000_000L, 4_000_000_000L, 0.5)).isCloseTo(1, offset(1e-9));
    }

    @Test
    void upperRank_needsEnoughValues_forTheMaximumToBoundTheQuantile() {
        // The maximum of n values is below the p99 with chance 0.99^n: n >= ln(alpha) / ln(0.99) to bound it.
        double alpha = 1e-4;
        long needed = (long) Math.ceil(Math.log(alpha) / Math.log(0.99));
        assertThat(Stats.upperRank(needed - 1, 0.99, alpha)).isZero();
        assertThat(Stats.upperRank(needed, 0.99, alpha)).isEqualTo(needed);
        assertThat(Stats.upperRank(100_000, 0.99, alpha)).isBetween(99_000L + 1, 99_200L);
        assertThat(Stats.upperRank(0, 0.99, alpha)).isZero();
    }
}
