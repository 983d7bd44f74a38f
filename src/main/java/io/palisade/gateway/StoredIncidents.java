package io.palisade.gateway;

import io.palisade.status.Incident;
import io.palisade.status.IncidentStore;
import io.palisade.status.Maintenance;
import io.palisade.store.StateStore;
import io.palisade.store.StoredDocument;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The status page's {@link IncidentStore} on the gateway's {@link StateStore}: each incident or maintenance is one
 * row of {@link IncidentJson} text (the store knows nothing of the status package, so the JSON is made here). The
 * book calls it from the thread making the change (the admin API's control thread, the status ticker), never an
 * event loop.
 */
final class StoredIncidents implements IncidentStore {
    private static final Logger log = LoggerFactory.getLogger(StoredIncidents.class);
    private final StateStore store;
    private final Clock clock;

    StoredIncidents(StateStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    @Override
    public List<Incident> incidents() {
        return read("incident", store.incidents(), d -> IncidentJson.incident(IncidentJson.parse(d.json())));
    }

    @Override
    public List<Maintenance> maintenances() {
        return read("maintenance", store.maintenances(), d -> IncidentJson.maintenance(IncidentJson.parse(d.json())));
    }

    /**
     * A row that does not read (edited by hand, written by a newer gateway) is left out with a warning: one bad row
     * must not keep the gateway from starting, and the row stays in the table for a person to look at.
     */
    private static <T> List<T> read(String what, List<StoredDocument> rows, Function<StoredDocument, T> decode) {
        List<T> out = new ArrayList<>(rows.size());
        for (StoredDocument d : rows) {
            try {
                out.add(decode.apply(d));
            } catch (RuntimeException e) {
                log.warn("stored {} {} cannot be read, left out of the status page: {}", what, d.id(), e.toString());
            }
        }
        return out;
    }

    @Override
    public void save(Incident incident) {
        store.saveIncident(new StoredDocument(incident.id(), incident.status().wire(), incident.updatedAt(),
                IncidentJson.text(IncidentJson.incident(incident))));
    }

    @Override
    public void save(Maintenance maintenance) {
        // The status column is what it was when saved: a window's status moves with the clock, the JSON is the truth.
        store.saveMaintenance(new StoredDocument(maintenance.id(), maintenance.status(clock.instant()).wire(),
                maintenance.updatedAt(), IncidentJson.text(IncidentJson.maintenance(maintenance, clock.instant()))));
    }
}
