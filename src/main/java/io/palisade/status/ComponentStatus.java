package io.palisade.status;

import java.util.Locale;
import java.util.Optional;

/**
 * A component's status with Statuspage's names, ordered from best to worst: the status a page shows for a component
 * is the worst any open incident or maintenance gives it.
 */
public enum ComponentStatus {
    OPERATIONAL("Operational"),
    UNDER_MAINTENANCE("Under Maintenance"),
    DEGRADED_PERFORMANCE("Degraded Performance"),
    PARTIAL_OUTAGE("Partial Outage"),
    MAJOR_OUTAGE("Major Outage");

    private final String label;

    ComponentStatus(String label) {
        this.label = label;
    }

    /** The name in Statuspage's JSON: {@code degraded_performance}. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** What a person reads on the page: {@code Degraded Performance}. */
    public String label() {
        return label;
    }

    public boolean worseThan(ComponentStatus other) {
        return compareTo(other) > 0;
    }

    public static ComponentStatus worst(ComponentStatus a, ComponentStatus b) {
        return a.worseThan(b) ? a : b;
    }

    /** The impact an incident has when this is the worst it does to a component (Statuspage derives it so). */
    public Impact impact() {
        return switch (this) {
            case OPERATIONAL, UNDER_MAINTENANCE -> Impact.NONE;
            case DEGRADED_PERFORMANCE -> Impact.MINOR;
            case PARTIAL_OUTAGE -> Impact.MAJOR;
            case MAJOR_OUTAGE -> Impact.CRITICAL;
        };
    }

    public static Optional<ComponentStatus> fromWire(String s) {
        for (ComponentStatus c : values()) {
            if (c.wire().equals(s)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }
}
