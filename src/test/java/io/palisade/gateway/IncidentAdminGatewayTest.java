package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API's incidents and maintenances on a real gateway: open, update, publish, resolve, postmortem, schedule,
 * each in the audit log with the caller and the person in the incident's history; and each bad call's clear 4xx
 * (malformed JSON 400, unknown id 404, illegal transition 409, invalid field 422, oversized 413, no token 401) with
 * the gateway serving on.
 */
class IncidentAdminGatewayTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "incident-admin-token-0123456789";
    private static final String PAGE = """
            status_page:
              address: 127.0.0.1:0
              title: Acme API
              components:
                - { id: orders, name: Orders API }
                - { id: collect, name: Collector }
            """;
    private static final String ROUTES = """
            clusters:
              app: { endpoints: [ "127.0.0.1:9" ] }
            routes:
              - name: api
                match: { path_prefix: /api }
                cluster: app
            """;
    @TempDir
    Path dir;

    private static HttpResponse<String> call(GatewayFixture gw, String method, String path, String body,
                                             boolean token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.adminPort() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        return token ? gw.send(b, "Authorization", "Bearer " + TOKEN) : gw.send(b);
    }

    private static JsonNode ok(HttpResponse<String> r, int status) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        return JSON.readTree(r.body());
    }

    private GatewayFixture start(Gateways gateways) throws Exception {
        Path file = Files.writeString(dir.resolve("token"), TOKEN);
        return gateways.start("admin: { address: 127.0.0.1:0, token_file: \"" + file + "\" }\n" + PAGE + ROUTES);
    }

    @GatewayTest(loops = 1)
    void openUpdatePublishResolvePostmortem_andSchedule_asTheCaller_audited(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        JsonNode opened = ok(call(gw, "POST", "/incidents", """
                {"name": "Checkout errors", "message": "Looking into it.", "impact": "major",
                 "components": {"orders": "partial_outage"}, "draft": true}""", true), 201);
        String id = opened.path("id").asText();
        assertThat(opened.path("draft").asBoolean()).isTrue();
        assertThat(opened.path("status").asText()).isEqualTo("investigating");
        assertThat(opened.path("incident_updates").get(0).path("actor").path("name").asText())
                .isEqualTo("token@127.0.0.1");

        JsonNode updated = ok(call(gw, "PATCH", "/incidents/" + id, """
                {"status": "identified", "message": "A bad deploy.", "components": {"orders": "major_outage"}}""",
                true), 200);
        assertThat(updated.path("status").asText()).isEqualTo("identified");
        assertThat(updated.path("impact").asText()).isEqualTo("critical");
        assertThat(ok(call(gw, "POST", "/incidents/" + id + "/publish", null, true), 200).path("draft").asBoolean())
                .isFalse();
        JsonNode resolved = ok(call(gw, "PATCH", "/incidents/" + id, "{\"status\": \"resolved\"}", true), 200);
        assertThat(resolved.path("status").asText()).isEqualTo("resolved");
        assertThat(ok(call(gw, "PUT", "/incidents/" + id + "/postmortem", "# What happened\nA deploy.", true), 200)
                .path("postmortem_body").asText()).startsWith("# What happened");
        assertThat(ok(call(gw, "PUT", "/incidents/" + id + "/postmortem", "{\"body\": \"Replaced.\"}", true), 200)
                .path("status").asText()).isEqualTo("postmortem");

        ok(call(gw, "POST", "/incidents", "{\"name\": \"Second\", \"message\": \"m\"}", true), 201);
        JsonNode list = ok(call(gw, "GET", "/incidents", null, true), 200).path("incidents");
        assertThat(list).extracting(i -> i.path("name").asText()).containsExactly("Second", "Checkout errors");
        assertThat(ok(call(gw, "GET", "/incidents/" + id, null, true), 200).path("incident_updates")).hasSize(3);

        Instant from = Instant.now().plus(Duration.ofHours(1));
        JsonNode m = ok(call(gw, "POST", "/maintenances", "{\"name\": \"DB upgrade\", \"scheduled_for\": \"" + from
                + "\", \"scheduled_until\": \"" + from.plus(Duration.ofHours(1)) + "\", \"components\": [\"orders\"]}",
                true), 201);
        assertThat(m.path("status").asText()).isEqualTo("scheduled");
        assertThat(ok(call(gw, "GET", "/maintenances", null, true), 200).path("scheduled_maintenances")).hasSize(1);

        String audit = ok(call(gw, "GET", "/audit?limit=1000", null, true), 200).toString();
        assertThat(audit).contains("incident.open", "incident.update", "incident.publish", "incident.postmortem",
                "maintenance.schedule", "token@127.0.0.1");
        // The public page renders on its own thread after a change: it catches up, soon.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(gw.client().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.gateway().statusPagePort()
                        + "/api/v2/incidents.json")).build(), HttpResponse.BodyHandlers.ofString()).body())
                .contains("Checkout errors", "\"Second\""));
    }

    @GatewayTest(loops = 1)
    void badCalls_getTheirClear4xx_andTheGatewayServesOn(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        assertThat(call(gw, "POST", "/incidents", "{\"name\": \"x\", \"message\": \"y\"}", false).statusCode())
                .as("no token").isEqualTo(401);
        assertThat(call(gw, "GET", "/incidents", null, false).statusCode()).isEqualTo(401);
        assertThat(ok(call(gw, "POST", "/incidents", "{\"name\": ", true), 400).path("error").asText())
                .isEqualTo("malformed_json");
        assertThat(call(gw, "POST", "/incidents", "[1]", true).statusCode()).isEqualTo(400);
        assertThat(call(gw, "POST", "/incidents", "{\"name\": 5, \"message\": \"m\"}", true).statusCode())
                .isEqualTo(400);
        assertThat(ok(call(gw, "GET", "/incidents/nope", null, true), 404).path("message").asText())
                .contains("nope");
        assertThat(call(gw, "PATCH", "/incidents/nope", "{\"message\": \"m\"}", true).statusCode()).isEqualTo(404);
        assertThat(call(gw, "POST", "/incidents/nope/publish", null, true).statusCode()).isEqualTo(404);
        assertThat(ok(call(gw, "POST", "/incidents", "{\"name\": \"x\", \"message\": \"m\","
                + " \"components\": {\"nope\": \"major_outage\"}}", true), 422).path("message").asText())
                .contains("unknown component nope");
        assertThat(call(gw, "POST", "/incidents", "{\"name\": \"x\", \"message\": \"m\", \"status\": \"bad\"}",
                true).statusCode()).isEqualTo(422);

        String id = ok(call(gw, "POST", "/incidents", "{\"name\": \"x\", \"message\": \"m\"}", true), 201)
                .path("id").asText();
        assertThat(ok(call(gw, "PUT", "/incidents/" + id + "/postmortem", "too early", true), 409).path("error")
                .asText()).isEqualTo("illegal_transition");
        ok(call(gw, "PATCH", "/incidents/" + id, "{\"status\": \"resolved\", \"message\": \"done\"}", true), 200);
        assertThat(call(gw, "PATCH", "/incidents/" + id, "{\"status\": \"investigating\", \"message\": \"again\"}",
                true).statusCode()).isEqualTo(409);
        assertThat(call(gw, "POST", "/maintenances", "{\"name\": \"m\", \"scheduled_for\": \"soon\","
                + " \"scheduled_until\": \"later\", \"components\": [\"orders\"]}", true).statusCode()).isEqualTo(422);
        assertThat(call(gw, "POST", "/incidents", "{\"name\": \"" + "x".repeat(1024 * 1024 + 1) + "\"}", true)
                .statusCode()).isEqualTo(413);
        assertThat(call(gw, "DELETE", "/incidents/" + id, null, true).statusCode()).isEqualTo(405);

        assertThat(gw.admin("GET", "/healthz").statusCode()).isEqualTo(200);
        assertThat(call(gw, "GET", "/incidents/" + id, null, true).statusCode()).isEqualTo(200);
    }

    @GatewayTest(loops = 1)
    void withoutAStatusPage_thePathsAre404_sayingWhy(Gateways gateways) throws Exception {
        GatewayFixture gw = gateways.start(ROUTES);
        assertThat(ok(gw.admin("GET", "/incidents"), 404).path("message").asText()).contains("status_page");
        assertThat(gw.admin("GET", "/maintenances").statusCode()).isEqualTo(404);
    }
}
