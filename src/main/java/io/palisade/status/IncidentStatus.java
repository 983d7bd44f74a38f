package io.palisade.status;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * An incident's status with Statuspage's names, and the state machine over them. An open incident
 * ({@code investigating}, {@code identified}, {@code monitoring}) may move between the open states in any direction
 * (a cause turns out wrong, a fix does not hold: {@code monitoring} back to {@code investigating} is how a flapping
 * fault continues the same incident) and may stay where it is (an update that only adds a message). Once
 * {@code resolved} it only takes a {@code postmortem}, which may be replaced; a fault after that is a new incident.
 *
 * <pre>
 * investigating ⇄ identified ⇄ monitoring   (and investigating ⇄ monitoring)
 *        └──────────────┴─────────┴──▶ resolved ──▶ postmortem ⟲
 * </pre>
 */
public enum IncidentStatus {
    INVESTIGATING,
    IDENTIFIED,
    MONITORING,
    RESOLVED,
    POSTMORTEM;

    private static final Set<IncidentStatus> OPEN = Collections.unmodifiableSet(
            EnumSet.of(INVESTIGATING, IDENTIFIED, MONITORING));
    private static final Set<IncidentStatus> FROM_OPEN = Collections.unmodifiableSet(
            EnumSet.of(INVESTIGATING, IDENTIFIED, MONITORING, RESOLVED));

    /** The statuses this one may move to (itself included where a further update may keep it). */
    public Set<IncidentStatus> next() {
        return switch (this) {
            case INVESTIGATING, IDENTIFIED, MONITORING -> FROM_OPEN;
            case RESOLVED, POSTMORTEM -> Collections.unmodifiableSet(EnumSet.of(POSTMORTEM));
        };
    }

    public boolean canMoveTo(IncidentStatus to) {
        return next().contains(to);
    }

    /** Whether the incident is still going on: not resolved and without a postmortem. */
    public boolean isOpen() {
        return OPEN.contains(this);
    }

    /** The statuses an incident is still going on in. */
    public static Set<IncidentStatus> open() {
        return OPEN;
    }

    /** The name in Statuspage's JSON: {@code investigating}. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** What a person reads on the page: {@code Investigating}. */
    public String label() {
        String w = wire();
        return Character.toUpperCase(w.charAt(0)) + w.substring(1);
    }

    public static Optional<IncidentStatus> fromWire(String s) {
        for (IncidentStatus i : values()) {
            if (i.wire().equals(s)) {
                return Optional.of(i);
            }
        }
        return Optional.empty();
    }

    static String describe(Set<IncidentStatus> statuses) {
        return statuses.stream().map(IncidentStatus::wire).collect(Collectors.joining(", "));
    }
}
