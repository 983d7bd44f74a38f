package io.palisade.status;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One entry of an incident's timeline, as Statuspage's {@code incident_updates}: the status the incident moved to (or
 * stayed in), the message, and the components it changed; plus who wrote it.
 */
public record IncidentUpdate(String id, String incidentId, IncidentStatus status, String body, Instant createdAt,
                             Actor actor, List<ComponentChange> affectedComponents) {
    public IncidentUpdate {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(incidentId, "incidentId");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(actor, "actor");
        affectedComponents = List.copyOf(affectedComponents);
    }
}
