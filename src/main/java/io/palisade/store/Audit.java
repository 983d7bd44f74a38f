package io.palisade.store;

import java.time.Instant;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * One audit entry to append. {@code actor}: who, e.g. {@code "token@127.0.0.1"},
 * {@code "loopback@127.0.0.1 (no token file)"}, or {@code "palisade"} for the gateway itself; {@code action}: e.g.
 * {@code "config.apply"}, {@code "config.rollback"}, {@code "rollout.auto_rollback"}, {@code "config.apply.refused"};
 * {@code detail}: free text. The store keeps {@code at} to the millisecond.
 */
public record Audit(Instant at, String actor, String action, OptionalLong version, String detail) {
    public Audit {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(detail, "detail");
    }
}
