package io.palisade.alert;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.EventLoopGroup;
import io.palisade.admin.AdminBackend;
import io.palisade.admin.AdminConfig;
import io.palisade.admin.AdminServer;
import io.palisade.admin.AlertApi;
import io.palisade.admin.IngestApi;
import io.palisade.admin.ReloadResult;
import io.palisade.config.Address;
import io.palisade.server.Transport;
import io.palisade.testing.FakeTicker;
import io.palisade.testing.RecordingReleaseApi;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /alerts} on a real admin server: the JSON shape with evidence, methods, the token, no engine. */
class AlertsEndpointTest {
    static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "a-token-of-at-least-32-characters-0123456789";

    private final FakeTicker ticker = new FakeTicker();
    private final SignalAlertTest.State state = new SignalAlertTest.State();
    private final AlertEngine alerts = AlertEngine.builder(ticker.clock(T0)).signals(state).build();
    private EventLoopGroup group;
    private AdminServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private int start(AlertApi api, Optional<Path> token) throws InterruptedException {
        Transport transport = Transport.detect();
        group = transport.newGroup(1, "test-admin");
        server = AdminServer.start(new AdminConfig(new Address("127.0.0.1", 0), token), group,
                transport.serverChannel(), new Backend(), RecordingReleaseApi.async(), IngestApi.none(), api, ticker);
        return server.port();
    }

    private static HttpResponse<String> call(int port, String method, String path, String... headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20)).method(method, HttpRequest.BodyPublishers.noBody());
        if (headers.length > 0) {
            b.headers(headers);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private void seconds(int n) {
        for (int i = 0; i < n; i++) {
            ticker.advance(Duration.ofSeconds(1));
            alerts.evaluate();
        }
    }

    @Test
    void getAlerts_listsActiveAndRecent_withEvidence() throws Exception {
        int port = start(alerts.api(), Optional.empty());
        HttpResponse<String> empty = call(port, "GET", "/alerts");
        assertThat(empty.statusCode()).isEqualTo(200);
        assertThat(empty.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v)
                .startsWith("application/json"));
        assertThat(JSON.readTree(empty.body())).isEqualTo(JSON.readTree("{\"active\": [], \"recent\": []}"));

        state.clusters = List.of(new Signals.ClusterState("orders", 2, 0, false, false));
        state.fallback = true;
        seconds(11);
        state.fallback = false;
        seconds(31);

        JsonNode body = JSON.readTree(call(port, "GET", "/alerts").body());
        assertThat(body.get("active")).hasSize(1);
        JsonNode active = body.get("active").get(0);
        assertThat(active.get("name").asText()).isEqualTo("cluster_no_healthy_endpoint");
        assertThat(active.get("labels")).isEqualTo(JSON.readTree("{\"cluster\": \"orders\"}"));
        assertThat(active.get("severity").asText()).isEqualTo("page");
        assertThat(active.get("state").asText()).isEqualTo("firing");
        assertThat(active.get("since").asText()).isEqualTo(T0.plusSeconds(6).toString());
        assertThat(active.get("until").isNull()).isTrue();
        assertThat(active.get("summary").asText()).startsWith("cluster orders has no healthy endpoint");
        assertThat(active.get("evidence")).isEqualTo(JSON.readTree(
                "{\"endpoints\": 2, \"available\": 0, \"failing_over\": false, \"panic\": false}"));
        JsonNode recent = body.get("recent").get(0);
        assertThat(recent.get("name").asText()).isEqualTo("ratelimit_fallback");
        assertThat(recent.get("state").asText()).isEqualTo("resolved");
        assertThat(recent.get("until").asText()).isEqualTo(T0.plusSeconds(42).toString());
        assertThat(recent.fieldNames()).toIterable().containsExactly("name", "labels", "severity", "state", "since",
                "until", "summary", "evidence");

        assertThat(call(port, "HEAD", "/alerts").statusCode()).isEqualTo(200);
        HttpResponse<String> post = call(port, "POST", "/alerts");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("allow")).contains("GET, HEAD");
        assertThat(call(port, "GET", "/alerts/x").statusCode()).isEqualTo(404);
    }

    @Test
    void withATokenFile_alertsNeedTheToken() throws Exception {
        Path tokenFile = Files.createTempFile(tmp, "token", "");
        Files.writeString(tokenFile, TOKEN);
        Files.setPosixFilePermissions(tokenFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        int port = start(alerts.api(), Optional.of(tokenFile));
        assertThat(call(port, "GET", "/alerts").statusCode()).isEqualTo(401);
        assertThat(call(port, "GET", "/alerts", "Authorization", "Bearer " + TOKEN).statusCode()).isEqualTo(200);
    }

    @Test
    void withoutAnAlertEngine_itIsA404() throws Exception {
        int port = start(AlertApi.none(), Optional.empty());
        HttpResponse<String> r = call(port, "GET", "/alerts");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(r.body()).get("message").asText()).isEqualTo("This gateway has no alert engine.");
    }

    @Test
    void anApiThatFails_isA500_andTheServerGoesOn() throws Exception {
        int port = start(() -> CompletableFuture.failedFuture(new IllegalStateException("boom")), Optional.empty());
        assertThat(call(port, "GET", "/alerts").statusCode()).isEqualTo(500);
        assertThat(call(port, "GET", "/healthz").statusCode()).isEqualTo(200);
    }

    @TempDir
    Path tmp;

    private static final class Backend implements AdminBackend {
        @Override
        public boolean ready() {
            return true;
        }

        @Override
        public String metrics() {
            return "";
        }

        @Override
        public JsonNode config() {
            return JSON.createObjectNode();
        }

        @Override
        public JsonNode clusters() {
            return JSON.createObjectNode();
        }

        @Override
        public CompletionStage<ReloadResult> reload() {
            return CompletableFuture.completedFuture(ReloadResult.applied("x"));
        }
    }
}
