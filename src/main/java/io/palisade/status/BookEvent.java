package io.palisade.status;

import java.time.Instant;
import java.util.Optional;

/**
 * One change in the {@link IncidentBook}, as its listeners get it: what it was before (empty for a new one), what it
 * is now, who did it and when. Webhooks and persistence hang off these; {@code after.isPublished()} says whether the
 * public may hear of it.
 */
public sealed interface BookEvent {
    Actor actor();

    Instant at();

    /** An incident opened, updated, published, resolved or given a postmortem. */
    record IncidentEvent(Kind kind, Optional<Incident> before, Incident after, Actor actor, Instant at)
            implements BookEvent {
        public enum Kind { OPENED, UPDATED, PUBLISHED, RESOLVED, POSTMORTEM }
    }

    /** A maintenance scheduled or ended early. */
    record MaintenanceEvent(Kind kind, Optional<Maintenance> before, Maintenance after, Actor actor, Instant at)
            implements BookEvent {
        public enum Kind { SCHEDULED, COMPLETED }
    }
}
