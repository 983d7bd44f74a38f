package io.palisade.store;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The gateway's durable state: config versions, the audit log, a few named settings, the SLO engine's counters, the
 * status page's incidents and maintenances and the webhook outbox, in SQLite on local disk or
 * in a PostgreSQL database that several gateways share. Both run the same migrations ({@code db/migration}).
 *
 * <p>Every method blocks on JDBC, so call it from a thread of your own (the gateway's control thread): called on a
 * Netty event loop it throws {@link IllegalStateException}. Database failures throw {@link StoreException}, and the
 * transaction they were part of leaves nothing behind. Instants are kept to the millisecond.
 *
 * <pre>{@code
 * try (StateStore store = StateStore.embedded(stateDir)) {
 *     StoredVersion v = store.addVersion(new NewVersion(hash, OptionalLong.empty(), "ops", "first", now, yaml,
 *             VersionState.ACTIVE, List.of()), new Audit(now, actor, "config.apply", OptionalLong.empty(), ""));
 *     store.newestIn(VersionState.ACTIVE); // v
 * }
 * }</pre>
 */
public interface StateStore extends AutoCloseable {
    /**
     * Opens (creating {@code dir} if missing) {@code dir/palisade.db}: SQLite in WAL mode with synchronous=FULL, so a
     * write that returned survives a crash of the process or the machine; migrates it.
     */
    static StateStore embedded(Path dir) {
        return JdbcStateStore.open(() -> Engine.sqlite(dir));
    }

    /** Opens a PostgreSQL database by JDBC URL ({@code jdbc:postgresql://host:port/db}); migrates it. */
    static StateStore postgres(String jdbcUrl, String user, String password) {
        return JdbcStateStore.open(() -> Engine.postgres(jdbcUrl, user, password));
    }

    /**
     * Stores a new version numbered max+1 (1 on an empty store) and writes {@code audit} in the same transaction; an
     * audit without a version names the new one. Numbers stay unique and consecutive with several writers at once,
     * in this process or (PostgreSQL) in other gateways.
     */
    StoredVersion addVersion(NewVersion version, Audit audit);

    Optional<StoredVersion> version(long number);

    /** Newest first, at most {@code limit}. */
    List<StoredVersion> versions(int limit);

    /** The newest version in that state, e.g. the active one. */
    Optional<StoredVersion> newestIn(VersionState state);

    /**
     * Applies all changes (state and, when non-empty, reasons) and writes {@code audit}, in one transaction: a change
     * naming no stored version throws {@link StoreException} and nothing, the audit row included, is written.
     */
    void setStates(List<StateChange> changes, Audit audit);

    /** Appends one audit row on its own. */
    void audit(Audit entry);

    /** Rows at or after {@code since}, oldest first, at most {@code limit}. */
    List<AuditRecord> auditSince(Instant since, int limit);

    /** A small named value that must survive a restart (e.g. which version was active before the current one). */
    Optional<String> setting(String key);

    /** Sets (or replaces) a named value. */
    void putSetting(String key, String value);

    /**
     * Saves SLO counters in one transaction: each bucket's counts replace what was stored for it, and every bucket in
     * {@code expired} is deleted. The SLO engine calls it every few seconds from its own thread.
     */
    void saveSloBuckets(List<SloBucket> buckets, List<SloBucketRange> expired);

    /** The stored buckets of {@code node}'s SLO {@code slo}, every width, oldest first. */
    List<SloBucket> sloBuckets(String node, String slo);

    /** Every stored incident, in no particular order. */
    List<StoredDocument> incidents();

    /** Inserts the incident or replaces the one with its id. */
    void saveIncident(StoredDocument incident);

    /** Every stored maintenance, in no particular order. */
    List<StoredDocument> maintenances();

    /** Inserts the maintenance or replaces the one with its id. */
    void saveMaintenance(StoredDocument maintenance);

    /** Adds webhook messages to the outbox, pending and due at their {@code nextAttempt}, in one transaction. */
    void enqueueWebhooks(List<OutboxMessage> messages);

    /**
     * Pending messages due at {@code now}, oldest first, at most {@code limit}; none of a disabled subscriber's.
     */
    List<OutboxMessage> dueWebhooks(Instant now, int limit);

    /** Marks a message delivered: it is never sent again. */
    void webhookDelivered(String id, Instant at);

    /** Counts a failed attempt and makes the message due again at {@code next}. */
    void retryWebhookAt(String id, int attempts, Instant next, String error);

    /** Gives up on a message: it is never sent again, and {@code error} says why. */
    void webhookFailed(String id, int attempts, String error);

    /**
     * Deletes delivered and given-up messages created before {@code before}; pending ones stay whatever their age.
     * Returns how many went.
     */
    int pruneWebhooks(Instant before);

    /** Stops every message to {@code subscriber}, now and after a restart (it answered 410 Gone). */
    void disableWebhookSubscriber(String subscriber, Instant at, String reason);

    /** The subscribers {@link #disableWebhookSubscriber} stopped. */
    Set<String> disabledWebhookSubscribers();

    /** Closes the connection pool; the store answers nothing afterwards. */
    @Override
    void close();
}
