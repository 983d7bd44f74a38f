package io.palisade.status;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A maintenance window to schedule.
 *
 * @param components ids of the components that show {@code under_maintenance} during the window
 */
public record NewMaintenance(String name, String message, Instant scheduledFor, Instant scheduledUntil,
                             List<String> components) {
    public NewMaintenance {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(scheduledFor, "scheduledFor");
        Objects.requireNonNull(scheduledUntil, "scheduledUntil");
        components = List.copyOf(components);
    }
}
