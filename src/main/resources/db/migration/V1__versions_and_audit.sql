-- Runs unchanged on SQLite and PostgreSQL: BIGINT and TEXT columns, plain indexes, no identity columns or
-- engine-specific defaults (the store gives numbers and ids itself, inside the inserting transaction).
-- Instants are epoch milliseconds in BIGINT: numbers compare, sort and index alike on both engines, where ISO-8601
-- text would sort right only at a fixed width and under a collation both agree on.

-- Config versions: only state and reasons change after the insert.
CREATE TABLE config_versions (
    number      BIGINT NOT NULL PRIMARY KEY,
    hash        TEXT   NOT NULL,
    parent      BIGINT REFERENCES config_versions (number),
    author      TEXT   NOT NULL,
    message     TEXT   NOT NULL,
    created_ms  BIGINT NOT NULL,
    yaml        TEXT   NOT NULL,
    -- VersionState.label(). No CHECK on the values: a new state then needs no table rebuild on SQLite.
    state       TEXT   NOT NULL,
    -- A JSON array of strings: read and written only with its version, so no child table.
    reasons     TEXT   NOT NULL
);

CREATE INDEX config_versions_by_state ON config_versions (state, number);

-- Append-only. version is not a foreign key: the log records what happened, also to a version never stored.
CREATE TABLE audit_log (
    id          BIGINT NOT NULL PRIMARY KEY,
    at_ms       BIGINT NOT NULL,
    actor       TEXT   NOT NULL,
    action      TEXT   NOT NULL,
    version     BIGINT,
    detail      TEXT   NOT NULL
);

CREATE INDEX audit_log_by_time ON audit_log (at_ms, id);
