package io.palisade.status;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** {@link IncidentStore#inMemory()}: keeps what was saved in maps, for tests and until the state store holds it. */
final class InMemoryIncidentStore implements IncidentStore {
    private final Map<String, Incident> incidents = new ConcurrentHashMap<>();
    private final Map<String, Maintenance> maintenances = new ConcurrentHashMap<>();

    @Override
    public List<Incident> incidents() {
        return List.copyOf(incidents.values());
    }

    @Override
    public List<Maintenance> maintenances() {
        return List.copyOf(maintenances.values());
    }

    @Override
    public void save(Incident incident) {
        incidents.put(incident.id(), incident);
    }

    @Override
    public void save(Maintenance maintenance) {
        maintenances.put(maintenance.id(), maintenance);
    }
}
