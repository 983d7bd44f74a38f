package io.palisade.ingest;

import io.palisade.error.ErrorKind;
import io.palisade.proxy.IngestTarget;
import io.palisade.route.IngestAction;
import io.palisade.store.IngestLog;
import io.palisade.store.StoreFullException;
import io.palisade.time.RateLimitedLog;
import io.palisade.time.Ticker;
import io.palisade.upstream.Cluster;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest routes of one gateway: keeps what they accept in {@code STATE_DIR/ingest.db} ({@link IngestLog} behind
 * the group-commit {@link Journal}), holds each route to its quota and all of them to {@code ingest.max_disk}, and
 * runs one {@link Forwarder} per route that delivers the records to its cluster.
 *
 * <pre>{@code
 * IngestService ingest = IngestService.start(stateDir, config.ingest(), name -> snapshot().clusters().cluster(name),
 *         Clock.systemUTC());
 * ingest.configure(config.ingest(), Map.of("track", trackAction));   // on every release activation
 * GatewaySnapshot.Parts parts = new GatewaySnapshot.Parts(..., ingest);  // it is the snapshot's IngestTarget
 * }</pre>
 *
 * <p>The store opens on a thread of its own: SQLite's recovery after a crash takes as long as the WAL is big, and the
 * gateway serves its other routes meanwhile; ingest routes answer 503 {@code ingest_unavailable} with Retry-After
 * until it is open (and again, retrying the open every few seconds, if it cannot be opened). Nothing here ever exits
 * the process or drops an accepted record to make room: a full budget is a 507 until deliveries free space.
 *
 * <p>Space is reserved before the write, in memory, against the bytes of live records (pending and quarantined) the
 * log reported at open plus what was accepted since, minus what was delivered or purged: the budget is kept before
 * accepting, not discovered at fsync. A disk with less than {@link #DISK_RESERVE} free refuses as full too, whatever
 * the budget says, so SQLite always has room for its WAL and checkpoints.
 */
public final class IngestService implements IngestTarget, AutoCloseable {
    /** The file beside the config store's {@code palisade.db}. */
    public static final String FILE = "ingest.db";
    /** Free disk kept beyond the records' bytes: WAL growth, checkpoints, and the rest of the machine. */
    static final long DISK_RESERVE = 64L * 1024 * 1024;
    /** What one record costs beyond its fields: row, index entries and the page space around them. */
    static final long RECORD_OVERHEAD = 128;
    static final int JOURNAL_CAPACITY = 65_536;
    static final Duration REOPEN_EVERY = Duration.ofSeconds(5);
    /** How long close() lets a running store task (an open, a prune) finish; an open of a big store takes seconds. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(30);
    static final Duration REFRESH_EVERY = Duration.ofSeconds(2);
    static final Duration PRUNE_EVERY = Duration.ofMinutes(10);
    static final int FULL_RETRY_AFTER_SECONDS = 5;
    static final int UNAVAILABLE_RETRY_AFTER_SECONDS = 2;

    private static final Logger log = LoggerFactory.getLogger(IngestService.class);

    /** Where the store stands; only {@link #READY} accepts. */
    public enum State {
        OPENING("opening"), READY("ready"), CLOSED("closed");

        private final String label;

        State(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private final Path stateDir;
    private final Clock clock;
    private final ClusterSource clusters;
    private final RecordIds ids;
    private final ScheduledExecutorService timer;
    /** Admin reads (status, quarantine, one record) block on JDBC: never on the admin event loop. */
    private final ExecutorService reads;
    private final RateLimitedLog failures;
    private final Map<String, RouteState> routes = new ConcurrentHashMap<>();
    private final AtomicLong diskUsed = new AtomicLong();
    private final LongAdder tornBytes = new LongAdder();
    private final Object lifecycle = new Object();
    private volatile State state = State.OPENING;
    private volatile IngestSettings settings;
    private volatile IngestLog store;
    private volatile Journal journal;
    private volatile long usableDisk = Long.MAX_VALUE;
    private volatile Map<String, IngestLog.Totals> totals = Map.of();
    private volatile long fileBytes;
    private volatile String openProblem = "";

    private IngestService(Path stateDir, IngestSettings settings, ClusterSource clusters, Clock clock) {
        this.stateDir = stateDir;
        this.settings = settings;
        this.clusters = clusters;
        this.clock = clock;
        this.ids = new RecordIds(clock);
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, daemon("palisade-ingest-timer"));
        // close() lets a running task finish instead of interrupting it: an interrupt that lands in the middle of
        // opening or closing the store's connection pool is logged by Hikari as an error, and the half-open store
        // would be left to the finalizer. Queued work (reopen, refresh, prune) is simply dropped.
        t.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        t.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
        this.timer = t;
        this.reads = Executors.newSingleThreadExecutor(daemon("palisade-ingest-reads"));
        this.failures = RateLimitedLog.every(Duration.ofSeconds(10), log, Ticker.system());
    }

    /**
     * Starts opening {@code stateDir/ingest.db} in the background and returns at once; ingest routes answer 503
     * until it is open.
     *
     * @param clusters the serving config's clusters by name (deliveries look their cluster up at each attempt)
     */
    public static IngestService start(Path stateDir, IngestSettings settings,
                                      Function<String, Optional<Cluster>> clusters, Clock clock) {
        Objects.requireNonNull(clusters, "clusters");
        IngestService service = new IngestService(Objects.requireNonNull(stateDir, "stateDir"),
                Objects.requireNonNull(settings, "settings"), clusters::apply, Objects.requireNonNull(clock, "clock"));
        service.timer.execute(service::open);
        return service;
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    // ---------------------------------------------------------------- opening

    private void open() {
        if (state == State.CLOSED) {
            return;
        }
        IngestLog opened;
        try {
            opened = IngestLog.sqlite(stateDir.resolve(FILE), settings.fsyncInterval().isPresent()
                    ? IngestLog.Durability.INTERVAL : IngestLog.Durability.ALWAYS);
        } catch (RuntimeException e) {
            openProblem = String.valueOf(e.getMessage());
            log.error("the ingest store {} cannot be opened ({}); ingest routes answer 503 and the gateway tries"
                    + " again in {}", stateDir.resolve(FILE), e.getMessage(), REOPEN_EVERY, e);
            timer.schedule(this::open, REOPEN_EVERY.toMillis(), TimeUnit.MILLISECONDS);
            return;
        }
        IngestLog.Recovery recovery = opened.recovery();
        if (recovery.tornBytes() > 0) {
            tornBytes.add(recovery.tornBytes());
            log.warn("ingest store recovered after a crash: {}", recovery.detail());
        }
        Map<String, IngestLog.Totals> found = opened.totals();
        synchronized (lifecycle) {
            if (state == State.CLOSED) {
                opened.close();
                return;
            }
            long all = 0;
            for (Map.Entry<String, IngestLog.Totals> e : found.entrySet()) {
                long bytes = e.getValue().pendingBytes() + e.getValue().quarantinedBytes();
                route(e.getKey()).used.set(bytes);
                all += bytes;
            }
            diskUsed.set(all);
            totals = found;
            store = opened;
            journal = Journal.start(opened, settings.fsyncInterval(), JOURNAL_CAPACITY);
            for (RouteState r : routes.values()) {
                startForwarder(r);
            }
            openProblem = "";
            state = State.READY;
        }
        refresh();
        timer.scheduleWithFixedDelay(this::refresh, REFRESH_EVERY.toMillis(), REFRESH_EVERY.toMillis(),
                TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(this::prune, PRUNE_EVERY.toMillis(), PRUNE_EVERY.toMillis(),
                TimeUnit.MILLISECONDS);
        long backlog = found.values().stream().mapToLong(IngestLog.Totals::pending).sum();
        log.info("ingest store {} open: {} records to deliver, {} quarantined", stateDir.resolve(FILE), backlog,
                found.values().stream().mapToLong(IngestLog.Totals::quarantined).sum());
    }

    private RouteState route(String name) {
        return routes.computeIfAbsent(name, RouteState::new);
    }

    // ---------------------------------------------------------------- config

    /**
     * Applies a config version's ingest settings and routes: a new route gets its forwarder, a changed one its new
     * settings from its next delivery, and a route the config no longer has stops delivering (its records stay
     * stored, counted in the budget and listed by {@link #status}, and go again when a version brings it back).
     * Called on the gateway's control thread at each activation (with every serving version's routes while a canary
     * runs).
     */
    public void configure(IngestSettings next, Map<String, IngestAction> actions) {
        synchronized (lifecycle) {
            settings = next;
            for (Map.Entry<String, IngestAction> e : actions.entrySet()) {
                RouteState r = route(e.getKey());
                IngestAction before = r.action;
                r.action = e.getValue();
                if (r.forwarder != null && before != null) {
                    r.forwarder.update(e.getValue());
                } else if (state == State.READY) {
                    startForwarder(r);
                }
            }
            for (RouteState r : routes.values()) {
                if (!actions.containsKey(r.name) && r.action != null) {
                    r.action = null;
                    if (r.forwarder != null) {
                        r.forwarder.close();
                        r.forwarder = null;
                    }
                }
            }
        }
    }

    private void startForwarder(RouteState r) {
        if (r.action == null || r.forwarder != null) {
            return;
        }
        r.forwarder = new Forwarder(r.name, r.action, clusters, store, journal, clock, timer, r.stats,
                bytes -> free(r, bytes));
        r.forwarder.start();
    }

    private void free(RouteState r, long bytes) {
        r.used.addAndGet(-bytes);
        diskUsed.addAndGet(-bytes);
    }

    // ---------------------------------------------------------------- IngestTarget (event loops)

    @Override
    public Optional<Refused> admit(String route, long declaredBytes) {
        RouteState r = routes.get(route);
        Refused refused = refusal(r, declaredBytes);
        if (refused != null && r != null) {
            r.rejected(refused.kind());
        }
        return Optional.ofNullable(refused);
    }

    /** Why {@code r} cannot take {@code bytes} more now, or null when it can. */
    private Refused refusal(RouteState r, long bytes) {
        if (state != State.READY || r == null || r.action == null) {
            return new Refused(ErrorKind.INGEST_UNAVAILABLE, UNAVAILABLE_RETRY_AFTER_SECONDS);
        }
        IngestSettings s = settings;
        if (r.used.get() + bytes > quota(r.action, s) || diskUsed.get() + bytes > s.maxDisk()
                || usableDisk - bytes < DISK_RESERVE) {
            return new Refused(ErrorKind.INGEST_FULL, FULL_RETRY_AFTER_SECONDS);
        }
        return null;
    }

    private static long quota(IngestAction action, IngestSettings s) {
        return Math.min(action.quota(), s.maxDisk());
    }

    @Override
    public CompletionStage<Result> accept(Submission sub) {
        RouteState r = routes.get(sub.route());
        long bytes = recordBytes(sub);
        Refused refused = reserve(r, bytes);
        if (refused != null) {
            if (r != null) {
                r.rejected(refused.kind());
            }
            return CompletableFuture.completedFuture(refused);
        }
        Instant now = clock.instant();
        IngestSettings s = settings;
        List<IngestLog.Header> headers = new ArrayList<>(sub.headers().size());
        for (Map.Entry<String, String> h : sub.headers()) {
            headers.add(new IngestLog.Header(h.getKey(), h.getValue()));
        }
        IngestLog.NewRecord record = new IngestLog.NewRecord(ids.next(), sub.route(), now, sub.method(), sub.path(),
                sub.query(), headers, sub.consumer(), sub.body(), bytes, sub.idempotencyKey(),
                now.plus(s.idempotencyWindow()));
        Journal j = journal;
        CompletableFuture<IngestLog.Appended> appended;
        try {
            // On the journal's thread, before it commits anything else (Forwarder.offer says why): the forwarder
            // delivers the new record from memory.
            appended = j.append(record, stored -> {
                Forwarder f = r.forwarder;
                if (f != null && !stored.duplicate()) {
                    f.offer(new IngestLog.Pending(0, record.id(), record.route(), record.receivedAt(),
                            record.method(), record.path(), record.query(), record.headers(), record.consumer(),
                            record.body(), record.bytes(), 0, record.receivedAt()));
                }
            });
        } catch (RuntimeException e) {
            appended = CompletableFuture.failedFuture(e);
        }
        return appended.handle((done, failure) -> {
            if (failure != null) {
                free(r, bytes);
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                if (cause instanceof StoreFullException) {
                    r.rejected(ErrorKind.INGEST_FULL);
                    failures.warn("full", "ingest store full: the disk refused a write; answering 507", cause);
                    return new Refused(ErrorKind.INGEST_FULL, FULL_RETRY_AFTER_SECONDS);
                }
                r.rejected(ErrorKind.INGEST_UNAVAILABLE);
                failures.warn("write", "the ingest store refused a write; answering 503", cause);
                return new Refused(ErrorKind.INGEST_UNAVAILABLE, UNAVAILABLE_RETRY_AFTER_SECONDS);
            }
            if (done.duplicate()) {
                free(r, bytes);
                r.duplicates.increment();
                return new Accepted(done.id(), true);
            }
            r.accepted.increment();
            return new Accepted(done.id(), false);
        });
    }

    /** Takes {@code bytes} of {@code r}'s quota and of max_disk at once, or neither; null when taken. */
    private Refused reserve(RouteState r, long bytes) {
        Refused refused = refusal(r, bytes);
        if (refused != null) {
            return refused;
        }
        long quota = quota(r.action, settings);
        long maxDisk = settings.maxDisk();
        long used;
        do {
            used = r.used.get();
            if (used + bytes > quota) {
                return new Refused(ErrorKind.INGEST_FULL, FULL_RETRY_AFTER_SECONDS);
            }
        } while (!r.used.compareAndSet(used, used + bytes));
        long all;
        do {
            all = diskUsed.get();
            if (all + bytes > maxDisk) {
                r.used.addAndGet(-bytes);
                return new Refused(ErrorKind.INGEST_FULL, FULL_RETRY_AFTER_SECONDS);
            }
        } while (!diskUsed.compareAndSet(all, all + bytes));
        return null;
    }

    /** What a record counts against the budgets: its body and every field kept with it, plus a row's overhead. */
    static long recordBytes(Submission sub) {
        long n = RECORD_OVERHEAD + sub.body().length + utf8(sub.method()) + utf8(sub.path()) + utf8(sub.query());
        for (Map.Entry<String, String> h : sub.headers()) {
            n += utf8(h.getKey()) + utf8(h.getValue());
        }
        n += sub.consumer().map(IngestService::utf8).orElse(0);
        n += sub.idempotencyKey().map(IngestService::utf8).orElse(0);
        return n;
    }

    /** The UTF-8 length without encoding: this runs on the event loop for every ingest request. */
    static int utf8(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                n++; // unpaired: the encoder writes '?'
            } else {
                n += 3;
            }
        }
        return n;
    }

    // ---------------------------------------------------------------- background upkeep

    /** Free disk and the per-route totals (backlog, oldest age) for metrics and the budget's disk check. */
    private void refresh() {
        try {
            FileStore fs = Files.getFileStore(stateDir);
            usableDisk = fs.getUsableSpace();
        } catch (IOException | RuntimeException e) {
            failures.warn("free", "cannot read the free space of " + stateDir, e);
        }
        IngestLog s = store;
        if (s == null) {
            return;
        }
        try {
            totals = s.totals();
            fileBytes = s.fileBytes();
        } catch (RuntimeException e) {
            failures.warn("totals", "cannot read the ingest totals", e);
        }
    }

    private void prune() {
        Journal j = journal;
        if (j != null) {
            j.write(l -> l.pruneIdempotency(clock.instant())).exceptionally(e -> {
                failures.warn("prune", "pruning expired idempotency keys failed", e);
                return 0;
            });
        }
    }

    // ---------------------------------------------------------------- reads for operators

    public State state() {
        return state;
    }

    /** Bytes a crash's torn WAL tail took with it, cut off at open (this process's opens). */
    public long tornBytes() {
        return tornBytes.sum();
    }

    /** Every route with an ingest action or with records, for metrics: figures as of the last refresh. */
    public List<RouteStatus> routes() {
        Map<String, IngestLog.Totals> t = totals;
        Instant now = clock.instant();
        List<RouteStatus> out = new ArrayList<>();
        List<String> names = new ArrayList<>(routes.keySet());
        names.sort(null);
        IngestSettings s = settings;
        for (String name : names) {
            RouteState r = routes.get(name);
            IngestLog.Totals tt = t.getOrDefault(name, new IngestLog.Totals(0, 0, 0, 0, Optional.empty()));
            double oldest = tt.oldestPending().map(at -> Math.max(0, Duration.between(at, now).toMillis() / 1000.0))
                    .orElse(0.0);
            IngestAction action = r.action;
            out.add(new RouteStatus(name, action == null ? "" : action.cluster(), action != null, tt.pending(),
                    tt.pendingBytes(), oldest, r.stats.inFlight(), r.stats.delivered(), r.stats.retried(),
                    tt.quarantined(), tt.quarantinedBytes(), r.stats.quarantined(), r.used.get(),
                    action == null ? 0 : quota(action, s), r.accepted.sum(), r.duplicates.sum(),
                    Map.copyOf(r.rejectedCounts())));
        }
        return out;
    }

    /**
     * One route's figures.
     *
     * @param configured the serving config has this route (else: records left by a version that had it)
     * @param delivered  delivered since this process started, likewise retried, quarantinedTotal, accepted,
     *                   duplicates and rejected
     */
    public record RouteStatus(String route, String cluster, boolean configured, long backlog, long backlogBytes,
                              double oldestAgeSeconds, long inFlight, long delivered, long retried, long quarantined,
                              long quarantinedBytes, long quarantinedTotal, long bytes, long quotaBytes,
                              long accepted, long duplicates, Map<String, Long> rejected) {}

    /**
     * The journal's group commits since start: how many, how many records, and two histograms in fixed buckets
     * (cumulative counts, Prometheus-style): records per commit and seconds per commit (the fsync included).
     */
    public JournalFigures journal() {
        Journal j = journal;
        if (j == null) {
            return new JournalFigures(0, 0, 0, 0, 0, List.of(), List.of());
        }
        Journal.Stats s = j.stats();
        List<Bucket> groups = cumulative(Journal.Stats.GROUP_SIZE_BOUNDS.length, i -> Journal.Stats.GROUP_SIZE_BOUNDS[i],
                s.groupSizes());
        List<Bucket> latency = cumulative(Journal.Stats.COMMIT_SECONDS_BOUNDS.length,
                i -> Journal.Stats.COMMIT_SECONDS_BOUNDS[i], s.commitLatencies());
        return new JournalFigures(s.commits(), s.records(), s.commitSecondsSum(), s.queueDepth(), s.busy(), groups,
                latency);
    }

    private static List<Bucket> cumulative(int bounds, java.util.function.IntToDoubleFunction bound, long[] counts) {
        List<Bucket> out = new ArrayList<>(bounds + 1);
        long sum = 0;
        for (int i = 0; i < counts.length; i++) {
            sum += counts[i];
            out.add(new Bucket(i < bounds ? bound.applyAsDouble(i) : Double.POSITIVE_INFINITY, sum));
        }
        return out;
    }

    /** A histogram bucket: {@code count} observations at or below {@code le}. */
    public record Bucket(double le, long count) {}

    /**
     * @param commitSeconds the sum of every commit's duration
     * @param busy          appends refused because the journal's queue was full (503)
     */
    public record JournalFigures(long commits, long records, double commitSeconds, int queueDepth, long busy,
                                 List<Bucket> groupSizes, List<Bucket> commitLatency) {
        /** The smallest bucket bound at or below which {@code q} of the commits took; 0 with no commits. */
        public double commitLatencyQuantile(double q) {
            return quantile(commitLatency, q);
        }

        public double groupSizeQuantile(double q) {
            return quantile(groupSizes, q);
        }

        private static double quantile(List<Bucket> buckets, double q) {
            if (buckets.isEmpty() || buckets.get(buckets.size() - 1).count() == 0) {
                return 0;
            }
            long total = buckets.get(buckets.size() - 1).count();
            for (Bucket b : buckets) {
                if (b.count() >= Math.ceil(q * total)) {
                    return b.le();
                }
            }
            return Double.POSITIVE_INFINITY;
        }
    }

    /** {@code GET /ingest}: refreshes the totals off the caller's thread, then reports. */
    public CompletionStage<Status> status() {
        return CompletableFuture.supplyAsync(() -> {
            refresh();
            return new Status(state.label(), openProblem, diskUsed.get(), settings.maxDisk(), fileBytes,
                    usableDisk == Long.MAX_VALUE ? -1 : usableDisk, tornBytes.sum(), routes(), journal());
        }, reads);
    }

    /**
     * @param problem why the store is not open yet, when it failed to open; else empty
     * @param freeDisk free bytes on the state dir's disk, -1 when not read yet
     */
    public record Status(String state, String problem, long usedBytes, long maxDiskBytes, long fileBytes,
                         long freeDisk, long tornBytes, List<RouteStatus> routes, JournalFigures journal) {}

    /** Whether {@code route} is an ingest route now or has records stored. */
    public boolean knows(String route) {
        return routes.containsKey(route);
    }

    public CompletionStage<List<IngestLog.Quarantined>> quarantine(String route, int limit) {
        return readStore(s -> s.quarantine(route, limit));
    }

    public CompletionStage<Optional<IngestLog.Detail>> record(String route, String id, int excerptBytes) {
        return readStore(s -> s.find(route, id, excerptBytes));
    }

    /** Moves quarantined records back to delivery (their attempts and age start again now). */
    public CompletionStage<Integer> replay(String route, List<String> recordIds, boolean all) {
        return writeStore(l -> l.replay(route, recordIds, all, clock.instant())).thenApply(n -> {
            RouteState r = routes.get(route);
            if (r != null && r.forwarder != null && n > 0) {
                r.forwarder.wake();
            }
            return n;
        });
    }

    /** Deletes quarantined records; their bytes go back to the budgets. */
    public CompletionStage<IngestLog.Removed> purge(String route, List<String> recordIds, boolean all) {
        return writeStore(l -> l.purge(route, recordIds, all)).thenApply(removed -> {
            RouteState r = routes.get(route);
            if (r != null && removed.bytes() > 0) {
                free(r, removed.bytes());
            }
            return removed;
        });
    }

    private <T> CompletionStage<T> readStore(Function<IngestLog, T> read) {
        IngestLog s = store;
        if (s == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("the ingest store is " + state.label()));
        }
        return CompletableFuture.supplyAsync(() -> read.apply(s), reads);
    }

    private <T> CompletionStage<T> writeStore(Function<IngestLog, T> write) {
        Journal j = journal;
        if (j == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("the ingest store is " + state.label()));
        }
        return j.write(write);
    }

    /** Stops delivering (records in flight stay pending and go again after a restart), then closes the store. */
    @Override
    public void close() {
        List<Forwarder> forwarders = new ArrayList<>();
        Journal j;
        IngestLog s;
        synchronized (lifecycle) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.CLOSED;
            for (RouteState r : routes.values()) {
                if (r.forwarder != null) {
                    forwarders.add(r.forwarder);
                    r.forwarder = null;
                }
            }
            j = journal;
            s = store;
        }
        forwarders.forEach(Forwarder::close);
        timer.shutdown();
        try {
            if (!timer.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("an ingest store task still runs {} after close; the store closes under it", CLOSE_WAIT);
                timer.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            timer.shutdownNow();
        }
        if (j != null) {
            j.close();
        }
        reads.shutdownNow();
        if (s != null) {
            s.close();
        }
    }

    /** One route's live state: its action (null once the config dropped it), budget use, forwarder and counts. */
    private static final class RouteState {
        final String name;
        volatile IngestAction action;
        /** Set and cleared under {@link IngestService#lifecycle}; read by accepts to wake it. */
        volatile Forwarder forwarder;
        final AtomicLong used = new AtomicLong();
        final ForwarderStats stats = new ForwarderStats();
        final LongAdder accepted = new LongAdder();
        final LongAdder duplicates = new LongAdder();
        final LongAdder full = new LongAdder();
        final LongAdder unavailable = new LongAdder();

        RouteState(String name) {
            this.name = name;
        }

        void rejected(ErrorKind kind) {
            (kind == ErrorKind.INGEST_FULL ? full : unavailable).increment();
        }

        Map<String, Long> rejectedCounts() {
            Map<String, Long> m = new LinkedHashMap<>();
            m.put(ErrorKind.INGEST_FULL.code(), full.sum());
            m.put(ErrorKind.INGEST_UNAVAILABLE.code(), unavailable.sum());
            return m;
        }
    }
}
