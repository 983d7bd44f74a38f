package io.palisade.alert;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One alert, as {@code GET /alerts} shows it and listeners receive it. Immutable: the engine makes a new one for every
 * change.
 *
 * <pre>{@code
 * Alert{name=slo_burn, labels={slo=orders-availability}, severity=PAGE, state=FIRING, since=..., until=empty,
 *       summary="orders-availability burns its error budget 52x over 1h and 60x over 5m (page above 14.4)...",
 *       evidence={burn_rate_1h=52.0, burn_rate_5m=60.1, requests_1h=3120, budget_remaining=0.93, ...}}
 * }</pre>
 *
 * @param name     what kind of alert: {@code slo_burn}, {@code http_4xx_spike}, {@code auth_unavailable},
 *                 {@code ratelimit_fallback}, {@code cluster_no_healthy_endpoint}, {@code cluster_failover},
 *                 {@code cluster_panic}, {@code config_rolled_back}, {@code ingest_backlog_age},
 *                 {@code ingest_quarantine_growth}, {@code event_loop_lag} (docs/slo.md has each one's rule)
 * @param labels   what it is about: {@code slo}, {@code route}, {@code consumer}, {@code cluster} or {@code version};
 *                 empty for a gateway-wide one. Name, labels and severity identify the alert.
 * @param since    when it fired
 * @param until    when it resolved; empty while firing
 * @param summary  one sentence a person reads, with the figures that matter
 * @param evidence the figures behind it, by name: values are {@link Long}, {@link Double}, {@link String} or
 *                 {@link Boolean}
 */
public record Alert(String name, Map<String, String> labels, Severity severity, State state, Instant since,
                    Optional<Instant> until, String summary, Map<String, Object> evidence) {

    /** Whether an alert is still on. */
    public enum State {
        FIRING,
        RESOLVED;

        public String label() {
            return this == FIRING ? "firing" : "resolved";
        }
    }

    public Alert {
        Objects.requireNonNull(name, "name");
        labels = Collections.unmodifiableMap(new TreeMap<>(labels));
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(until, "until");
        Objects.requireNonNull(summary, "summary");
        Map<String, Object> copy = new LinkedHashMap<>();
        evidence.forEach((k, v) -> {
            if (!(v instanceof Long || v instanceof Double || v instanceof String || v instanceof Boolean)) {
                throw new IllegalArgumentException("evidence " + k + ": " + v
                        + " (expected: a Long, Double, String or Boolean)");
            }
            copy.put(Objects.requireNonNull(k, "evidence key"), v);
        });
        evidence = Collections.unmodifiableMap(copy);
        if ((state == State.FIRING) != until.isEmpty()) {
            throw new IllegalArgumentException("until: " + until + " (expected: empty exactly while firing)");
        }
    }

    /** Name, severity and labels: what stays the same while the alert fires and tells it from every other. */
    public String key() {
        return key(name, severity, labels);
    }

    static String key(String name, Severity severity, Map<String, String> labels) {
        StringBuilder b = new StringBuilder(name).append('/').append(severity.label());
        new TreeMap<>(labels).forEach((k, v) -> b.append('/').append(k).append('=').append(v));
        return b.toString();
    }

    public boolean firing() {
        return state == State.FIRING;
    }

    /** This alert, resolved at {@code at} with {@code why} as its summary. */
    Alert resolved(Instant at, String why) {
        return new Alert(name, labels, severity, State.RESOLVED, since, Optional.of(at), why, evidence);
    }

    /** This alert, still firing, with fresh figures. */
    Alert updated(String newSummary, Map<String, Object> newEvidence) {
        return new Alert(name, labels, severity, state, since, until, newSummary, newEvidence);
    }
}
