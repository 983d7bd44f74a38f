package io.palisade.store;

import java.util.Locale;

/** Where a stored config version stands. {@link #label()} is how the JSON API and the table spell it. */
public enum VersionState {
    ACTIVE, CANARY, SUPERSEDED, ROLLED_BACK, REJECTED;

    private final String label = name().toLowerCase(Locale.ROOT);

    /** {@code "active"}, {@code "canary"}, {@code "superseded"}, {@code "rolled_back"} or {@code "rejected"}. */
    public String label() {
        return label;
    }

    /** The state spelled {@code s} as {@link #label()} does; IllegalArgumentException naming it otherwise. */
    public static VersionState ofLabel(String s) {
        for (VersionState state : values()) {
            if (state.label.equals(s)) {
                return state;
            }
        }
        throw new IllegalArgumentException("unknown version state: " + s
                + " (expected one of active, canary, superseded, rolled_back, rejected)");
    }
}
