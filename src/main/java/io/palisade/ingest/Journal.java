package io.palisade.ingest;

import io.palisade.store.IngestLog;
import io.palisade.time.RateLimitedLog;
import io.palisade.time.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one writer of the ingest log: a daemon thread ({@code palisade-ingest-journal}) that takes writes from a bounded
 * queue and group-commits them. It waits for nothing but the disk: it takes one item, drains whatever else is queued
 * by then (up to {@value #MAX_GROUP} items), and commits all the delivery results among them in one
 * {@link IngestLog#record}, then all the appends in one {@link IngestLog#append} (one transaction, so one fsync for
 * all: the results' commit before it is left unflushed and rides on the same fsync), then the other writes in queue
 * order. While a commit runs, new writes queue up and form the next group, so the group grows with the load and with
 * the disk's fsync time, and a lone write is committed at once. Results go first so that the space delivered records
 * free is free before the appends need it.
 *
 * <p>Futures complete on this thread once their commit returned: with {@link IngestLog.Durability#ALWAYS} the record
 * is fsynced then; with an interval, it is in the WAL (it survives the process being killed) and a second thread
 * ({@code palisade-ingest-sync}) calls {@link IngestLog#sync()} once per interval, beside the writer: on this thread a
 * sync would hold every append behind an fsync of all that the interval wrote. Dependent actions run on this thread
 * too, so callers should hop
 * to their own thread (an event loop's {@code execute}) rather than do work here. A commit that fails completes its
 * own futures exceptionally ({@link io.palisade.store.StoreFullException} when the disk is full,
 * {@link io.palisade.store.StoreException} otherwise) and the thread goes on with the next group.
 *
 * <pre>{@code
 * Journal journal = Journal.start(log, Optional.empty(), 65_536);             // fsync: always
 * journal.append(record).whenComplete((appended, failure) -> loop.execute(() -> answer(appended, failure)));
 * journal.close();                                                             // finishes the queue first
 * }</pre>
 */
final class Journal implements AutoCloseable {
    /** Items taken into one group at most: 1024 appends is one transaction of at most 1024 records. */
    static final int MAX_GROUP = 1024;
    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);
    /** Ends a wait for work when the journal is closed (it is never committed). */
    private static final Op STOP = new Op() {
        @Override
        public void fail(Throwable failure) {
            // Nothing waits on it.
        }
    };

    private final IngestLog log;
    private final int capacity;
    private final Clock clock;
    private final Ticker ticker;
    private final ArrayBlockingQueue<Op> queue;
    private final Stats stats;
    private final RateLimitedLog failures;
    private final Thread thread;
    private final Optional<Thread> syncer;
    private volatile boolean closed;
    private volatile boolean stopped;

    private Journal(IngestLog log, Optional<Duration> syncInterval, int capacity, Clock clock, Ticker ticker) {
        this.log = log;
        this.capacity = capacity;
        this.clock = clock;
        this.ticker = ticker;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.stats = new Stats(queue);
        this.failures = RateLimitedLog.every(Duration.ofSeconds(10), LOG, ticker);
        this.thread = new Thread(this::run, "palisade-ingest-journal");
        thread.setDaemon(true);
        this.syncer = syncInterval.map(interval -> {
            Thread t = new Thread(() -> syncEvery(interval.toNanos()), "palisade-ingest-sync");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts the writer thread.
     *
     * @param syncInterval empty: {@link IngestLog.Durability#ALWAYS} (every commit fsynced); present:
     *                     {@link IngestLog.Durability#INTERVAL}, {@link IngestLog#sync()} at least that often
     * @param capacity     writes that may wait at once; beyond that a write fails at once with
     *                     {@link JournalBusyException}
     */
    static Journal start(IngestLog log, Optional<Duration> syncInterval, int capacity) {
        return start(log, syncInterval, capacity, Clock.systemUTC());
    }

    /** As {@link #start(IngestLog, Optional, int)}, with the clock that gives appends their {@code now}. */
    static Journal start(IngestLog log, Optional<Duration> syncInterval, int capacity, Clock clock) {
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(syncInterval, "syncInterval");
        Objects.requireNonNull(clock, "clock");
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: >= 1)");
        }
        syncInterval.ifPresent(i -> {
            if (i.isNegative() || i.isZero()) {
                throw new IllegalArgumentException("syncInterval: " + i + " (expected: > 0)");
            }
        });
        Journal journal = new Journal(log, syncInterval, capacity, clock, Ticker.system());
        journal.thread.start();
        journal.syncer.ifPresent(Thread::start);
        return journal;
    }

    /**
     * Appends {@code record}, group-committed with whatever else is queued; completes once it is durable (see the
     * class), with the id it is stored under ({@code duplicate} set when its idempotency key was already mapped), or
     * exceptionally: {@link io.palisade.store.StoreFullException} (disk full), {@link JournalBusyException} (queue
     * full), {@link JournalClosedException}, {@link io.palisade.store.StoreException}.
     */
    CompletableFuture<IngestLog.Appended> append(IngestLog.NewRecord record) {
        return append(record, appended -> { });
    }

    /**
     * As {@link #append(IngestLog.NewRecord)}, with {@code onCommit} told the result on the writer thread once the
     * record is committed, before the thread commits anything else (and before the future completes); what it throws
     * is logged and does not fail the append.
     */
    CompletableFuture<IngestLog.Appended> append(IngestLog.NewRecord record,
                                                 Consumer<IngestLog.Appended> onCommit) {
        Objects.requireNonNull(record, "record");
        Objects.requireNonNull(onCommit, "onCommit");
        String missing = missing(record);
        if (missing != null) {
            // Refused here, alone: in the log it would fail the whole group's transaction.
            return CompletableFuture.failedFuture(new IllegalArgumentException("record " + record.id() + ": "
                    + missing + " is null"));
        }
        return submit(new AppendOp(record, onCommit));
    }

    private static String missing(IngestLog.NewRecord r) {
        Object[] fields = {r.id(), r.route(), r.receivedAt(), r.method(), r.path(), r.query(), r.consumer(), r.body(),
                r.idempotencyKey(), r.idempotencyExpires()};
        String[] names = {"id", "route", "receivedAt", "method", "path", "query", "consumer", "body",
                "idempotencyKey", "idempotencyExpires"};
        for (int i = 0; i < fields.length; i++) {
            if (fields[i] == null) {
                return names[i];
            }
        }
        return null;
    }

    /** Delivery results, committed with the other results queued beside them in one {@link IngestLog#record}. */
    CompletableFuture<Void> record(List<IngestLog.AttemptResult> results) {
        return submit(new RecordOp(List.copyOf(results)));
    }

    /** Any other write (replay, purge, pruning), run on the writer thread in queue order, after the group's commits. */
    <T> CompletableFuture<T> write(Function<IngestLog, T> op) {
        return submit(new WriteOp<>(Objects.requireNonNull(op, "op")));
    }

    Stats stats() {
        return stats;
    }

    /**
     * Stops taking writes (new ones fail with {@link JournalClosedException}), commits what is queued, syncs (with an
     * interval) and stops its threads; returns when they have stopped. Does not close the log.
     */
    @Override
    public void close() {
        closed = true;
        // Wakes a thread waiting for work; when the queue is full the thread is busy and sees the flag anyway.
        queue.offer(STOP);
        if (Thread.currentThread() == thread) {
            return;
        }
        boolean interrupted = false;
        for (Thread t : syncer.isPresent() ? List.of(thread, syncer.get()) : List.of(thread)) {
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private <T, O extends Op & Completing<T>> CompletableFuture<T> submit(O op) {
        if (closed) {
            return CompletableFuture.failedFuture(new JournalClosedException());
        }
        if (!queue.offer(op)) {
            stats.busy.incrementAndGet();
            return CompletableFuture.failedFuture(new JournalBusyException(capacity));
        }
        if (stopped) {
            // The thread stopped after this write passed the closed check: nobody else will take it now.
            failLeftovers();
        }
        return op.future();
    }

    private void run() {
        List<Op> group = new ArrayList<>(MAX_GROUP);
        while (true) {
            try {
                Op first = queue.poll(1, TimeUnit.SECONDS);
                if (first != null) {
                    group.add(first);
                    queue.drainTo(group, MAX_GROUP - 1);
                    commit(group);
                    group.clear();
                }
                if (closed && queue.isEmpty()) {
                    break;
                }
            } catch (InterruptedException e) {
                // Nobody interrupts this thread on purpose; the queue is finished before it stops.
                Thread.interrupted();
            } catch (RuntimeException | Error e) {
                // commit() completes every future it took; this keeps the thread alive past anything else.
                failures.error("ingest journal: unexpected failure", e);
                group.forEach(op -> op.fail(e));
                group.clear();
            }
        }
        // Everything committed is durable when close() returns (with an interval; and results left unflushed).
        sync();
        stopped = true;
        LockSupport.unpark(syncer.orElse(null));
        failLeftovers();
    }

    /** The sync thread: {@link IngestLog#sync()} once per interval until the writer has stopped. */
    private void syncEvery(long intervalNanos) {
        long next = ticker.read() + intervalNanos;
        while (!stopped) {
            long left = next - ticker.read();
            if (left > 0) {
                LockSupport.parkNanos(this, left);
                continue;
            }
            sync();
            next += intervalNanos;
            if (next - ticker.read() < 0) {
                // A sync longer than the interval: the next one starts now, not a burst of catching up.
                next = ticker.read();
            }
        }
    }

    private void failLeftovers() {
        Op op;
        while ((op = queue.poll()) != null) {
            op.fail(new JournalClosedException());
        }
    }

    private void sync() {
        try {
            log.sync();
            stats.syncs.incrementAndGet();
        } catch (RuntimeException e) {
            stats.syncFailures.incrementAndGet();
            failures.warn("sync", "ingest journal: syncing the log failed (commits since the last sync may not"
                    + " survive a power cut)", e);
        }
    }

    private void commit(List<Op> group) {
        List<AppendOp> appends = new ArrayList<>();
        List<RecordOp> results = new ArrayList<>();
        List<WriteOp<?>> writes = new ArrayList<>();
        for (Op op : group) {
            switch (op) {
                case AppendOp a -> appends.add(a);
                case RecordOp r -> results.add(r);
                case WriteOp<?> w -> writes.add(w);
                default -> {
                    // STOP: only a wake-up.
                }
            }
        }
        // Results first, unflushed when appends follow: the appends' fsync of the WAL then covers both, one fsync
        // per group instead of two. Their futures complete once that fsync is done (or a sync after a failed one).
        boolean shared = !appends.isEmpty();
        boolean recorded = !results.isEmpty() && commitResults(results, !shared);
        boolean flushed = !shared || commitAppends(appends);
        if (recorded && !flushed) {
            sync();
        }
        if (recorded) {
            results.forEach(r -> r.future.complete(null));
        }
        for (WriteOp<?> w : writes) {
            w.run(log, stats, failures);
        }
    }

    /** True when the appends were committed (and, with ALWAYS, fsynced). */
    private boolean commitAppends(List<AppendOp> appends) {
        List<IngestLog.NewRecord> batch = new ArrayList<>(appends.size());
        for (AppendOp a : appends) {
            batch.add(a.record);
        }
        long start = ticker.read();
        List<IngestLog.Appended> stored;
        try {
            stored = log.append(batch, clock.instant());
            if (stored.size() != batch.size()) {
                throw new IllegalStateException("the ingest log answered " + stored.size() + " results for "
                        + batch.size() + " records");
            }
        } catch (RuntimeException e) {
            stats.appendFailures.incrementAndGet();
            failures.warn("append:" + e.getClass().getName(), "ingest journal: appending " + batch.size()
                    + " records failed: " + e.getMessage(), null);
            appends.forEach(a -> a.fail(e));
            return false;
        }
        stats.appended(stored, ticker.read() - start);
        for (int i = 0; i < appends.size(); i++) {
            try {
                appends.get(i).onCommit.accept(stored.get(i));
            } catch (RuntimeException e) {
                failures.warn("onCommit", "ingest journal: a commit callback failed", e);
            }
        }
        for (int i = 0; i < appends.size(); i++) {
            appends.get(i).future.complete(stored.get(i));
        }
        return true;
    }

    /** True when the results were committed; their futures are the caller's to complete. */
    private boolean commitResults(List<RecordOp> ops, boolean flush) {
        List<IngestLog.AttemptResult> all = new ArrayList<>();
        for (RecordOp r : ops) {
            all.addAll(r.results);
        }
        try {
            log.record(all, flush);
        } catch (RuntimeException e) {
            stats.resultFailures.incrementAndGet();
            failures.warn("record:" + e.getClass().getName(), "ingest journal: recording " + all.size()
                    + " delivery results failed: " + e.getMessage(), null);
            ops.forEach(r -> r.fail(e));
            return false;
        }
        stats.resultCommits.incrementAndGet();
        stats.results.addAndGet(all.size());
        return true;
    }

    /** A queued write. */
    private interface Op {
        void fail(Throwable failure);
    }

    private interface Completing<T> {
        CompletableFuture<T> future();
    }

    private static final class AppendOp implements Op, Completing<IngestLog.Appended> {
        final IngestLog.NewRecord record;
        final Consumer<IngestLog.Appended> onCommit;
        final CompletableFuture<IngestLog.Appended> future = new CompletableFuture<>();

        AppendOp(IngestLog.NewRecord record, Consumer<IngestLog.Appended> onCommit) {
            this.record = record;
            this.onCommit = onCommit;
        }

        @Override
        public CompletableFuture<IngestLog.Appended> future() {
            return future;
        }

        @Override
        public void fail(Throwable failure) {
            future.completeExceptionally(failure);
        }
    }

    private static final class RecordOp implements Op, Completing<Void> {
        final List<IngestLog.AttemptResult> results;
        final CompletableFuture<Void> future = new CompletableFuture<>();

        RecordOp(List<IngestLog.AttemptResult> results) {
            this.results = results;
        }

        @Override
        public CompletableFuture<Void> future() {
            return future;
        }

        @Override
        public void fail(Throwable failure) {
            future.completeExceptionally(failure);
        }
    }

    private static final class WriteOp<T> implements Op, Completing<T> {
        final Function<IngestLog, T> work;
        final CompletableFuture<T> future = new CompletableFuture<>();

        WriteOp(Function<IngestLog, T> work) {
            this.work = work;
        }

        void run(IngestLog log, Stats stats, RateLimitedLog failures) {
            T result;
            try {
                result = work.apply(log);
            } catch (RuntimeException e) {
                stats.writeFailures.incrementAndGet();
                failures.warn("write:" + e.getClass().getName(), "ingest journal: a write failed: "
                        + e.getMessage(), null);
                future.completeExceptionally(e);
                return;
            }
            stats.writes.incrementAndGet();
            future.complete(result);
        }

        @Override
        public CompletableFuture<T> future() {
            return future;
        }

        @Override
        public void fail(Throwable failure) {
            future.completeExceptionally(failure);
        }
    }

    /**
     * What the journal has done since it started: plain counters, written by the journal's thread and read from any
     * thread (metrics, the admin API). Histograms are fixed buckets: {@code counts[i]} counts observations at most
     * {@code BOUNDS[i]} and above the bound before it; the last count is everything above the last bound.
     */
    static final class Stats {
        /** Records per append commit: 1, 2, 4 ... 1024 ({@value #MAX_GROUP} is the most a group can hold). */
        static final long[] GROUP_SIZE_BOUNDS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
        /** Seconds an append commit took (the fsync included with {@code always}): 0.1 ms to 1 s. */
        static final double[] COMMIT_SECONDS_BOUNDS =
                {0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0};
        private static final long[] COMMIT_NANOS_BOUNDS = new long[COMMIT_SECONDS_BOUNDS.length];

        static {
            for (int i = 0; i < COMMIT_SECONDS_BOUNDS.length; i++) {
                COMMIT_NANOS_BOUNDS[i] = Math.round(COMMIT_SECONDS_BOUNDS[i] * 1e9);
            }
        }

        private final ArrayBlockingQueue<?> queue;
        private final AtomicLong commits = new AtomicLong();
        private final AtomicLong records = new AtomicLong();
        private final AtomicLong duplicates = new AtomicLong();
        private final AtomicLong appendFailures = new AtomicLong();
        private final AtomicLong resultCommits = new AtomicLong();
        private final AtomicLong results = new AtomicLong();
        private final AtomicLong resultFailures = new AtomicLong();
        private final AtomicLong writes = new AtomicLong();
        private final AtomicLong writeFailures = new AtomicLong();
        private final AtomicLong syncs = new AtomicLong();
        private final AtomicLong syncFailures = new AtomicLong();
        private final AtomicLong busy = new AtomicLong();
        private final AtomicLongArray groupSizes = new AtomicLongArray(GROUP_SIZE_BOUNDS.length + 1);
        private final AtomicLongArray commitLatencies = new AtomicLongArray(COMMIT_SECONDS_BOUNDS.length + 1);
        private final AtomicLong commitNanos = new AtomicLong();

        private Stats(ArrayBlockingQueue<?> queue) {
            this.queue = queue;
        }

        private void appended(List<IngestLog.Appended> stored, long nanos) {
            int size = stored.size();
            long dup = 0;
            for (IngestLog.Appended a : stored) {
                if (a.duplicate()) {
                    dup++;
                }
            }
            commits.incrementAndGet();
            records.addAndGet(size);
            duplicates.addAndGet(dup);
            groupSizes.incrementAndGet(bucket(size, GROUP_SIZE_BOUNDS));
            commitLatencies.incrementAndGet(bucket(nanos, COMMIT_NANOS_BOUNDS));
            commitNanos.addAndGet(nanos);
        }

        private static int bucket(long value, long[] bounds) {
            for (int i = 0; i < bounds.length; i++) {
                if (value <= bounds[i]) {
                    return i;
                }
            }
            return bounds.length;
        }

        /** Append commits (groups) that succeeded. */
        long commits() {
            return commits.get();
        }

        /** Records in them, duplicates included. */
        long records() {
            return records.get();
        }

        /** Records that were not inserted because their idempotency key was mapped. */
        long duplicates() {
            return duplicates.get();
        }

        /** Append commits that failed (each failed all the appends of its group). */
        long appendFailures() {
            return appendFailures.get();
        }

        /** Commits of delivery results, and the results in them. */
        long resultCommits() {
            return resultCommits.get();
        }

        long results() {
            return results.get();
        }

        long resultFailures() {
            return resultFailures.get();
        }

        /** Other writes ({@link Journal#write}) that returned, and that threw. */
        long writes() {
            return writes.get();
        }

        long writeFailures() {
            return writeFailures.get();
        }

        /** {@link IngestLog#sync()} calls (interval durability), and those that failed. */
        long syncs() {
            return syncs.get();
        }

        long syncFailures() {
            return syncFailures.get();
        }

        /** Writes refused because the queue was full. */
        long busy() {
            return busy.get();
        }

        /** Writes waiting now. */
        int queueDepth() {
            return queue.size();
        }

        /** Append commits per group-size bucket ({@link #GROUP_SIZE_BOUNDS}, then above the last). */
        long[] groupSizes() {
            return snapshot(groupSizes);
        }

        /** Append commits per latency bucket ({@link #COMMIT_SECONDS_BOUNDS}, then above the last). */
        long[] commitLatencies() {
            return snapshot(commitLatencies);
        }

        /** The seconds all append commits took together (with {@link #commits()}: the mean). */
        double commitSecondsSum() {
            return commitNanos.get() / 1e9;
        }

        private static long[] snapshot(AtomicLongArray counts) {
            long[] out = new long[counts.length()];
            for (int i = 0; i < out.length; i++) {
                out[i] = counts.get(i);
            }
            return out;
        }
    }
}
