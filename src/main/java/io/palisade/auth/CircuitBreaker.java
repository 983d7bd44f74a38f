package io.palisade.auth;

import io.palisade.time.Ticker;

/**
 * A circuit breaker with explicit states (see {@link BreakerState} for the legal moves; any other move is an
 * {@link IllegalStateException}). Opens on {@code consecutiveFailures} failures in a row, or when the last
 * {@code window} calls failed at {@code failureRatio} or more; after {@code openFor} exactly one probe is let through.
 *
 * <p>Each permit carries the generation it was granted in; a result from an earlier generation (a slow call that
 * started before the circuit opened) is ignored, so a stale success cannot close a circuit its probe is still testing.
 * Methods hold the monitor only for a few field updates, never across I/O.
 */
final class CircuitBreaker {
    /** Returned by {@link #tryAcquire()} when the call must not be made. */
    static final long REJECTED = -1;

    private final AuthSettings.Breaker settings;
    private final Ticker ticker;
    private final boolean[] window;

    private BreakerState state = BreakerState.CLOSED;
    private long generation;
    private long openedAt;
    private boolean probeInFlight;
    private int consecutiveFailures;
    private int windowCount;
    private int windowNext;
    private int windowFailures;

    CircuitBreaker(AuthSettings.Breaker settings, Ticker ticker) {
        this.settings = settings;
        this.ticker = ticker;
        this.window = new boolean[settings.window()];
    }

    synchronized BreakerState state() {
        return state;
    }

    /** A permit (a non-negative ticket) to make one call, or {@link #REJECTED}. */
    synchronized long tryAcquire() {
        switch (state) {
            case CLOSED:
                return generation;
            case OPEN:
                if (ticker.read() - openedAt < settings.openFor().toNanos()) {
                    return REJECTED;
                }
                transitionTo(BreakerState.HALF_OPEN);
                probeInFlight = true;
                return generation;
            default:
                if (probeInFlight) {
                    return REJECTED;
                }
                probeInFlight = true;
                return generation;
        }
    }

    /** Reports how the call made with {@code ticket} went. */
    synchronized void onResult(long ticket, boolean success) {
        if (ticket != generation) {
            return;
        }
        switch (state) {
            case CLOSED -> recordClosed(success);
            case HALF_OPEN -> {
                probeInFlight = false;
                transitionTo(success ? BreakerState.CLOSED : BreakerState.OPEN);
            }
            default -> {
                // OPEN bumps the generation, so no ticket of this generation is outstanding.
            }
        }
    }

    /** Gives back a permit whose call was never made. */
    synchronized void release(long ticket) {
        if (ticket == generation && state == BreakerState.HALF_OPEN) {
            probeInFlight = false;
        }
    }

    private void recordClosed(boolean success) {
        consecutiveFailures = success ? 0 : consecutiveFailures + 1;
        if (windowCount == window.length) {
            if (window[windowNext]) {
                windowFailures--;
            }
        } else {
            windowCount++;
        }
        window[windowNext] = !success;
        if (!success) {
            windowFailures++;
        }
        windowNext = (windowNext + 1) % window.length;
        boolean ratioTripped = windowCount == window.length
                && windowFailures >= settings.failureRatio() * window.length;
        if (consecutiveFailures >= settings.consecutiveFailures() || ratioTripped) {
            transitionTo(BreakerState.OPEN);
        }
    }

    /** Moves to {@code next}; throws IllegalStateException for a move {@link BreakerState} does not allow. */
    synchronized void transitionTo(BreakerState next) {
        if (!state.canMoveTo(next)) {
            throw new IllegalStateException("circuit breaker cannot move from " + state + " to " + next);
        }
        state = next;
        generation++;
        switch (next) {
            case OPEN -> {
                openedAt = ticker.read();
                probeInFlight = false;
            }
            case CLOSED -> {
                consecutiveFailures = 0;
                windowCount = 0;
                windowNext = 0;
                windowFailures = 0;
            }
            default -> probeInFlight = false;
        }
    }
}
