package io.palisade.release;

import io.palisade.store.StoredVersion;

/** One version that can serve: what the store says of it, its parsed config, its prepared candidate. */
record Serving<P, C>(StoredVersion version, P parsed, C candidate) {
    long number() {
        return version.number();
    }

    Serving<P, C> with(StoredVersion changed) {
        return new Serving<>(changed, parsed, candidate);
    }
}
