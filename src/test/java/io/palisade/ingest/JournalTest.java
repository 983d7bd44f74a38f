package io.palisade.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.palisade.store.IngestLog;
import io.palisade.store.IngestLog.AttemptResult;
import io.palisade.store.IngestLog.NewRecord;
import io.palisade.store.IngestLog.Result;
import io.palisade.store.StoreFullException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The group-commit writer on a real SQLite ingest log; a gate in front of the log holds a commit where a test needs. */
class JournalTest {
    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path tmp;
    private IngestLog real;
    private Gate gate;
    private IngestLog log;
    private Journal journal;

    @BeforeEach
    void open() {
        real = IngestLog.sqlite(tmp.resolve("ingest.db"), IngestLog.Durability.ALWAYS);
        gate = new Gate();
        log = gate.wrap(real);
    }

    @AfterEach
    void close() {
        gate.open();
        if (journal != null) {
            journal.close();
        }
        real.close();
    }

    private Journal start(Optional<Duration> interval, int capacity) {
        journal = Journal.start(log, interval, capacity, Clock.fixed(T0, ZoneOffset.UTC));
        return journal;
    }

    private static NewRecord record(String id) {
        return record(id, Optional.empty());
    }

    private static NewRecord record(String id, Optional<String> key) {
        byte[] body = ("body of " + id).getBytes(StandardCharsets.UTF_8);
        return new NewRecord(id, "track", T0, "POST", "/v1/track", "", List.of(), Optional.empty(), body,
                body.length, key, T0.plusSeconds(3600));
    }

    /**
     * Holds {@link IngestLog#append} (and {@code record}) of the wrapped log while closed, so that a test can queue
     * writes behind a commit in progress; fails appends whose batch holds a record with id "poison".
     */
    static final class Gate {
        private volatile CountDownLatch open = new CountDownLatch(0);
        /** Calls waiting at the gate now. */
        final AtomicInteger held = new AtomicInteger();
        final List<Integer> appendSizes = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger recordCalls = new AtomicInteger();
        /** The {@code flush} argument of each {@code record} call. */
        final List<Boolean> recordFlush = Collections.synchronizedList(new ArrayList<>());

        void close() {
            open = new CountDownLatch(1);
        }

        void open() {
            open.countDown();
        }

        IngestLog wrap(IngestLog target) {
            return (IngestLog) Proxy.newProxyInstance(IngestLog.class.getClassLoader(),
                    new Class<?>[] {IngestLog.class}, (proxy, method, args) -> {
                        if (method.getName().equals("append") || method.getName().equals("record")) {
                            held.incrementAndGet();
                            try {
                                if (!open.await(60, TimeUnit.SECONDS)) {
                                    throw new IllegalStateException("the test never opened the gate");
                                }
                            } finally {
                                held.decrementAndGet();
                            }
                        }
                        if (method.getName().equals("append")) {
                            @SuppressWarnings("unchecked")
                            List<NewRecord> batch = (List<NewRecord>) args[0];
                            appendSizes.add(batch.size());
                            if (batch.stream().anyMatch(r -> r.id().equals("poison"))) {
                                throw new StoreFullException("appending " + batch.size() + " records",
                                        new java.io.IOException("no space left on device"));
                            }
                        }
                        if (method.getName().equals("record")) {
                            recordCalls.incrementAndGet();
                            recordFlush.add(args.length < 2 || (Boolean) args[1]);
                        }
                        try {
                            return method.invoke(target, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }
    }

    /** Closes the gate, queues a first append, and waits until the writer is held inside its commit. */
    private CompletableFuture<IngestLog.Appended> holdTheWriter() {
        gate.close();
        CompletableFuture<IngestLog.Appended> first = journal.append(record("first"));
        await().atMost(WAIT).until(() -> gate.held.get() == 1);
        return first;
    }

    @Test
    void concurrentAppends_allComplete_andShareCommits() throws Exception {
        start(Optional.empty(), 100_000);
        int threads = 16;
        int each = 300;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<List<IngestLog.Appended>>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    // Several appends in flight per thread: what many connections of an event loop look like.
                    List<CompletableFuture<IngestLog.Appended>> mine = new ArrayList<>();
                    for (int i = 0; i < each; i++) {
                        mine.add(journal.append(record("t" + thread + "-" + i)));
                        if (mine.size() % 8 == 0) {
                            mine.get(mine.size() - 1).join();
                        }
                    }
                    return mine.stream().map(CompletableFuture::join).toList();
                }));
            }
            List<String> ids = new ArrayList<>();
            for (Future<List<IngestLog.Appended>> f : done) {
                f.get(2, TimeUnit.MINUTES).forEach(a -> {
                    assertThat(a.duplicate()).isFalse();
                    ids.add(a.id());
                });
            }
            assertThat(ids).hasSize(threads * each).doesNotHaveDuplicates();
        } finally {
            pool.shutdownNow();
        }
        assertThat(real.due("track", T0, 1_000_000)).hasSize(threads * each);
        Journal.Stats stats = journal.stats();
        assertThat(stats.records()).isEqualTo(threads * each);
        assertThat(stats.commits()).isLessThan(threads * each).isEqualTo(gate.appendSizes.size());
        assertThat(gate.appendSizes).anyMatch(size -> size > 1).allMatch(size -> size <= Journal.MAX_GROUP);
        assertThat(sum(stats.groupSizes())).isEqualTo(stats.commits());
        assertThat(sum(stats.commitLatencies())).isEqualTo(stats.commits());
        assertThat(stats.commitSecondsSum()).isPositive();
        assertThat(stats.groupSizes()[0]).as("groups of one record").isLessThan(stats.commits());
    }

    @Test
    void whatQueuesBehindACommit_isTheNextGroup_oneAppendCall() throws Exception {
        start(Optional.empty(), 10_000);
        CompletableFuture<IngestLog.Appended> first = holdTheWriter();
        List<CompletableFuture<IngestLog.Appended>> queued = IntStream.range(0, 2_000)
                .mapToObj(i -> journal.append(record("q" + i))).toList();
        await().atMost(WAIT).until(() -> journal.stats().queueDepth() == 2_000);
        gate.open();

        assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo(new IngestLog.Appended("first", false));
        for (int i = 0; i < queued.size(); i++) {
            assertThat(queued.get(i).get(30, TimeUnit.SECONDS)).isEqualTo(new IngestLog.Appended("q" + i, false));
        }
        assertThat(gate.appendSizes).containsExactly(1, Journal.MAX_GROUP, 2_000 - Journal.MAX_GROUP);
        long[] groups = journal.stats().groupSizes();
        assertThat(groups[0]).isEqualTo(1);
        assertThat(groups[10]).as("1024").isEqualTo(2);
        assertThat(journal.stats().queueDepth()).isZero();
    }

    @Test
    void duplicatesInOneGroup_getTheFirstRecordsId() throws Exception {
        start(Optional.empty(), 100);
        CompletableFuture<IngestLog.Appended> first = holdTheWriter();
        CompletableFuture<IngestLog.Appended> a = journal.append(record("a", Optional.of("key")));
        CompletableFuture<IngestLog.Appended> b = journal.append(record("b", Optional.of("key")));
        await().atMost(WAIT).until(() -> journal.stats().queueDepth() == 2);
        gate.open();
        first.get(30, TimeUnit.SECONDS);
        assertThat(a.get(30, TimeUnit.SECONDS)).isEqualTo(new IngestLog.Appended("a", false));
        assertThat(b.get(30, TimeUnit.SECONDS)).isEqualTo(new IngestLog.Appended("a", true));
        assertThat(journal.stats().duplicates()).isEqualTo(1);
    }

    /**
     * Results go before the group's appends, unflushed: the appends' fsync covers them. (A record's result never
     * shares a group with its own append: a record is delivered only after its append was committed.)
     */
    @Test
    void resultsAndWrites_areAppliedInQueueOrder_resultsBeforeTheGroupsAppends_sharingTheirFsync() throws Exception {
        start(Optional.empty(), 1_000);
        journal.append(record("r")).get(30, TimeUnit.SECONDS);
        CompletableFuture<IngestLog.Appended> first = holdTheWriter();
        CompletableFuture<IngestLog.Appended> appended = journal.append(record("late"));
        Instant t1 = T0.plusSeconds(1);
        CompletableFuture<Void> retry = journal.record(List.of(
                new AttemptResult("r", t1, 503, "", Result.RETRY, t1.plusSeconds(5), "")));
        CompletableFuture<Void> quarantine = journal.record(List.of(
                new AttemptResult("r", t1.plusSeconds(5), 400, "", Result.QUARANTINE, t1, "status 400"),
                new AttemptResult("gone", t1, 200, "", Result.DELIVERED, t1, "")));
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        List<CompletableFuture<Integer>> writes = IntStream.range(0, 50).mapToObj(i -> journal.write(l -> {
            order.add(i);
            return i;
        })).toList();
        CompletableFuture<Optional<IngestLog.Detail>> seen = journal.write(l -> l.find("track", "r", 0));
        await().atMost(WAIT).until(() -> journal.stats().queueDepth() == 54);
        gate.open();

        first.get(30, TimeUnit.SECONDS);
        appended.get(30, TimeUnit.SECONDS);
        retry.get(30, TimeUnit.SECONDS);
        quarantine.get(30, TimeUnit.SECONDS);
        for (int i = 0; i < writes.size(); i++) {
            assertThat(writes.get(i).get(30, TimeUnit.SECONDS)).isEqualTo(i);
        }
        assertThat(order).containsExactlyElementsOf(IntStream.range(0, 50).boxed().toList());
        IngestLog.Detail r = seen.get(30, TimeUnit.SECONDS).orElseThrow();
        assertThat(r.state()).as("the results applied in their order").isEqualTo("quarantined");
        assertThat(r.attempts()).extracting(IngestLog.Attempt::status).containsExactly(503, 400);
        assertThat(real.find("track", "late", 0)).as("the group's append").isPresent();
        assertThat(gate.recordCalls.get()).as("both results in one record call").isEqualTo(1);
        assertThat(gate.recordFlush).as("unflushed: the group's append flushed them").containsExactly(false);
        assertThat(journal.stats().resultCommits()).isEqualTo(1);
        assertThat(journal.stats().results()).isEqualTo(3);
        assertThat(journal.stats().writes()).isEqualTo(51);
    }

    /**
     * Results committed unflushed ahead of appends that then fail (a full disk): no append's fsync covers them, so the
     * journal syncs before completing them; the results stand, the appends fail alone, and the writer goes on.
     */
    @Test
    void resultsAheadOfAFailingAppend_areSyncedAndComplete_andTheWriterGoesOn() throws Exception {
        start(Optional.empty(), 1_000);
        journal.append(record("r")).get(30, TimeUnit.SECONDS);
        CompletableFuture<IngestLog.Appended> first = holdTheWriter();
        Instant t1 = T0.plusSeconds(1);
        CompletableFuture<Void> delivered = journal.record(List.of(
                new AttemptResult("r", t1, 200, "", Result.DELIVERED, t1, "")));
        CompletableFuture<IngestLog.Appended> poison = journal.append(record("poison"));
        await().atMost(WAIT).until(() -> journal.stats().queueDepth() == 2);
        long syncsBefore = journal.stats().syncs();
        gate.open();

        first.get(30, TimeUnit.SECONDS);
        delivered.get(30, TimeUnit.SECONDS);
        assertThat(poison).failsWithin(30, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(StoreFullException.class);
        assertThat(gate.recordFlush).as("unflushed: appends were to follow").containsExactly(false);
        assertThat(journal.stats().syncs()).as("synced for them instead").isEqualTo(syncsBefore + 1);
        assertThat(real.find("track", "r", 0)).as("the delivered record is gone").isEmpty();
        assertThat(journal.append(record("after")).get(30, TimeUnit.SECONDS).id()).isEqualTo("after");
    }

    @Test
    void aFailingBatch_failsOnlyItsOwnFutures_andTheWriterGoesOn() throws Exception {
        start(Optional.empty(), 1_000);
        CompletableFuture<IngestLog.Appended> first = holdTheWriter();
        List<CompletableFuture<IngestLog.Appended>> doomed = List.of(journal.append(record("a")),
                journal.append(record("poison")), journal.append(record("b")));
        CompletableFuture<Integer> failingWrite = journal.write(l -> {
            throw new IllegalStateException("boom");
        });
        CompletableFuture<Integer> fineWrite = journal.write(l -> 7);
        await().atMost(WAIT).until(() -> journal.stats().queueDepth() == 5);
        gate.open();

        assertThat(first.get(30, TimeUnit.SECONDS).id()).isEqualTo("first");
        for (CompletableFuture<IngestLog.Appended> f : doomed) {
            assertThat(f).failsWithin(30, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class)
                    .withCauseInstanceOf(StoreFullException.class);
        }
        assertThat(failingWrite).failsWithin(30, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(IllegalStateException.class);
        assertThat(fineWrite.get(30, TimeUnit.SECONDS)).isEqualTo(7);
        assertThat(journal.append(record("after")).get(30, TimeUnit.SECONDS).id()).isEqualTo("after");
        assertThat(real.due("track", T0, 100)).extracting(IngestLog.Pending::id).containsExactly("first", "after");
        assertThat(journal.stats().appendFailures()).isEqualTo(1);
        assertThat(journal.stats().writeFailures()).isEqualTo(1);
    }

    @Test
    void aRecordWithANullField_isRefusedAlone_beforeItCanFailAGroup() throws Exception {
        start(Optional.empty(), 100);
        NewRecord bad = new NewRecord("bad", "track", T0, "POST", "/v1/track", null, List.of(), Optional.empty(),
                new byte[0], 0, Optional.empty(), T0);
        assertThatCause(journal.append(bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("record bad: query is null");
        assertThat(journal.append(record("good")).get(30, TimeUnit.SECONDS).id()).isEqualTo("good");
    }

    @Test
    void aFullQueue_refusesAtOnce_withJournalBusy() throws Exception {
        start(Optional.empty(), 3);
        CompletableFuture<IngestLog.Appended> first = holdTheWriter();
        List<CompletableFuture<IngestLog.Appended>> queued = IntStream.range(0, 3)
                .mapToObj(i -> journal.append(record("q" + i))).toList();
        CompletableFuture<IngestLog.Appended> refused = journal.append(record("over"));
        assertThat(refused).isCompletedExceptionally();
        assertThatCause(refused).isInstanceOf(JournalBusyException.class);
        assertThat(journal.stats().busy()).isEqualTo(1);
        gate.open();
        first.get(30, TimeUnit.SECONDS);
        for (CompletableFuture<IngestLog.Appended> f : queued) {
            f.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void close_finishesWhatIsQueued_thenRefuses() throws Exception {
        start(Optional.empty(), 1_000);
        CompletableFuture<IngestLog.Appended> first = holdTheWriter();
        List<CompletableFuture<IngestLog.Appended>> queued = IntStream.range(0, 100)
                .mapToObj(i -> journal.append(record("q" + i))).toList();
        CompletableFuture<Void> closing = CompletableFuture.runAsync(journal::close);
        // Until close() has begun, these no-op writes queue (and run later); then they are refused.
        await().atMost(WAIT).until(() -> journal.write(l -> 0).isCompletedExceptionally());
        assertThat(closing).isNotDone();
        gate.open();
        closing.get(30, TimeUnit.SECONDS);

        assertThat(first).isCompleted();
        for (CompletableFuture<IngestLog.Appended> f : queued) {
            assertThat(f.getNow(null)).isNotNull();
        }
        assertThat(real.due("track", T0, 1_000)).hasSize(101);
        CompletableFuture<IngestLog.Appended> after = journal.append(record("after"));
        assertThatCause(after).isInstanceOf(JournalClosedException.class);
        assertThatCause(journal.record(List.of())).isInstanceOf(JournalClosedException.class);
        assertThatCause(journal.write(l -> 1)).isInstanceOf(JournalClosedException.class);
        journal.close();
    }

    @Test
    void intervalDurability_syncsBesideTheWriter_andOnClose() throws Exception {
        start(Optional.of(Duration.ofMillis(10)), 1_000);
        journal.append(record("a")).get(30, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> journal.stats().syncs() >= 3);
        CompletableFuture<IngestLog.Appended> held = holdTheWriter();
        long whileHeld = journal.stats().syncs();
        await().atMost(WAIT).until(() -> journal.stats().syncs() >= whileHeld + 3);
        gate.open();
        held.get(30, TimeUnit.SECONDS);
        long before = journal.stats().syncs();
        journal.close();
        assertThat(journal.stats().syncs()).isGreaterThan(before);
        assertThat(journal.stats().syncFailures()).isZero();
    }

    private static org.assertj.core.api.AbstractThrowableAssert<?, ? extends Throwable> assertThatCause(
            CompletableFuture<?> f) {
        assertThat(f).isCompletedExceptionally();
        try {
            f.join();
            throw new AssertionError("not failed");
        } catch (CompletionException e) {
            return assertThat(e.getCause());
        }
    }

    private static long sum(long[] counts) {
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        return total;
    }
}
