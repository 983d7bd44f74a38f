package io.palisade.store;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The durable records of ingest routes: what was accepted (202) and not yet delivered, what was given up on
 * (quarantine), each record's delivery attempts, and the {@code Idempotency-Key} mappings. SQLite in its own file
 * beside the config store by default; the same interface can be implemented on PostgreSQL for gateways that share
 * their ingest state.
 *
 * <p>Every method blocks on JDBC (on a Netty event loop it throws {@link IllegalStateException}). Writes are meant to
 * come from one thread, the ingest journal's group-commit writer, which makes each {@link #append} batch one
 * transaction and so one fsync; reads may come from any other thread at the same time (WAL readers do not wait for
 * the writer). A write that fails throws {@link StoreException} and leaves nothing of its transaction behind; a disk
 * that is full throws {@link StoreFullException}.
 *
 * <pre>{@code
 * try (IngestLog log = IngestLog.sqlite(stateDir.resolve("ingest.db"), IngestLog.Durability.ALWAYS)) {
 *     List<IngestLog.Appended> done = log.append(batch, clock.instant()); // durable when this returns
 *     List<IngestLog.Pending> due = log.due("track", clock.instant(), 64);
 * }
 * }</pre>
 */
public interface IngestLog extends AutoCloseable {
    /** When a committed append is on disk. */
    enum Durability {
        /** Every commit is fsynced before {@link #append} returns (SQLite WAL, {@code synchronous=FULL}). */
        ALWAYS,
        /**
         * Commits reach the operating system before {@link #append} returns, so they survive the process being killed,
         * and reach the disk at the latest at the next {@link #sync()} (SQLite WAL, {@code synchronous=NORMAL}).
         */
        INTERVAL
    }

    /**
     * Opens (creating it and its directory if missing) the SQLite file {@code file} in WAL mode, migrates it
     * ({@code db/ingest}), and recovers what a crash left: SQLite discards a torn or corrupt WAL tail itself; this
     * measures what was cut (reading the WAL before SQLite does) and reports it in {@link #recovery()}.
     *
     * @throws StoreException when the file cannot be created, opened or migrated
     */
    static IngestLog sqlite(Path file, Durability durability) {
        return SqliteIngestLog.open(file, durability);
    }

    /** What opening the log found and did about a crash's leftovers. */
    Recovery recovery();

    /**
     * Appends {@code batch} in one transaction, in order. A record whose idempotency key is mapped, for its route,
     * to a record id whose mapping has not expired at {@code now} is not inserted: its result names that id with
     * {@code duplicate} set (this holds within the batch too). Otherwise the record is inserted as pending, due at
     * once, and its key (if any) mapped to its id until {@link NewRecord#idempotencyExpires()}.
     *
     * @return one result per record, in the batch's order
     * @throws StoreFullException when the disk is full; nothing of the batch is kept
     */
    List<Appended> append(List<NewRecord> batch, Instant now);

    /**
     * Up to {@code limit} pending records of {@code route} whose next attempt is due at or before {@code now}, the
     * earliest due first and, among those due at the same millisecond, in the order they were accepted. A record is
     * due when it is appended, so records that were never tried come in the order they were accepted. (Due order
     * rather than strict acceptance order lets an index answer with {@code limit} rows however long the backlog is.)
     */
    default List<Pending> due(String route, Instant now, int limit) {
        return due(route, now, limit, java.util.Set.of());
    }

    /**
     * As {@link #due(String, Instant, int)}, passing over the records whose ids are in {@code skip} (those the caller
     * holds in flight) without reading their bodies: a forwarder asks again for more while some of its records wait
     * for their results, and must not pay for reading those again.
     */
    List<Pending> due(String route, Instant now, int limit, java.util.Collection<String> skip);

    /** When the earliest pending record of {@code route} is due, if it has any. */
    Optional<Instant> nextDue(String route);

    /**
     * Applies delivery results in one transaction: each attempt is appended to its record's attempts; a delivered
     * record is deleted (its bytes no longer count), a retried one gets its next attempt time, a quarantined one moves
     * to the quarantine with its reason. A result for a record that no longer exists (purged meanwhile) is ignored.
     * Durable when it returns, as an append is ({@link #record(List, boolean) record(results, true)}).
     */
    default void record(List<AttemptResult> results) {
        record(results, true);
    }

    /**
     * As {@link #record(List)}; with {@code flush} false the commit survives the process being killed but reaches the
     * disk only with the next flushed commit (an {@link #append} under {@link Durability#ALWAYS}) or {@link #sync()}
     * (SQLite: that transaction at {@code synchronous=NORMAL}; PostgreSQL: {@code synchronous_commit = off}). The
     * ingest journal commits a group's results this way just before the group's appends, so both share the appends'
     * one fsync. What a power cut could take from such a commit is only redone, never lost: a delivered record
     * comes back pending and is delivered again (the upstream drops it by its {@code Idempotency-Key}), a retry or a
     * quarantine comes back as the attempt before it.
     */
    void record(List<AttemptResult> results, boolean flush);

    /** The quarantined records of {@code route}, oldest quarantine first, at most {@code limit}. */
    List<Quarantined> quarantine(String route, int limit);

    /**
     * One record of {@code route}, pending or quarantined, with its headers, the first {@code excerptBytes} of its
     * body and every attempt; empty when it does not exist (never accepted, delivered, or purged).
     */
    Optional<Detail> find(String route, String id, int excerptBytes);

    /**
     * Moves quarantined records of {@code route} back to pending, due at {@code now}, with their attempts and age
     * counted again from {@code now} (their attempt history is kept). {@code ids} empty with {@code all} set: every
     * quarantined record of the route. Ids that are not quarantined are left alone.
     *
     * @return how many records were moved
     */
    int replay(String route, List<String> ids, boolean all, Instant now);

    /**
     * Deletes quarantined records of {@code route} ({@code ids}, or all of them with {@code all}); pending records
     * are never purged.
     *
     * @return how many records and bytes were deleted
     */
    Removed purge(String route, List<String> ids, boolean all);

    /** Per route that has any record: counts and bytes of pending and quarantined records, and the oldest pending. */
    Map<String, Totals> totals();

    /** Deletes idempotency mappings that expired at {@code now}; returns how many. */
    int pruneIdempotency(Instant now);

    /**
     * Makes every committed write durable on disk (the appends under {@link Durability#INTERVAL}, the results recorded
     * without {@code flush}; nothing to do otherwise). Unlike the
     * other writes it may run on another thread beside the writer (the journal syncs from a thread of its own, so that
     * appends do not wait behind the fsync).
     */
    void sync();

    /**
     * The bytes the database files take on disk now (main file, WAL and its shared-memory index). The main file does
     * not shrink when records are deleted: SQLite reuses the freed pages for new records.
     */
    long fileBytes();

    @Override
    void close();

    /**
     * @param tornBytes bytes of an incomplete or corrupt WAL tail that the crash left and opening cut off (0 after a
     *                  clean stop)
     * @param detail    a line for the log, e.g. {@code "cut 4,120 bytes of a torn WAL tail (1 partial frame)"}, or
     *                  empty
     */
    record Recovery(long tornBytes, String detail) {}

    /**
     * A request to keep.
     *
     * @param bytes              what the record counts against its route's quota and {@code max_disk}: body plus
     *                           method, path, query and stored headers (the caller computes it, so it can reserve the
     *                           space before the write)
     * @param idempotencyExpires until when the key maps to this record (ignored without a key)
     */
    record NewRecord(String id, String route, Instant receivedAt, String method, String path, String query,
                     List<Header> headers, Optional<String> consumer, byte[] body, long bytes,
                     Optional<String> idempotencyKey, Instant idempotencyExpires) {
        public NewRecord {
            headers = List.copyOf(headers);
        }
    }

    /** A header name and value, in the order the client sent them. */
    record Header(String name, String value) {}

    /**
     * @param id        the stored record's id: the new one, or for a duplicate the one its key maps to
     * @param duplicate nothing was inserted: the key was already mapped
     */
    record Appended(String id, boolean duplicate) {}

    /** A pending record with what delivering it needs. */
    record Pending(long seq, String id, String route, Instant receivedAt, String method, String path, String query,
                   List<Header> headers, Optional<String> consumer, byte[] body, long bytes, int attempts,
                   Instant retrySince) {
        public Pending {
            headers = List.copyOf(headers);
        }
    }

    enum Result { DELIVERED, RETRY, QUARANTINE }

    /**
     * One delivery attempt and what it leads to.
     *
     * @param status        the upstream's status, or 0 when there was none (connect failure, timeout)
     * @param error         what went wrong without a status (e.g. {@code "connect refused"}), or empty
     * @param nextAttemptAt for {@link Result#RETRY}: when to try again; ignored otherwise
     * @param reason        for {@link Result#QUARANTINE}: why it was given up on; ignored otherwise
     */
    record AttemptResult(String id, Instant at, int status, String error, Result result, Instant nextAttemptAt,
                         String reason) {}

    record Quarantined(String id, Instant receivedAt, Instant quarantinedAt, int attempts, int lastStatus,
                       String lastError, String reason, long bytes) {}

    record Attempt(Instant at, int status, String error) {}

    /** @param state {@code "pending"} or {@code "quarantined"} */
    record Detail(String id, String route, String state, Instant receivedAt, String method, String path, String query,
                  List<Header> headers, Optional<String> consumer, long bodyBytes, byte[] bodyExcerpt,
                  List<Attempt> attempts, Optional<Instant> nextAttemptAt, String reason) {
        public Detail {
            headers = List.copyOf(headers);
            attempts = List.copyOf(attempts);
        }
    }

    record Removed(int records, long bytes) {}

    /** @param oldestPending when the oldest pending record was accepted, if there is one */
    record Totals(long pending, long pendingBytes, long quarantined, long quarantinedBytes,
                  Optional<Instant> oldestPending) {}
}
