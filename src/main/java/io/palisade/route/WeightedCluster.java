package io.palisade.route;

import java.util.Objects;

/**
 * One entry of a route's {@code clusters:}: a defined cluster and its share of the route's traffic, out of the sum of
 * the route's weights ({@code cluster: NAME} is one entry of weight {@value #SHORTHAND_WEIGHT}). Weight 0 takes no
 * traffic: how a diversion is written, keeping the entry in the file for the way back.
 *
 * @param weight 0..{@value #MAX_WEIGHT}
 */
public record WeightedCluster(String name, int weight) {
    public static final int MAX_WEIGHT = 10_000;
    /** The weight of the only cluster of a route written with {@code cluster: NAME}. */
    public static final int SHORTHAND_WEIGHT = 100;

    public WeightedCluster {
        Objects.requireNonNull(name, "name");
        if (weight < 0 || weight > MAX_WEIGHT) {
            throw new IllegalArgumentException("weight: " + weight + " (expected: between 0 and " + MAX_WEIGHT + ")");
        }
    }
}
