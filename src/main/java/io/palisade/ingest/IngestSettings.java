package io.palisade.ingest;

import io.palisade.config.ConfigNode;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * The top-level {@code ingest:} section: how durable an accepted record is before its 202, the disk budget of all
 * ingest routes together, and how long an {@code Idempotency-Key} keeps returning the same record id.
 *
 * <pre>{@code
 * ingest:
 *   fsync: always            # or an interval such as 100ms
 *   max_disk: 2GiB
 *   idempotency_window: 24h
 * }</pre>
 *
 * @param fsyncInterval empty for {@code fsync: always} (a 202 only once the record is fsynced, concurrent writers
 *                      sharing one fsync); an interval: a 202 once the record reached the operating system (it
 *                      survives the gateway being killed), fsynced within the interval (a power loss may take the
 *                      last interval's records)
 * @param maxDisk       bytes of live records (pending and quarantined) all ingest routes may keep on this node
 */
public record IngestSettings(Optional<Duration> fsyncInterval, long maxDisk, Duration idempotencyWindow) {
    public static final IngestSettings DEFAULTS = new IngestSettings(Optional.empty(), 1024L * 1024 * 1024,
            Duration.ofHours(24));
    /** An interval longer than this would leave a power loss room to take more than anyone means by "interval". */
    static final Duration MAX_FSYNC_INTERVAL = Duration.ofSeconds(10);
    static final Duration MAX_IDEMPOTENCY_WINDOW = Duration.ofDays(7);

    /** Reads {@code ingest:}; defaults when absent. Problems go to the node's error list. */
    public static IngestSettings read(ConfigNode node) {
        if (!node.expectObject()) {
            return DEFAULTS;
        }
        node.rejectUnknown(Set.of("fsync", "max_disk", "idempotency_window"));
        ConfigNode fsyncNode = node.get("fsync");
        Optional<Duration> interval = Optional.empty();
        Optional<String> fsync = fsyncNode.optString();
        if (fsync.isPresent() && !fsync.get().equals("always")) {
            interval = ConfigNode.parseDuration(fsync.get())
                    .filter(d -> !d.isNegative() && !d.isZero() && d.compareTo(MAX_FSYNC_INTERVAL) <= 0);
            if (interval.isEmpty()) {
                fsyncNode.invalid("always, or an interval such as 100ms (above 0, at most "
                        + ConfigNode.format(MAX_FSYNC_INTERVAL) + ")");
            }
        }
        long maxDisk = node.get("max_disk").size(DEFAULTS.maxDisk(), 1024 * 1024, Long.MAX_VALUE);
        Duration window = node.get("idempotency_window").duration(DEFAULTS.idempotencyWindow(),
                MAX_IDEMPOTENCY_WINDOW);
        return new IngestSettings(interval, maxDisk, window);
    }
}
