package io.palisade.status;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The timeline of a maintenance, which follows from its times: scheduled when it was created, in progress when the
 * window opened, completed when it closed (or an operator ended it). Its ids derive from the maintenance's, so they
 * stay the same from one render to the next.
 */
record MaintenanceUpdate(String id, Maintenance.Status status, String body, Instant at,
                         List<ComponentChange> changes) {
    static final String IN_PROGRESS = "The scheduled maintenance is in progress.";
    static final String COMPLETED = "The scheduled maintenance is complete.";

    /** Oldest first. */
    static List<MaintenanceUpdate> of(Maintenance m, Instant now) {
        List<MaintenanceUpdate> out = new ArrayList<>(3);
        out.add(new MaintenanceUpdate(m.id() + "s", Maintenance.Status.SCHEDULED, m.body(), m.createdAt(),
                List.of()));
        Maintenance.Status status = m.status(now);
        boolean started = !m.scheduledFor().isAfter(now) && m.scheduledFor().isBefore(m.endsAt());
        if (started) {
            out.add(new MaintenanceUpdate(m.id() + "p", Maintenance.Status.IN_PROGRESS, IN_PROGRESS,
                    m.scheduledFor(), changes(m, ComponentStatus.OPERATIONAL, ComponentStatus.UNDER_MAINTENANCE)));
        }
        if (status == Maintenance.Status.COMPLETED) {
            out.add(new MaintenanceUpdate(m.id() + "c", Maintenance.Status.COMPLETED, COMPLETED, m.endsAt(),
                    started ? changes(m, ComponentStatus.UNDER_MAINTENANCE, ComponentStatus.OPERATIONAL)
                            : List.of()));
        }
        return out;
    }

    private static List<ComponentChange> changes(Maintenance m, ComponentStatus from, ComponentStatus to) {
        return m.components().stream().map(c -> new ComponentChange(c, from, to)).toList();
    }
}
