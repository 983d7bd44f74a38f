package io.palisade.status;

import java.util.Objects;

/**
 * One component's status changed by an incident update: Statuspage's {@code affected_components} entry
 * ({@code code}, {@code old_status}, {@code new_status}; the name comes from the page's settings).
 *
 * @param component the component's id ({@code status_page.components[].id})
 */
public record ComponentChange(String component, ComponentStatus oldStatus, ComponentStatus newStatus) {
    public ComponentChange {
        Objects.requireNonNull(component, "component");
        Objects.requireNonNull(oldStatus, "oldStatus");
        Objects.requireNonNull(newStatus, "newStatus");
    }
}
