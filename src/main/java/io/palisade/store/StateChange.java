package io.palisade.store;

import java.util.List;
import java.util.Objects;

/** Moves stored version {@code version} to {@code state}; non-empty {@code reasons} replace the version's reasons. */
public record StateChange(long version, VersionState state, List<String> reasons) {
    public StateChange {
        Objects.requireNonNull(state, "state");
        reasons = List.copyOf(reasons);
    }
}
