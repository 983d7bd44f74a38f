package io.palisade.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.flywaydb.core.api.FlywayException;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * {@link IngestLog} on SQLite in a file of its own (WAL mode): one writer connection, which every write holds in turn
 * (the journal's thread is the only writer in the gateway, so the lock is uncontended there), and a small pool of
 * reader connections that read beside it (a WAL reader sees the last commit and never waits for the writer).
 *
 * <p>Durability: {@link Durability#ALWAYS} runs the writer with {@code synchronous=FULL}, so each commit fsyncs the WAL
 * before it returns. {@link Durability#INTERVAL} runs it with {@code NORMAL}: a commit is written to the WAL (the
 * operating system has it, a killed process loses nothing) and {@link #sync()} makes it durable without taking the
 * writer's lock: it runs a PASSIVE checkpoint, which fsyncs the WAL before it copies frames, and when that reports the
 * whole log copied every earlier commit is on disk ({@link Checkpointer}). A checkpoint that could not copy it all (a
 * reader on an older snapshot) may have synced nothing; then sync() commits a one-row change with
 * {@code synchronous=FULL}, whose fsync of the WAL covers every earlier commit, but appends wait behind that one.
 * (Only the second would do, but on a writer that takes 100 ms of commits, it stalls appends for an fsync of all of
 * them: some 15 ms at 40,000 records/s here.)
 *
 * <p>The WAL is copied into the main file by a {@link Checkpointer} on its own thread and connection
 * ({@code palisade-ingest-checkpoint}), so that appends rarely wait for a checkpoint.
 *
 * <p>Opening reads the WAL a crash may have left ({@link WalScanner}) before SQLite does, to report what SQLite's
 * recovery then discards; after recovery a TRUNCATE checkpoint folds the WAL into the main file and empties it, so a
 * torn tail is not reported again after the next crash.
 */
final class SqliteIngestLog implements IngestLog {
    /** Milliseconds a connection waits for a lock (another process on the file, a checkpoint) before failing. */
    private static final int BUSY_TIMEOUT_MS = 30_000;
    private static final int READERS = 3;
    /**
     * After a burst the WAL file keeps its size when SQLite starts it over; beyond this, it is cut back to it, so that
     * a burst of writes does not hold disk that {@link #fileBytes()} (and so max_disk) keeps counting.
     */
    private static final long WAL_SIZE_LIMIT = 64L << 20;
    /**
     * The writer's automatic checkpoint, in pages (SQLite's default is 1000): a backstop, which finds nearly everything
     * copied by the {@link Checkpointer} and only finishes the rest so that the log can start over (64 MiB at 4 KiB).
     */
    private static final int WRITER_CHECKPOINT_PAGES = 16_384;
    private static final Duration CHECKPOINT_PERIOD = Duration.ofMillis(100);
    /**
     * A write that fails with an I/O error while less than this is free on the file's disk is taken for a full disk:
     * SQLite maps ENOSPC on write to SQLITE_FULL, but an fsync or a shared-memory grow that fails for want of space
     * comes back as SQLITE_IOERR.
     */
    private static final long FULL_DISK_FREE_BYTES = 64L << 20;
    private static final int SQLITE_FULL = 13;
    private static final int SQLITE_IOERR = 10;
    private static final String PENDING = "pending";
    private static final String QUARANTINED = "quarantined";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<List<String>>> PAIRS = new TypeReference<>() {};
    private static final byte[] NO_BYTES = new byte[0];

    private static final String INSERT_RECORD = "INSERT INTO records (id, route, state, received_at, retry_since,"
            + " method, path, query, headers, consumer, body, bytes, next_attempt_at)"
            + " VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String FIND_KEY = "SELECT record_id, expires_at FROM idempotency WHERE route = ? AND key = ?";
    private static final String MAP_KEY = "INSERT INTO idempotency (route, key, record_id, expires_at)"
            + " VALUES (?, ?, ?, ?) ON CONFLICT (route, key)"
            + " DO UPDATE SET record_id = excluded.record_id, expires_at = excluded.expires_at";
    private static final String INSERT_ATTEMPT = "INSERT INTO attempts (record_id, at, status, error)"
            + " VALUES (?, ?, ?, ?)";
    private static final String DELIVERED = "DELETE FROM records WHERE id = ?";
    private static final String RETRY = "UPDATE records SET attempts = attempts + 1, next_attempt_at = ?,"
            + " last_status = ?, last_error = ? WHERE id = ? AND state = 'pending'";
    private static final String QUARANTINE = "UPDATE records SET state = 'quarantined', attempts = attempts + 1,"
            + " last_status = ?, last_error = ?, reason = ?, quarantined_at = ? WHERE id = ? AND state = 'pending'";
    private static final String PENDING_COLUMNS = "seq, id, route, received_at, method, path, query, headers, consumer,"
            + " body, bytes, attempts, retry_since";

    private final Path file;
    private final Durability durability;
    private final Recovery recovery;
    private final Connection writer;
    private final ReentrantLock writing = new ReentrantLock();
    private final Map<String, PreparedStatement> statements = new HashMap<>();
    private final HikariDataSource readers;
    private final Checkpointer checkpointer;
    /** INTERVAL: something was committed since the last sync began. */
    private final AtomicBoolean unsynced = new AtomicBoolean();
    /** Syncs that needed the writer's lock because the checkpoint could not copy the whole log (tests read it). */
    private final AtomicLong lockedSyncs = new AtomicLong();
    private volatile boolean closed;

    private SqliteIngestLog(Path file, Durability durability, Recovery recovery, Connection writer,
                            HikariDataSource readers, Checkpointer checkpointer) {
        this.file = file;
        this.durability = durability;
        this.recovery = recovery;
        this.writer = writer;
        this.readers = readers;
        this.checkpointer = checkpointer;
    }

    static IngestLog open(Path file, Durability durability) {
        return open(file, durability, config -> { }, CHECKPOINT_PERIOD);
    }

    static IngestLog open(Path file, Durability durability, Consumer<SQLiteConfig> tuning) {
        return open(file, durability, tuning, CHECKPOINT_PERIOD);
    }

    /**
     * {@code tuning} adjusts the connections' settings (tests: a small {@code max_page_count} fills the database, a
     * small page cache makes a big batch spill into the WAL before it commits), and {@code checkpointPeriod} how
     * often the checkpoint thread copies the WAL while commits come in (tests: never again after the first copy).
     */
    static IngestLog open(Path file, Durability durability, Consumer<SQLiteConfig> tuning,
                          Duration checkpointPeriod) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(durability, "durability");
        EventLoopGuard.check();
        Path path = file.toAbsolutePath();
        try {
            Files.createDirectories(path.getParent());
        } catch (IOException e) {
            throw new StoreException("creating the directory of the ingest log " + path, e);
        }
        WalScanner.Result scanned;
        try {
            scanned = WalScanner.scan(Path.of(path + "-wal"));
        } catch (IOException e) {
            throw new StoreException("reading the WAL of the ingest log " + path, e);
        }
        String url = "jdbc:sqlite:" + path;
        SQLiteConfig config = config(durability);
        tuning.accept(config);
        SQLiteDataSource writes = new SQLiteDataSource(config);
        writes.setUrl(url);
        Connection writer = null;
        HikariDataSource readers = null;
        Checkpointer checkpointer = null;
        try {
            // The first connection runs SQLite's recovery of the WAL (the scan above measured what it cuts).
            writer = writes.getConnection();
            try {
                Migrations.migrate(writes, Migrations.INGEST);
            } catch (FlywayException e) {
                throw new StoreException("migrating the ingest log " + path, e);
            }
            try (Statement s = writer.createStatement()) {
                s.execute("PRAGMA journal_size_limit = " + WAL_SIZE_LIMIT);
                s.execute("PRAGMA wal_autocheckpoint = " + WRITER_CHECKPOINT_PAGES);
                if (scanned.fileBytes() > 0) {
                    // Nothing else has the file open yet: fold the recovered WAL into the main file and empty it.
                    s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
                }
            }
            readers = readerPool(url);
            checkpointer = Checkpointer.start(writes.getConnection(), checkpointPeriod,
                    "palisade-ingest-checkpoint");
            return new SqliteIngestLog(path, durability, new Recovery(scanned.tornBytes(), scanned.detail()),
                    writer, readers, checkpointer);
        } catch (SQLException | RuntimeException e) {
            if (checkpointer != null) {
                checkpointer.close();
            }
            if (readers != null) {
                readers.close();
            }
            if (writer != null) {
                try {
                    writer.close();
                } catch (SQLException c) {
                    e.addSuppressed(c);
                }
            }
            throw e instanceof StoreException se ? se
                    : new StoreException("opening the ingest log " + path, e);
        }
    }

    private static SQLiteConfig config(Durability durability) {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(durability == Durability.ALWAYS ? SQLiteConfig.SynchronousMode.FULL
                : SQLiteConfig.SynchronousMode.NORMAL);
        config.setBusyTimeout(BUSY_TIMEOUT_MS);
        config.enforceForeignKeys(true);
        // The driver otherwise runs a second query after every INSERT for keys nothing here asks for.
        config.setGetGeneratedKeys(false);
        return config;
    }

    private static HikariDataSource readerPool(String url) {
        SQLiteConfig config = new SQLiteConfig();
        config.setBusyTimeout(BUSY_TIMEOUT_MS);
        SQLiteDataSource ds = new SQLiteDataSource(config);
        ds.setUrl(url);
        HikariConfig pool = new HikariConfig();
        pool.setDataSource(ds);
        pool.setPoolName("palisade-ingest-read");
        pool.setMaximumPoolSize(READERS);
        pool.setMinimumIdle(1);
        pool.setConnectionTimeout(BUSY_TIMEOUT_MS);
        return new HikariDataSource(pool);
    }

    @Override
    public Recovery recovery() {
        return recovery;
    }

    @Override
    public List<Appended> append(List<NewRecord> batch, Instant now) {
        List<NewRecord> records = List.copyOf(batch);
        long nowMs = now.toEpochMilli();
        return write("appending " + records.size() + " records", () -> {
            List<Appended> out = new ArrayList<>(records.size());
            PreparedStatement insert = statement(INSERT_RECORD);
            for (NewRecord r : records) {
                if (r.idempotencyKey().isPresent()) {
                    Optional<String> mapped = mapped(r.route(), r.idempotencyKey().get(), nowMs);
                    if (mapped.isPresent()) {
                        out.add(new Appended(mapped.get(), true));
                        continue;
                    }
                }
                int i = 1;
                insert.setString(i++, r.id());
                insert.setString(i++, r.route());
                insert.setLong(i++, r.receivedAt().toEpochMilli());
                insert.setLong(i++, r.receivedAt().toEpochMilli());
                insert.setString(i++, r.method());
                insert.setString(i++, r.path());
                insert.setString(i++, r.query());
                insert.setString(i++, headersJson(r.headers()));
                setOptional(insert, i++, r.consumer());
                insert.setBytes(i++, r.body());
                insert.setLong(i++, r.bytes());
                insert.setLong(i, nowMs);
                insert.executeUpdate();
                if (r.idempotencyKey().isPresent()) {
                    PreparedStatement map = statement(MAP_KEY);
                    map.setString(1, r.route());
                    map.setString(2, r.idempotencyKey().get());
                    map.setString(3, r.id());
                    map.setLong(4, r.idempotencyExpires().toEpochMilli());
                    map.executeUpdate();
                }
                out.add(new Appended(r.id(), false));
            }
            return out;
        });
    }

    /** The record id {@code key} maps to for {@code route} at {@code nowMs}, inside the writer's transaction. */
    private Optional<String> mapped(String route, String key, long nowMs) throws SQLException {
        PreparedStatement find = statement(FIND_KEY);
        find.setString(1, route);
        find.setString(2, key);
        try (ResultSet rs = find.executeQuery()) {
            if (rs.next() && rs.getLong(2) > nowMs) {
                return Optional.of(rs.getString(1));
            }
        }
        return Optional.empty();
    }

    @Override
    public List<Pending> due(String route, Instant now, int limit, java.util.Collection<String> skip) {
        Objects.requireNonNull(route, "route");
        requireLimit(limit);
        List<String> skipped = List.copyOf(skip);
        // The due index's order: whatever is due, earliest due first, so this reads limit index entries and rows. A
        // skipped row is passed over on its id, which SQLite reads from the row's first page: its body (at the row's
        // end, on overflow pages when it is large) is never read.
        String notIn = skipped.isEmpty() ? "" : " AND id NOT IN (" + "?,".repeat(skipped.size() - 1) + "?)";
        return read("reading due records of route " + route, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + PENDING_COLUMNS + " FROM records"
                    + " WHERE route = ? AND state = 'pending' AND next_attempt_at <= ?" + notIn
                    + " ORDER BY next_attempt_at, seq LIMIT ?")) {
                int i = 1;
                ps.setString(i++, route);
                ps.setLong(i++, now.toEpochMilli());
                for (String id : skipped) {
                    ps.setString(i++, id);
                }
                ps.setInt(i, limit);
                List<Pending> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Pending(rs.getLong("seq"), rs.getString("id"), rs.getString("route"),
                                Instant.ofEpochMilli(rs.getLong("received_at")), rs.getString("method"),
                                rs.getString("path"), rs.getString("query"), headers(rs.getString("headers")),
                                Optional.ofNullable(rs.getString("consumer")), bytes(rs.getBytes("body")),
                                rs.getLong("bytes"), rs.getInt("attempts"),
                                Instant.ofEpochMilli(rs.getLong("retry_since"))));
                    }
                }
                return out;
            }
        });
    }

    @Override
    public Optional<Instant> nextDue(String route) {
        Objects.requireNonNull(route, "route");
        return read("reading when route " + route + " is due", c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT next_attempt_at FROM records"
                    + " WHERE route = ? AND state = 'pending' ORDER BY next_attempt_at LIMIT 1")) {
                ps.setString(1, route);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(Instant.ofEpochMilli(rs.getLong(1))) : Optional.empty();
                }
            }
        });
    }

    @Override
    public void record(List<AttemptResult> results, boolean flush) {
        List<AttemptResult> all = List.copyOf(results);
        if (all.isEmpty()) {
            return;
        }
        write("recording " + all.size() + " delivery results", !flush, () -> {
            for (AttemptResult r : all) {
                String error = r.error() == null ? "" : r.error();
                int changed;
                switch (r.result()) {
                    case DELIVERED -> {
                        // Its attempts go with it (ON DELETE CASCADE), so this one is not written first.
                        PreparedStatement ps = statement(DELIVERED);
                        ps.setString(1, r.id());
                        changed = ps.executeUpdate();
                    }
                    case RETRY -> {
                        PreparedStatement ps = statement(RETRY);
                        ps.setLong(1, r.nextAttemptAt().toEpochMilli());
                        ps.setInt(2, r.status());
                        ps.setString(3, error);
                        ps.setString(4, r.id());
                        changed = ps.executeUpdate();
                    }
                    case QUARANTINE -> {
                        PreparedStatement ps = statement(QUARANTINE);
                        ps.setInt(1, r.status());
                        ps.setString(2, error);
                        ps.setString(3, r.reason() == null ? "" : r.reason());
                        ps.setLong(4, r.at().toEpochMilli());
                        ps.setString(5, r.id());
                        changed = ps.executeUpdate();
                    }
                    default -> throw new IllegalArgumentException("result: " + r.result());
                }
                if (changed > 0 && r.result() != Result.DELIVERED) {
                    PreparedStatement ps = statement(INSERT_ATTEMPT);
                    ps.setString(1, r.id());
                    ps.setLong(2, r.at().toEpochMilli());
                    ps.setInt(3, r.status());
                    ps.setString(4, error);
                    ps.executeUpdate();
                }
            }
            return null;
        });
    }

    @Override
    public List<Quarantined> quarantine(String route, int limit) {
        Objects.requireNonNull(route, "route");
        requireLimit(limit);
        return read("listing the quarantine of route " + route, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT id, received_at, quarantined_at, attempts,"
                    + " last_status, last_error, reason, bytes FROM records"
                    + " WHERE route = ? AND state = 'quarantined' ORDER BY quarantined_at, seq LIMIT ?")) {
                ps.setString(1, route);
                ps.setInt(2, limit);
                List<Quarantined> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Quarantined(rs.getString(1), Instant.ofEpochMilli(rs.getLong(2)),
                                Instant.ofEpochMilli(rs.getLong(3)), rs.getInt(4), rs.getInt(5), rs.getString(6),
                                rs.getString(7), rs.getLong(8)));
                    }
                }
                return out;
            }
        });
    }

    @Override
    public Optional<Detail> find(String route, String id, int excerptBytes) {
        Objects.requireNonNull(route, "route");
        Objects.requireNonNull(id, "id");
        requireLimit(excerptBytes);
        return read("reading record " + id + " of route " + route, c -> {
            // One read transaction: the attempts belong to the row read, even if the writer commits in between.
            c.setAutoCommit(false);
            try {
                Detail detail;
                try (PreparedStatement ps = c.prepareStatement("SELECT state, received_at, method, path, query,"
                        + " headers, consumer, length(body), substr(body, 1, ?), next_attempt_at, reason"
                        + " FROM records WHERE route = ? AND id = ?")) {
                    ps.setInt(1, excerptBytes);
                    ps.setString(2, route);
                    ps.setString(3, id);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next()) {
                            return Optional.<Detail>empty();
                        }
                        String state = rs.getString(1);
                        long nextAttempt = rs.getLong(10);
                        String reason = rs.getString(11);
                        detail = new Detail(id, route, state, Instant.ofEpochMilli(rs.getLong(2)), rs.getString(3),
                                rs.getString(4), rs.getString(5), headers(rs.getString(6)),
                                Optional.ofNullable(rs.getString(7)), rs.getLong(8),
                                excerptBytes == 0 ? NO_BYTES : bytes(rs.getBytes(9)), attempts(c, id),
                                state.equals(PENDING) ? Optional.of(Instant.ofEpochMilli(nextAttempt))
                                        : Optional.empty(),
                                reason == null ? "" : reason);
                    }
                }
                return Optional.of(detail);
            } finally {
                c.commit();
            }
        });
    }

    private static List<Attempt> attempts(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT at, status, error FROM attempts WHERE record_id = ? ORDER BY at, rowid")) {
            ps.setString(1, id);
            List<Attempt> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Attempt(Instant.ofEpochMilli(rs.getLong(1)), rs.getInt(2), rs.getString(3)));
                }
            }
            return out;
        }
    }

    @Override
    public int replay(String route, List<String> ids, boolean all, Instant now) {
        Objects.requireNonNull(route, "route");
        List<String> which = List.copyOf(ids);
        long nowMs = now.toEpochMilli();
        String set = "UPDATE records SET state = 'pending', attempts = 0, retry_since = ?, next_attempt_at = ?,"
                + " reason = NULL, quarantined_at = NULL WHERE route = ? AND state = 'quarantined'";
        return write("replaying the quarantine of route " + route, () -> {
            if (all) {
                try (PreparedStatement ps = writer.prepareStatement(set)) {
                    ps.setLong(1, nowMs);
                    ps.setLong(2, nowMs);
                    ps.setString(3, route);
                    return ps.executeUpdate();
                }
            }
            int moved = 0;
            try (PreparedStatement ps = writer.prepareStatement(set + " AND id = ?")) {
                for (String id : which) {
                    ps.setLong(1, nowMs);
                    ps.setLong(2, nowMs);
                    ps.setString(3, route);
                    ps.setString(4, id);
                    moved += ps.executeUpdate();
                }
            }
            return moved;
        });
    }

    @Override
    public Removed purge(String route, List<String> ids, boolean all) {
        Objects.requireNonNull(route, "route");
        List<String> which = List.copyOf(ids);
        String delete = "DELETE FROM records WHERE route = ? AND state = 'quarantined'";
        return write("purging the quarantine of route " + route, () -> {
            int records = 0;
            long bytes = 0;
            try (PreparedStatement ps = writer.prepareStatement(
                    delete + (all ? "" : " AND id = ?") + " RETURNING bytes")) {
                for (String id : all ? List.of("") : which) {
                    ps.setString(1, route);
                    if (!all) {
                        ps.setString(2, id);
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            records++;
                            bytes += rs.getLong(1);
                        }
                    }
                }
            }
            return new Removed(records, bytes);
        });
    }

    @Override
    public Map<String, Totals> totals() {
        return read("reading ingest totals", c -> {
            // Covered by the due index: its entries carry received_at and bytes, so no table page is read.
            try (PreparedStatement ps = c.prepareStatement("SELECT route, state, COUNT(*), SUM(bytes),"
                    + " MIN(received_at) FROM records GROUP BY route, state ORDER BY route");
                 ResultSet rs = ps.executeQuery()) {
                Map<String, Totals> out = new LinkedHashMap<>();
                while (rs.next()) {
                    String route = rs.getString(1);
                    Totals t = out.getOrDefault(route, new Totals(0, 0, 0, 0, Optional.empty()));
                    long count = rs.getLong(3);
                    long bytes = rs.getLong(4);
                    out.put(route, switch (rs.getString(2)) {
                        case PENDING -> new Totals(count, bytes, t.quarantined(), t.quarantinedBytes(),
                                Optional.of(Instant.ofEpochMilli(rs.getLong(5))));
                        case QUARANTINED -> new Totals(t.pending(), t.pendingBytes(), count, bytes,
                                t.oldestPending());
                        default -> t;
                    });
                }
                return out;
            }
        });
    }

    @Override
    public int pruneIdempotency(Instant now) {
        long nowMs = now.toEpochMilli();
        return write("pruning expired idempotency keys", () -> {
            try (PreparedStatement ps = writer.prepareStatement("DELETE FROM idempotency WHERE expires_at <= ?")) {
                ps.setLong(1, nowMs);
                return ps.executeUpdate();
            }
        });
    }

    @Override
    public void sync() {
        EventLoopGuard.check();
        requireOpen();
        // Cleared before the checkpoint begins: a commit after this point sets it again for the next sync.
        if (!unsynced.getAndSet(false)) {
            return;
        }
        try {
            if (durability == Durability.INTERVAL && checkpointer.syncRound()) {
                return;
            }
            syncUnderTheWriteLock();
        } catch (RuntimeException e) {
            unsynced.set(true);
            throw e;
        }
    }

    /**
     * Commits a one-row change with {@code synchronous=FULL}: SQLite fsyncs the WAL at that commit, and an fsync covers
     * the whole file, so every earlier commit in it is on disk. It holds the write lock for an fsync of everything
     * written since the last one, so it is the fallback: appends wait behind it.
     */
    private void syncUnderTheWriteLock() {
        writing.lock();
        try {
            requireOpen();
            lockedSyncs.incrementAndGet();
            try (Statement s = writer.createStatement()) {
                s.execute("PRAGMA synchronous = FULL");
                try {
                    transaction(() -> {
                        s.executeUpdate("UPDATE sync_marker SET n = n + 1 WHERE id = 1");
                        return null;
                    });
                } finally {
                    if (durability == Durability.INTERVAL) {
                        s.execute("PRAGMA synchronous = NORMAL");
                    }
                }
            } catch (SQLException e) {
                throw failure("syncing the ingest log", e);
            }
        } finally {
            writing.unlock();
        }
    }

    long lockedSyncs() {
        return lockedSyncs.get();
    }

    @Override
    public long fileBytes() {
        return size(file) + size(Path.of(file + "-wal")) + size(Path.of(file + "-shm"));
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            throw new StoreException("reading the size of " + p, e);
        }
    }

    @Override
    public void close() {
        EventLoopGuard.check();
        writing.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            checkpointer.close();
            readers.close();
            forgetStatements();
            try {
                // The last connection to close checkpoints the WAL into the main file and deletes it.
                writer.close();
            } catch (SQLException e) {
                throw new StoreException("closing the ingest log " + file, e);
            }
        } finally {
            writing.unlock();
        }
    }

    @Override
    public String toString() {
        return "IngestLog(SQLite at " + file + ", " + durability + ")";
    }

    @FunctionalInterface
    private interface Read<T> {
        T run(Connection c) throws SQLException;
    }

    @FunctionalInterface
    private interface Work<T> {
        T run() throws SQLException;
    }

    private <T> T read(String what, Read<T> work) {
        EventLoopGuard.check();
        requireOpen();
        try (Connection c = readers.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new StoreException(what + " (" + file + ")", e);
        }
    }

    /** Runs {@code work} on the writer connection in one transaction (BEGIN IMMEDIATE: it holds the write lock). */
    private <T> T write(String what, Work<T> work) {
        return write(what, false, work);
    }

    /**
     * As {@link #write(String, Work)}; {@code unflushed}: under {@link Durability#ALWAYS}, this transaction is
     * committed at {@code synchronous=NORMAL} (no fsync) and the next FULL commit or {@link #sync()} flushes it: an
     * fsync of the WAL covers every frame before it.
     */
    private <T> T write(String what, boolean unflushed, Work<T> work) {
        EventLoopGuard.check();
        writing.lock();
        try {
            requireOpen();
            boolean relaxed = unflushed && durability == Durability.ALWAYS;
            T result;
            if (relaxed) {
                synchronous("NORMAL");
                try {
                    result = transaction(work);
                } finally {
                    synchronous("FULL");
                }
            } else {
                result = transaction(work);
            }
            // ALWAYS: a FULL commit flushed everything before it; INTERVAL: sync() has something to do.
            unsynced.set(durability == Durability.INTERVAL || relaxed);
            checkpointer.committed();
            return result;
        } catch (SQLException e) {
            throw failure(what, e);
        } finally {
            writing.unlock();
        }
    }

    private void synchronous(String mode) throws SQLException {
        try (Statement s = writer.createStatement()) {
            s.execute("PRAGMA synchronous = " + mode);
        }
    }

    /** The writer connection's {@code PRAGMA synchronous} (1 NORMAL, 2 FULL): tests check it is restored. */
    int writerSynchronous() {
        writing.lock();
        try (Statement s = writer.createStatement(); ResultSet rs = s.executeQuery("PRAGMA synchronous")) {
            return rs.next() ? rs.getInt(1) : -1;
        } catch (SQLException e) {
            throw new StoreException("reading PRAGMA synchronous", e);
        } finally {
            writing.unlock();
        }
    }

    private <T> T transaction(Work<T> work) throws SQLException {
        try (Statement s = writer.createStatement()) {
            s.execute("BEGIN IMMEDIATE");
            try {
                T result = work.run();
                s.execute("COMMIT");
                return result;
            } catch (SQLException | RuntimeException e) {
                // The driver may have closed a statement that failed (it does after SQLITE_FULL): prepare afresh.
                forgetStatements();
                try {
                    s.execute("ROLLBACK");
                } catch (SQLException r) {
                    // SQLite rolls back by itself after SQLITE_FULL and some I/O errors: then there is nothing left.
                    if (!String.valueOf(r.getMessage()).contains("no transaction is active")) {
                        e.addSuppressed(r);
                    }
                }
                throw e;
            }
        }
    }

    private StoreException failure(String what, SQLException e) {
        int primary = e.getErrorCode() & 0xff;
        String where = what + " (" + file + ")";
        if (primary == SQLITE_FULL || primary == SQLITE_IOERR && lowOnSpace()) {
            return new StoreFullException(where, e);
        }
        return new StoreException(where, e);
    }

    private boolean lowOnSpace() {
        try {
            return Files.getFileStore(file).getUsableSpace() < FULL_DISK_FREE_BYTES;
        } catch (IOException e) {
            return false;
        }
    }

    private void forgetStatements() {
        for (PreparedStatement ps : statements.values()) {
            try {
                ps.close();
            } catch (SQLException ignored) {
                // Closing the connection finalizes it anyway.
            }
        }
        statements.clear();
    }

    private PreparedStatement statement(String sql) throws SQLException {
        PreparedStatement ps = statements.get(sql);
        if (ps == null) {
            ps = writer.prepareStatement(sql);
            statements.put(sql, ps);
        }
        return ps;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the ingest log (" + file + ") is closed");
        }
    }

    private static void setOptional(PreparedStatement ps, int index, Optional<String> value) throws SQLException {
        if (value.isPresent()) {
            ps.setString(index, value.get());
        } else {
            ps.setNull(index, Types.VARCHAR);
        }
    }

    /** SQLite hands a zero-length blob (or a substr of one) back as NULL. */
    private static byte[] bytes(byte[] value) {
        return value == null ? NO_BYTES : value;
    }

    /** {@code [["name","value"],...]}, written by hand: a tenth of the cost of a Jackson serialization per record. */
    static String headersJson(List<Header> headers) {
        StringBuilder json = new StringBuilder(16 + 48 * headers.size()).append('[');
        JsonStringEncoder encoder = JsonStringEncoder.getInstance();
        for (Header h : headers) {
            json.append(json.length() == 1 ? "[\"" : ",[\"");
            encoder.quoteAsString(h.name(), json);
            json.append("\",\"");
            encoder.quoteAsString(h.value(), json);
            json.append("\"]");
        }
        return json.append(']').toString();
    }

    private static List<Header> headers(String json) {
        try {
            List<List<String>> pairs = JSON.readValue(json, PAIRS);
            List<Header> out = new ArrayList<>(pairs.size());
            for (List<String> p : pairs) {
                out.add(new Header(p.get(0), p.get(1)));
            }
            return out;
        } catch (JsonProcessingException e) {
            throw new StoreException("decoding stored headers", e);
        }
    }

    private static void requireLimit(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: >= 0)");
        }
    }
}
