package io.palisade.status;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * A page-severity alert as the status page needs it: which SLOs or routes it concerns, how fast the error budget
 * burns, and whether it is firing or cleared. The composition root adapts the alert engine's page alerts to this
 * (an SLO's page alert names its SLO and its routes), so this package knows nothing of how alerts are computed.
 *
 * <p>An alert is known by its {@code id}: each FIRING for an id is its current state (opened or changed), CLEARED
 * ends it.
 *
 * @param id        stable while the alert lasts, e.g. {@code slo_page:orders-availability}
 * @param slos      SLO names it concerns (components list theirs under {@code slos:})
 * @param routes    route names it concerns (components list theirs under {@code routes:})
 * @param burnRate  how many times faster than allowed the error budget burns, over the alert's short window
 * @param objective the SLO's objective, e.g. 0.999: {@code burnRate * (1 - objective)} is the share of bad requests
 * @param signal    what "bad" means: failed requests, or slow ones (a latency SLO)
 */
public record PageAlert(String id, State state, Set<String> slos, Set<String> routes, double burnRate,
                        double objective, Signal signal, Instant at) {
    public enum State { FIRING, CLEARED }

    public enum Signal { ERRORS, LATENCY }

    public PageAlert {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(state, "state");
        slos = Set.copyOf(slos);
        routes = Set.copyOf(routes);
        Objects.requireNonNull(signal, "signal");
        Objects.requireNonNull(at, "at");
        if (!(objective > 0 && objective < 1)) {
            throw new IllegalArgumentException("objective " + objective + " (expected: between 0 and 1)");
        }
        if (!(burnRate >= 0) || Double.isInfinite(burnRate)) {
            throw new IllegalArgumentException("burnRate " + burnRate + " (expected: a finite number >= 0)");
        }
    }

    /** The share of requests that are bad (failed, or slow for a latency SLO), from the burn rate; at most 1. */
    public double badShare() {
        return Math.min(1.0, burnRate * (1 - objective));
    }

    public static PageAlert firing(String id, Set<String> slos, Set<String> routes, double burnRate,
                                   double objective, Signal signal, Instant at) {
        return new PageAlert(id, State.FIRING, slos, routes, burnRate, objective, signal, at);
    }

    public PageAlert cleared(Instant when) {
        return new PageAlert(id, State.CLEARED, slos, routes, 0, objective, signal, when);
    }
}
