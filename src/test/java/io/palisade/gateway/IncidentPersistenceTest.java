package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.palisade.status.Actor;
import io.palisade.status.ComponentStatus;
import io.palisade.status.Incident;
import io.palisade.status.IncidentEdit;
import io.palisade.status.IncidentStatus;
import io.palisade.status.IncidentUpdate;
import io.palisade.status.Maintenance;
import io.palisade.status.NewIncident;
import io.palisade.status.NewMaintenance;
import io.palisade.time.Ticker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Incidents and maintenances survive a gateway restart on the same state dir: every update, who made it (a person or
 * palisade), drafts, the postmortem, and the public page shows them again.
 */
class IncidentPersistenceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;

    private Path write() throws Exception {
        Path file = dir.resolve("palisade.yaml");
        Files.writeString(file, """
                listeners:
                  http: { address: 127.0.0.1:0 }
                admin:
                  address: 127.0.0.1:0
                access_log: { enabled: false }
                server: { worker_threads: 1 }
                status_page:
                  address: 127.0.0.1:0
                  title: Acme API
                  components:
                    - { id: orders, name: Orders API }
                    - { id: collect, name: Collector }
                clusters:
                  app: { endpoints: [ "127.0.0.1:9" ] }
                routes:
                  - name: api
                    match: { path_prefix: /api }
                    cluster: app
                """);
        return file;
    }

    private Gateway start(Path file) throws Exception {
        return Gateway.start(file, dir.resolve("state"), Ticker.system(), Clock.systemUTC());
    }

    @Test
    void incidentsAndMaintenances_withEveryUpdateAndWhoMadeIt_surviveARestart() throws Exception {
        Path file = write();
        Incident resolved;
        Incident draft;
        Maintenance window;
        try (Gateway g = start(file)) {
            var book = g.statusPage().book();
            Incident i = book.open(new NewIncident("Checkout errors", "Looking into it.",
                    IncidentStatus.INVESTIGATING, Optional.empty(), Map.of("orders", ComponentStatus.PARTIAL_OUTAGE),
                    true), Actor.person("ana"));
            book.update(i.id(), IncidentEdit.status(IncidentStatus.IDENTIFIED, "A bad deploy."), Actor.palisade());
            book.resolve(i.id(), "Rolled back.", Actor.person("bo"));
            resolved = book.postmortem(i.id(), "# What happened\nA deploy.", Actor.person("ana"));
            draft = book.open(new NewIncident("Collector slow", "Checking.", IncidentStatus.INVESTIGATING,
                    Optional.empty(), Map.of("collect", ComponentStatus.DEGRADED_PERFORMANCE), false),
                    Actor.person("cy"));
            Instant from = Instant.now().plus(Duration.ofHours(1));
            window = book.schedule(new NewMaintenance("DB upgrade", "Short writes pause.", from,
                    from.plus(Duration.ofHours(2)), List.of("orders")), Actor.person("ana"));
        }
        try (Gateway g = start(file)) {
            var book = g.statusPage().book();
            assertThat(book.incident(resolved.id())).contains(resolved);
            assertThat(book.incident(draft.id())).contains(draft);
            assertThat(book.maintenances()).containsExactly(window);
            Incident again = book.incident(resolved.id()).orElseThrow();
            assertThat(again.updates()).extracting(IncidentUpdate::actor)
                    .containsExactly(Actor.person("ana"), Actor.palisade(), Actor.person("bo"));
            assertThat(again.postmortemBy()).contains(Actor.person("ana"));
            assertThat(again.isPublished()).isTrue();
            assertThat(book.incident(draft.id()).orElseThrow().isPublished()).isFalse();
            // And it goes on: the draft is published and resolved after the restart.
            book.publish(draft.id(), Actor.person("cy"));
            book.resolve(draft.id(), "", Actor.person("cy"));

            // The public page renders on its own thread after a change: it catches up, soon.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                        "http://127.0.0.1:" + g.statusPagePort() + "/api/v2/incidents.json")).build(),
                        HttpResponse.BodyHandlers.ofString());
                JsonNode incidents = JSON.readTree(r.body()).path("incidents");
                assertThat(incidents.findValuesAsText("name")).contains("Checkout errors", "Collector slow");
            });
        }
        try (Gateway g = start(file)) {
            assertThat(g.statusPage().book().incident(draft.id()).orElseThrow().status())
                    .isEqualTo(IncidentStatus.RESOLVED);
        }
    }
}
