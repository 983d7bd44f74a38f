package io.palisade.status;

/**
 * An incident change its state machine does not allow ({@link IncidentStatus#canMoveTo}): e.g. back to
 * {@code investigating} from {@code resolved}, or a postmortem before the incident is resolved. Nothing was changed.
 */
public final class IllegalTransitionException extends RuntimeException {
    private final IncidentStatus from;
    private final IncidentStatus to;

    public IllegalTransitionException(String incidentId, IncidentStatus from, IncidentStatus to) {
        super("incident " + incidentId + " is " + from.wire() + ": it cannot move to " + to.wire()
                + " (allowed: " + IncidentStatus.describe(from.next()) + ")");
        this.from = from;
        this.to = to;
    }

    public IncidentStatus from() {
        return from;
    }

    public IncidentStatus to() {
        return to;
    }
}
