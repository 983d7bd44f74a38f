package io.palisade.status;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One incident, immutable: {@link IncidentBook} replaces it whole on every change. The fields are Statuspage's
 * ({@code id, name, status, impact, created_at, updated_at, started_at, monitoring_at, resolved_at, incident_updates,
 * components}), plus what a public page does not show: whether and when it was published (a draft is on no public
 * page), who opened it, and the postmortem.
 *
 * @param components   the components this incident affects, each with the status it gives it now (in the order they
 *                     joined); a resolved incident gives each {@code operational}
 * @param updates      oldest first
 * @param publishedAt  empty while a draft
 * @param openedBy     {@link Actor#palisade()} for an automatic incident
 * @param postmortem   the postmortem's text once one was written
 */
public record Incident(String id, String name, IncidentStatus status, Impact impact, Instant createdAt,
                       Instant updatedAt, Instant startedAt, Optional<Instant> monitoringAt,
                       Optional<Instant> resolvedAt, Map<String, ComponentStatus> components,
                       List<IncidentUpdate> updates, Optional<Instant> publishedAt, Actor openedBy,
                       Optional<Actor> publishedBy, Optional<String> postmortem, Optional<Instant> postmortemAt,
                       Optional<Actor> postmortemBy) {
    public Incident {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(impact, "impact");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(openedBy, "openedBy");
        components = Collections.unmodifiableMap(new LinkedHashMap<>(components));
        updates = List.copyOf(updates);
    }

    public boolean isPublished() {
        return publishedAt.isPresent();
    }

    public boolean isOpen() {
        return status.isOpen();
    }

    public boolean isAutomatic() {
        return openedBy.isPalisade();
    }

    /** The newest update; every incident has at least the one it was opened with. */
    public IncidentUpdate latestUpdate() {
        return updates.getLast();
    }

    Incident with(String name, IncidentStatus status, Impact impact, Instant updatedAt,
                  Optional<Instant> monitoringAt, Optional<Instant> resolvedAt, Map<String, ComponentStatus> components,
                  List<IncidentUpdate> updates) {
        return new Incident(id, name, status, impact, createdAt, updatedAt, startedAt, monitoringAt, resolvedAt,
                components, updates, publishedAt, openedBy, publishedBy, postmortem, postmortemAt, postmortemBy);
    }

    Incident published(Instant at, Actor by) {
        return new Incident(id, name, status, impact, createdAt, at, startedAt, monitoringAt, resolvedAt, components,
                updates, Optional.of(at), openedBy, Optional.of(by), postmortem, postmortemAt, postmortemBy);
    }

    Incident withPostmortem(String body, Instant at, Actor by) {
        return new Incident(id, name, IncidentStatus.POSTMORTEM, impact, createdAt, at, startedAt, monitoringAt,
                resolvedAt, components, updates, publishedAt, openedBy, publishedBy, Optional.of(body),
                Optional.of(at), Optional.of(by));
    }
}
