package io.palisade.slo;

import java.time.Duration;
import java.util.OptionalDouble;

/**
 * An SLO's requests over one window ending now.
 *
 * @param label  the window's name: a {@link BurnWindow#label()}, or {@code slo} for the whole SLO window
 * @param length how long the window is for this SLO (scaled, see {@link BurnWindow})
 * @param good   requests that met the objective
 * @param total  requests counted (good and bad; those the SLO does not count are in neither)
 */
public record WindowFigures(String label, Duration length, long good, long total) {
    /** The label of the whole SLO window's figures. */
    public static final String WHOLE = "slo";

    public long bad() {
        return total - good;
    }

    /** Whether there are enough requests to say anything: at least {@link SloEngine#MIN_EVENTS}. */
    public boolean hasSignal() {
        return total >= SloEngine.MIN_EVENTS;
    }

    /** Bad over total; empty without {@link #hasSignal() signal}. */
    public OptionalDouble errorRatio() {
        return hasSignal() ? OptionalDouble.of((double) bad() / total) : OptionalDouble.empty();
    }

    /**
     * How fast the window spends the error budget: its error ratio over the budget ({@code 1 - objective}). 1 spends
     * exactly the budget over the SLO window; 14.4 spends 2% of a 30-day budget in an hour. Empty without signal.
     */
    public OptionalDouble burnRate(double errorBudget) {
        OptionalDouble ratio = errorRatio();
        return ratio.isPresent() ? OptionalDouble.of(ratio.getAsDouble() / errorBudget) : OptionalDouble.empty();
    }

    /** Whether the burn rate exceeds {@code factor}; {@link BurnSignal#NO_SIGNAL} without signal. */
    BurnSignal above(double errorBudget, double factor) {
        OptionalDouble burn = burnRate(errorBudget);
        if (burn.isEmpty()) {
            return BurnSignal.NO_SIGNAL;
        }
        return burn.getAsDouble() > factor ? BurnSignal.BURNING : BurnSignal.NOT_BURNING;
    }
}
