package io.palisade.auth;

/**
 * State of the circuit breaker in front of one external auth service. Legal moves: CLOSED → OPEN (too many failures),
 * OPEN → HALF_OPEN (open duration over), HALF_OPEN → CLOSED (probe succeeded), HALF_OPEN → OPEN (probe failed).
 */
public enum BreakerState {
    /** Calls flow. */
    CLOSED,
    /** Calls are refused at once (Unavailable) until the open duration ends. */
    OPEN,
    /** One probe call is let through; its result closes or re-opens the circuit. */
    HALF_OPEN;

    boolean canMoveTo(BreakerState next) {
        return switch (this) {
            case CLOSED -> next == OPEN;
            case OPEN -> next == HALF_OPEN;
            case HALF_OPEN -> next == CLOSED || next == OPEN;
        };
    }
}
