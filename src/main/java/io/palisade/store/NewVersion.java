package io.palisade.store;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * A config version to store; {@link StateStore#addVersion} numbers it. {@code parent} must name a stored version when
 * present. The store keeps {@code createdAt} to the millisecond.
 */
public record NewVersion(String hash, OptionalLong parent, String author, String message, Instant createdAt,
                         String yaml, VersionState state, List<String> reasons) {
    public NewVersion {
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
