package io.palisade.store;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * A stored config version. Everything but {@code state} and {@code reasons} is fixed when it is added;
 * {@code createdAt} is what the store kept (milliseconds).
 */
public record StoredVersion(long number, String hash, OptionalLong parent, String author, String message,
                            Instant createdAt, String yaml, VersionState state, List<String> reasons) {
    public StoredVersion {
        Objects.requireNonNull(hash, "hash");
        Objects.requireNonNull(parent, "parent");
        Objects.requireNonNull(author, "author");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(yaml, "yaml");
        Objects.requireNonNull(state, "state");
        reasons = List.copyOf(reasons);
    }
}
