package io.palisade.proxy;

import java.util.Arrays;
import java.util.function.IntPredicate;
import java.util.random.RandomGenerator;

/**
 * Picks a slot (a route's weighted cluster) with probability weight / total, from a cumulative table built once per
 * snapshot: one random number and a short scan, no allocation. The randomness is a parameter, so a test can pick
 * deterministically; the proxy passes {@code ThreadLocalRandom.current()}.
 *
 * <p>A slot that cannot take the request now (its cluster has no available endpoint) gives its share to the others
 * in proportion to their weights: {@link #pick(RandomGenerator, IntPredicate)} draws among the usable slots' weights
 * only. The usable test runs on every slot (a volatile read each), then, only when some slot is unusable, again while
 * walking the weights; a slot whose state changes between the two still gets a valid answer, one draw slightly off.
 */
final class WeightTable {
    private final int[] weights;
    /** {@code cumulative[i]} is the sum of {@code weights[0..i]}. */
    private final int[] cumulative;
    private final int total;

    /** @param weights each above 0, at least one */
    WeightTable(int[] weights) {
        if (weights.length == 0) {
            throw new IllegalArgumentException("weights: none (expected: at least one)");
        }
        this.weights = weights.clone();
        this.cumulative = new int[weights.length];
        int sum = 0;
        for (int i = 0; i < weights.length; i++) {
            if (weights[i] <= 0) {
                throw new IllegalArgumentException("weights: " + Arrays.toString(weights) + " (expected: each > 0)");
            }
            sum = Math.addExact(sum, weights[i]);
            cumulative[i] = sum;
        }
        this.total = sum;
    }

    int size() {
        return weights.length;
    }

    int total() {
        return total;
    }

    /** A slot by weight, whatever the slots' state. */
    int pick(RandomGenerator random) {
        if (weights.length == 1) {
            return 0;
        }
        return slotOf(random.nextInt(total));
    }

    /**
     * A slot by weight among those {@code usable}; when none is, by weight among all (the picked slot's cluster then
     * does what it does without endpoints: its failover chain, then 503).
     */
    int pick(RandomGenerator random, IntPredicate usable) {
        if (weights.length == 1) {
            return 0;
        }
        int slot = pickUsable(random, usable, -1);
        return slot >= 0 ? slot : slotOf(random.nextInt(total));
    }

    /**
     * A slot other than {@code exclude}, by weight among the usable others: where a request goes whose slot has no
     * endpoint left for it. -1 when no other slot is usable.
     */
    int pickOther(RandomGenerator random, IntPredicate usable, int exclude) {
        return pickUsable(random, usable, exclude);
    }

    private int pickUsable(RandomGenerator random, IntPredicate usable, int exclude) {
        int n = weights.length;
        int usableTotal = 0;
        for (int i = 0; i < n; i++) {
            if (i != exclude && usable.test(i)) {
                usableTotal += weights[i];
            }
        }
        if (usableTotal == 0) {
            return -1;
        }
        int roll = random.nextInt(usableTotal);
        if (usableTotal == total) {
            return slotOf(roll);
        }
        int last = -1;
        for (int i = 0; i < n; i++) {
            if (i != exclude && usable.test(i)) {
                roll -= weights[i];
                if (roll < 0) {
                    return i;
                }
                last = i;
            }
        }
        return last; // some slot became unusable since the sum: the last one still usable
    }

    /** The slot whose cumulative range holds {@code roll}, in [0, total). */
    private int slotOf(int roll) {
        int i = Arrays.binarySearch(cumulative, roll + 1);
        return i >= 0 ? i : -i - 1;
    }
}
