package io.palisade.upstream.health;

/**
 * The legal moves of the active-health state machine. Anything else (back to UNKNOWN, or a "move" to the same state)
 * is a bug in the caller and {@link #between} refuses it, so a wrong transition fails loudly in tests instead of
 * quietly sending traffic to a dead endpoint.
 */
public enum HealthTransition {
    UNKNOWN_TO_HEALTHY(HealthState.UNKNOWN, HealthState.HEALTHY),
    UNKNOWN_TO_UNHEALTHY(HealthState.UNKNOWN, HealthState.UNHEALTHY),
    HEALTHY_TO_UNHEALTHY(HealthState.HEALTHY, HealthState.UNHEALTHY),
    UNHEALTHY_TO_HEALTHY(HealthState.UNHEALTHY, HealthState.HEALTHY);

    private static final HealthTransition[][] TABLE = new HealthTransition[HealthState.values().length][];

    static {
        for (HealthState from : HealthState.values()) {
            TABLE[from.ordinal()] = new HealthTransition[HealthState.values().length];
        }
        for (HealthTransition t : values()) {
            TABLE[t.from.ordinal()][t.to.ordinal()] = t;
        }
    }

    private final HealthState from;
    private final HealthState to;

    HealthTransition(HealthState from, HealthState to) {
        this.from = from;
        this.to = to;
    }

    public HealthState from() {
        return from;
    }

    public HealthState to() {
        return to;
    }

    /**
     * The transition from {@code from} to {@code to}.
     *
     * @throws IllegalStateException when the state machine does not allow that move
     */
    public static HealthTransition between(HealthState from, HealthState to) {
        HealthTransition t = TABLE[from.ordinal()][to.ordinal()];
        if (t == null) {
            throw new IllegalStateException("illegal health transition: " + from + " -> " + to);
        }
        return t;
    }
}
