-- The ingest log (store.SqliteIngestLog): SQLite only, in its own file (STATE_DIR/ingest.db) beside the config store,
-- so its write volume never queues config writes and its fsyncs never wait behind theirs. A PostgreSQL implementation
-- of IngestLog brings its own migrations. Instants are epoch milliseconds, as in the config store.

-- One row per accepted request that is not delivered yet: pending (to be delivered, due at next_attempt_at) or
-- quarantined (given up on, kept for an operator). A delivered record is deleted with its attempts, so the bytes of
-- the rows here are the live bytes that quotas count, and SQLite reuses the pages it frees.
CREATE TABLE records (
    -- AUTOINCREMENT: a seq is never reused, even after the newest record was delivered and deleted, so it orders
    -- records by acceptance across the table's whole life.
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT    NOT NULL UNIQUE,
    route            TEXT    NOT NULL,
    -- 'pending' | 'quarantined'
    state            TEXT    NOT NULL,
    received_at      INTEGER NOT NULL,
    -- Age for the give-up rule counts from here: received_at, or the last replay.
    retry_since      INTEGER NOT NULL,
    method           TEXT    NOT NULL,
    path             TEXT    NOT NULL,
    query            TEXT    NOT NULL,
    -- A JSON array of [name, value] pairs, in the client's order.
    headers          TEXT    NOT NULL,
    consumer         TEXT,
    -- Zero bytes is a valid body (empty_body: accept): X'' here, never NULL.
    body             BLOB    NOT NULL,
    -- What the record counts against quotas (body plus head), as the gateway computed it when accepting.
    bytes            INTEGER NOT NULL,
    -- Attempts since retry_since (a replay starts again from 0; the attempts table keeps the whole history).
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    -- The last attempt's status (0: none, or no answer) and error.
    last_status      INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT    NOT NULL DEFAULT '',
    -- Why it was quarantined, and when; NULL while pending.
    reason           TEXT,
    quarantined_at   INTEGER
);

-- due(): the range (route, 'pending', next_attempt_at <= now) in index order; nextDue(): its first entry. received_at
-- and bytes make it cover totals() too, which then never reads the table's pages (which hold the bodies).
CREATE INDEX records_due ON records (route, state, next_attempt_at, seq, received_at, bytes);

-- quarantine(): only quarantined rows are in it, so accepting a record costs it nothing.
CREATE INDEX records_quarantine ON records (route, quarantined_at, seq) WHERE state = 'quarantined';

-- Every delivery attempt of a record that still exists; deleted with it.
CREATE TABLE attempts (
    record_id  TEXT    NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    -- 0: no status (connect failure, timeout)
    status     INTEGER NOT NULL,
    error      TEXT    NOT NULL
);

CREATE INDEX attempts_by_record ON attempts (record_id, at);

-- Idempotency-Key -> the record it was first accepted as, until expires_at; outlives the record's delivery (a retried
-- request still gets the same id), and pruneIdempotency deletes what expired.
CREATE TABLE idempotency (
    route       TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    record_id   TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (route, key)
) WITHOUT ROWID;

CREATE INDEX idempotency_by_expiry ON idempotency (expires_at);

-- One row: a sync that could not checkpoint the whole WAL (a reader on an older snapshot) bumps it in a
-- synchronous=FULL commit, whose fsync of the WAL makes every earlier commit durable.
CREATE TABLE sync_marker (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    n   INTEGER NOT NULL
);

INSERT INTO sync_marker (id, n) VALUES (1, 0);
