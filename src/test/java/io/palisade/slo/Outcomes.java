package io.palisade.slo;

import io.palisade.error.ErrorKind;
import io.palisade.outcome.Outcome;
import io.palisade.outcome.OutcomeSubscriber;
import java.util.Optional;

/** Outcomes built directly, for the SLO and alert tests. */
public final class Outcomes {
    public static final long MS = 1_000_000L;

    private Outcomes() {}

    public static Outcome of(String route, String consumer, int status, Outcome.Ending ending,
                             Optional<ErrorKind> error, long totalNanos) {
        return new Outcome("req", "1", 0, "127.0.0.1", "GET", "/a", "", route, "c", "127.0.0.1:1", consumer, status,
                ending, error, 0, 0, totalNanos, 0, 1, "");
    }

    /** An upstream's answer with {@code status}, in 10 ms. */
    public static Outcome status(String route, int status) {
        return of(route, "", status, Outcome.Ending.ANSWERED, Optional.empty(), 10 * MS);
    }

    public static Outcome ok(String route) {
        return status(route, 200);
    }

    /** The gateway's own error answer. */
    public static Outcome error(String route, ErrorKind kind) {
        return of(route, "", kind.status().code(), Outcome.Ending.ANSWERED, Outcome.errorOf(kind), 10 * MS);
    }

    /** {@code good} 200s and {@code bad} 502s on {@code route}. */
    public static void send(OutcomeSubscriber to, String route, int good, int bad) {
        for (int i = 0; i < good; i++) {
            to.onOutcome(ok(route));
        }
        for (int i = 0; i < bad; i++) {
            to.onOutcome(status(route, 502));
        }
    }
}
