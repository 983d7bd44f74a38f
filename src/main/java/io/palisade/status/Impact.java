package io.palisade.status;

import java.util.Locale;
import java.util.Optional;

/** How bad an incident is, with Statuspage's names, ordered from least to worst. */
public enum Impact {
    NONE,
    MINOR,
    MAJOR,
    CRITICAL;

    /** The name in Statuspage's JSON: {@code minor}. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Impact worst(Impact a, Impact b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    public static Optional<Impact> fromWire(String s) {
        for (Impact i : values()) {
            if (i.wire().equals(s)) {
                return Optional.of(i);
            }
        }
        return Optional.empty();
    }
}
