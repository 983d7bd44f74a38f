package io.palisade.status;

import java.util.List;

/**
 * Where incidents and maintenances outlive the process. {@link IncidentBook} loads everything once when it is built
 * and saves each incident or maintenance whole, before the change is applied and told: a save that throws refuses the
 * change. Calls come from the thread making the change (the admin API's worker, {@link AutoIncidents}' caller),
 * never an event loop, so an implementation may block on JDBC.
 *
 * <pre>{@code
 * IncidentBook book = new IncidentBook(settings.componentIds(), IncidentStore.inMemory(), Clock.systemUTC());
 * }</pre>
 */
public interface IncidentStore {
    /** Every stored incident, in any order. */
    List<Incident> incidents();

    /** Every stored maintenance, in any order. */
    List<Maintenance> maintenances();

    /** Inserts the incident or replaces the one with its id. */
    void save(Incident incident);

    /** Inserts the maintenance or replaces the one with its id. */
    void save(Maintenance maintenance);

    /** A store that forgets everything with the process. */
    static IncidentStore inMemory() {
        return new InMemoryIncidentStore();
    }
}
