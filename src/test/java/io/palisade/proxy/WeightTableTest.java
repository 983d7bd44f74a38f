package io.palisade.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import java.util.function.IntPredicate;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * The weighted pick, driven by a generator whose draws are 0, 1, 2, ... (each taken modulo the bound asked for): over
 * every whole cycle of draws each slot gets exactly its weight, so proportions are checked exactly, not within a
 * tolerance. A seeded generator checks what a real random one does, reproducibly.
 */
class WeightTableTest {
    private static final IntPredicate ALL = slot -> true;

    /** Draws 0, 1, 2, ... modulo the bound: every value of a range once per cycle, in order. */
    private static final class Sequential implements RandomGenerator {
        private long next;

        @Override
        public long nextLong() {
            return next++;
        }

        @Override
        public int nextInt(int bound) {
            return (int) (next++ % bound);
        }
    }

    private static int[] count(WeightTable table, int picks, RandomGenerator random, IntPredicate usable) {
        int[] counts = new int[table.size()];
        for (int i = 0; i < picks; i++) {
            counts[table.pick(random, usable)]++;
        }
        return counts;
    }

    @Test
    void fiftyFifty_overTwoThousandPicks_isExactlyHalfEach() {
        assertThat(count(new WeightTable(new int[] {50, 50}), 2000, new Sequential(), ALL)).containsExactly(1000,
                1000);
    }

    @Test
    void ninetyTen_overTwoThousandPicks_isExactly1800And200() {
        assertThat(count(new WeightTable(new int[] {90, 10}), 2000, new Sequential(), ALL)).containsExactly(1800,
                200);
    }

    @Test
    void unevenWeights_eachSlotOwnsExactlyItsCumulativeRange() {
        WeightTable table = new WeightTable(new int[] {1, 3, 6});
        Sequential random = new Sequential();
        StringBuilder order = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            order.append(table.pick(random));
        }
        assertThat(order).hasToString("0111222222");
        assertThat(table.total()).isEqualTo(10);
    }

    @Test
    void oneSlot_drawsNothing() {
        RandomGenerator noDraws = () -> {
            throw new AssertionError("a single cluster needs no random number");
        };
        WeightTable table = new WeightTable(new int[] {7});
        assertThat(table.pick(noDraws)).isZero();
        assertThat(table.pick(noDraws, slot -> false)).isZero();
    }

    @Test
    void seededRandom_ninetyTen_staysWithinFiveSigma() {
        // Binomial(n = 2000, p = 0.1): sd = sqrt(2000 * 0.1 * 0.9) = 13.4; five of them is 67.
        int[] counts = count(new WeightTable(new int[] {90, 10}), 2000, new SplittableRandom(2024), ALL);
        assertThat(counts[1]).isBetween(200 - 67, 200 + 67);
        assertThat(counts[0] + counts[1]).isEqualTo(2000);
    }

    @Test
    void unusableSlot_givesItsShareToTheOthers_inProportionToTheirWeights() {
        WeightTable table = new WeightTable(new int[] {50, 30, 20});
        int[] counts = count(table, 5000, new Sequential(), slot -> slot != 0);
        // 30 : 20 of what is usable, over whole cycles of 50 draws.
        assertThat(counts).containsExactly(0, 3000, 2000);
    }

    @Test
    void noUsableSlot_picksByAllTheWeights() {
        WeightTable table = new WeightTable(new int[] {90, 10});
        assertThat(count(table, 1000, new Sequential(), slot -> false)).containsExactly(900, 100);
    }

    @Test
    void pickOther_neverReturnsTheExcludedSlot_andIsMinusOneWhenNoOtherIsUsable() {
        WeightTable table = new WeightTable(new int[] {50, 30, 20});
        Sequential random = new Sequential();
        int[] counts = new int[3];
        for (int i = 0; i < 500; i++) {
            counts[table.pickOther(random, ALL, 1)]++;
        }
        // Seven whole cycles of 70 draws (350 and 140), then draws 0..9, all in slot 0's range.
        assertThat(counts).containsExactly(360, 0, 140);
        assertThat(table.pickOther(random, slot -> slot == 1, 1)).isEqualTo(-1);
        assertThat(table.pickOther(random, slot -> slot == 2, 0)).isEqualTo(2);
    }

    @Test
    void aSlotTurningUnusableBetweenTheSumAndTheWalk_stillGetsAUsableAnswer() {
        WeightTable table = new WeightTable(new int[] {10, 10, 10});
        // Slot 2 is usable while the shares are summed (its first test), then not: the draw lands past the others.
        int[] tests = new int[3];
        IntPredicate flaky = slot -> slot != 0 && (slot != 2 || tests[2]++ == 0);
        RandomGenerator last = new RandomGenerator() {
            @Override
            public long nextLong() {
                return 0;
            }

            @Override
            public int nextInt(int bound) {
                return bound - 1;
            }
        };
        assertThat(table.pick(last, flaky)).isEqualTo(1);
    }

    @Test
    void weights_mustBePositive_andTheirSumAnInt() {
        assertThatThrownBy(() -> new WeightTable(new int[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WeightTable(new int[] {5, 0})).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WeightTable(new int[] {Integer.MAX_VALUE, 1}))
                .isInstanceOf(ArithmeticException.class);
    }
}
