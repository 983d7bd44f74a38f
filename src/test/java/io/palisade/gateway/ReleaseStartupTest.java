package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.palisade.admin.AdminReply;
import io.palisade.admin.ApplyRequest;
import io.palisade.config.ConfigException;
import io.palisade.testing.TestUpstream;
import io.palisade.time.Ticker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What serves when a gateway starts on a state dir that already holds versions: the stored active version when the
 * file is the same, the file when it differs and passes, the stored version when the file is invalid, and the last
 * promoted version after a stop in the middle of a rollout (marked interrupted).
 */
class ReleaseStartupTest {
    @TempDir
    Path dir;
    private TestUpstream blue;
    private TestUpstream green;

    @BeforeEach
    void upstreams() {
        blue = TestUpstream.start("blue");
        green = TestUpstream.start("green");
    }

    @AfterEach
    void stop() {
        blue.close();
        green.close();
    }

    private Path write(String yaml) throws Exception {
        Path file = dir.resolve("palisade.yaml");
        Files.writeString(file, """
                listeners:
                  http: { address: 127.0.0.1:0 }
                admin:
                  address: 127.0.0.1:0
                access_log: { enabled: false }
                server: { worker_threads: 1 }
                """ + yaml);
        return file;
    }

    private Gateway start(Path file) throws Exception {
        return Gateway.start(file, dir.resolve("state"), Ticker.system(), Clock.systemUTC());
    }

    private static JsonNode versions(Gateway g) {
        return g.releases().versions().toCompletableFuture().join().body().path("versions");
    }

    private static String audit(Gateway g) {
        return g.releases().audit(Optional.empty(), 1000).toCompletableFuture().join().body().toString();
    }

    @Test
    void sameFile_storedVersionServes_differentValidFile_becomesTheNextActiveVersion() throws Exception {
        Path file = write(ReleaseGatewayTest.config(blue, "v1"));
        try (Gateway g = start(file)) {
            assertThat(g.config().version()).isEqualTo("1");
        }
        try (Gateway g = start(file)) {
            assertThat(g.config().version()).as("same file, same version").isEqualTo("1");
            assertThat(versions(g)).hasSize(1);
        }
        write(ReleaseGatewayTest.config(green, "v2"));
        try (Gateway g = start(file)) {
            assertThat(g.config().version()).isEqualTo("2");
            assertThat(versions(g).get(0).path("state").asText()).isEqualTo("active");
            assertThat(versions(g).get(1).path("state").asText()).isEqualTo("superseded");
        }
    }

    @Test
    void invalidFile_storedActiveServes_andTheAuditSaysSo() throws Exception {
        Path file = write(ReleaseGatewayTest.config(blue, "v1"));
        try (Gateway g = start(file)) {
            assertThat(g.config().version()).isEqualTo("1");
        }
        Files.writeString(file, "clusters: [ this is not a config");
        try (Gateway g = start(file)) {
            assertThat(g.config().version()).isEqualTo("1");
            assertThat(audit(g)).contains("config.file.refused");
        }
    }

    @Test
    void invalidFile_onAnEmptyStore_doesNotStart() throws Exception {
        Path file = dir.resolve("palisade.yaml");
        Files.writeString(file, "routes: [ {");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> start(file)).isInstanceOf(ConfigException.class);
    }

    @Test
    void stoppedDuringRollout_lastPromotedServes_rolloutMarkedInterrupted() throws Exception {
        Path file = write(ReleaseGatewayTest.config(blue, "v1"));
        try (Gateway g = start(file)) {
            String next = ConfigLoader.readText(file).replace(blue.address(), green.address()).replace("# v1", "# v2");
            int status = g.releases().apply(new ApplyRequest(next, "m", "t", false, false),
                    ReleaseGatewayTest.OPERATOR).toCompletableFuture().join().status();
            assertThat(status).isEqualTo(201);
        }
        try (Gateway g = start(file)) {
            assertThat(g.config().version()).isEqualTo("1");
            assertThat(versions(g).get(0).path("state").asText()).isEqualTo("rolled_back");
            assertThat(versions(g).get(0).path("reasons").toString()).contains("interrupted");
            assertThat(audit(g)).contains("rollout.interrupted");
        }
    }

    @Test
    void rollback_withNoPreviousVersion_is409_toOneNeedingARestart_is422_andTheGatewayKeepsServing() throws Exception {
        Path file = write(ReleaseGatewayTest.config(blue, "v1"));
        try (Gateway g = start(file)) {
            AdminReply none = g.releases().rollback(OptionalLong.empty(), ReleaseGatewayTest.OPERATOR)
                    .toCompletableFuture().join();
            assertThat(none.status()).isEqualTo(409);
            assertThat(none.body().path("error").asText()).isEqualTo("no_previous_version");
            assertThat(get(g, "/api/x")).isEqualTo(200);
        }
        Files.writeString(file, ConfigLoader.readText(file).replace("worker_threads: 1", "worker_threads: 2"));
        try (Gateway g = start(file)) {
            assertThat(g.config().version()).as("a restart applies what a release cannot").isEqualTo("2");
            AdminReply back = g.releases().rollback(OptionalLong.of(1), ReleaseGatewayTest.OPERATOR)
                    .toCompletableFuture().join();
            assertThat(back.status()).isEqualTo(422);
            assertThat(back.body().path("errors").toString()).contains("server.worker_threads");
            assertThat(g.config().version()).isEqualTo("2");
            assertThat(get(g, "/api/x")).isEqualTo(200);
            assertThat(audit(g)).contains("config.rollback.refused");
        }
    }

    @Test
    void configShowsTheStoredVersionAndHash() throws Exception {
        try (Gateway g = start(write(ReleaseGatewayTest.config(blue, "v1")))) {
            JsonNode shown = new GatewayAdmin(g).config();
            assertThat(shown.path("version").asLong()).isEqualTo(1);
            assertThat(shown.path("hash").asText()).isEqualTo(versions(g).get(0).path("hash").asText());
        }
    }

    private static int get(Gateway g, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + g.port("http") + path)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
