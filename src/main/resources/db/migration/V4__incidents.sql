-- The status page's incidents and maintenances (io.palisade.status), so they, every update and who made it survive a
-- restart. Same SQL on SQLite and PostgreSQL, like V1.
--
-- The book saves each incident or maintenance whole on every change, so each is one row holding its JSON (written
-- and read by the gateway; the store keeps text and knows nothing of its shape). status and updated_ms repeat what
-- the JSON says, for a person reading the table and for queries that need not parse it.
CREATE TABLE incidents (
    id          TEXT   NOT NULL PRIMARY KEY,
    status      TEXT   NOT NULL,
    updated_ms  BIGINT NOT NULL,
    body        TEXT   NOT NULL
);

CREATE TABLE maintenances (
    id          TEXT   NOT NULL PRIMARY KEY,
    status      TEXT   NOT NULL,
    updated_ms  BIGINT NOT NULL,
    body        TEXT   NOT NULL
);
