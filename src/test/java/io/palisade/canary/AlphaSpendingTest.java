package io.palisade.canary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import org.junit.jupiter.api.Test;

class AlphaSpendingTest {
    @Test
    void allLooks_togetherSpendAtMostAlpha_howeverManyThereAre() {
        AlphaSpending spending = new AlphaSpending(0.01, 24);
        double planned = 0;
        for (int look = 1; look <= 24; look++) {
            planned += spending.forLook(look);
        }
        double all = planned;
        for (long look = 25; look <= 1_000_000; look++) {
            all += spending.forLook(look);
        }

        assertThat(planned).isLessThan(0.01).isGreaterThan(0.0098);
        assertThat(all).isLessThanOrEqualTo(0.01).isCloseTo(0.01, offset(1e-9));
    }

    @Test
    void shares_neverGrow_andLooksPastThePlanNeverGetMoreThanTheLastPlannedOne() {
        AlphaSpending spending = new AlphaSpending(0.01, 24);
        for (long look = 2; look <= 1_000; look++) {
            assertThat(spending.forLook(look)).as("look %d", look).isLessThanOrEqualTo(spending.forLook(look - 1));
        }
        assertThat(spending.forLook(25)).isEqualTo(spending.forLook(24) / 4);
    }

    @Test
    void earlyLooks_getMoreThanAnEvenSplit_whenABrokenCanaryMustBeCaught() {
        AlphaSpending spending = new AlphaSpending(0.01, 24);
        assertThat(spending.forLook(1)).isGreaterThan(0.01 / 24).isCloseTo(0.01 * 0.0679, offset(1e-5));
        assertThat(spending.forLook(24)).isLessThan(0.01 / 24);
    }

    @Test
    void oneLook_spendsNearlyAll() {
        AlphaSpending spending = new AlphaSpending(0.05, 1);
        assertThat(spending.forLook(1)).isLessThan(0.05).isGreaterThan(0.05 / 1.7);
    }
}
