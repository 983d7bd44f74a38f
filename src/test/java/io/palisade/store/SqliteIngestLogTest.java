package io.palisade.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.palisade.store.IngestLog.AttemptResult;
import io.palisade.store.IngestLog.Header;
import io.palisade.store.IngestLog.NewRecord;
import io.palisade.store.IngestLog.Result;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The SQLite ingest log on real files: what append, delivery results and the operator's calls leave behind. */
class SqliteIngestLogTest {
    static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    private static final Duration DAY = Duration.ofHours(24);

    @TempDir
    Path tmp;
    private Path file;
    private IngestLog log;

    @BeforeEach
    void open() {
        file = tmp.resolve("state").resolve("ingest.db");
        log = IngestLog.sqlite(file, IngestLog.Durability.ALWAYS);
    }

    @AfterEach
    void close() {
        log.close();
    }

    static NewRecord record(String id, String route, byte[] body) {
        return record(id, route, body, Optional.empty(), T0);
    }

    static NewRecord record(String id, String route, byte[] body, Optional<String> key, Instant at) {
        return new NewRecord(id, route, at, "POST", "/v1/track", "a=1&b=2",
                List.of(new Header("Content-Type", "application/json"), new Header("X-Tenant", "t-" + id)),
                Optional.of("consumer-" + route), body, body.length + 100L, key, at.plus(DAY));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private List<String> ids(List<IngestLog.Pending> due) {
        return due.stream().map(IngestLog.Pending::id).toList();
    }

    @Test
    void open_createsTheDirectory_inWalMode_andReportsNothingCut() throws Exception {
        assertThat(file).isRegularFile();
        assertThat(log.recovery()).isEqualTo(new IngestLog.Recovery(0, ""));
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("wal");
        }
        assertThat(log.fileBytes()).isGreaterThan(0);
    }

    @Test
    void append_storesEverything_andDueReturnsItInOrder() {
        byte[] binary = new byte[256];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) i;
        }
        List<IngestLog.Appended> appended = log.append(List.of(record("r1", "track", utf8("{\"a\":1}")),
                record("r2", "track", binary), record("r3", "other", new byte[0])), T0);
        assertThat(appended).containsExactly(new IngestLog.Appended("r1", false),
                new IngestLog.Appended("r2", false), new IngestLog.Appended("r3", false));

        List<IngestLog.Pending> due = log.due("track", T0, 10);
        assertThat(ids(due)).containsExactly("r1", "r2");
        IngestLog.Pending first = due.get(0);
        assertThat(first.route()).isEqualTo("track");
        assertThat(first.receivedAt()).isEqualTo(T0);
        assertThat(first.method()).isEqualTo("POST");
        assertThat(first.path()).isEqualTo("/v1/track");
        assertThat(first.query()).isEqualTo("a=1&b=2");
        assertThat(first.headers()).containsExactly(new Header("Content-Type", "application/json"),
                new Header("X-Tenant", "t-r1"));
        assertThat(first.consumer()).contains("consumer-track");
        assertThat(first.body()).isEqualTo(utf8("{\"a\":1}"));
        assertThat(first.bytes()).isEqualTo(107);
        assertThat(first.attempts()).isZero();
        assertThat(first.retrySince()).isEqualTo(T0);
        assertThat(due.get(1).body()).isEqualTo(binary);
        assertThat(due.get(1).seq()).isGreaterThan(first.seq());

        IngestLog.Pending empty = log.due("other", T0, 10).get(0);
        assertThat(empty.body()).isEmpty();
        assertThat(empty.bytes()).isEqualTo(100);
        assertThat(log.due("track", T0, 1)).hasSize(1);
        assertThat(log.due("track", T0.minusMillis(1), 10)).as("appended at T0: due from T0").isEmpty();
        assertThat(log.due("nothing", T0, 10)).isEmpty();
        assertThat(ids(log.due("track", T0, 10, List.of("r1")))).as("held records passed over").containsExactly("r2");
        assertThat(ids(log.due("track", T0, 1, List.of("r1", "r2", "unknown")))).isEmpty();
        assertThat(log.nextDue("track")).contains(T0);
        assertThat(log.nextDue("nothing")).isEmpty();
    }

    @Test
    void append_withoutConsumerOrHeaders_andAnEmptyBatch() {
        log.append(List.of(new NewRecord("bare", "track", T0, "PUT", "/", "", List.of(), Optional.empty(),
                new byte[0], 0, Optional.empty(), T0)), T0);
        assertThat(log.append(List.of(), T0)).isEmpty();
        IngestLog.Pending p = log.due("track", T0, 1).get(0);
        assertThat(p.consumer()).isEmpty();
        assertThat(p.headers()).isEmpty();
        assertThat(p.query()).isEmpty();
    }

    @Test
    void headers_keepTheirOrderAndEveryCharacter() {
        List<Header> headers = List.of(new Header("X-Quote", "a \"quoted\" \\ value"), new Header("X-Empty", ""),
                new Header("X-Utf8", "caf\u00e9 \u2603 \ud83d\ude00"), new Header("X-Control", "tab\there\u0001"),
                new Header("X-Quote", "second"));
        log.append(List.of(new NewRecord("h", "track", T0, "POST", "/", "", headers, Optional.empty(), new byte[0],
                0, Optional.empty(), T0)), T0);
        assertThat(log.due("track", T0, 1).get(0).headers()).containsExactlyElementsOf(headers);
        assertThat(log.find("track", "h", 0).orElseThrow().headers()).containsExactlyElementsOf(headers);
        assertThat(SqliteIngestLog.headersJson(List.of())).isEqualTo("[]");
    }

    @Test
    void idempotencyKey_dedupesWithinTheWindow_withinOneBatch_andPerRoute() {
        Instant t1 = T0.plusSeconds(5);
        List<IngestLog.Appended> first = log.append(List.of(
                record("a1", "track", utf8("one"), Optional.of("k1"), T0),
                record("a2", "track", utf8("two"), Optional.of("k1"), T0),
                record("a3", "other", utf8("three"), Optional.of("k1"), T0)), T0);
        assertThat(first).containsExactly(new IngestLog.Appended("a1", false), new IngestLog.Appended("a1", true),
                new IngestLog.Appended("a3", false));

        assertThat(log.append(List.of(record("a4", "track", utf8("four"), Optional.of("k1"), t1)), t1))
                .containsExactly(new IngestLog.Appended("a1", true));
        assertThat(ids(log.due("track", t1, 10))).containsExactly("a1");

        // Delivered and deleted: the key still answers with the same id until it expires.
        log.record(List.of(new AttemptResult("a1", t1, 200, "", Result.DELIVERED, t1, "")));
        assertThat(log.append(List.of(record("a5", "track", utf8("five"), Optional.of("k1"), t1)), t1))
                .containsExactly(new IngestLog.Appended("a1", true));
        assertThat(log.due("track", t1, 10)).isEmpty();
    }

    @Test
    void idempotencyKey_afterItsExpiry_mapsToTheNewRecord_andPruneDeletesExpired() {
        log.append(List.of(record("old", "track", utf8("x"), Optional.of("k"), T0),
                record("other", "track", utf8("x"), Optional.of("k2"), T0.plus(Duration.ofHours(1)))), T0);
        Instant expiry = T0.plus(DAY);
        assertThat(log.append(List.of(record("new", "track", utf8("y"), Optional.of("k"), expiry)), expiry))
                .as("expired at exactly expires_at").containsExactly(new IngestLog.Appended("new", false));
        assertThat(log.append(List.of(record("again", "track", utf8("z"), Optional.of("k"), expiry)), expiry))
                .containsExactly(new IngestLog.Appended("new", true));

        assertThat(log.pruneIdempotency(expiry)).as("only k2's mapping is expired, k was remapped").isZero();
        assertThat(log.pruneIdempotency(T0.plus(DAY).plus(Duration.ofHours(1)))).isEqualTo(1);
        assertThat(log.pruneIdempotency(expiry.plus(DAY))).isEqualTo(1);
        Instant later = expiry.plus(DAY);
        assertThat(log.append(List.of(record("fresh", "track", utf8("z"), Optional.of("k"), later)), later))
                .containsExactly(new IngestLog.Appended("fresh", false));
    }

    @Test
    void record_retry_movesTheNextAttempt_andKeepsTheAttempt() {
        log.append(List.of(record("r1", "track", utf8("a")), record("r2", "track", utf8("b"))), T0);
        Instant at = T0.plusSeconds(1);
        Instant next = T0.plusSeconds(30);
        log.record(List.of(new AttemptResult("r1", at, 503, "", Result.RETRY, next, "")));

        assertThat(ids(log.due("track", at, 10))).containsExactly("r2");
        assertThat(log.nextDue("track")).contains(T0);
        assertThat(ids(log.due("track", next, 10))).as("the earliest due first").containsExactly("r2", "r1");
        IngestLog.Pending retried = log.due("track", next, 10).get(1);
        assertThat(retried.attempts()).isEqualTo(1);
        assertThat(retried.retrySince()).isEqualTo(T0);

        IngestLog.Detail d = log.find("track", "r1", 10).orElseThrow();
        assertThat(d.state()).isEqualTo("pending");
        assertThat(d.nextAttemptAt()).contains(next);
        assertThat(d.attempts()).containsExactly(new IngestLog.Attempt(at, 503, ""));
        assertThat(d.reason()).isEmpty();
    }

    @Test
    void record_delivered_deletesTheRecordAndItsAttempts() throws Exception {
        log.append(List.of(record("r1", "track", utf8("a"))), T0);
        log.record(List.of(new AttemptResult("r1", T0.plusSeconds(1), 0, "connect refused", Result.RETRY,
                T0.plusSeconds(2), "")));
        log.record(List.of(new AttemptResult("r1", T0.plusSeconds(3), 204, "", Result.DELIVERED, T0, "")));

        assertThat(log.find("track", "r1", 10)).isEmpty();
        assertThat(log.due("track", T0.plusSeconds(10), 10)).isEmpty();
        assertThat(log.nextDue("track")).isEmpty();
        assertThat(log.totals()).isEmpty();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM attempts")) {
            rs.next();
            assertThat(rs.getInt(1)).isZero();
        }
    }

    /**
     * The journal's shared fsync: results recorded without flush are committed at synchronous=NORMAL and the writer
     * is back at FULL afterwards; the next FULL append flushes them (sync() then has nothing to do), and without one,
     * sync() flushes them with the marker commit.
     */
    @Test
    void record_unflushed_underAlways_isCommitted_andTheNextAppendOrSyncFlushesIt() throws Exception {
        SqliteIngestLog always = (SqliteIngestLog) log;
        log.append(List.of(record("r1", "track", utf8("a")), record("r2", "track", utf8("b"))), T0);
        log.record(List.of(new AttemptResult("r1", T0.plusSeconds(1), 204, "", Result.DELIVERED, T0, "")), false);
        assertThat(always.writerSynchronous()).as("FULL again after the unflushed commit").isEqualTo(2);
        assertThat(log.find("track", "r1", 10)).as("committed: readers see it").isEmpty();

        log.append(List.of(record("r3", "track", utf8("c"))), T0);
        log.sync();
        assertThat(always.lockedSyncs()).as("the append's fsync flushed it: nothing left to sync").isZero();

        log.record(List.of(new AttemptResult("r2", T0.plusSeconds(2), 204, "", Result.DELIVERED, T0, "")), false);
        log.sync();
        log.sync();
        assertThat(always.lockedSyncs()).as("one marker commit, then nothing left").isEqualTo(1);
        assertThat(syncMarker()).isEqualTo(1);
        assertThat(always.writerSynchronous()).isEqualTo(2);
        assertThat(ids(log.due("track", T0.plusSeconds(5), 10))).containsExactly("r3");
    }

    @Test
    void record_quarantine_movesItWithItsReason_andResultsForGoneRecordsAreIgnored() {
        log.append(List.of(record("r1", "track", utf8("a")), record("r2", "track", utf8("bb"))), T0);
        Instant at = T0.plusSeconds(4);
        log.record(List.of(
                new AttemptResult("r1", T0.plusSeconds(1), 500, "", Result.RETRY, T0.plusSeconds(2), ""),
                new AttemptResult("r1", at, 400, "", Result.QUARANTINE, at, "status 400"),
                new AttemptResult("gone", at, 200, "", Result.DELIVERED, at, ""),
                new AttemptResult("gone", at, 500, "", Result.RETRY, at, ""),
                new AttemptResult("gone", at, 400, "", Result.QUARANTINE, at, "status 400")));

        assertThat(ids(log.due("track", at, 10))).containsExactly("r2");
        assertThat(log.quarantine("track", 10)).containsExactly(new IngestLog.Quarantined("r1", T0, at, 2, 400, "",
                "status 400", 101));
        assertThat(log.quarantine("other", 10)).isEmpty();
        IngestLog.Detail d = log.find("track", "r1", 100).orElseThrow();
        assertThat(d.state()).isEqualTo("quarantined");
        assertThat(d.nextAttemptAt()).isEmpty();
        assertThat(d.reason()).isEqualTo("status 400");
        assertThat(d.attempts()).extracting(IngestLog.Attempt::status).containsExactly(500, 400);

        // A late result for a quarantined record changes nothing.
        log.record(List.of(new AttemptResult("r1", at, 503, "", Result.RETRY, at, "")));
        assertThat(log.quarantine("track", 10)).hasSize(1);
        assertThat(ids(log.due("track", at, 10))).containsExactly("r2");
    }

    @Test
    void quarantine_listsOldestQuarantineFirst_upToTheLimit() {
        log.append(IntStream.range(0, 5).mapToObj(i -> record("q" + i, "track", utf8("x"))).toList(), T0);
        for (int i : new int[] {3, 1, 4, 0, 2}) {
            Instant at = T0.plusSeconds(10 + 10L * i);
            log.record(List.of(new AttemptResult("q" + (4 - i), at, 404, "", Result.QUARANTINE, at, "status 404")));
        }
        assertThat(log.quarantine("track", 3)).extracting(IngestLog.Quarantined::id)
                .containsExactly("q4", "q3", "q2");
    }

    @Test
    void find_givesAnExcerptOfTheBody_andTheWholeLength() {
        byte[] body = new byte[10_000];
        new Random(7).nextBytes(body);
        log.append(List.of(record("big", "track", body), record("empty", "track", new byte[0])), T0);

        IngestLog.Detail d = log.find("track", "big", 64).orElseThrow();
        assertThat(d.bodyBytes()).isEqualTo(10_000);
        assertThat(d.bodyExcerpt()).isEqualTo(java.util.Arrays.copyOf(body, 64));
        assertThat(d.headers()).hasSize(2);
        assertThat(d.consumer()).contains("consumer-track");
        assertThat(d.method()).isEqualTo("POST");
        assertThat(d.receivedAt()).isEqualTo(T0);
        assertThat(d.attempts()).isEmpty();
        assertThat(log.find("track", "big", 0).orElseThrow().bodyExcerpt()).isEmpty();
        assertThat(log.find("track", "big", 1 << 20).orElseThrow().bodyExcerpt()).isEqualTo(body);

        IngestLog.Detail empty = log.find("track", "empty", 64).orElseThrow();
        assertThat(empty.bodyBytes()).isZero();
        assertThat(empty.bodyExcerpt()).isEmpty();
        assertThat(log.find("other", "big", 64)).as("another route's id").isEmpty();
        assertThat(log.find("track", "nope", 64)).isEmpty();
    }

    @Test
    void replay_movesQuarantinedRecordsBack_withTheirAgeAndAttemptsCountedAgain() {
        log.append(List.of(record("a", "track", utf8("a")), record("b", "track", utf8("b")),
                record("c", "track", utf8("c")), record("p", "track", utf8("p"))), T0);
        Instant at = T0.plusSeconds(1);
        log.record(List.of(new AttemptResult("a", at, 400, "", Result.QUARANTINE, at, "status 400"),
                new AttemptResult("b", at, 400, "", Result.QUARANTINE, at, "status 400"),
                new AttemptResult("c", at, 422, "", Result.QUARANTINE, at, "status 422")));
        Instant now = T0.plusSeconds(60);

        assertThat(log.replay("track", List.of("a", "p", "missing"), false, now))
                .as("p is pending, missing does not exist").isEqualTo(1);
        IngestLog.Pending a = log.due("track", now, 10).stream().filter(r -> r.id().equals("a")).findFirst()
                .orElseThrow();
        assertThat(a.attempts()).isZero();
        assertThat(a.retrySince()).isEqualTo(now);
        assertThat(a.receivedAt()).isEqualTo(T0);
        IngestLog.Detail d = log.find("track", "a", 0).orElseThrow();
        assertThat(d.state()).isEqualTo("pending");
        assertThat(d.reason()).isEmpty();
        assertThat(d.nextAttemptAt()).contains(now);
        assertThat(d.attempts()).as("history kept").hasSize(1);

        assertThat(log.replay("other", List.of(), true, now)).isZero();
        assertThat(log.replay("track", List.of(), true, now)).isEqualTo(2);
        assertThat(log.quarantine("track", 10)).isEmpty();
        assertThat(ids(log.due("track", now, 10))).containsExactlyInAnyOrder("a", "b", "c", "p");
    }

    @Test
    void purge_deletesOnlyQuarantinedRecords_andSaysHowManyBytes() {
        log.append(List.of(record("a", "track", utf8("a")), record("b", "track", utf8("bb")),
                record("c", "track", utf8("ccc")), record("p", "track", utf8("p")),
                record("o", "other", utf8("o"))), T0);
        Instant at = T0.plusSeconds(1);
        log.record(List.of(new AttemptResult("a", at, 400, "", Result.QUARANTINE, at, "status 400"),
                new AttemptResult("b", at, 400, "", Result.QUARANTINE, at, "status 400"),
                new AttemptResult("c", at, 400, "", Result.QUARANTINE, at, "status 400"),
                new AttemptResult("o", at, 400, "", Result.QUARANTINE, at, "status 400")));

        assertThat(log.purge("track", List.of("a", "p", "o", "missing"), false))
                .isEqualTo(new IngestLog.Removed(1, 101));
        assertThat(log.find("track", "a", 0)).isEmpty();
        assertThat(log.find("track", "p", 0)).as("pending records are never purged").isPresent();
        assertThat(log.purge("track", List.of(), true)).isEqualTo(new IngestLog.Removed(2, 205));
        assertThat(log.purge("track", List.of(), true)).isEqualTo(new IngestLog.Removed(0, 0));
        assertThat(log.quarantine("other", 10)).extracting(IngestLog.Quarantined::id).containsExactly("o");
        assertThat(ids(log.due("track", at, 10))).containsExactly("p");
    }

    @Test
    void totals_countPendingAndQuarantinedPerRoute() {
        log.append(List.of(record("a", "track", utf8("a")),
                record("b", "track", utf8("bb"), Optional.empty(), T0.plusSeconds(5)),
                record("c", "track", utf8("ccc")), record("o", "other", new byte[0])), T0.plusSeconds(5));
        Instant at = T0.plusSeconds(6);
        log.record(List.of(new AttemptResult("a", at, 400, "", Result.QUARANTINE, at, "status 400"),
                new AttemptResult("o", at, 400, "", Result.QUARANTINE, at, "status 400")));

        Map<String, IngestLog.Totals> totals = log.totals();
        assertThat(totals).containsOnlyKeys("track", "other");
        assertThat(totals.get("track")).isEqualTo(new IngestLog.Totals(2, 205, 1, 101, Optional.of(T0)));
        assertThat(totals.get("other")).isEqualTo(new IngestLog.Totals(0, 0, 1, 100, Optional.empty()));
    }

    @Test
    void reopen_keepsEverything_zeroByteBodiesToo() {
        log.append(List.of(record("empty", "track", new byte[0]), record("full", "track", utf8("x"),
                Optional.of("key"), T0)), T0);
        Instant at = T0.plusSeconds(1);
        log.record(List.of(new AttemptResult("full", at, 400, "", Result.QUARANTINE, at, "status 400")));
        log.close();
        assertThat(tmp.resolve("state").resolve("ingest.db-wal")).as("a clean close leaves no WAL").doesNotExist();

        log = IngestLog.sqlite(file, IngestLog.Durability.ALWAYS);
        assertThat(log.recovery().tornBytes()).isZero();
        IngestLog.Pending empty = log.due("track", at, 10).get(0);
        assertThat(empty.id()).isEqualTo("empty");
        assertThat(empty.body()).isEmpty();
        assertThat(log.quarantine("track", 10)).extracting(IngestLog.Quarantined::id).containsExactly("full");
        assertThat(log.append(List.of(record("dup", "track", utf8("x"), Optional.of("key"), at)), at))
                .containsExactly(new IngestLog.Appended("full", true));
        assertThat(log.append(List.of(record("empty2", "track", new byte[0])), at))
                .containsExactly(new IngestLog.Appended("empty2", false));
        assertThat(log.due("track", at, 10).get(1).seq()).as("seq keeps growing")
                .isGreaterThan(empty.seq() + 1);
    }

    @Test
    void intervalDurability_syncsThroughACheckpoint_withoutTheWriter() throws Exception {
        log.close();
        SqliteIngestLog interval = (SqliteIngestLog) IngestLog.sqlite(file, IngestLog.Durability.INTERVAL);
        log = interval;
        log.sync();
        log.append(List.of(record("a", "track", utf8("a"))), T0);
        log.sync();
        log.sync();
        log.append(List.of(record("b", "track", utf8("b"))), T0);
        log.sync();
        assertThat(ids(log.due("track", T0, 10))).containsExactly("a", "b");
        assertThat(interval.lockedSyncs()).isZero();
        assertThat(syncMarker()).isZero();
    }

    /**
     * A reader on an older snapshot keeps the checkpoint from copying the newest commit, so the checkpoint may have
     * synced nothing: sync() then commits the marker row with synchronous=FULL under the write lock.
     */
    @Test
    void intervalDurability_whenAReaderHoldsTheCheckpointBack_syncsUnderTheWriteLock() throws Exception {
        log.close();
        // After its first round the checkpoint thread copies only when a sync asks it to.
        SqliteIngestLog interval = (SqliteIngestLog) SqliteIngestLog.open(file, IngestLog.Durability.INTERVAL,
                config -> { }, Duration.ofDays(1));
        log = interval;
        log.append(List.of(record("a", "track", utf8("a"))), T0);
        log.sync();
        log.append(List.of(record("b", "track", utf8("b"))), T0);
        try (Connection reader = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = reader.createStatement()) {
            s.execute("BEGIN");
            try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM records")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(2);
            }
            log.append(List.of(record("c", "track", utf8("c"))), T0);
            log.sync();
            s.execute("COMMIT");
        }
        assertThat(interval.lockedSyncs()).isEqualTo(1);
        assertThat(syncMarker()).isEqualTo(1);
        log.sync();
        assertThat(interval.lockedSyncs()).as("nothing committed since").isEqualTo(1);
        assertThat(ids(log.due("track", T0, 10))).containsExactly("a", "b", "c");
    }

    private int syncMarker() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT n FROM sync_marker")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void fullDatabase_throwsStoreFullException_andKeepsNothingOfTheBatch() throws Exception {
        log.append(List.of(record("before", "track", utf8("x"))), T0);
        long pages;
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("PRAGMA page_count")) {
            rs.next();
            pages = rs.getLong(1);
        }
        log.close();
        // max_page_count is a setting of the connection (the writer's), not of the file: SQLITE_FULL at a few pages
        // more than the file has, without filling a real disk.
        int limit = (int) pages + 4;
        log = SqliteIngestLog.open(file, IngestLog.Durability.ALWAYS, config -> config.setMaxPageCount(limit));
        byte[] body = new byte[4096];
        List<NewRecord> batch = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            batch.add(record("big" + i, "track", body));
        }
        assertThatThrownBy(() -> log.append(batch, T0)).isInstanceOf(StoreFullException.class)
                .hasMessageContaining("appending 16 records");
        assertThat(ids(log.due("track", T0, 100))).containsExactly("before");
        assertThat(log.append(List.of(record("small", "track", utf8("y"))), T0)).hasSize(1);
        assertThat(ids(log.due("track", T0, 100))).containsExactly("before", "small");
    }

    /**
     * What a crash leaves: the WAL with committed frames, then frames of a transaction that never committed, then a
     * frame the crash tore. The log runs with a small page cache, so a big batch spills its pages into the WAL before
     * its commit; the batch then fails (its last id is taken) and rolls back, which leaves those frames in the file
     * past the last commit, as a writer killed mid-transaction would (their checksums chain only up to the first page
     * the batch wrote twice). The files are copied while the log is open, the copied WAL is cut in the middle of its
     * last frame and garbage is appended. Opened: every record whose append
     * returned is there, none of the failed batch, the cut bytes are counted, and nothing throws; opened again, there
     * is nothing left to cut.
     */
    @Test
    void tornWal_isCut_counted_andEverythingCommittedBeforeItIsThere() throws Exception {
        log.close();
        log = SqliteIngestLog.open(file, IngestLog.Durability.ALWAYS, config -> config.setCacheSize(16));
        List<NewRecord> committed = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            committed.add(record("committed-" + i, "track", i % 5 == 0 ? new byte[0] : utf8("body " + i)));
        }
        log.append(committed.subList(0, 10), T0);
        log.append(committed.subList(10, 20), T0);
        List<NewRecord> doomed = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            doomed.add(record("doomed-" + i, "track", new byte[3000]));
        }
        doomed.add(record("committed-3", "track", new byte[0]));
        assertThatThrownBy(() -> log.append(doomed, T0)).isInstanceOf(StoreException.class)
                .hasMessageContaining("UNIQUE");

        Path crash = tmp.resolve("crash");
        Files.createDirectories(crash);
        Path wal = crash.resolve("ingest.db-wal");
        Files.copy(Path.of(file + "-wal"), wal);
        Files.copy(file, crash.resolve("ingest.db"));
        long frame = WalScanner.FRAME_HEADER_BYTES + 4096;
        long cut = Files.size(wal) - frame / 2;
        assertThat(cut).isGreaterThan(WalScanner.HEADER_BYTES + 20 * frame);
        try (RandomAccessFile f = new RandomAccessFile(wal.toFile(), "rw")) {
            f.setLength(cut);
            f.seek(cut);
            byte[] garbage = new byte[777];
            new Random(1).nextBytes(garbage);
            f.write(garbage);
        }
        WalScanner.Result scanned = WalScanner.scan(wal);

        try (IngestLog recovered = IngestLog.sqlite(crash.resolve("ingest.db"), IngestLog.Durability.ALWAYS)) {
            IngestLog.Recovery recovery = recovered.recovery();
            assertThat(recovery.tornBytes()).isEqualTo(scanned.tornBytes()).isGreaterThan(20 * frame)
                    .isEqualTo(cut + 777 - scanned.committedBytes() - scanned.staleBytes());
            assertThat(scanned.uncommitted()).isGreaterThan(20);
            assertThat(recovery.detail()).startsWith(String.format("cut %,d bytes of a torn WAL tail",
                    recovery.tornBytes())).contains("frames of a transaction that never committed")
                    .contains("ending in a ");
            assertThat(ids(recovered.due("track", T0, 1000)))
                    .containsExactlyElementsOf(committed.stream().map(NewRecord::id).toList());
            assertThat(recovered.due("track", T0, 1000).get(0).body()).isEmpty();
            recovered.append(List.of(record("after", "track", new byte[0])), T0);
        }
        try (IngestLog again = IngestLog.sqlite(crash.resolve("ingest.db"), IngestLog.Durability.ALWAYS)) {
            assertThat(again.recovery()).as("reported once").isEqualTo(new IngestLog.Recovery(0, ""));
            assertThat(again.due("track", T0, 1000)).hasSize(21);
        }
    }

    /**
     * A writer JVM appends batches (every fifth record with a zero-byte body, as seed 003's crash) and prints the ids
     * of each batch once append returned; it is killed (SIGKILL) mid-stream. Reopened: no exception, every printed id
     * is there, and integrity_check passes.
     */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void killedWriter_losesNoRecordWhoseAppendReturned() throws Exception {
        log.close();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process writer = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                KillWriter.class.getName(), file.toString())
                .redirectError(tmp.resolve("writer.err").toFile()).start();
        List<String> reported = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                reported.addAll(List.of(line.split(" ")));
                if (reported.size() >= 2_000) {
                    writer.destroyForcibly();
                    break;
                }
            }
        } finally {
            writer.destroyForcibly().waitFor();
        }
        assertThat(reported).as("the writer's stderr:\n%s", Files.readString(tmp.resolve("writer.err")))
                .hasSizeGreaterThanOrEqualTo(2_000);

        log = IngestLog.sqlite(file, IngestLog.Durability.ALWAYS);
        List<String> stored = ids(log.due("track", T0, 1_000_000));
        assertThat(stored).containsAll(reported);
        assertThat(stored).startsWith(reported.subList(0, 100).toArray(String[]::new));
        for (IngestLog.Pending p : log.due("track", T0, 50)) {
            assertThat(p.body()).isEqualTo(KillWriter.body(p.id()));
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("ok");
        }
    }

    /** The child JVM of {@link #killedWriter_losesNoRecordWhoseAppendReturned}: appends until it is killed. */
    static final class KillWriter {
        private KillWriter() {
        }

        static byte[] body(String id) {
            int n = Integer.parseInt(id.substring(1));
            return n % 5 == 0 ? new byte[0] : utf8("body of " + id);
        }

        public static void main(String[] args) {
            IngestLog log = IngestLog.sqlite(Path.of(args[0]), IngestLog.Durability.ALWAYS);
            int n = 0;
            for (int batch = 0; batch < 100_000; batch++) {
                List<NewRecord> records = new ArrayList<>();
                for (int i = 0; i <= batch % 7; i++, n++) {
                    String id = String.format("r%09d", n);
                    records.add(record(id, "track", body(id)));
                }
                log.append(records, T0);
                System.out.println(String.join(" ", records.stream().map(NewRecord::id).toList()));
                System.out.flush();
            }
            log.close();
        }
    }
}
