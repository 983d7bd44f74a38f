package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import io.palisade.testing.TestUpstream;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;

/**
 * SLOs and alerts in the real gateway: a failing upstream burns the route's error budget and a page alert shows on
 * {@code GET /alerts} and in the metrics by itself; a dead cluster raises its built-in alert with the evidence.
 */
class AlertGatewayTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private TestUpstream upstream;

    @AfterEach
    void tearDown() {
        if (upstream != null) {
            upstream.close();
        }
    }

    @GatewayTest(loops = {1})
    void aFailingUpstream_burnsTheBudget_andAPageAlertFiresByItself(Gateways gateways) throws Exception {
        upstream = TestUpstream.start("orders");
        GatewayFixture gw = gateways.start("""
                slos:
                  - name: orders-availability
                    routes: [orders]
                    objective: 99%%
                    window: 6h
                clusters:
                  orders: { endpoints: [ "%s" ], outlier: { consecutive_failures: 1000 } }
                  gone: { endpoints: [ "127.0.0.1:1" ], health_check: { path: /healthz, interval: 1s } }
                routes:
                  - name: orders
                    match: { path_prefix: /orders }
                    cluster: orders
                  - name: gone
                    match: { path_prefix: /gone }
                    cluster: gone
                """.formatted(upstream.address()));
        assertThat(JSON.readTree(gw.admin("GET", "/alerts").body()).path("active")).isEmpty();

        upstream.behave(new TestUpstream.Respond(503, "down", 0));
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            for (int i = 0; i < 20; i++) {
                gw.get("/orders/1");
            }
            JsonNode active = JSON.readTree(gw.admin("GET", "/alerts").body()).path("active");
            JsonNode page = null;
            for (JsonNode a : active) {
                if (a.path("name").asText().equals("slo_burn") && a.path("severity").asText().equals("page")) {
                    page = a;
                }
            }
            assertThat(page).as("a page alert in %s", active).isNotNull();
            assertThat(page.path("labels").path("slo").asText()).isEqualTo("orders-availability");
            assertThat(page.path("evidence").size()).isPositive();
        });
        String metrics = gw.gateway().metrics().scrape();
        assertThat(metrics).contains("palisade_slo_burn_rate{").contains("palisade_alerts_active{");
        assertThat(metrics).contains("palisade_slo_error_budget_remaining{slo=\"orders-availability\"}");

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            JsonNode active = JSON.readTree(gw.admin("GET", "/alerts").body()).path("active");
            assertThat(active.toString()).contains("cluster_no_healthy_endpoint").contains("gone");
        });
    }
}
