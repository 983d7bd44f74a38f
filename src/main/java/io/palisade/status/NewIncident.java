package io.palisade.status;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What an operator (or {@link AutoIncidents}) opens an incident with.
 *
 * <pre>{@code
 * book.open(new NewIncident("Orders failing", "We are looking into errors on checkout.", IncidentStatus.INVESTIGATING,
 *         Optional.empty(), Map.of("orders", ComponentStatus.PARTIAL_OUTAGE), true), Actor.person("ana"));
 * }</pre>
 *
 * @param impact     empty: the worst the components' statuses imply
 * @param components component id to the status this incident gives it
 * @param publish    false opens a draft, on no public page until {@link IncidentBook#publish}
 */
public record NewIncident(String name, String message, IncidentStatus status, Optional<Impact> impact,
                          Map<String, ComponentStatus> components, boolean publish) {
    public NewIncident {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(impact, "impact");
        components = Map.copyOf(components);
    }
}
