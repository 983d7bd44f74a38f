-- The counters of the SLO engine (io.palisade.slo), so burn-rate windows, error budgets and the 90-day uptime
-- history survive a restart. Same SQL on SQLite and PostgreSQL, like V1.
--
-- One row per bucket: the good and total requests of one SLO over [start_ms, start_ms + width_ms). An SLO keeps
-- buckets of three widths: 1/43200 of its window (the short burn windows), 1/720 of it (the long windows and the
-- error budget), and one day (the uptime history). node names the gateway that counted them: gateways sharing a
-- PostgreSQL database each keep and reload their own counts, and never overwrite one another's.
-- The engine replaces a bucket's counts whole (its own figures are the truth) and deletes buckets past their use.
CREATE TABLE slo_buckets (
    node        TEXT   NOT NULL,
    slo         TEXT   NOT NULL,
    width_ms    BIGINT NOT NULL,
    start_ms    BIGINT NOT NULL,
    good        BIGINT NOT NULL,
    total       BIGINT NOT NULL,
    PRIMARY KEY (node, slo, width_ms, start_ms)
);
