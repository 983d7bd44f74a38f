package io.palisade.admin;

import static io.palisade.admin.AdminHttp.get;
import static io.palisade.admin.AdminHttp.post;
import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.testing.AdminFixture;
import io.palisade.testing.RawClient;
import io.palisade.testing.RecordingReleaseApi;
import java.io.IOException;
import java.net.InetAddress;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A real admin server with {@code admin.token_file}: the probes stay open, everything else needs the bearer token,
 * and an address that keeps failing is refused for the rest of its window while other addresses are not.
 */
class AdminTokenTest {
    private static final String TOKEN = "s3cret-token-0123456789abcdef";
    private static final String GOOD = "Bearer " + TOKEN;

    @TempDir
    Path dir;
    private AdminFixture admin;
    private RecordingReleaseApi api;

    @BeforeEach
    void start() throws Exception {
        Path file = dir.resolve("admin.token");
        Files.writeString(file, "  " + TOKEN + "\n");
        admin = AdminFixture.withToken(file);
        api = admin.api;
    }

    @AfterEach
    void stop() {
        admin.close();
    }

    private int port() {
        return admin.port();
    }

    @ParameterizedTest
    @CsvSource({"/healthz", "/readyz", "/metrics"})
    void theProbes_needNoToken(String path) {
        assertThat(get(port(), path).statusCode()).isEqualTo(200);
        assertThat(api.refusals()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"GET,/config", "GET,/clusters", "GET,/config/versions", "GET,/config/versions/3",
        "GET,/config/rollout", "GET,/audit", "POST,/config/reload", "POST,/config/rollback",
        "POST,/config/rollout/abort", "GET,/not/a/resource"})
    void everythingElse_withoutAToken_is401_withWwwAuthenticate(String method, String path) {
        HttpResponse<String> r = AdminHttp.call(port(), method, path, method.equals("POST") ? "" : null);

        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("www-authenticate")).hasValue("Bearer");
        assertThat(RecordingReleaseApi.parse(r.body()).get("error").asText()).isEqualTo("unauthorized");
        assertThat(api.calls()).isEmpty();
        assertThat(api.refusals()).singleElement().satisfies(f -> {
            assertThat(f.status()).isEqualTo(401);
            assertThat(f.method()).isEqualTo(method);
            assertThat(f.path()).isEqualTo(path);
            assertThat(f.reason()).isEqualTo("missing bearer token");
            assertThat(f.caller()).isEqualTo(new Caller("127.0.0.1", true, false));
        });
        assertThat(get(port(), "/healthz").statusCode()).isEqualTo(200);
    }

    @Test
    void aWrongToken_orAnotherScheme_is401_withItsReason() {
        assertThat(get(port(), "/config/versions", "Authorization", "Bearer " + TOKEN + "x").statusCode())
                .isEqualTo(401);
        assertThat(get(port(), "/config/versions", "Authorization", "Basic " + TOKEN).statusCode()).isEqualTo(401);
        assertThat(get(port(), "/config/versions", "Authorization", "Bearer").statusCode()).isEqualTo(401);

        assertThat(api.refusals()).extracting(RecordingReleaseApi.Refused::reason)
                .containsExactly("wrong bearer token", "not a bearer token", "not a bearer token");
        assertThat(api.calls()).isEmpty();
    }

    @Test
    void theToken_letsEveryCallThrough_andTheCallerIsAuthenticated() {
        assertThat(get(port(), "/config", "Authorization", GOOD).statusCode()).isEqualTo(200);
        assertThat(get(port(), "/config/versions", "Authorization", "bearer   " + TOKEN).statusCode()).isEqualTo(200);
        assertThat(post(port(), "/config/versions", "{\"yaml\": \"a: 1\"}", "Authorization", GOOD).statusCode())
                .isEqualTo(200);

        Caller caller = (Caller) api.calls("apply").getFirst().arg(1);
        assertThat(caller).isEqualTo(new Caller("127.0.0.1", true, true));
        assertThat(caller.describe()).isEqualTo("token@127.0.0.1");
        assertThat(api.refusals()).isEmpty();
    }

    @Test
    void failedAttempts_areLimitedPerAddress_forTheRestOfTheWindow_rightTokenIncluded() throws IOException {
        for (int i = 0; i < AdminAuth.MAX_FAILURES; i++) {
            assertThat(call("127.0.0.1", "Bearer wrong-" + i).status()).isEqualTo(401);
        }
        admin.ticker.advance(Duration.ofSeconds(20));

        RawClient.Response limited = call("127.0.0.1", GOOD);
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.header("retry-after")).isEqualTo("40");
        assertThat(limited.body()).contains("too_many_failed_attempts");
        assertThat(call("127.0.0.1", null).status()).isEqualTo(429);
        assertThat(get(port(), "/healthz").statusCode()).as("the probes stay open").isEqualTo(200);

        // Another client address is not affected, neither with the token nor without.
        assertThat(call("127.0.0.2", GOOD).status()).isEqualTo(200);
        assertThat(call("127.0.0.2", "Bearer wrong").status()).isEqualTo(401);

        admin.ticker.advance(Duration.ofSeconds(40));
        assertThat(call("127.0.0.1", GOOD).status()).as("a new window").isEqualTo(200);
        assertThat(call("127.0.0.1", "Bearer wrong").status()).isEqualTo(401);

        assertThat(api.refusals()).filteredOn(f -> f.status() == 429).hasSize(2)
                .allSatisfy(f -> assertThat(f.caller().address()).isEqualTo("127.0.0.1"));
        assertThat(api.refusals()).filteredOn(f -> f.status() == 401)
                .extracting(f -> f.caller().address()).containsOnly("127.0.0.1", "127.0.0.2");
        assertThat(api.calls("versions")).hasSize(2);
    }

    private RawClient.Response call(String from, String authorization) throws IOException {
        try (RawClient c = RawClient.from(InetAddress.getByName(from), port())) {
            c.send("GET /config/versions HTTP/1.1\r\nHost: admin\r\n"
                    + (authorization == null ? "" : "Authorization: " + authorization + "\r\n") + "\r\n");
            return c.read();
        }
    }
}
