package io.palisade.store;

import java.time.Instant;
import java.util.Objects;

/**
 * One incident or maintenance of the status page as the store keeps it: its id, its status and last change (columns a
 * person can read and query), and the whole of it as JSON text the gateway writes and reads.
 */
public record StoredDocument(String id, String status, Instant updatedAt, String json) {
    public StoredDocument {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(updatedAt, "updatedAt");
        Objects.requireNonNull(json, "json");
    }
}
