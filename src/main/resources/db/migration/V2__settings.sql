-- Small named values that must survive a restart. Later tables (incidents, ingest records) come as V3, V4...
CREATE TABLE settings (
    name        TEXT   NOT NULL PRIMARY KEY,
    value       TEXT   NOT NULL
);
