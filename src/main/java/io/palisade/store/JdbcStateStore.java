package io.palisade.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Supplier;
import org.flywaydb.core.api.FlywayException;

/**
 * {@link StateStore} on JDBC, the same SQL for SQLite and PostgreSQL. Numbers and audit ids are max+1 inside the
 * inserting transaction, under the tables' primary keys: SQLite's writers queue for its one write lock
 * (BEGIN IMMEDIATE), and on PostgreSQL the writer that loses a race gets a unique violation and runs again.
 * The only UPDATE there is touches {@code state} and {@code reasons}: versions are otherwise immutable.
 */
final class JdbcStateStore implements StateStore {
    /** Each conflict is another writer's commit, so this bounds only a writer that loses that many in a row. */
    private static final int MAX_ATTEMPTS = 50;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};
    private static final String VERSION_COLUMNS =
            "number, hash, parent, author, message, created_ms, yaml, state, reasons";
    private static final String AUDIT_COLUMNS = "id, at_ms, actor, action, version, detail";

    private final Engine engine;
    private final HikariDataSource pool;

    private JdbcStateStore(Engine engine, HikariDataSource pool) {
        this.engine = engine;
        this.pool = pool;
    }

    /** Opens the engine {@code opening} gives (it may create files, so it runs after the event-loop check). */
    static StateStore open(Supplier<Engine> opening) {
        EventLoopGuard.check();
        Engine engine = opening.get();
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(engine.pool());
        } catch (RuntimeException e) {
            throw new StoreException("opening " + engine.description(), e);
        }
        try {
            Migrations.migrate(pool, Migrations.STATE);
        } catch (FlywayException e) {
            pool.close();
            throw new StoreException("migrating " + engine.description(), e);
        }
        return new JdbcStateStore(engine, pool);
    }

    @Override
    public StoredVersion addVersion(NewVersion v, Audit audit) {
        Objects.requireNonNull(v, "version");
        Objects.requireNonNull(audit, "audit");
        Instant createdAt = Instant.ofEpochMilli(v.createdAt().toEpochMilli());
        String reasons = json(v.reasons());
        return write("adding a config version", c -> {
            long number = next(c, "SELECT COALESCE(MAX(number), 0) + 1 FROM config_versions");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO config_versions (" + VERSION_COLUMNS
                    + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                ps.setLong(1, number);
                ps.setString(2, v.hash());
                setOptional(ps, 3, v.parent());
                ps.setString(4, v.author());
                ps.setString(5, v.message());
                ps.setLong(6, createdAt.toEpochMilli());
                ps.setString(7, v.yaml());
                ps.setString(8, v.state().label());
                ps.setString(9, reasons);
                ps.executeUpdate();
            }
            insertAudit(c, audit.version().isPresent() ? audit
                    : new Audit(audit.at(), audit.actor(), audit.action(), OptionalLong.of(number), audit.detail()));
            return new StoredVersion(number, v.hash(), v.parent(), v.author(), v.message(), createdAt, v.yaml(),
                    v.state(), v.reasons());
        });
    }

    @Override
    public Optional<StoredVersion> version(long number) {
        return read("reading config version " + number, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT " + VERSION_COLUMNS + " FROM config_versions WHERE number = ?")) {
                ps.setLong(1, number);
                return versions(ps).stream().findFirst();
            }
        });
    }

    @Override
    public List<StoredVersion> versions(int limit) {
        requireLimit(limit);
        return read("listing config versions", c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT " + VERSION_COLUMNS + " FROM config_versions ORDER BY number DESC LIMIT ?")) {
                ps.setInt(1, limit);
                return versions(ps);
            }
        });
    }

    @Override
    public Optional<StoredVersion> newestIn(VersionState state) {
        Objects.requireNonNull(state, "state");
        return read("finding the newest " + state.label() + " config version", c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + VERSION_COLUMNS
                    + " FROM config_versions WHERE state = ? ORDER BY number DESC LIMIT 1")) {
                ps.setString(1, state.label());
                return versions(ps).stream().findFirst();
            }
        });
    }

    @Override
    public void setStates(List<StateChange> changes, Audit audit) {
        List<StateChange> all = List.copyOf(changes);
        Objects.requireNonNull(audit, "audit");
        write("setting config version states", c -> {
            try (PreparedStatement stateOnly = c.prepareStatement(
                    "UPDATE config_versions SET state = ? WHERE number = ?");
                 PreparedStatement withReasons = c.prepareStatement(
                         "UPDATE config_versions SET state = ?, reasons = ? WHERE number = ?")) {
                for (StateChange change : all) {
                    PreparedStatement ps = change.reasons().isEmpty() ? stateOnly : withReasons;
                    int i = 1;
                    ps.setString(i++, change.state().label());
                    if (ps == withReasons) {
                        ps.setString(i++, json(change.reasons()));
                    }
                    ps.setLong(i, change.version());
                    if (ps.executeUpdate() == 0) {
                        throw new StoreException("setting config version states: no config version "
                                + change.version() + " (nothing was changed)");
                    }
                }
            }
            insertAudit(c, audit);
            return null;
        });
    }

    @Override
    public void audit(Audit entry) {
        Objects.requireNonNull(entry, "entry");
        write("appending an audit entry", c -> {
            insertAudit(c, entry);
            return null;
        });
    }

    @Override
    public List<AuditRecord> auditSince(Instant since, int limit) {
        requireLimit(limit);
        // Rows keep milliseconds: one stored at since's millisecond but before since itself is not "at or after".
        long fromMs = since.toEpochMilli() + (since.getNano() % 1_000_000 == 0 ? 0 : 1);
        return read("reading the audit log", c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + AUDIT_COLUMNS
                    + " FROM audit_log WHERE at_ms >= ? ORDER BY at_ms, id LIMIT ?")) {
                ps.setLong(1, fromMs);
                ps.setInt(2, limit);
                List<AuditRecord> rows = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.add(new AuditRecord(rs.getLong("id"), Instant.ofEpochMilli(rs.getLong("at_ms")),
                                rs.getString("actor"), rs.getString("action"), optionalLong(rs, "version"),
                                rs.getString("detail")));
                    }
                }
                return rows;
            }
        });
    }

    @Override
    public Optional<String> setting(String key) {
        Objects.requireNonNull(key, "key");
        return read("reading setting " + key, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT value FROM settings WHERE name = ?")) {
                ps.setString(1, key);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public void putSetting(String key, String value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        write("writing setting " + key, c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO settings (name, value) VALUES (?, ?)"
                    + " ON CONFLICT (name) DO UPDATE SET value = excluded.value")) {
                ps.setString(1, key);
                ps.setString(2, value);
                ps.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public void saveSloBuckets(List<SloBucket> buckets, List<SloBucketRange> expired) {
        List<SloBucket> rows = List.copyOf(buckets);
        List<SloBucketRange> ranges = List.copyOf(expired);
        if (rows.isEmpty() && ranges.isEmpty()) {
            return;
        }
        write("saving SLO counters", c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO slo_buckets"
                    + " (node, slo, width_ms, start_ms, good, total) VALUES (?, ?, ?, ?, ?, ?)"
                    + " ON CONFLICT (node, slo, width_ms, start_ms)"
                    + " DO UPDATE SET good = excluded.good, total = excluded.total")) {
                for (SloBucket b : rows) {
                    ps.setString(1, b.node());
                    ps.setString(2, b.slo());
                    ps.setLong(3, b.widthMillis());
                    ps.setLong(4, b.startMillis());
                    ps.setLong(5, b.good());
                    ps.setLong(6, b.total());
                    ps.addBatch();
                }
                if (!rows.isEmpty()) {
                    ps.executeBatch();
                }
            }
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM slo_buckets"
                    + " WHERE node = ? AND slo = ? AND width_ms = ? AND start_ms < ?")) {
                for (SloBucketRange r : ranges) {
                    ps.setString(1, r.node());
                    ps.setString(2, r.slo());
                    ps.setLong(3, r.widthMillis());
                    ps.setLong(4, r.beforeMillis());
                    ps.addBatch();
                }
                if (!ranges.isEmpty()) {
                    ps.executeBatch();
                }
            }
            return null;
        });
    }

    @Override
    public List<SloBucket> sloBuckets(String node, String slo) {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(slo, "slo");
        return read("reading the counters of SLO " + slo, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT width_ms, start_ms, good, total FROM slo_buckets"
                    + " WHERE node = ? AND slo = ? ORDER BY start_ms, width_ms")) {
                ps.setString(1, node);
                ps.setString(2, slo);
                List<SloBucket> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new SloBucket(node, slo, rs.getLong(1), rs.getLong(2), rs.getLong(3),
                                rs.getLong(4)));
                    }
                }
                return out;
            }
        });
    }

    @Override
    public List<StoredDocument> incidents() {
        return documents("incidents");
    }

    @Override
    public void saveIncident(StoredDocument incident) {
        saveDocument("incidents", incident);
    }

    @Override
    public List<StoredDocument> maintenances() {
        return documents("maintenances");
    }

    @Override
    public void saveMaintenance(StoredDocument maintenance) {
        saveDocument("maintenances", maintenance);
    }

    /** {@code table} is one of ours, never input: the two tables have the same columns. */
    private List<StoredDocument> documents(String table) {
        return read("reading " + table, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT id, status, updated_ms, body FROM " + table);
                 ResultSet rs = ps.executeQuery()) {
                List<StoredDocument> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new StoredDocument(rs.getString(1), rs.getString(2), Instant.ofEpochMilli(rs.getLong(3)),
                            rs.getString(4)));
                }
                return out;
            }
        });
    }

    private void saveDocument(String table, StoredDocument d) {
        Objects.requireNonNull(d, "document");
        write("saving " + d.id() + " in " + table, c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table
                    + " (id, status, updated_ms, body) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE"
                    + " SET status = excluded.status, updated_ms = excluded.updated_ms, body = excluded.body")) {
                ps.setString(1, d.id());
                ps.setString(2, d.status());
                ps.setLong(3, d.updatedAt().toEpochMilli());
                ps.setString(4, d.json());
                ps.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public void enqueueWebhooks(List<OutboxMessage> messages) {
        List<OutboxMessage> rows = List.copyOf(messages);
        if (rows.isEmpty()) {
            return;
        }
        write("enqueueing webhooks", c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO webhook_outbox (id, subscriber, body,"
                    + " created_ms, attempts, next_ms, state, last_error) VALUES (?, ?, ?, ?, ?, ?, 'pending', '')")) {
                for (OutboxMessage m : rows) {
                    ps.setString(1, m.id());
                    ps.setString(2, m.subscriber());
                    ps.setString(3, m.body());
                    ps.setLong(4, m.createdAt().toEpochMilli());
                    ps.setInt(5, m.attempts());
                    ps.setLong(6, m.nextAttempt().toEpochMilli());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    @Override
    public List<OutboxMessage> dueWebhooks(Instant now, int limit) {
        requireLimit(limit);
        return read("reading due webhooks", c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT id, subscriber, body, created_ms, attempts, next_ms"
                    + " FROM webhook_outbox WHERE state = 'pending' AND next_ms <= ?"
                    + " AND subscriber NOT IN (SELECT subscriber FROM webhook_disabled)"
                    + " ORDER BY next_ms, created_ms, id LIMIT ?")) {
                ps.setLong(1, now.toEpochMilli());
                ps.setInt(2, limit);
                List<OutboxMessage> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new OutboxMessage(rs.getString(1), rs.getString(2), rs.getString(3),
                                Instant.ofEpochMilli(rs.getLong(4)), rs.getInt(5), Instant.ofEpochMilli(rs.getLong(6))));
                    }
                }
                return out;
            }
        });
    }

    @Override
    public void webhookDelivered(String id, Instant at) {
        updateWebhook("marking webhook " + id + " delivered",
                "UPDATE webhook_outbox SET state = 'delivered', attempts = attempts + 1, next_ms = ? WHERE id = ?",
                ps -> {
                    ps.setLong(1, at.toEpochMilli());
                    ps.setString(2, id);
                });
    }

    @Override
    public void retryWebhookAt(String id, int attempts, Instant next, String error) {
        updateWebhook("retrying webhook " + id,
                "UPDATE webhook_outbox SET attempts = ?, next_ms = ?, last_error = ? WHERE id = ?", ps -> {
                    ps.setInt(1, attempts);
                    ps.setLong(2, next.toEpochMilli());
                    ps.setString(3, error);
                    ps.setString(4, id);
                });
    }

    @Override
    public void webhookFailed(String id, int attempts, String error) {
        updateWebhook("giving up webhook " + id,
                "UPDATE webhook_outbox SET state = 'failed', attempts = ?, last_error = ? WHERE id = ?", ps -> {
                    ps.setInt(1, attempts);
                    ps.setString(2, error);
                    ps.setString(3, id);
                });
    }

    @Override
    public int pruneWebhooks(Instant before) {
        return write("pruning the webhook outbox", c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM webhook_outbox WHERE state <> 'pending' AND created_ms < ?")) {
                ps.setLong(1, before.toEpochMilli());
                return ps.executeUpdate();
            }
        });
    }

    @Override
    public void disableWebhookSubscriber(String subscriber, Instant at, String reason) {
        updateWebhook("disabling webhook subscriber " + subscriber, "INSERT INTO webhook_disabled"
                + " (subscriber, at_ms, reason) VALUES (?, ?, ?) ON CONFLICT (subscriber) DO NOTHING", ps -> {
                    ps.setString(1, subscriber);
                    ps.setLong(2, at.toEpochMilli());
                    ps.setString(3, reason);
                });
    }

    @Override
    public Set<String> disabledWebhookSubscribers() {
        return read("reading disabled webhook subscribers", c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT subscriber FROM webhook_disabled");
                 ResultSet rs = ps.executeQuery()) {
                Set<String> out = new LinkedHashSet<>();
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
                return out;
            }
        });
    }

    @FunctionalInterface
    private interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private void updateWebhook(String what, String sql, Binder binder) {
        write(what, c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                binder.bind(ps);
                ps.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public void close() {
        EventLoopGuard.check();
        pool.close();
    }

    @Override
    public String toString() {
        return "StateStore(" + engine.description() + ")";
    }

    @FunctionalInterface
    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T read(String what, Work<T> work) {
        EventLoopGuard.check();
        try (Connection c = connection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new StoreException(what + " (" + engine.description() + ")", e);
        }
    }

    /** Runs {@code work} in one transaction, again from the start when another writer committed first. */
    private <T> T write(String what, Work<T> work) {
        EventLoopGuard.check();
        for (int attempt = 1; ; attempt++) {
            try (Connection c = connection()) {
                c.setAutoCommit(false);
                try {
                    T result = work.run(c);
                    c.commit();
                    return result;
                } catch (SQLException | RuntimeException e) {
                    try {
                        c.rollback();
                    } catch (SQLException r) {
                        e.addSuppressed(r);
                    }
                    throw e;
                }
            } catch (SQLException e) {
                if (attempt < MAX_ATTEMPTS && engine.isConflict(e)) {
                    continue;
                }
                throw new StoreException(what + " (" + engine.description() + ")", e);
            }
        }
    }

    private Connection connection() throws SQLException {
        if (pool.isClosed()) {
            throw new IllegalStateException("the state store (" + engine.description() + ") is closed");
        }
        return pool.getConnection();
    }

    private static void insertAudit(Connection c, Audit a) throws SQLException {
        long id = next(c, "SELECT COALESCE(MAX(id), 0) + 1 FROM audit_log");
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO audit_log (" + AUDIT_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?)")) {
            ps.setLong(1, id);
            ps.setLong(2, a.at().toEpochMilli());
            ps.setString(3, a.actor());
            ps.setString(4, a.action());
            setOptional(ps, 5, a.version());
            ps.setString(6, a.detail());
            ps.executeUpdate();
        }
    }

    private static long next(Connection c, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static List<StoredVersion> versions(PreparedStatement ps) throws SQLException {
        List<StoredVersion> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                long number = rs.getLong("number");
                out.add(new StoredVersion(number, rs.getString("hash"), optionalLong(rs, "parent"),
                        rs.getString("author"), rs.getString("message"),
                        Instant.ofEpochMilli(rs.getLong("created_ms")), rs.getString("yaml"),
                        VersionState.ofLabel(rs.getString("state")), reasons(number, rs.getString("reasons"))));
            }
        }
        return out;
    }

    private static OptionalLong optionalLong(ResultSet rs, String column) throws SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(value);
    }

    private static void setOptional(PreparedStatement ps, int index, OptionalLong value) throws SQLException {
        if (value.isPresent()) {
            ps.setLong(index, value.getAsLong());
        } else {
            ps.setNull(index, Types.BIGINT);
        }
    }

    private static String json(List<String> reasons) {
        try {
            return JSON.writeValueAsString(reasons);
        } catch (JsonProcessingException e) {
            throw new StoreException("encoding reasons " + reasons, e);
        }
    }

    private static List<String> reasons(long version, String json) {
        try {
            return JSON.readValue(json, STRINGS);
        } catch (JsonProcessingException e) {
            throw new StoreException("reading the reasons of config version " + version, e);
        }
    }

    private static void requireLimit(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: >= 0)");
        }
    }
}
