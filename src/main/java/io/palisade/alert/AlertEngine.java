package io.palisade.alert;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.palisade.admin.AdminReply;
import io.palisade.admin.AlertApi;
import io.palisade.metrics.GatewayMetrics;
import io.palisade.outcome.OutcomeSubscriber;
import io.palisade.slo.SloEngine;
import io.palisade.time.RateLimitedLog;
import io.palisade.time.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evaluates every alert rule on its own timer and keeps the alerts that fire and those that resolved lately: the SLO
 * burn-rate alerts ({@code slo_burn}, page and ticket per SLO, from a {@link SloEngine}) and the built-ins, each with
 * a clear name and its evidence (docs/slo.md has every rule and threshold):
 * {@code http_4xx_spike} and {@code auth_unavailable} from the outcomes ({@link #traffic()}),
 * {@code ratelimit_fallback}, {@code cluster_no_healthy_endpoint}, {@code cluster_failover}, {@code cluster_panic},
 * {@code ingest_backlog_age}, {@code ingest_quarantine_growth} and {@code event_loop_lag} from the gateway's
 * {@link Signals}, and {@code config_rolled_back} from {@link #configRolledBack}.
 *
 * <pre>{@code
 * AlertEngine alerts = AlertEngine.builder(clock).slos(sloEngine).signals(signals).build();
 * outcomes.subscribe(alerts.traffic());
 * alerts.addListener((before, after) -> incidents.onAlert(before, after));
 * alerts.register(metrics);
 * alerts.start();                                  // evaluates every second on palisade-alerts
 * AdminServer.start(..., alerts.api(), ...);       // GET /alerts
 * alerts.configRolledBack("7", "canary regressed: error rate 4.1% vs 0.2%");
 * alerts.close();
 * }</pre>
 *
 * <p>Each evaluation reads the SLO statuses and the signals as they are, asks every rule for its checks and runs each
 * alert's hysteresis ({@code Track}): a rule says when its condition must hold before the alert fires, how long it
 * must be false before it resolves, and how long it may lack signal; so no alert flaps on every evaluation. Changes go
 * to the {@link AlertListener}s on the engine's thread, after the evaluation. Alerts live in memory: a restart begins
 * with none firing, and the SLO alerts fire again at the first evaluation if the (persisted) burn still says so.
 *
 * <p>Thread-safe: {@link #active()}, {@link #recent()}, {@link #api()} and the metrics read immutable snapshots
 * replaced after each evaluation, so the admin event loop never waits for one.
 */
public final class AlertEngine implements AutoCloseable {
    /** How often the engine's thread evaluates. */
    public static final Duration INTERVAL = Duration.ofSeconds(1);
    /** The least time between two "updated" calls to listeners for one alert. */
    public static final Duration UPDATE_INTERVAL = Duration.ofMinutes(1);
    /** Resolved alerts kept for {@link #recent()}, newest first. */
    public static final int RECENT_LIMIT = 100;

    private static final Logger log = LoggerFactory.getLogger(AlertEngine.class);
    private static final Comparator<Alert> ORDER = Comparator.comparing(Alert::severity)
            .thenComparing(Alert::since).thenComparing(Alert::key);

    private final Clock clock;
    private final TrafficWatch traffic = new TrafficWatch();
    private final RollbackRule rollbacks = new RollbackRule();
    private final List<Rule> rules;
    private final RateLimitedLog failures;
    private final CopyOnWriteArrayList<AlertListener> listeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    // Guarded by lock:
    private final Map<String, Track> tracks = new LinkedHashMap<>();
    private final Deque<Alert> recent = new ArrayDeque<>();
    private ScheduledExecutorService thread;
    private boolean closed;
    // Snapshots for readers:
    private volatile List<Alert> activeView = List.of();
    private volatile List<Alert> recentView = List.of();
    private final ConcurrentHashMap<String, LongAdder> raised = new ConcurrentHashMap<>();

    private AlertEngine(Builder b) {
        this.clock = b.clock;
        List<Rule> all = new ArrayList<>();
        b.slos.ifPresent(s -> all.add(new SloRule(s)));
        all.add(new SpikeRule(traffic));
        all.add(new AuthRule(traffic));
        all.addAll(SignalRules.all(b.signals));
        all.add(rollbacks);
        this.rules = List.copyOf(all);
        this.failures = RateLimitedLog.every(Duration.ofMinutes(1), log, Ticker.system());
    }

    /** Starts building an engine on {@code clock} (the time of every alert and window). */
    public static Builder builder(Clock clock) {
        return new Builder(clock);
    }

    /** What the engine watches. */
    public static final class Builder {
        private final Clock clock;
        private Optional<SloEngine> slos = Optional.empty();
        private Signals signals = Signals.NONE;

        private Builder(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
        }

        /** The SLOs whose burn rates page and ticket; without it there are no {@code slo_burn} alerts. */
        public Builder slos(SloEngine engine) {
            this.slos = Optional.of(Objects.requireNonNull(engine, "engine"));
            return this;
        }

        /** The gateway's state for the probe-based alerts; without it they never fire. */
        public Builder signals(Signals s) {
            this.signals = Objects.requireNonNull(s, "signals");
            return this;
        }

        public AlertEngine build() {
            return new AlertEngine(this);
        }
    }

    /**
     * The outcome subscriber behind {@code http_4xx_spike} and {@code auth_unavailable}: subscribe it to the
     * gateway's outcomes. Cheap on the event loops: a map read and a few adds.
     */
    public OutcomeSubscriber traffic() {
        return traffic;
    }

    /** Adds a listener of alert changes (see {@link AlertListener}). */
    public void addListener(AlertListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(AlertListener listener) {
        listeners.remove(listener);
    }

    /**
     * The release path rolled {@code version} back, for {@code reason}: a {@code config_rolled_back} alert (info)
     * fires at the next evaluation and resolves after an hour. Any thread; never blocks.
     */
    public void configRolledBack(String version, String reason) {
        rollbacks.rolledBack(Objects.requireNonNull(version, "version"), Objects.requireNonNull(reason, "reason"),
                clock.instant());
    }

    /**
     * One evaluation of every rule, then the listeners are told of the changes. The engine's thread calls it every
     * {@link #INTERVAL}; a caller that drives the engine itself (a test on a fake clock) may too.
     */
    public void evaluate() {
        List<Track.Change> changes = new ArrayList<>();
        synchronized (lock) {
            Instant now = clock.instant();
            traffic.sample(now.toEpochMilli());
            Predicate<String> firing = key -> {
                Track t = tracks.get(key);
                return t != null && t.firing != null;
            };
            Set<String> seen = new HashSet<>();
            Set<Rule> failed = new HashSet<>();
            for (Rule rule : rules) {
                List<Observation> observations;
                try {
                    observations = rule.observe(now, firing);
                } catch (RuntimeException e) {
                    failures.warn(rule.toString(), "alert rule " + rule + " failed; its alerts stay as they are", e);
                    failed.add(rule);
                    continue;
                }
                for (Observation o : observations) {
                    String key = o.key();
                    if (!seen.add(key)) {
                        continue; // one observation per key and evaluation
                    }
                    Track t = tracks.computeIfAbsent(key, k -> new Track(k, rule));
                    Track.Change c = t.step(o, now);
                    if (c != null) {
                        changes.add(c);
                    }
                }
            }
            for (Iterator<Track> it = tracks.values().iterator(); it.hasNext(); ) {
                Track t = it.next();
                if (!seen.contains(t.key) && !failed.contains(t.rule)) {
                    if (t.firing != null) {
                        // Its subject is gone (an SLO, route or cluster a reload removed): nothing left to watch.
                        changes.add(t.resolve(now, t.firing.summary() + " (resolved: no longer watched)"));
                    }
                    it.remove();
                } else if (t.idle()) {
                    it.remove();
                }
            }
            for (Track.Change c : changes) {
                if (c.before() == null) {
                    raised.computeIfAbsent(c.after().name() + "/" + c.after().severity().label(),
                            k -> new LongAdder()).increment();
                }
                if (!c.after().firing()) {
                    recent.addFirst(c.after());
                    while (recent.size() > RECENT_LIMIT) {
                        recent.removeLast();
                    }
                }
            }
            List<Alert> active = new ArrayList<>();
            tracks.values().forEach(t -> {
                if (t.firing != null) {
                    active.add(t.firing);
                }
            });
            active.sort(ORDER);
            activeView = List.copyOf(active);
            recentView = List.copyOf(recent);
        }
        for (Track.Change c : changes) {
            for (AlertListener l : listeners) {
                try {
                    l.onChange(c.before(), c.after());
                } catch (RuntimeException e) {
                    failures.warn("listener", "alert listener " + l.getClass().getName() + " failed", e);
                }
            }
        }
    }

    /** The alerts firing now: pages first, then tickets, then info; oldest first within each. */
    public List<Alert> active() {
        return activeView;
    }

    /** The last {@link #RECENT_LIMIT} alerts that resolved, newest first. */
    public List<Alert> recent() {
        return recentView;
    }

    /** {@code {"active": [...], "recent": [...]}}, as {@code GET /alerts} answers. */
    public ObjectNode json() {
        return AlertJson.alerts(activeView, recentView);
    }

    /** The admin port's {@code GET /alerts}, answered from the latest snapshot without waiting. */
    public AlertApi api() {
        return () -> CompletableFuture.completedFuture(new AdminReply(200, json()));
    }

    /**
     * Registers {@code palisade_alerts_active{severity}} (alerts firing now, every severity present),
     * {@code palisade_alerts_firing{alert,severity}} (firing now, by alert name) and
     * {@code palisade_alerts_raised_total{alert,severity}} (alerts that fired since start).
     */
    public void register(GatewayMetrics metrics) {
        metrics.gauge("palisade_alerts_active", "Alerts firing now, by severity (page, ticket, info).", cb -> {
            long[] counts = new long[Severity.values().length];
            activeView.forEach(a -> counts[a.severity().ordinal()]++);
            for (Severity s : Severity.values()) {
                cb.call(counts[s.ordinal()], s.label());
            }
        }, "severity");
        metrics.gauge("palisade_alerts_firing", "Alerts firing now, by alert name and severity.", cb -> {
            Map<String, long[]> counts = new LinkedHashMap<>();
            activeView.forEach(a -> counts.computeIfAbsent(a.name() + "/" + a.severity().label(),
                    k -> new long[1])[0]++);
            counts.forEach((k, n) -> {
                int slash = k.lastIndexOf('/');
                cb.call(n[0], k.substring(0, slash), k.substring(slash + 1));
            });
        }, "alert", "severity");
        metrics.counter("palisade_alerts_raised", "Alerts that fired since start, by alert name and severity.",
                cb -> raised.forEach((k, n) -> {
                    int slash = k.lastIndexOf('/');
                    cb.call(n.sum(), k.substring(0, slash), k.substring(slash + 1));
                }), "alert", "severity");
    }

    /** Starts the engine's thread ({@code palisade-alerts}), evaluating every {@link #INTERVAL}. */
    public void start() {
        synchronized (lock) {
            if (thread != null || closed) {
                throw new IllegalStateException("the alert engine was started already");
            }
            thread = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "palisade-alerts");
                t.setDaemon(true);
                return t;
            });
            long ms = INTERVAL.toMillis();
            thread.scheduleWithFixedDelay(() -> {
                try {
                    evaluate();
                } catch (RuntimeException e) {
                    failures.warn("evaluate", "alert evaluation failed", e);
                }
            }, ms, ms, TimeUnit.MILLISECONDS);
        }
    }

    /** Stops the engine's thread; the alerts stay readable. Closing twice does nothing. */
    @Override
    public void close() {
        ScheduledExecutorService t;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            t = thread;
        }
        if (t != null) {
            t.shutdown();
            try {
                if (!t.awaitTermination(10, TimeUnit.SECONDS)) {
                    t.shutdownNow();
                }
            } catch (InterruptedException e) {
                t.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }
}
