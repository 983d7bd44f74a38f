package io.palisade.alert;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The built-in alerts on the gateway's own state, read through {@link Signals} at each evaluation:
 * <table>
 *   <caption>Probe-based alerts</caption>
 *   <tr><th>alert</th><th>severity</th><th>fires</th><th>resolves</th></tr>
 *   <tr><td>{@code ratelimit_fallback}</td><td>ticket</td><td>global limits decided locally (Redis unreachable) for
 *       10 s</td><td>back on Redis for 30 s</td></tr>
 *   <tr><td>{@code cluster_no_healthy_endpoint}</td><td>page</td><td>a cluster with endpoints but none available,
 *       and no failover cluster serving for it, for 5 s</td><td>an endpoint available (or a failover serving) for
 *       10 s</td></tr>
 *   <tr><td>{@code cluster_failover}</td><td>ticket</td><td>a cluster's requests going down its failover chain for
 *       10 s</td><td>back on its own endpoints for 30 s</td></tr>
 *   <tr><td>{@code cluster_panic}</td><td>ticket</td><td>a cluster in panic (ejections under its threshold) for
 *       10 s</td><td>out of panic for 30 s</td></tr>
 *   <tr><td>{@code ingest_backlog_age}</td><td>ticket</td><td>an ingest route's oldest waiting record 10 min
 *       old</td><td>under 5 min for a minute</td></tr>
 *   <tr><td>{@code ingest_quarantine_growth}</td><td>ticket</td><td>10 or more records quarantined on a route within
 *       10 min</td><td>none for 10 min</td></tr>
 *   <tr><td>{@code event_loop_lag}</td><td>ticket</td><td>a data event loop 500 ms late or more for 5 s</td><td>under
 *       100 ms for 30 s</td></tr>
 * </table>
 * Between a raise and a clear threshold an alert stays as it is.
 */
final class SignalRules implements Rule {
    static final Duration FALLBACK_RAISE = Duration.ofSeconds(10);
    static final Duration FALLBACK_CLEAR = Duration.ofSeconds(30);
    static final Duration NO_ENDPOINT_RAISE = Duration.ofSeconds(5);
    static final Duration NO_ENDPOINT_CLEAR = Duration.ofSeconds(10);
    static final Duration CLUSTER_RAISE = Duration.ofSeconds(10);
    static final Duration CLUSTER_CLEAR = Duration.ofSeconds(30);
    static final double BACKLOG_RAISE_SECONDS = 600;
    static final double BACKLOG_CLEAR_SECONDS = 300;
    static final Duration BACKLOG_CLEAR = Duration.ofMinutes(1);
    static final long QUARANTINE_GROWTH = 10;
    static final Duration QUARANTINE_WINDOW = Duration.ofMinutes(10);
    static final double LAG_RAISE_SECONDS = 0.5;
    static final double LAG_CLEAR_SECONDS = 0.1;
    static final Duration LAG_RAISE = Duration.ofSeconds(5);
    static final Duration LAG_CLEAR = Duration.ofSeconds(30);
    /** Never used: these checks always have a signal. */
    private static final Duration NEVER_STALE = Duration.ofDays(1);

    /** Which probe an instance reads: one rule each, so a probe that throws leaves the others' alerts judged. */
    enum Part {
        RATE_LIMIT_FALLBACK,
        CLUSTERS,
        INGEST,
        EVENT_LOOP_LAG
    }

    private final Signals signals;
    private final Part part;
    /** Per ingest route: {@code [epoch millis, quarantined]} samples over the last {@link #QUARANTINE_WINDOW}. */
    private final Map<String, ArrayDeque<long[]>> quarantine = new HashMap<>();

    SignalRules(Signals signals, Part part) {
        this.signals = signals;
        this.part = part;
    }

    /** One rule per probe. */
    static List<Rule> all(Signals signals) {
        List<Rule> out = new ArrayList<>();
        for (Part p : Part.values()) {
            out.add(new SignalRules(signals, p));
        }
        return out;
    }

    @Override
    public List<Observation> observe(Instant now, Predicate<String> firing) {
        List<Observation> out = new ArrayList<>();
        switch (part) {
            case RATE_LIMIT_FALLBACK -> fallback(out);
            case CLUSTERS -> clusters(out);
            case INGEST -> ingest(out, now.toEpochMilli());
            case EVENT_LOOP_LAG -> lag(out);
        }
        return out;
    }

    @Override
    public String toString() {
        return "SignalRules(" + part + ")";
    }

    private void fallback(List<Observation> out) {
        boolean on = signals.rateLimitFallback();
        out.add(new Observation("ratelimit_fallback", Map.of(), Severity.TICKET, on ? Check.TRUE : Check.FALSE,
                on ? "global rate limits are decided locally at this node's share: the Redis store cannot be reached"
                        : "global rate limits are decided by Redis again",
                Map.of("fallback_active", on), FALLBACK_RAISE, FALLBACK_CLEAR, NEVER_STALE));
    }

    private void clusters(List<Observation> out) {
        for (Signals.ClusterState c : signals.clusters()) {
            Map<String, String> labels = Map.of("cluster", c.cluster());
            Map<String, Object> evidence = new LinkedHashMap<>();
            evidence.put("endpoints", (long) c.endpoints());
            evidence.put("available", (long) c.available());
            evidence.put("failing_over", c.failingOver());
            evidence.put("panic", c.panic());
            String counts = c.available() + " of " + c.endpoints() + " endpoints available";
            boolean none = c.endpoints() > 0 && c.available() == 0 && !c.failingOver();
            out.add(new Observation("cluster_no_healthy_endpoint", labels, Severity.PAGE, none ? Check.TRUE
                    : Check.FALSE, none ? "cluster " + c.cluster() + " has no healthy endpoint (" + counts
                            + ") and no failover serving for it: its requests fail"
                    : "cluster " + c.cluster() + ": " + counts + (c.failingOver() ? ", a failover serving" : ""),
                    evidence, NO_ENDPOINT_RAISE, NO_ENDPOINT_CLEAR, NEVER_STALE));
            out.add(new Observation("cluster_failover", labels, Severity.TICKET, c.failingOver() ? Check.TRUE
                    : Check.FALSE, c.failingOver() ? "cluster " + c.cluster() + " serves from its failover chain ("
                            + counts + ")" : "cluster " + c.cluster() + " serves from its own endpoints (" + counts
                            + ")", evidence, CLUSTER_RAISE, CLUSTER_CLEAR, NEVER_STALE));
            out.add(new Observation("cluster_panic", labels, Severity.TICKET, c.panic() ? Check.TRUE : Check.FALSE,
                    c.panic() ? "cluster " + c.cluster() + " is in panic: ejections left it under its panic"
                            + " threshold, so ejected endpoints take traffic again (" + counts + ")"
                            : "cluster " + c.cluster() + " is out of panic (" + counts + ")",
                    evidence, CLUSTER_RAISE, CLUSTER_CLEAR, NEVER_STALE));
        }
    }

    private void ingest(List<Observation> out, long now) {
        Set<String> routes = new HashSet<>();
        for (Signals.IngestState s : signals.ingest()) {
            routes.add(s.route());
            Map<String, String> labels = Map.of("route", s.route());
            double age = s.oldestAgeSeconds();
            Check ageCheck = age >= BACKLOG_RAISE_SECONDS ? Check.TRUE
                    : age < BACKLOG_CLEAR_SECONDS ? Check.FALSE : Check.HOLD;
            Map<String, Object> evidence = new LinkedHashMap<>();
            evidence.put("backlog", s.backlog());
            evidence.put("oldest_age_seconds", Durations.figure(age));
            evidence.put("quarantined", s.quarantined());
            out.add(new Observation("ingest_backlog_age", labels, Severity.TICKET, ageCheck,
                    String.format(Locale.ROOT, "ingest route %s: the oldest of %d waiting records has waited %.0f s",
                            s.route(), s.backlog(), age), evidence, Duration.ZERO, BACKLOG_CLEAR, NEVER_STALE));

            ArrayDeque<long[]> samples = quarantine.computeIfAbsent(s.route(), r -> new ArrayDeque<>());
            samples.addLast(new long[] {now, s.quarantined()});
            while (samples.peekFirst()[0] < now - QUARANTINE_WINDOW.toMillis()) {
                samples.removeFirst();
            }
            long least = samples.stream().mapToLong(x -> x[1]).min().orElse(s.quarantined());
            long growth = s.quarantined() - least;
            Check growthCheck = growth >= QUARANTINE_GROWTH ? Check.TRUE : growth == 0 ? Check.FALSE : Check.HOLD;
            Map<String, Object> growthEvidence = new LinkedHashMap<>(evidence);
            growthEvidence.put("quarantined_10m", growth);
            out.add(new Observation("ingest_quarantine_growth", labels, Severity.TICKET, growthCheck,
                    "ingest route " + s.route() + ": " + growth + " records quarantined in the last 10m ("
                            + s.quarantined() + " in quarantine)", growthEvidence, Duration.ZERO, Duration.ZERO,
                    NEVER_STALE));
        }
        quarantine.keySet().retainAll(routes);
    }

    private void lag(List<Observation> out) {
        double lag = signals.eventLoopLagSeconds();
        Check check = lag >= LAG_RAISE_SECONDS ? Check.TRUE : lag < LAG_CLEAR_SECONDS ? Check.FALSE : Check.HOLD;
        out.add(new Observation("event_loop_lag", Map.of(), Severity.TICKET, check,
                String.format(Locale.ROOT, "the worst data event loop runs %.0f ms late", lag * 1000),
                Map.of("lag_seconds", Durations.figure(lag)), LAG_RAISE, LAG_CLEAR, NEVER_STALE));
    }
}
