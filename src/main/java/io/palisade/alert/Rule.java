package io.palisade.alert;

import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;

/** One kind of alert: at each evaluation, an observation per subject it watches (an SLO, a route, a cluster...). */
interface Rule {
    /**
     * @param firing whether the alert of a key fires now, for rules whose condition depends on it (a frozen
     *               baseline, a clear threshold below the raise threshold)
     */
    List<Observation> observe(Instant now, Predicate<String> firing);
}
