package io.palisade.admin;

import static io.palisade.admin.AdminHttp.get;
import static io.palisade.admin.AdminHttp.post;
import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.testing.AdminFixture;
import io.palisade.testing.RawClient;
import io.palisade.testing.RecordingReleaseApi;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The release routes of a real admin server on loopback without a token file: each route reaches its
 * {@link ReleaseApi} method with the right arguments and answers its reply; wrong methods, paths, bodies and queries
 * are refused with their status, and the server keeps serving after each.
 */
class AdminRoutesTest {
    private AdminFixture admin;
    private RecordingReleaseApi api;

    @BeforeEach
    void start() throws InterruptedException {
        admin = AdminFixture.open();
        api = admin.api;
    }

    @AfterEach
    void stop() {
        admin.close();
    }

    private int port() {
        return admin.port();
    }

    private void assertStillServing() {
        assertThat(get(port(), "/healthz").statusCode()).isEqualTo(200);
    }

    @Test
    void diff_sendsTheYaml_andAnswersTheReply() {
        api.reply("diff", 200, "{\"equal\": false, \"changes\": [{\"path\": \"routes.orders\", \"change\": \"added\"}]}");

        HttpResponse<String> r = post(port(), "/config/diff", "{\"yaml\": \"clusters: {}\\n\"}");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(RecordingReleaseApi.parse(r.body()).at("/changes/0/path").asText()).isEqualTo("routes.orders");
        assertThat(api.calls("diff")).singleElement().extracting(c -> c.arg(0)).isEqualTo("clusters: {}\n");
    }

    @Test
    void apply_sendsEveryField_andTheLoopbackCaller_andAnswers201() {
        api.reply("apply", 201, "{\"version\": 8, \"state\": \"canary\"}");

        HttpResponse<String> r = post(port(), "/config/versions", """
                {"yaml": "a: 1", "message": "raise timeouts", "author": "ana@host", "direct": true, "force": true,
                 "unknown_field": [1, 2]}""");

        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(RecordingReleaseApi.parse(r.body()).get("version").asInt()).isEqualTo(8);
        RecordingReleaseApi.Call call = api.calls("apply").getFirst();
        assertThat(call.arg(0)).isEqualTo(new ApplyRequest("a: 1", "raise timeouts", "ana@host", true, true));
        Caller caller = (Caller) call.arg(1);
        assertThat(caller).isEqualTo(new Caller("127.0.0.1", true, false));
        assertThat(caller.describe()).isEqualTo("loopback@127.0.0.1 (no token file)");
    }

    @Test
    void apply_withOnlyTheYaml_defaultsTheRest() {
        post(port(), "/config/versions", "{\"yaml\": \"a: 1\", \"message\": null}");

        assertThat(api.calls("apply").getFirst().arg(0)).isEqualTo(new ApplyRequest("a: 1", "", "", false, false));
    }

    @Test
    void apply_refusedByTheReleaseManager_answersItsStatusAndErrors() {
        api.reply("apply", 422, "{\"errors\": [\"routes[0].cluster: nope (expected: a cluster name)\"]}");

        HttpResponse<String> r = post(port(), "/config/versions", "{\"yaml\": \"a: 1\"}");

        assertThat(r.statusCode()).isEqualTo(422);
        assertThat(r.body()).contains("routes[0].cluster: nope");
        api.reply("apply", 409, "{\"error\": \"rollout_in_progress\", \"message\": \"version 8 is rolling out\"}");
        assertThat(post(port(), "/config/versions", "{\"yaml\": \"a: 1\"}").statusCode()).isEqualTo(409);
    }

    @Test
    void readRoutes_callTheirMethods() {
        api.reply("versions", 200, "{\"versions\": [{\"version\": 2}, {\"version\": 1}]}");
        api.reply("version", 404, "{\"error\": \"unknown_version\", \"message\": \"no version 99\"}");

        assertThat(get(port(), "/config/versions").body()).contains("\"versions\"");
        assertThat(get(port(), "/config/versions/7").statusCode()).isEqualTo(404);
        assertThat(get(port(), "/config/versions/99").body()).contains("unknown_version");
        assertThat(get(port(), "/config/rollout").statusCode()).isEqualTo(200);

        assertThat(api.calls("versions")).hasSize(1);
        assertThat(api.calls("version")).extracting(c -> c.arg(0)).containsExactly(7L, 99L);
        assertThat(api.calls("rollout")).hasSize(1);
    }

    @ParameterizedTest
    @CsvSource({"promote", "pause", "resume", "abort"})
    void rolloutControls_takeAnEmptyBodyOrAnObject(String action) {
        assertThat(post(port(), "/config/rollout/" + action, "").statusCode()).isEqualTo(200);
        assertThat(post(port(), "/config/rollout/" + action, "{}").statusCode()).isEqualTo(200);

        assertThat(api.calls("rolloutControl")).extracting(c -> c.arg(0)).containsExactly(action, action);
        assertThat(((Caller) api.calls("rolloutControl").getFirst().arg(1)).loopback()).isTrue();
    }

    @Test
    void rollback_toAVersion_orTheDefaultWithAnEmptyBody() {
        post(port(), "/config/rollback", "{\"version\": 3}");
        post(port(), "/config/rollback", "");
        post(port(), "/config/rollback", "{}");
        post(port(), "/config/rollback", "{\"version\": null}");

        assertThat(api.calls("rollback")).extracting(c -> c.arg(0)).containsExactly(OptionalLong.of(3),
                OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty());
    }

    @Test
    void audit_passesSinceAndLimit_withTheDefaultAndTheCap() {
        get(port(), "/audit");
        get(port(), "/audit?since=2026-12-02T15:30:00Z&limit=5");
        get(port(), "/audit?limit=20000");

        assertThat(api.calls("audit")).extracting(c -> List.of(c.arg(0), c.arg(1))).containsExactly(
                List.of(Optional.empty(), 1000),
                List.of(Optional.of(Instant.parse("2026-12-02T15:30:00Z")), 5),
                List.of(Optional.empty(), 10000));
    }

    @ParameterizedTest
    @CsvSource({"since=yesterday", "since=2026-12-02", "limit=abc", "limit=0", "limit=-5"})
    void audit_withABadQuery_is400_andRecorded(String query) {
        HttpResponse<String> r = get(port(), "/audit?" + query);

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(RecordingReleaseApi.parse(r.body()).get("error").asText()).isEqualTo("invalid_query");
        assertThat(api.calls("audit")).isEmpty();
        assertThat(api.refusals()).singleElement().satisfies(f -> {
            assertThat(f.status()).isEqualTo(400);
            assertThat(f.path()).isEqualTo("/audit");
        });
        assertStillServing();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "GET|/config/diff|POST",
        "DELETE|/config/versions|GET, POST",
        "POST|/config/versions/3|GET",
        "POST|/config/rollout|GET",
        "GET|/config/rollout/promote|POST",
        "GET|/config/rollback|POST",
        "POST|/audit|GET",
        "GET|/config/reload|POST",
        "POST|/config|GET, HEAD"})
    void aWrongMethod_is405_withAllow(String method, String path, String allow) {
        HttpResponse<String> r = AdminHttp.call(port(), method, path, method.equals("POST") ? "{}" : null);

        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("allow")).hasValue(allow);
        assertThat(RecordingReleaseApi.parse(r.body()).get("error").asText()).isEqualTo("method_not_allowed");
        assertThat(api.calls()).isEmpty();
        assertStillServing();
    }

    @ParameterizedTest
    @CsvSource({"/config/versions/abc", "/config/versions/0", "/config/versions/-1", "/config/versions/01",
        "/config/versions/", "/config/versions/1/yaml", "/config/versions/99999999999999999999",
        "/config/rollout/restart", "/config/rollout/", "/audits", "/nothing"})
    void anUnknownPath_is404(String path) {
        HttpResponse<String> r = get(port(), path);

        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(RecordingReleaseApi.parse(r.body()).get("error").asText()).isEqualTo("not_found");
        assertThat(api.calls()).isEmpty();
        assertStillServing();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/config/diff|not json",
        "/config/diff|''",
        "/config/diff|[\"a: 1\"]",
        "/config/diff|\"a: 1\"",
        "/config/diff|{\"yaml\": 5}",
        "/config/diff|{}",
        "/config/diff|{\"yaml\": \"a\"} trailing",
        "/config/diff|{\"yaml\": \"a\", \"yaml\": \"b\"}",
        "/config/versions|{\"message\": \"no yaml\"}",
        "/config/versions|{\"yaml\": \"a\", \"message\": 3}",
        "/config/versions|{\"yaml\": \"a\", \"author\": [\"x\"]}",
        "/config/versions|{\"yaml\": \"a\", \"direct\": \"yes\"}",
        "/config/versions|{\"yaml\": \"a\", \"force\": 1}",
        "/config/rollback|{\"version\": \"3\"}",
        "/config/rollback|{\"version\": 0}",
        "/config/rollback|{\"version\": 1.5}",
        "/config/rollback|{\"version\": -2}",
        "/config/rollback|[3]",
        "/config/rollout/promote|{not json"})
    void aMalformedBody_is400_recorded_andTheServerKeepsServing(String path, String body) {
        HttpResponse<String> r = post(port(), path, body);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(RecordingReleaseApi.parse(r.body()).get("error").asText()).isEqualTo("malformed_json");
        assertThat(RecordingReleaseApi.parse(r.body()).get("message").asText()).isNotBlank();
        assertThat(api.calls()).isEmpty();
        assertThat(api.refusals()).singleElement().satisfies(f -> {
            assertThat(f.status()).isEqualTo(400);
            assertThat(f.method()).isEqualTo("POST");
            assertThat(f.path()).isEqualTo(path);
        });
        assertStillServing();
    }

    @Test
    void aMalformedBody_saysWhichFieldAndWhatWasExpected() {
        assertThat(post(port(), "/config/versions", "{\"yaml\": \"a\", \"direct\": \"yes\"}").body())
                .contains("direct: a string (expected: true or false)");
        assertThat(post(port(), "/config/diff", "{}").body()).contains("yaml: missing (expected: a string)");
    }

    @Test
    void aFailedStage_is500_withoutDetail_andTheServerKeepsServing() {
        api.fail("versions");

        HttpResponse<String> r = get(port(), "/config/versions");

        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(RecordingReleaseApi.parse(r.body()).get("error").asText()).isEqualTo("internal_error");
        assertThat(r.body()).doesNotContain("database gone").doesNotContain("Exception").doesNotContain("at io.");
        assertStillServing();
    }

    @Test
    void aReplyWaitsForItsStage_withoutHoldingUpOtherConnections_andPipelinedAnswersKeepTheirOrder()
            throws Exception {
        CompletableFuture<AdminReply> slow = new CompletableFuture<>();
        api.reply("rollout", slow);
        api.reply("versions", 200, "{\"versions\": []}");
        try (RawClient c = new RawClient(port())) {
            c.send("GET /config/rollout HTTP/1.1\r\nHost: a\r\n\r\nGET /config/versions HTTP/1.1\r\nHost: a\r\n\r\n");
            org.awaitility.Awaitility.await().until(() -> api.calls("rollout").size() == 1);

            assertStillServing();
            assertThat(api.calls("versions")).as("the second waits for the first's answer").isEmpty();

            slow.complete(new AdminReply(200, RecordingReleaseApi.parse("{\"state\": \"none\"}")));
            RawClient.Response first = c.read();
            RawClient.Response second = c.read();
            assertThat(first.body()).contains("\"none\"");
            assertThat(second.body()).contains("\"versions\"");
        }
    }

    @Test
    void changesFromLoopback_areAcceptedWithoutATokenFile_andReadsToo() {
        assertThat(post(port(), "/config/reload", "").statusCode()).isEqualTo(200);
        assertThat(get(port(), "/config").statusCode()).isEqualTo(200);
        assertThat(post(port(), "/config/rollback", "", "Authorization", "Bearer whatever-it-is-ignored")
                .statusCode()).isEqualTo(200);
        assertThat(api.refusals()).isEmpty();
    }
}
