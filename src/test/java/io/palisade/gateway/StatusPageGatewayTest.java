package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import io.palisade.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;

/**
 * Detect and tell in the real gateway: a failing upstream burns its SLO, the page alert opens an incident on the
 * public status page by itself (Statuspage v2 JSON on its own listener), and after recovery the incident moves to
 * monitoring and resolves after the quiet time.
 */
class StatusPageGatewayTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private TestUpstream upstream;

    @AfterEach
    void tearDown() {
        if (upstream != null) {
            upstream.close();
        }
    }

    private JsonNode page(GatewayFixture gw, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + gw.gateway().statusPagePort() + path)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    @GatewayTest(loops = {1})
    void aBurningSlo_opensAnIncidentByItself_thenMonitoringAndResolvedAfterRecovery(Gateways gateways)
            throws Exception {
        upstream = TestUpstream.start("orders");
        GatewayFixture gw = gateways.start("""
                slos:
                  - name: orders-availability
                    routes: [orders]
                    objective: 99%%
                    window: 6h
                status_page:
                  address: 127.0.0.1:0
                  title: Acme API
                  components:
                    - { id: orders, name: Orders API, slos: [orders-availability] }
                  incidents: publish
                  resolve_after: 2s
                clusters:
                  orders: { endpoints: [ "%s" ], outlier: { consecutive_failures: 100000 } }
                routes:
                  - name: orders
                    match: { path_prefix: /orders }
                    cluster: orders
                """.formatted(upstream.address()));
        assertThat(page(gw, "/api/v2/status.json").path("status").path("indicator").asText()).isEqualTo("none");
        assertThat(page(gw, "/api/v2/summary.json").path("page").path("name").asText()).isEqualTo("Acme API");

        long fault = System.nanoTime();
        upstream.behave(new TestUpstream.Respond(503, "down", 0));
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            for (int i = 0; i < 20; i++) {
                gw.get("/orders/1");
            }
            JsonNode unresolved = page(gw, "/api/v2/incidents/unresolved.json").path("incidents");
            assertThat(unresolved).hasSize(1);
            assertThat(unresolved.get(0).path("status").asText()).isEqualTo("investigating");
        });
        double toIncident = (System.nanoTime() - fault) / 1e9;
        JsonNode components = page(gw, "/api/v2/components.json").path("components");
        assertThat(components.get(0).path("name").asText()).isEqualTo("Orders API");
        assertThat(components.get(0).path("status").asText()).isNotEqualTo("operational");

        long recovery = System.nanoTime();
        upstream.behave(new TestUpstream.Respond(200, "ok", 0));
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            for (int i = 0; i < 20; i++) {
                gw.get("/orders/1");
            }
            assertThat(page(gw, "/api/v2/incidents/unresolved.json").path("incidents")).isEmpty();
        });
        double toResolved = (System.nanoTime() - recovery) / 1e9;
        JsonNode incident = page(gw, "/api/v2/incidents.json").path("incidents").get(0);
        assertThat(incident.path("status").asText()).isEqualTo("resolved");
        assertThat(incident.path("incident_updates").toString()).contains("monitoring");
        assertThat(page(gw, "/api/v2/components.json").path("components").get(0).path("status").asText())
                .isEqualTo("operational");
        System.out.printf("status page: incident %.1f s after the fault, resolved %.1f s after recovery%n",
                toIncident, toResolved);
    }
}
