package io.palisade.ingest;

import io.palisade.ingest.DeliveryResult.Failure;
import io.palisade.route.IngestAction;
import io.palisade.store.IngestLog;
import io.palisade.time.RateLimitedLog;
import io.palisade.time.Ticker;
import io.palisade.upstream.Cluster;
import io.palisade.upstream.Endpoint;
import io.palisade.upstream.Pick;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one ingest route's pending records to its cluster: at most {@code concurrency} attempts in flight, each
 * through the cluster's balancer, health and deadlines, each result made durable through the {@link Journal}.
 *
 * <pre>{@code
 * Forwarder f = new Forwarder("track", action, name -> snapshot.clusters().cluster(name), log, journal,
 *         Clock.systemUTC(), timer, stats, bytes -> quota.release("track", bytes));
 * f.start();                 // what is due now, records left from before a restart too
 * f.offer(pending);          // each accepted record, as committed, on the journal's thread
 * f.wake();                  // after a replay
 * f.update(newAction);       // a new config version
 * f.close();                 // at shutdown; attempts in flight end unrecorded and go again after the restart
 * }</pre>
 *
 * <p><b>Threads.</b> Everything that decides runs on the forwarder's own thread ({@code palisade-ingest-<route>}):
 * reading due records (JDBC, never on a Netty thread), taking them, classifying results. Requests go out on
 * the route's {@link DeliveryClient} event loop, results come back there and hop to the forwarder's thread; journal
 * commits complete on the journal's writer thread and hop back too. A route whose cluster hangs holds only its own
 * thread, connections and {@code concurrency} slots, so no other route waits for it.
 *
 * <p><b>Concurrency and held records.</b> {@code concurrency} bounds the attempts in flight at the cluster. A record
 * is <em>held</em> from the moment it is taken until its result's commit completes, so it is never fetched twice:
 * {@code log.due} returns it while it is held (its attempt time is still past) and it is skipped by id. Its attempt's
 * slot is free as soon as the answer is in, so the journal's commit latency (an fsync) does not cap the deliveries;
 * held records are bounded at twice the concurrency, and are kept without their bodies once sent. Since every
 * {@code log.due} reads the held records again, due records are read when a quarter of the slots are free rather than
 * at every freed slot. When a commit fails, the record stays held for {@link #STORE_BACKOFF} and is then tried again
 * from what the log holds (the upstream drops the duplicate by its {@code Idempotency-Key}), so a failing store does
 * not turn into a hot loop of deliveries. {@link ForwarderStats#inFlight()} counts held records.
 *
 * <p><b>From memory first.</b> Accepted records are handed over as they are committed ({@link #offer}) and delivered
 * from memory, so a route that keeps up never reads its records back from the log: the log read (an SQLite query,
 * bodies and all) was two thirds of the forwarder's CPU per record. Memory holds at most {@link #FRESH_PER_SLOT} times
 * {@code concurrency} records and {@link #FRESH_BYTES} of bodies; an offer beyond that, or while the route is paused
 * or behind (a backlog, records from before a restart), is left to the log, where the next read finds it. The route
 * is caught up again when a read finds fewer due records than it asked for.
 *
 * <p><b>Wake-ups.</b> The forwarder looks for due work on {@link #start()}, on {@link #offer} and {@link #wake()},
 * after each attempt and each commit (from memory; from the log only while behind), and on a timer: at the route's
 * next due time ({@code log.nextDue}) while behind, at the earliest retry committed here or within {@link #MAX_WAIT}
 * when caught up, each timer followed by a read of the log. While a record is held it is the
 * earliest due, hiding when the next other record comes due; the forwarder then remembers the retry times it
 * committed itself, and otherwise looks again within {@link #MAX_WAIT} (new and replayed records come with
 * {@link #wake()}). A timer is never set further than {@link #MAX_WAIT} ahead, so an earlier wake-up replacing it
 * leaves little behind in the timer's queue.
 *
 * <p><b>Attempts.</b> The cluster is looked up by name at every attempt through the {@link ClusterSource} (a reload may
 * change or remove it); {@code cluster.pick("")} chooses the endpoint (down the failover chain too), the picked
 * cluster's {@code max_requests} slot is held around the attempt, and the endpoint hears about it as from the proxy:
 * {@code onRequestStart/onRequestEnd}, {@code onSuccess} for an answer below 500, {@code onFailure} for a 5xx, a failed
 * connect, a timeout or a broken connection. No cluster, no endpoint, or no free slot is a failed attempt too, retried
 * like any other. {@link RetrySchedule} decides what each result leads to.
 *
 * <p><b>Pacing.</b> After a whole window ({@code concurrency}) of retryable failures in a row the route takes no new
 * record for a while ({@link RetrySchedule#pause}, growing with each further window up to {@code retry.max}); an
 * answer that shows the upstream alive ends it. So a dead cluster is asked about a window of records per pause, not
 * about the whole backlog as fast as connects fail, which would also fill the journal that every route's accepts use.
 * Records waiting out a pause spend no attempts, so an outage alone does not quarantine them sooner.
 *
 * <p>A callback that throws never stops the forwarder: it is logged (rate-limited) and delivery goes on.
 */
final class Forwarder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Forwarder.class);
    /** How long a record whose result could not be committed, or a route whose log could not be read, waits. */
    static final Duration STORE_BACKOFF = Duration.ofSeconds(1);
    /** The longest a wake-up timer is set ahead; a later due time is reached in steps. */
    static final Duration MAX_WAIT = Duration.ofSeconds(1);
    /** Records held per {@code concurrency} slot: those attempted plus those whose results wait for their commit. */
    private static final int HELD_PER_SLOT = 2;
    /**
     * Due records are read when a quarter of the slots are free (or nothing is held), not at every freed slot:
     * {@code log.due} returns the held records too (they are due), bodies and all, so each read costs the held
     * records again; reading in batches bounds that to a few times per delivered record.
     */
    private static final int READ_BATCHES = 4;
    /** Retry times remembered while the route's earliest due record is held; the latest are dropped first. */
    private static final int KNOWN_RETRIES = 1024;
    /** Accepted records waiting in memory ({@link #offer}), per {@code concurrency} slot. */
    private static final int FRESH_PER_SLOT = 4;
    /** Body bytes of accepted records waiting in memory, at most; beyond, they are read back from the log. */
    static final long FRESH_BYTES = 4L << 20;

    private final String route;
    private final ClusterSource clusters;
    private final IngestLog log;
    private final Journal journal;
    private final Clock clock;
    private final ScheduledExecutorService timer;
    private final ForwarderStats stats;
    private final LongConsumer freed;
    private final DeliveryClient client;
    private final RetrySchedule schedule;
    private final ExecutorService thread;
    private final RateLimitedLog warnings;
    private final AtomicBoolean fillQueued = new AtomicBoolean();
    /** Records handed over by {@link #offer} and not yet taken in by the forwarder's thread. */
    private final ConcurrentLinkedQueue<IngestLog.Pending> inbox = new ConcurrentLinkedQueue<>();
    private final AtomicInteger inboxSize = new AtomicInteger();
    /** An offer was turned away at the inbox (full): the log holds a due record that memory does not. */
    private final AtomicBoolean inboxOverflowed = new AtomicBoolean();
    private volatile IngestAction action;
    private volatile boolean closed;

    // The forwarder's thread only.
    /** Records taken and not yet committed, by id: attempts in flight and results waiting for their commit. */
    private final Map<String, Flight> held = new HashMap<>();
    /** Attempts between taking their record and their result: what {@code concurrency} bounds. */
    private int attempting;
    /** Accepted records to deliver from memory, oldest first, and their body bytes. */
    private final ArrayDeque<IngestLog.Pending> fresh = new ArrayDeque<>();
    private long freshBytes;
    /**
     * The log may hold due records that are neither held nor in {@link #fresh} (a backlog, records from before a
     * restart, offers that did not fit): read it. Cleared by a read that found fewer records than it asked for.
     */
    private boolean behind = true;
    /** Read the log at the next fill even when not behind: a timer fired, a replay or a new config woke the route. */
    private boolean readWanted = true;
    private final TreeSet<Instant> knownRetries = new TreeSet<>();
    /** The wake-up timer set and not yet fired, or null; fires at {@link #wakeAt}. */
    private ScheduledFuture<?> wakeTimer;
    private Instant wakeAt;
    private long wakeGeneration;
    /** Retryable failures since the last answer that showed the upstream alive. */
    private int failuresInARow;
    private Instant pausedUntil = Instant.MIN;

    /**
     * @param route    the ingest route's name, as records are stored under it
     * @param action   the route's settings: cluster, concurrency, retry
     * @param clusters the serving config's clusters, asked at every attempt
     * @param log      read for due records on the forwarder's thread
     * @param journal  where results are written
     * @param clock    the time of attempts and of due times
     * @param timer    runs the wake-up timers (only to hand them to the forwarder's thread)
     * @param stats    counted into; may be shared by the forwarders of one route over restarts of the route
     * @param freed    told the bytes of each record whose delivery is committed (its quota share is free)
     */
    Forwarder(String route, IngestAction action, ClusterSource clusters, IngestLog log, Journal journal, Clock clock,
              ScheduledExecutorService timer, ForwarderStats stats, LongConsumer freed) {
        this(route, action, clusters, log, journal, clock, timer, stats, freed, new SplittableRandom());
    }

    /** As the other constructor, with the random source of the backoff's jitter (a test's, to fix the delays). */
    Forwarder(String route, IngestAction action, ClusterSource clusters, IngestLog log, Journal journal, Clock clock,
              ScheduledExecutorService timer, ForwarderStats stats, LongConsumer freed, RandomGenerator random) {
        this.route = Objects.requireNonNull(route, "route");
        this.action = Objects.requireNonNull(action, "action");
        this.clusters = Objects.requireNonNull(clusters, "clusters");
        this.log = Objects.requireNonNull(log, "log");
        this.journal = Objects.requireNonNull(journal, "journal");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.timer = Objects.requireNonNull(timer, "timer");
        this.stats = Objects.requireNonNull(stats, "stats");
        this.freed = Objects.requireNonNull(freed, "freed");
        this.schedule = new RetrySchedule(clock, Objects.requireNonNull(random, "random"));
        this.warnings = RateLimitedLog.every(Duration.ofSeconds(10), LOG, Ticker.system());
        this.client = new DeliveryClient(route);
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "palisade-ingest-" + route);
            t.setDaemon(true);
            return t;
        });
    }

    /** Begins delivering what is due, records left from before a restart too. */
    void start() {
        requestFill();
    }

    /** Records were replayed (or may be due for another reason): read the log for due work now. Coalesces. */
    void wake() {
        wantRead();
    }

    /**
     * A record was just accepted, {@code record} as committed: it is delivered from memory, not read back from the
     * log, unless the forwarder is behind (then the log read finds it) or too much waits in memory already. Call it
     * on the thread that completed the record's commit, before that thread commits anything else: a result for the
     * record cannot then overtake the offer, so a record that a log read took meanwhile is known as held and never
     * delivered twice.
     */
    void offer(IngestLog.Pending record) {
        if (closed) {
            return;
        }
        if (inboxSize.incrementAndGet() > inboxLimit()) {
            inboxSize.decrementAndGet();
            inboxOverflowed.set(true);
        } else {
            inbox.add(record);
        }
        requestFill();
    }

    private int inboxLimit() {
        return FRESH_PER_SLOT * Math.max(1, action.concurrency());
    }

    /** A new config version: its cluster, concurrency and retry settings apply from the next attempt on. */
    void update(IngestAction next) {
        action = Objects.requireNonNull(next, "action");
        wantRead();
    }

    /** The next fill reads the log (the flag is set on the forwarder's thread, before that fill runs). */
    private void wantRead() {
        if (!closed) {
            run(() -> readWanted = true);
        }
        requestFill();
    }

    /**
     * Stops taking records and scheduling. Attempts in flight run to their end (their deadline bounds them) without
     * their results being recorded: those records stay pending and go again after a restart, and the upstream drops
     * what it already has by the {@code Idempotency-Key}. Results already handed to the journal are still counted.
     * Does not wait. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        run(() -> {
            if (wakeTimer != null) {
                wakeTimer.cancel(false);
                wakeTimer = null;
            }
        });
        thread.shutdown();
        client.close();
    }

    /** Completes once the forwarder's thread and its HTTP client have stopped (after {@link #close()}). */
    CompletableFuture<Void> terminated() {
        return client.terminated().thenRunAsync(() -> {
            try {
                thread.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    // ---- scheduling (forwarder thread) ---------------------------------------------------------------------------

    private void requestFill() {
        if (closed || !fillQueued.compareAndSet(false, true)) {
            return;
        }
        run(() -> {
            fillQueued.set(false);
            try {
                fill();
            } catch (RuntimeException e) {
                // Nothing may be left to wake this route up: look again later.
                warnings.warn("fill", "ingest route " + route + ": looking for due records failed", e);
                Instant now = clock.instant();
                wakeAt(now.plus(STORE_BACKOFF), now);
            }
        });
    }

    /** Runs {@code task} on the forwarder's thread, catching what it throws; false when the thread has stopped. */
    private boolean run(Runnable task) {
        try {
            thread.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    warnings.warn("task", "ingest route " + route + ": forwarder task failed", e);
                }
            });
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /**
     * Takes records up to the free attempt slots (and the held bound): first those offered from memory, then, when
     * the log may hold more ({@link #behind}, or a read was asked for), due records from the log; then sets the next
     * wake-up.
     */
    private void fill() {
        if (closed) {
            return;
        }
        absorbOffers();
        IngestAction a = action;
        Instant now = clock.instant();
        if (pausedUntil.isAfter(now)) {
            dropFresh(); // they are in the log, due; memory is for a route that is delivering
            wakeAt(pausedUntil, now);
            return;
        }
        int concurrency = Math.max(1, a.concurrency());
        int room = Math.min(concurrency - attempting, HELD_PER_SLOT * concurrency - held.size());
        while (room > 0 && !fresh.isEmpty() && !pausedUntil.isAfter(now)) {
            IngestLog.Pending p = fresh.poll();
            freshBytes -= p.body().length;
            if (!held.containsKey(p.id())) {
                room--;
                begin(p);
            }
        }
        if (pausedUntil.isAfter(now)) {
            dropFresh();
            wakeAt(pausedUntil, now);
            return;
        }
        if (!behind && !readWanted) {
            // Caught up: what the log holds beyond memory is held or comes due later (a retry committed here, or a
            // record found by the next read at most MAX_WAIT from now).
            if (room > 0) {
                scheduleCaughtUp(now);
            }
            return;
        }
        if (room <= 0 || !held.isEmpty() && room < Math.max(1, concurrency / READ_BATCHES)) {
            return; // an attempt or a commit still to come looks again
        }
        readWanted = false;
        List<IngestLog.Pending> due;
        try {
            // Held records are due too (their attempt time is past): the store passes over them without reading
            // their bodies.
            due = log.due(route, now, room, held.keySet());
        } catch (RuntimeException e) {
            warnings.warn("read", "ingest route " + route + ": reading due records failed; trying again in "
                    + DeliveryClient.shortDuration(STORE_BACKOFF), e);
            readWanted = true;
            wakeAt(now.plus(STORE_BACKOFF), now);
            return;
        }
        // Fewer than asked for: every due record of the log is held now, or was in memory (read before this).
        behind = due.size() >= room;
        for (IngestLog.Pending p : due) {
            if (room == 0 || pausedUntil.isAfter(now)) {
                break;
            }
            if (!held.containsKey(p.id())) {
                room--;
                begin(p);
            }
        }
        if (pausedUntil.isAfter(now)) {
            wakeAt(pausedUntil, now);
        } else if (room > 0) {
            scheduleNext(now);
        }
        // With no room left no timer is needed: each ended attempt and each commit looks again.
    }

    /** Forwarder thread: takes in what {@link #offer} handed over, in order, within the memory bounds. */
    private void absorbOffers() {
        IngestLog.Pending p;
        int limit = inboxLimit();
        while ((p = inbox.poll()) != null) {
            inboxSize.decrementAndGet();
            if (held.containsKey(p.id())) {
                // A log read took it before its offer came in: it is being delivered. (So nothing in memory is
                // ever held: the log is read only when memory is empty.)
                continue;
            }
            if (behind || fresh.size() >= limit || freshBytes + p.body().length > FRESH_BYTES) {
                behind = true; // the log read finds it
            } else {
                fresh.add(p);
                freshBytes += p.body().length;
            }
        }
        if (inboxOverflowed.getAndSet(false)) {
            behind = true;
        }
    }

    /** Leaves what waits in memory to the log (it is there, due): the next read finds it. */
    private void dropFresh() {
        if (!fresh.isEmpty()) {
            fresh.clear();
            freshBytes = 0;
            behind = true;
        }
    }

    /**
     * The wake-up of a caught-up route, without reading the log: the earliest retry committed here, and a read of
     * the log within {@link #MAX_WAIT} for what nothing else announces (a retry time that was not remembered).
     */
    private void scheduleCaughtUp(Instant now) {
        knownRetries.headSet(now, true).clear();
        Instant target = now.plus(MAX_WAIT);
        if (!knownRetries.isEmpty() && knownRetries.first().isBefore(target)) {
            target = knownRetries.first();
        }
        wakeAt(target, now);
    }

    private void scheduleNext(Instant now) {
        Optional<Instant> next;
        try {
            next = log.nextDue(route);
        } catch (RuntimeException e) {
            warnings.warn("read", "ingest route " + route + ": reading the next due time failed", e);
            wakeAt(now.plus(STORE_BACKOFF), now);
            return;
        }
        knownRetries.headSet(now, true).clear();
        Instant target = null;
        if (next.isPresent()) {
            if (next.get().isAfter(now)) {
                target = next.get();
            } else {
                // The earliest due record is held (or came due since the read), hiding when the next one comes due.
                // New and replayed records come with wake(), and retries committed here are remembered: what is left
                // to find this way (records due later from before a restart) can wait a second.
                target = now.plus(MAX_WAIT);
            }
        }
        if (!knownRetries.isEmpty() && (target == null || knownRetries.first().isBefore(target))) {
            target = knownRetries.first();
        }
        if (target != null) {
            wakeAt(target, now);
        }
    }

    /**
     * Sets the wake-up timer for {@code target} (at most {@link #MAX_WAIT} ahead) unless one is set earlier. The timer
     * is forgotten on this thread when it fires (its generation matches), not when its task is done on the timer's
     * thread: a fill that runs in between must see it as spent, or it would set no timer and the route would sleep.
     */
    private void wakeAt(Instant target, Instant now) {
        Instant capped = target.isAfter(now.plus(MAX_WAIT)) ? now.plus(MAX_WAIT) : target;
        if (wakeTimer != null && !capped.isBefore(wakeAt)) {
            return;
        }
        if (wakeTimer != null) {
            wakeTimer.cancel(false);
            wakeTimer = null;
        }
        long generation = ++wakeGeneration;
        long delay = Math.max(0, Duration.between(now, capped).toNanos());
        try {
            wakeTimer = timer.schedule(() -> run(() -> woken(generation)), delay, TimeUnit.NANOSECONDS);
            wakeAt = capped;
        } catch (RejectedExecutionException e) {
            // The timer is shutting down with the gateway.
        }
    }

    private void woken(long generation) {
        if (generation == wakeGeneration) {
            wakeTimer = null;
        }
        readWanted = true;
        requestFill();
    }

    // ---- attempts ------------------------------------------------------------------------------------------------

    /** One record taken for delivery, until its result is committed (or the forwarder closed). */
    private static final class Flight {
        private static final byte[] NO_BODY = new byte[0];
        /** The record without its headers and body: what deciding and counting need, held without the bytes. */
        final IngestLog.Pending record;
        final AtomicBoolean landed = new AtomicBoolean();

        Flight(IngestLog.Pending p) {
            this.record = new IngestLog.Pending(p.seq(), p.id(), p.route(), p.receivedAt(), p.method(), p.path(),
                    p.query(), List.of(), p.consumer(), NO_BODY, p.bytes(), p.attempts(), p.retrySince());
        }
    }

    /** Holds {@code p} and makes its attempt. Forwarder thread. */
    private void begin(IngestLog.Pending p) {
        Flight f = new Flight(p);
        held.put(p.id(), f);
        attempting++;
        stats.takenForDelivery();
        Instant started = clock.instant();
        Optional<DeliveryResult> unsent;
        try {
            unsent = attempt(f, p, started);
        } catch (RuntimeException e) {
            // A cluster lookup or pick that throws is this attempt's failure, never a record held forever.
            warnings.warn("attempt", "ingest route " + route + ": starting a delivery attempt failed", e);
            unsent = Optional.of(DeliveryResult.failed(Failure.UNAVAILABLE, "attempt failed to start: " + e));
        }
        unsent.ifPresent(result -> decided(f, started, result));
    }

    /** Sends the attempt, or says why it could not be sent. */
    private Optional<DeliveryResult> attempt(Flight f, IngestLog.Pending p, Instant started) {
        String name = action.cluster();
        Optional<Cluster> cluster = clusters.cluster(name);
        if (cluster.isEmpty()) {
            return Optional.of(DeliveryResult.failed(Failure.UNAVAILABLE, "cluster " + name
                    + " is not in the serving config"));
        }
        Optional<Pick> pick = cluster.get().pick("");
        if (pick.isEmpty()) {
            return Optional.of(DeliveryResult.failed(Failure.UNAVAILABLE, "no endpoint available in cluster "
                    + name));
        }
        Cluster granted = pick.get().cluster();
        if (!granted.tryAcquireRequest()) {
            return Optional.of(DeliveryResult.failed(Failure.UNAVAILABLE, "cluster " + granted.name()
                    + " is at its request limit (max_requests)"));
        }
        Endpoint endpoint = pick.get().endpoint();
        endpoint.onRequestStart();
        CompletableFuture<DeliveryResult> sent;
        try {
            sent = client.send(endpoint.address(), granted.config().timeouts(), p);
        } catch (RuntimeException e) {
            sent = CompletableFuture.completedFuture(DeliveryResult.failed(Failure.RESET, String.valueOf(e)));
        }
        sent.whenComplete((result, error) -> attemptEnded(f, started, granted, endpoint,
                error == null ? result : DeliveryResult.failed(Failure.RESET, String.valueOf(error))));
        return Optional.empty();
    }

    /** On the HTTP client's event loop: gives back what the attempt held, then hands the result over. */
    private void attemptEnded(Flight f, Instant started, Cluster granted, Endpoint endpoint, DeliveryResult result) {
        try {
            endpoint.onRequestEnd();
            granted.releaseRequest();
            if (result.answered() && result.status() < 500) {
                endpoint.onSuccess();
            } else {
                result.endpointFailure().ifPresent(endpoint::onFailure);
            }
        } catch (RuntimeException e) {
            warnings.warn("endpoint", "ingest route " + route + ": endpoint bookkeeping failed", e);
        }
        if (closed || !run(() -> decided(f, started, result))) {
            stats.countAttempt();
            land(f);
        }
    }

    /** Forwarder thread: what the attempt leads to, handed to the journal. */
    private void decided(Flight f, Instant started, DeliveryResult result) {
        stats.countAttempt();
        attempting--;
        if (closed) {
            land(f);
            return;
        }
        IngestAction a = action;
        Instant now = clock.instant();
        IngestLog.AttemptResult r = schedule.decide(a.retry(), f.record, started, result, now);
        pace(a, result, now);
        if (r.result() == IngestLog.Result.QUARANTINE) {
            warnings.warn("quarantine", "ingest route " + route + ": record " + r.id() + " quarantined: "
                    + r.reason(), null);
        }
        CompletableFuture<Void> commit;
        try {
            commit = journal.record(List.of(r));
        } catch (RuntimeException e) {
            commit = CompletableFuture.failedFuture(e);
        }
        commit.whenComplete((v, error) -> committed(f, r, error));
        requestFill(); // the attempt's slot is free; the record stays held until its commit
    }

    /**
     * Route pacing: after a whole window ({@code concurrency}) of retryable failures in a row, the route takes no new
     * record for {@link RetrySchedule#pause}, growing with each further window; an answer that shows the upstream
     * alive (2xx, or a status that is not retried) ends it. Without it a dead cluster would be asked about the whole
     * backlog as fast as connects fail, each failure a write to the journal that every route's accepts share.
     */
    private void pace(IngestAction a, DeliveryResult result, Instant now) {
        RetrySchedule.Verdict verdict = RetrySchedule.classify(result);
        if (verdict == RetrySchedule.Verdict.RETRY) {
            failuresInARow++;
            int window = Math.max(1, a.concurrency());
            if (failuresInARow % window == 0) {
                Duration pause = schedule.pause(a.retry(), failuresInARow / window);
                pausedUntil = now.plus(pause);
                warnings.warn("pause", "ingest route " + route + ": " + failuresInARow + " attempts in a row failed"
                        + " (last: " + (result.answered() ? "status " + result.status() : result.error())
                        + "); no new attempt for " + DeliveryClient.shortDuration(pause), null);
            }
        } else if (result.answered()) {
            failuresInARow = 0;
            pausedUntil = Instant.MIN;
        }
    }

    /** On the journal's thread (or wherever the commit failed): counts, frees quota, hands back. */
    private void committed(Flight f, IngestLog.AttemptResult r, Throwable error) {
        if (error == null) {
            try {
                switch (r.result()) {
                    case DELIVERED -> {
                        stats.countDelivered();
                        freed.accept(f.record.bytes());
                    }
                    case RETRY -> stats.countRetried();
                    case QUARANTINE -> stats.countQuarantined();
                }
            } catch (RuntimeException e) {
                warnings.warn("freed", "ingest route " + route + ": counting a delivery result failed", e);
            }
        }
        if (closed || !run(() -> afterCommit(f, r, error))) {
            land(f);
        }
    }

    /** Forwarder thread: the record leaves flight, and the freed slot is filled. */
    private void afterCommit(Flight f, IngestLog.AttemptResult r, Throwable error) {
        if (error != null) {
            if (!(error instanceof JournalClosedException || error.getCause() instanceof JournalClosedException)) {
                warnings.warn("commit", "ingest route " + route + ": recording a delivery result failed; the record"
                        + " goes again in " + DeliveryClient.shortDuration(STORE_BACKOFF), error);
            }
            try {
                timer.schedule(() -> run(() -> release(f)), STORE_BACKOFF.toNanos(), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                release(f);
            }
            return;
        }
        if (r.result() == IngestLog.Result.RETRY) {
            knownRetries.add(r.nextAttemptAt());
            if (knownRetries.size() > KNOWN_RETRIES) {
                knownRetries.pollLast();
            }
        }
        release(f);
    }

    private void release(Flight f) {
        // An offer of this record made before its result was committed is taken in (and dropped: absorbOffers passes
        // over held records) while it is still held; taken in after the release it would be delivered again.
        absorbOffers();
        held.remove(f.record.id(), f);
        land(f);
        requestFill();
    }

    /** The record's flight is over: counted out of {@code stats.inFlight} exactly once, whichever path ends it. */
    private void land(Flight f) {
        if (f.landed.compareAndSet(false, true)) {
            stats.leftFlight();
        }
    }

    @Override
    public String toString() {
        return "Forwarder[" + route + "]";
    }
}
