-- The durable outbox of status webhooks (io.palisade.notify), so a message enqueued before a crash or restart is
-- still delivered after it. Same SQL on SQLite and PostgreSQL, like V1.
--
-- One row per message per subscriber (its URL). state is pending (next_ms says when it is due), delivered or failed
-- (given up). A subscriber that answered 410 Gone is in webhook_disabled and none of its messages is sent again.
CREATE TABLE webhook_outbox (
    id           TEXT    NOT NULL PRIMARY KEY,
    subscriber   TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    created_ms   BIGINT  NOT NULL,
    attempts     INTEGER NOT NULL,
    next_ms      BIGINT  NOT NULL,
    state        TEXT    NOT NULL,
    last_error   TEXT    NOT NULL
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (state, next_ms);

CREATE TABLE webhook_disabled (
    subscriber   TEXT    NOT NULL PRIMARY KEY,
    at_ms        BIGINT  NOT NULL,
    reason       TEXT    NOT NULL
);
