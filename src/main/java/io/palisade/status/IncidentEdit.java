package io.palisade.status;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An update to an open incident: a message, and optionally a new status, impact, name and component statuses. Each
 * edit is one entry of the incident's timeline.
 *
 * <pre>{@code
 * book.update(id, IncidentEdit.status(IncidentStatus.IDENTIFIED, "A bad deploy; rolling back."), Actor.person("ana"));
 * }</pre>
 *
 * @param status     empty keeps the status
 * @param impact     empty keeps the impact, raised to what changed components imply
 * @param components component id to its new status; components not named keep theirs
 */
public record IncidentEdit(String message, Optional<IncidentStatus> status, Optional<Impact> impact,
                           Optional<String> name, Map<String, ComponentStatus> components) {
    public IncidentEdit {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(impact, "impact");
        Objects.requireNonNull(name, "name");
        components = Map.copyOf(components);
    }

    /** A message alone: the incident keeps its status. */
    public static IncidentEdit message(String message) {
        return new IncidentEdit(message, Optional.empty(), Optional.empty(), Optional.empty(), Map.of());
    }

    public static IncidentEdit status(IncidentStatus status, String message) {
        return new IncidentEdit(message, Optional.of(status), Optional.empty(), Optional.empty(), Map.of());
    }

    public IncidentEdit withComponents(Map<String, ComponentStatus> changed) {
        return new IncidentEdit(message, status, impact, name, changed);
    }

    public IncidentEdit withImpact(Impact to) {
        return new IncidentEdit(message, status, Optional.of(to), name, components);
    }

    public IncidentEdit withName(String to) {
        return new IncidentEdit(message, status, impact, Optional.of(to), components);
    }
}
