package io.palisade.ratelimit;

import io.palisade.config.ConfigNode;
import java.util.Set;

/**
 * A cluster's {@code adaptive_concurrency} section.
 *
 * <pre>{@code
 * clusters:
 *   orders:
 *     adaptive_concurrency: { enabled: true, min: 8, max: 512 }   # initial: 20, tolerance: 1.5, window: 20
 * }</pre>
 *
 * @param enabled   absent section: false; a written section: true unless {@code enabled: false}
 * @param min       the limit never goes below this (default 8)
 * @param max       nor above this (default 512)
 * @param initial   the limit before any sample (default 20, clamped into [min, max])
 * @param tolerance how much slower than its long-term baseline the cluster may answer before the limit shrinks
 *                  (default 1.5: up to 50% slower is tolerated)
 * @param window    completed requests per limit update (default 20)
 */
public record AdaptiveConcurrencySettings(boolean enabled, int min, int max, int initial, double tolerance,
                                          int window) {
    public static final int DEFAULT_MIN = 8;
    public static final int DEFAULT_MAX = 512;
    public static final int DEFAULT_INITIAL = 20;
    public static final double DEFAULT_TOLERANCE = 1.5;
    public static final int DEFAULT_WINDOW = 20;
    static final int MAX_LIMIT = 1_000_000;
    private static final Set<String> KEYS = Set.of("enabled", "min", "max", "initial", "tolerance", "window");

    public AdaptiveConcurrencySettings {
        if (min < 1 || max < min || max > MAX_LIMIT || initial < min || initial > max) {
            throw new IllegalArgumentException("need 1 <= min <= initial <= max: " + min + ", " + initial + ", " + max);
        }
        if (!(tolerance >= 1.0 && tolerance <= 10.0)) {
            throw new IllegalArgumentException("tolerance must be in [1, 10]: " + tolerance);
        }
        if (window < 1) {
            throw new IllegalArgumentException("window must be >= 1: " + window);
        }
    }

    /** Adaptive concurrency off: every request is admitted. */
    public static AdaptiveConcurrencySettings disabled() {
        return new AdaptiveConcurrencySettings(false, DEFAULT_MIN, DEFAULT_MAX, DEFAULT_INITIAL, DEFAULT_TOLERANCE,
                DEFAULT_WINDOW);
    }

    /** Reads the {@code adaptive_concurrency} node of a cluster; absent means {@link #disabled()}. */
    public static AdaptiveConcurrencySettings parse(ConfigNode node) {
        if (!node.isPresent() || !node.expectObject()) {
            return disabled();
        }
        node.rejectUnknown(KEYS);
        boolean enabled = node.get("enabled").bool(true);
        int min = node.get("min").intValue(DEFAULT_MIN, 1, MAX_LIMIT);
        int max = node.get("max").intValue(Math.max(min, DEFAULT_MAX), 1, MAX_LIMIT);
        if (max < min) {
            node.get("max").invalid(">= min (" + min + ")");
            max = min;
        }
        int defaultInitial = Math.max(min, Math.min(max, DEFAULT_INITIAL));
        ConfigNode initialNode = node.get("initial");
        int initial = initialNode.intValue(defaultInitial, 1, MAX_LIMIT);
        if (initial < min || initial > max) {
            initialNode.invalid("between min (" + min + ") and max (" + max + ")");
            initial = defaultInitial;
        }
        ConfigNode toleranceNode = node.get("tolerance");
        double tolerance = DEFAULT_TOLERANCE;
        if (toleranceNode.isPresent()) {
            if (toleranceNode.raw().isNumber() && toleranceNode.raw().asDouble() >= 1.0
                    && toleranceNode.raw().asDouble() <= 10.0) {
                tolerance = toleranceNode.raw().asDouble();
            } else {
                toleranceNode.invalid("a number between 1.0 and 10.0");
            }
        }
        int window = node.get("window").intValue(DEFAULT_WINDOW, 1, 100_000);
        return new AdaptiveConcurrencySettings(enabled, min, max, initial, tolerance, window);
    }
}
