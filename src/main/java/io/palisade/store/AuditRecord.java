package io.palisade.store;

import java.time.Instant;
import java.util.Objects;
import java.util.OptionalLong;

/** A stored audit row: an {@link Audit} with the id the store gave it ({@code at} in milliseconds). */
public record AuditRecord(long id, Instant at, String actor, String action, OptionalLong version, String detail) {
    public AuditRecord {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(detail, "detail");
    }
}
