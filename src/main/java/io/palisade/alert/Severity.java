package io.palisade.alert;

import java.util.Locale;

/** How urgently a person should act on an alert. */
public enum Severity {
    /** Now: users are failing (an SLO's budget burns fast, a cluster has no endpoint, auth is down). */
    PAGE,
    /** Within the working day: degraded, or burning slowly, but serving. */
    TICKET,
    /** For the record: something the gateway did by itself that someone should know of (a rollback). */
    INFO;

    /** {@code page}, {@code ticket}, {@code info}: the JSON value and the metric label. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
