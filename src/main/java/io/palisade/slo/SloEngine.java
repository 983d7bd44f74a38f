package io.palisade.slo;

import io.palisade.error.ErrorKind;
import io.palisade.metrics.GatewayMetrics;
import io.palisade.outcome.Outcome;
import io.palisade.outcome.OutcomeSubscriber;
import io.palisade.store.SloBucket;
import io.palisade.store.SloBucketRange;
import io.palisade.store.StateStore;
import io.palisade.time.RateLimitedLog;
import io.palisade.time.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts every SLO's good and bad requests from the gateway's outcomes and computes, at each tick, its burn rates over
 * the multi-window scheme's windows ({@link BurnWindow}, {@link BurnRule}), its error budget left over the whole SLO
 * window, and a per-day history for the 90-day uptime bars. Subscribe it to the outcomes; {@link #start()} runs its
 * own thread ({@code palisade-slo}): it loads the stored counters, ticks, and saves them to the state store every
 * {@link #SAVE_INTERVAL} and at {@link #close()}.
 *
 * <pre>{@code
 * SloEngine slos = SloEngine.create(config.slos(), clock, store, "gw-1");
 * outcomes.subscribe(slos);
 * slos.register(metrics);
 * slos.start();
 * slos.statuses();            // every SLO at the latest tick: burn rates, budget left, page() and ticket()
 * slos.history("orders-availability");   // 90 days, oldest first
 * slos.close();               // a last tick and save (not on an event loop: it writes to the store)
 * }</pre>
 *
 * <p><b>What counts.</b> A request on one of the SLO's routes is
 * <ul>
 *   <li><em>bad</em> when the client saw the gateway fail it: any 5xx but 501 (the gateway's own 500, 502, 503, 504,
 *       507 and auth-unavailable 503, or an upstream's), or a response cut mid-way;</li>
 *   <li><em>not counted</em> when it is the client's: any 4xx (429 included) and 501; when the client left before
 *       the answer ({@code CLIENT_GONE}: it says nothing about the service); and a 503 {@code load_shed};</li>
 *   <li><em>good</em> otherwise (1xx to 3xx). A latency SLO also needs the answer within its {@code latency}; there a
 *       client that left after waiting longer than {@code latency} counts as bad (it was not answered in time), and
 *       one that left sooner is not counted.</li>
 * </ul>
 *
 * <p><b>Load shedding.</b> The adaptive limiter answers {@link ErrorKind#LOAD_SHED} only to a consumer that holds
 * its fair share of the cluster or more (the heaviest first): that is the flooding tenant's own doing, and seed 001's
 * flood must not spend the other tenants' budget, so those are left out. A consumer below its share that is refused
 * because the whole cluster is at its limit gets {@link ErrorKind#UPSTREAM_OVERLOADED}, which counts as bad, as does
 * the same kind from the cluster's own circuit limits.
 *
 * <p><b>Counting.</b> The event loops only add one to a {@link LongAdder} per SLO (good or bad): no clock read, no
 * allocation, no lock. Each tick (at most every second, more often for short SLO windows) takes what was added since
 * the last one into buckets stamped with the injected clock's time: fine buckets of 1/43200 of the SLO window (a
 * minute of a 30-day SLO) for the windows up to "6h", coarse ones of 1/720 (an hour) for "1d", "3d" and the whole
 * window, and UTC days for the history. Bucket arrays are the engine thread's own. A window is the buckets ending with
 * the current one, so it may be up to one bucket short. A clock that steps back counts into the latest bucket; one
 * that jumps ahead leaves the skipped buckets empty.
 *
 * <p><b>No signal.</b> A window with fewer than {@link #MIN_EVENTS} requests has no burn rate: 0 bad of 0 (or 1 of 2)
 * is no evidence, so a condition on it neither fires nor passes ({@link BurnSignal#NO_SIGNAL}), and the error budget
 * is unknown until the whole window holds that many.
 *
 * <p><b>Persistence.</b> Buckets are saved per SLO name under {@code node} (gateways sharing a PostgreSQL database
 * keep their own), replaced whole, and deleted once no window needs them; at start the stored ones are added back, so
 * a restart loses at most the last {@link #SAVE_INTERVAL}. An SLO is not saved until its stored buckets were loaded,
 * so a store that cannot be read is never overwritten with a partial count. A changed SLO window starts its short and
 * long windows afresh (the bucket widths differ); the day history is kept.
 */
public final class SloEngine implements OutcomeSubscriber, AutoCloseable {
    /** Requests a window needs before its burn rate means anything. */
    public static final int MIN_EVENTS = 20;
    /** Days of history {@link #history} returns. */
    public static final int HISTORY_DAYS = 90;
    public static final Duration SAVE_INTERVAL = Duration.ofSeconds(10);
    static final long DAY_MILLIS = 86_400_000L;
    /** The longest fine window ("6h") is 360 buckets; a few more cover the tick in progress. */
    static final int FINE_SLOTS = 384;
    /** The whole SLO window is 720 coarse buckets. */
    static final int COARSE_SLOTS = 768;
    static final int DAY_SLOTS = 96;
    static final long MIN_TICK_MILLIS = 100;
    static final long MAX_TICK_MILLIS = 1000;

    static final int IGNORED = 0;
    static final int GOOD = 1;
    static final int BAD = 2;
    /** The client left first: ignored, but for a latency SLO when it had waited past the threshold. */
    static final int GONE = 3;

    private static final Logger log = LoggerFactory.getLogger(SloEngine.class);

    private final Clock clock;
    private final Optional<StateStore> store;
    private final String node;
    private final RateLimitedLog failures;
    private final Object lock = new Object();
    /** What the event loops read: the SLOs of each route. Replaced whole by {@link #update}. */
    private volatile Map<String, Slo[]> byRoute;
    private volatile List<SloStatus> statuses = List.of();
    /** Written under lock; volatile so the metrics (on the admin event loop) read it without waiting for a tick. */
    private volatile List<Slo> slos;
    // Guarded by lock:
    private long lastMillis = Long.MIN_VALUE;
    private long lastTickMillis = Long.MIN_VALUE;
    private ScheduledExecutorService thread;
    private boolean closed;

    private SloEngine(List<SloSettings> settings, Clock clock, Optional<StateStore> store, String node) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.store = store;
        this.node = Objects.requireNonNull(node, "node");
        this.failures = RateLimitedLog.every(Duration.ofMinutes(1), log, Ticker.system());
        requireUniqueNames(settings);
        List<Slo> built = new ArrayList<>();
        for (SloSettings s : settings) {
            built.add(new Slo(s, new Counts(s.window(), store.isEmpty(), new Ring(DAY_SLOTS, DAY_MILLIS))));
        }
        this.slos = List.copyOf(built);
        this.byRoute = routing(slos);
        synchronized (lock) {
            lastMillis = clock.millis();
            publish(lastMillis);
        }
    }

    /** An engine that keeps its counters in memory only. */
    public static SloEngine create(List<SloSettings> slos, Clock clock) {
        return new SloEngine(List.copyOf(slos), clock, Optional.empty(), "local");
    }

    /**
     * An engine that saves its counters in {@code store} as {@code node}'s and loads them back at start; names of SLOs
     * must be unique ({@link SloSettings#read} sees to it).
     */
    public static SloEngine create(List<SloSettings> slos, Clock clock, StateStore store, String node) {
        return new SloEngine(List.copyOf(slos), clock, Optional.of(Objects.requireNonNull(store, "store")), node);
    }

    /** One SLO: its settings and its counters. Immutable; an update that keeps the counters makes a new one. */
    private record Slo(SloSettings settings, Counts counts, long latencyNanos) {
        Slo(SloSettings settings, Counts counts) {
            this(settings, counts, settings.latency().map(Duration::toNanos).orElse(Long.MAX_VALUE));
        }

        /** GOOD, BAD or IGNORED for this SLO, from the availability verdict every SLO shares. */
        int judge(int verdict, long totalNanos) {
            if (verdict == GONE) {
                return latencyNanos != Long.MAX_VALUE && totalNanos > latencyNanos ? BAD : IGNORED;
            }
            if (verdict == GOOD && totalNanos > latencyNanos) {
                return BAD;
            }
            return verdict;
        }
    }

    /** One SLO's counters: the event loops' adders, and the engine thread's buckets. */
    static final class Counts {
        final Duration window;
        final LongAdder good = new LongAdder();
        final LongAdder bad = new LongAdder();
        // Guarded by the engine's lock:
        long takenGood;
        long takenBad;
        final Ring fine;
        final Ring coarse;
        final Ring days;
        boolean loaded;
        /** Widths found in the store that none of the rings has (an earlier SLO window): deleted at the next save. */
        final List<Long> foreignWidths = new ArrayList<>();

        Counts(Duration window, boolean loaded, Ring days) {
            this.window = window;
            this.days = days;
            this.fine = new Ring(FINE_SLOTS, BurnWindow.fineWidthMillis(window));
            this.coarse = new Ring(COARSE_SLOTS, BurnWindow.coarseWidthMillis(window));
            this.loaded = loaded;
        }

        /** Moves what the event loops added since the last take into the buckets of {@code now}. */
        void take(long now) {
            long g = good.sum();
            long b = bad.sum();
            long dg = g - takenGood;
            long db = b - takenBad;
            takenGood = g;
            takenBad = b;
            fine.add(fine.indexOf(now), dg, db);
            coarse.add(coarse.indexOf(now), dg, db);
            days.add(days.indexOf(now), dg, db);
        }

        WindowFigures figures(String label, Ring ring, int buckets, long now) {
            long[] gb = ring.sum(ring.indexOf(now), buckets);
            return new WindowFigures(label, Duration.ofMillis(buckets * ring.width), gb[0], gb[0] + gb[1]);
        }
    }

    /** Names key the stored counters and the alerts: two SLOs of one name would mix their counts. */
    private static void requireUniqueNames(List<SloSettings> slos) {
        Set<String> names = new HashSet<>();
        for (SloSettings s : slos) {
            if (!names.add(s.name())) {
                throw new IllegalArgumentException("two SLOs named " + s.name());
            }
        }
    }

    private static Map<String, Slo[]> routing(List<Slo> slos) {
        Map<String, List<Slo>> lists = new HashMap<>();
        for (Slo s : slos) {
            for (String route : s.settings().routes()) {
                lists.computeIfAbsent(route, r -> new ArrayList<>()).add(s);
            }
        }
        Map<String, Slo[]> out = new HashMap<>();
        lists.forEach((route, list) -> out.put(route, list.toArray(Slo[]::new)));
        return out;
    }

    /**
     * How the request went for an availability SLO: {@link #GOOD}, {@link #BAD}, {@link #IGNORED} (the client's,
     * or shed), or {@link #GONE} (the client left first). See the class comment.
     */
    static int classify(Outcome o) {
        if (o.ending() == Outcome.Ending.CLIENT_GONE) {
            return GONE;
        }
        if (o.ending() == Outcome.Ending.CUT) {
            return BAD;
        }
        Optional<ErrorKind> error = o.error();
        if (error.isPresent() && error.get() == ErrorKind.LOAD_SHED) {
            return IGNORED;
        }
        int status = o.status();
        if (status == 0 && error.isPresent()) {
            status = error.get().status().code();
        }
        if (status >= 500) {
            return status == 501 ? IGNORED : BAD;
        }
        return status >= 100 && status < 400 ? GOOD : IGNORED;
    }

    @Override
    public void onOutcome(Outcome o) {
        Slo[] mine = byRoute.get(o.route());
        if (mine == null) {
            return;
        }
        int verdict = classify(o);
        for (Slo s : mine) {
            int v = s.judge(verdict, o.totalNanos());
            if (v == GOOD) {
                s.counts().good.increment();
            } else if (v == BAD) {
                s.counts().bad.increment();
            }
        }
    }

    /**
     * Takes the requests counted since the last tick into the buckets of now and publishes fresh {@link #statuses()}.
     * The engine's thread calls it; a caller that drives the engine itself (a test on a fake clock) may too.
     */
    public void tick() {
        synchronized (lock) {
            // A clock stepping back counts into the latest bucket rather than into ones already saved and summed.
            long now = Math.max(clock.millis(), lastMillis);
            lastMillis = now;
            lastTickMillis = now;
            for (Slo s : slos) {
                s.counts().take(now);
            }
            publish(now);
        }
    }

    private void publish(long now) {
        Instant at = Instant.ofEpochMilli(now);
        List<SloStatus> out = new ArrayList<>(slos.size());
        for (Slo s : slos) {
            Counts c = s.counts();
            EnumMap<BurnWindow, WindowFigures> windows = new EnumMap<>(BurnWindow.class);
            for (BurnWindow w : BurnWindow.values()) {
                windows.put(w, c.figures(w.label(), w.fine() ? c.fine : c.coarse, w.buckets(), now));
            }
            WindowFigures whole = c.figures(WindowFigures.WHOLE, c.coarse, (int) BurnWindow.COARSE_PER_WINDOW, now);
            out.add(new SloStatus(s.settings(), at, windows, whole));
        }
        statuses = List.copyOf(out);
    }

    /** Every SLO at the latest tick, in config order. */
    public List<SloStatus> statuses() {
        return statuses;
    }

    public Optional<SloStatus> status(String name) {
        for (SloStatus s : statuses) {
            if (s.name().equals(name)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /** The SLOs counted now, in config order. */
    public List<SloSettings> slos() {
        return slos.stream().map(Slo::settings).toList();
    }

    /**
     * The last {@link #HISTORY_DAYS} UTC days of SLO {@code name} up to today (as of the latest tick), oldest first;
     * empty for an SLO the engine does not have. Days without requests have a total of 0.
     */
    public List<DayFigures> history(String name) {
        synchronized (lock) {
            for (Slo s : slos) {
                if (s.settings().name().equals(name)) {
                    Ring days = s.counts().days;
                    long today = days.indexOf(Math.max(lastMillis, 0));
                    List<DayFigures> out = new ArrayList<>(HISTORY_DAYS);
                    for (long d = today - HISTORY_DAYS + 1; d <= today; d++) {
                        long[] gb = days.get(d);
                        out.add(new DayFigures(LocalDate.ofEpochDay(d), gb[0], gb[0] + gb[1]));
                    }
                    return out;
                }
            }
            return List.of();
        }
    }

    /**
     * Applies a reloaded {@code slos:} section: an SLO whose name and window are unchanged keeps its counters (with
     * the new routes, objective and latency from now on); a new one, or one with a new window, starts with what the
     * store holds for it; a dropped one is forgotten (its stored rows stay until they expire).
     */
    public void update(List<SloSettings> next) {
        requireUniqueNames(next);
        synchronized (lock) {
            long now = Math.max(clock.millis(), lastMillis);
            lastMillis = now;
            Map<String, Slo> old = new HashMap<>();
            for (Slo s : slos) {
                s.counts().take(now); // what the event loops added so far stays with the SLO
                old.put(s.settings().name(), s);
            }
            List<Slo> built = new ArrayList<>();
            for (SloSettings s : next) {
                Slo before = old.get(s.name());
                Counts counts;
                if (before == null) {
                    counts = new Counts(s.window(), store.isEmpty(), new Ring(DAY_SLOTS, DAY_MILLIS));
                } else if (before.settings().window().equals(s.window())) {
                    counts = before.counts();
                } else {
                    // New bucket widths; the days do not depend on the window, so the history carries over. Once
                    // loaded, the store holds nothing of the new widths worth loading.
                    counts = new Counts(s.window(), before.counts().loaded, before.counts().days);
                }
                built.add(new Slo(s, counts));
            }
            slos = List.copyOf(built);
            byRoute = routing(slos);
            publish(now);
            if (thread != null && !closed && store.isPresent()) {
                thread.execute(() -> safely("loading SLO counters", this::load));
            }
        }
    }

    /**
     * Adds the stored buckets of every SLO not loaded yet to its counters. The engine's thread runs it first and
     * again after an update or a failed attempt; a caller that drives the engine itself may call it (never on an
     * event loop: it reads the store).
     */
    public void load() {
        if (store.isEmpty()) {
            return;
        }
        List<Slo> pending;
        synchronized (lock) {
            pending = slos.stream().filter(s -> !s.counts().loaded).toList();
        }
        for (Slo s : pending) {
            List<SloBucket> rows = store.get().sloBuckets(node, s.settings().name());
            synchronized (lock) {
                Counts c = s.counts();
                if (c.loaded) {
                    continue;
                }
                long now = Math.max(clock.millis(), lastMillis);
                for (SloBucket row : rows) {
                    Ring ring = row.widthMillis() == c.fine.width ? c.fine
                            : row.widthMillis() == c.coarse.width ? c.coarse
                            : row.widthMillis() == c.days.width ? c.days : null;
                    if (ring == null) {
                        if (!c.foreignWidths.contains(row.widthMillis())) {
                            c.foreignWidths.add(row.widthMillis());
                        }
                    } else if (row.startMillis() % ring.width == 0) {
                        ring.restore(row.startMillis() / ring.width, row.good(), row.total() - row.good(),
                                ring.indexOf(now));
                    }
                }
                c.loaded = true;
                publish(now);
            }
        }
    }

    /**
     * Writes the buckets changed since the last save, and deletes those no window needs any more, in one
     * transaction. The engine's thread runs it every {@link #SAVE_INTERVAL}; never call it on an event loop.
     *
     * @throws io.palisade.store.StoreException when the store fails; the buckets stay marked for the next save
     */
    public void save() {
        if (store.isEmpty()) {
            return;
        }
        record Saved(Ring ring, long index, long good, long bad) {}
        List<Saved> saved = new ArrayList<>();
        List<SloBucket> rows = new ArrayList<>();
        List<SloBucketRange> expired = new ArrayList<>();
        synchronized (lock) {
            long now = Math.max(clock.millis(), lastMillis);
            for (Slo s : slos) {
                Counts c = s.counts();
                if (!c.loaded) {
                    continue;
                }
                String name = s.settings().name();
                for (Ring ring : new Ring[] {c.fine, c.coarse, c.days}) {
                    for (long[] b : ring.dirty()) {
                        saved.add(new Saved(ring, b[0], b[1], b[2]));
                        rows.add(new SloBucket(node, name, ring.width, b[0] * ring.width, b[1], b[1] + b[2]));
                    }
                    long oldest = ring.indexOf(now) - ring.size() + 1;
                    expired.add(new SloBucketRange(node, name, ring.width, oldest * ring.width));
                }
                for (long width : c.foreignWidths) {
                    expired.add(new SloBucketRange(node, name, width, Long.MAX_VALUE));
                }
            }
        }
        store.get().saveSloBuckets(rows, expired);
        synchronized (lock) {
            for (Saved s : saved) {
                s.ring().clean(s.index(), s.good(), s.bad());
            }
            for (Slo s : slos) {
                s.counts().foreignWidths.clear();
            }
        }
    }

    /**
     * Starts the engine's thread: loads the stored counters, then ticks (every fine bucket's width, between 100 ms and
     * a second) and saves every {@link #SAVE_INTERVAL}.
     */
    public void start() {
        ScheduledExecutorService t;
        synchronized (lock) {
            if (thread != null || closed) {
                throw new IllegalStateException("the SLO engine was started already");
            }
            t = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread th = new Thread(r, "palisade-slo");
                th.setDaemon(true);
                return th;
            });
            thread = t;
        }
        t.execute(() -> safely("loading SLO counters", this::load));
        t.scheduleWithFixedDelay(() -> safely("counting SLO requests", this::tickIfDue), MIN_TICK_MILLIS,
                MIN_TICK_MILLIS, TimeUnit.MILLISECONDS);
        long save = SAVE_INTERVAL.toMillis();
        t.scheduleWithFixedDelay(() -> {
            safely("loading SLO counters", this::load);
            safely("saving SLO counters", this::save);
        }, save, save, TimeUnit.MILLISECONDS);
    }

    /** A tick once the shortest SLO's fine bucket has passed since the last one (within 100 ms..1 s). */
    private void tickIfDue() {
        long period;
        synchronized (lock) {
            long finest = MAX_TICK_MILLIS;
            for (Slo s : slos) {
                finest = Math.min(finest, s.counts().fine.width);
            }
            period = Math.max(MIN_TICK_MILLIS, finest);
            if (lastTickMillis != Long.MIN_VALUE && clock.millis() - lastTickMillis < period) {
                return;
            }
        }
        tick();
    }

    private void safely(String what, Runnable work) {
        try {
            work.run();
        } catch (RuntimeException e) {
            failures.warn(what, what + " failed", e);
        }
    }

    /** The tick period the engine's thread uses now, for the docs and tests. */
    long tickMillis() {
        synchronized (lock) {
            long finest = MAX_TICK_MILLIS;
            for (Slo s : slos) {
                finest = Math.min(finest, s.counts().fine.width);
            }
            return Math.max(MIN_TICK_MILLIS, finest);
        }
    }

    /**
     * Registers the SLO gauges: {@code palisade_slo_burn_rate{slo,window}} and
     * {@code palisade_slo_error_budget_remaining{slo}} (absent while the window has fewer than {@link #MIN_EVENTS}
     * requests), {@code palisade_slo_objective{slo}}, {@code palisade_slo_window_seconds{slo,window}} (each window's
     * scaled length), {@code palisade_slo_window_requests{slo,window}}, and the counter
     * {@code palisade_slo_requests_total{slo,result}} (good, bad: since start).
     */
    public void register(GatewayMetrics metrics) {
        metrics.gauge("palisade_slo_burn_rate", "How fast each SLO spends its error budget over each window of the"
                + " multi-window scheme (1 = exactly the budget over the SLO window); absent with fewer than "
                + MIN_EVENTS + " requests in the window.", cb -> {
                    for (SloStatus s : statuses) {
                        for (BurnWindow w : BurnWindow.values()) {
                            OptionalDouble burn = s.burnRate(w);
                            if (burn.isPresent()) {
                                cb.call(burn.getAsDouble(), s.name(), w.label());
                            }
                        }
                    }
                }, "slo", "window");
        metrics.gauge("palisade_slo_error_budget_remaining", "The share of each SLO's error budget left over its"
                + " window (1 untouched, 0 spent, below 0 overspent); absent with fewer than " + MIN_EVENTS
                + " requests in the window.", cb -> {
                    for (SloStatus s : statuses) {
                        OptionalDouble left = s.budgetRemaining();
                        if (left.isPresent()) {
                            cb.call(left.getAsDouble(), s.name());
                        }
                    }
                }, "slo");
        metrics.gauge("palisade_slo_objective", "Each SLO's objective, as a ratio (0.999 for 99.9%).", cb -> {
            for (SloStatus s : statuses) {
                cb.call(s.settings().objective(), s.name());
            }
        }, "slo");
        metrics.gauge("palisade_slo_window_seconds", "The length of each SLO's burn-rate windows, scaled with its"
                + " SLO window (window=\"slo\": the whole SLO window).", cb -> {
                    for (SloStatus s : statuses) {
                        for (WindowFigures f : s.windows().values()) {
                            cb.call(f.length().toMillis() / 1000.0, s.name(), f.label());
                        }
                        cb.call(s.whole().length().toMillis() / 1000.0, s.name(), WindowFigures.WHOLE);
                    }
                }, "slo", "window");
        metrics.gauge("palisade_slo_window_requests", "Requests each SLO counted over each window (good and bad).",
                cb -> {
                    for (SloStatus s : statuses) {
                        for (WindowFigures f : s.windows().values()) {
                            cb.call(f.total(), s.name(), f.label());
                        }
                        cb.call(s.whole().total(), s.name(), WindowFigures.WHOLE);
                    }
                }, "slo", "window");
        metrics.counter("palisade_slo_requests", "Requests each SLO counted since start, by result (good, bad).",
                cb -> {
                    for (Slo s : slos) {
                        cb.call(s.counts().good.sum(), s.settings().name(), "good");
                        cb.call(s.counts().bad.sum(), s.settings().name(), "bad");
                    }
                }, "slo", "result");
    }

    /**
     * Stops the engine's thread, then takes a last tick and saves. Call it from a thread that may block (not an event
     * loop); closing twice does nothing.
     */
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
                if (!t.awaitTermination(30, TimeUnit.SECONDS)) {
                    t.shutdownNow();
                }
            } catch (InterruptedException e) {
                t.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        tick();
        safely("loading SLO counters", this::load);
        safely("saving SLO counters", this::save);
    }
}
