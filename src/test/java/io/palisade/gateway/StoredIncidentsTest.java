package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.status.Actor;
import io.palisade.status.ComponentStatus;
import io.palisade.status.Incident;
import io.palisade.status.IncidentBook;
import io.palisade.status.IncidentStatus;
import io.palisade.status.NewIncident;
import io.palisade.store.StateStore;
import io.palisade.store.StoredDocument;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The book on the state store: what it saves reads back equal, and a row that does not read is left out. */
class StoredIncidentsTest {
    @TempDir
    Path dir;

    @Test
    void aSavedIncidentReadsBackEqual_aBadRowIsLeftOut_andTheBookStillLoads() {
        try (StateStore store = StateStore.embedded(dir)) {
            store.saveIncident(new StoredDocument("broken", "investigating", Instant.now(), "{\"id\": \"broken\"}"));
            store.saveIncident(new StoredDocument("notjson", "investigating", Instant.now(), "{"));
            StoredIncidents incidents = new StoredIncidents(store, Clock.systemUTC());
            IncidentBook book = new IncidentBook(List.of("orders"), incidents, Clock.systemUTC());
            Incident i = book.open(new NewIncident("Errors", "Looking.", IncidentStatus.INVESTIGATING,
                    Optional.empty(), Map.of("orders", ComponentStatus.MAJOR_OUTAGE), true), Actor.person("ana"));

            assertThat(incidents.incidents()).containsExactly(i);
            assertThat(new IncidentBook(List.of("orders"), incidents, Clock.systemUTC()).incidents())
                    .containsExactly(i);
            assertThat(store.incidents()).extracting(StoredDocument::status).contains("investigating");
        }
    }
}
