package io.palisade.gateway;

import io.palisade.status.Incident;
import io.palisade.status.IncidentStore;
import io.palisade.status.Maintenance;
import io.palisade.store.StateStore;
import io.palisade.store.StoredDocument;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * The status page's {@link IncidentStore} on the gateway's {@link StateStore}: each incident or maintenance is one
 * row of {@link IncidentJson} text (the store knows nothing of the status package, so the JSON is made here). The
 * book calls it from the thread making the change (the admin API's control thread, the status ticker), never an
 * event loop.
 */
final class StoredIncidents implements IncidentStore {
    private final StateStore store;
    private final Clock clock;

    StoredIncidents(StateStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    @Override
    public List<Incident> incidents() {
        List<Incident> out = new ArrayList<>();
        for (StoredDocument d : store.incidents()) {
            out.add(IncidentJson.incident(IncidentJson.parse(d.json())));
        }
        return out;
    }

    @Override
    public List<Maintenance> maintenances() {
        List<Maintenance> out = new ArrayList<>();
        for (StoredDocument d : store.maintenances()) {
            out.add(IncidentJson.maintenance(IncidentJson.parse(d.json())));
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
