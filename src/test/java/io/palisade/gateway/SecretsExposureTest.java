package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.read.ListAppender;
import io.palisade.admin.ReloadResult;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.Gateways;
import io.palisade.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * No secret the gateway holds (the admin token, API keys and their hashes, JWT secrets, webhook secrets) appears in
 * what it shows: {@code /config}, the answers to refused and failed calls, a refused reload's errors, or any log line
 * (everything logback receives while the gateway starts, serves, refuses and reloads). Redis has no password to leak
 * yet (the gateway speaks to Redis without AUTH).
 */
class SecretsExposureTest {
    private static final String ADMIN_TOKEN = "adm1n-T0ken-zq8wX3vB6nM2kL9p";
    private static final String API_KEY = "pk_live_Q7mZ2xV9bN4cR8tY1uI6oP3a";
    private static final String WRONG_API_KEY = "pk_live_WRONGxV9bN4cR8tY1uI6oP3a";
    private static final String JWT_SECRET = "jwt-hs256-secret-Hq4Lw9Zt2Vx7Nb3Mk8Rj";
    private static final String WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    @RegisterExtension
    final Gateways gateways = Gateways.onSystemTime(1);
    @TempDir
    Path dir;

    @Test
    void noSecretAppearsInConfigErrorBodiesReloadErrorsOrLogs() throws Exception {
        String apiKeyHash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(API_KEY.getBytes(StandardCharsets.UTF_8)));
        List<String> secrets = List.of(ADMIN_TOKEN, API_KEY, WRONG_API_KEY, apiKeyHash, JWT_SECRET, WEBHOOK_SECRET,
                WEBHOOK_SECRET.substring("whsec_".length()));
        Path token = Files.writeString(dir.resolve("admin.token"), ADMIN_TOKEN + "\n");
        Path hook = Files.writeString(dir.resolve("hook.secret"), WEBHOOK_SECRET + "\n");
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
        List<String> shown = new ArrayList<>();
        try (TestUpstream upstream = TestUpstream.start("app").behave(new TestUpstream.Echo())) {
            String yaml = config(token, hook, apiKeyHash, upstream.address(), "HS256", JWT_SECRET);
            GatewayFixture gw = gateways.start(yaml);

            HttpResponse<String> config = admin(gw, "GET", "/config", ADMIN_TOKEN, "");
            assertThat(config.statusCode()).isEqualTo(200);
            assertThat(config.body()).contains("<redacted>");
            shown.add(config.body());
            shown.add(admin(gw, "GET", "/config", "wrong-" + ADMIN_TOKEN, "").body());
            shown.add(admin(gw, "GET", "/config", ADMIN_TOKEN.substring(0, 10), "").body());
            shown.add(admin(gw, "POST", "/config/rollback", ADMIN_TOKEN, "{not json").body());
            shown.add(admin(gw, "GET", "/config/versions", ADMIN_TOKEN, "").body());
            shown.add(admin(gw, "GET", "/audit", ADMIN_TOKEN, "").body());

            assertThat(gw.get("/app", "X-Api-Key", API_KEY).statusCode()).isEqualTo(200);
            HttpResponse<String> wrongKey = gw.get("/app", "X-Api-Key", WRONG_API_KEY);
            assertThat(wrongKey.statusCode()).isEqualTo(401);
            shown.add(wrongKey.body() + wrongKey.headers().map());
            HttpResponse<String> queryKey = gw.get("/app?api_key=" + WRONG_API_KEY);
            shown.add(queryKey.body() + queryKey.headers().map());
            HttpResponse<String> badJwt = gw.get("/app", "Authorization", "Bearer " + JWT_SECRET + ".x.y");
            shown.add(badJwt.body() + badJwt.headers().map());

            // A reload the gateway refuses: the errors name the keys, never their values.
            ReloadResult refused = gw.reload(config(token, hook, apiKeyHash + "zz", upstream.address(), "HS999",
                    JWT_SECRET.substring(0, 8)));
            assertThat(refused.applied()).isFalse();
            shown.add(String.join("\n", refused.errors()));
            shown.add(admin(gw, "POST", "/config/reload", ADMIN_TOKEN, "").body());
        } finally {
            root.detachAppender(logs);
        }
        List<String> logged;
        synchronized (logs) { // AppenderBase appends under the appender's own lock
            logged = logs.list.stream().map(SecretsExposureTest::render).toList();
        }
        assertThat(logged).as("something was logged").isNotEmpty();
        for (String secret : secrets) {
            assertThat(shown).as("answers and errors").noneMatch(s -> s.contains(secret));
            assertThat(logged).as("log lines").noneMatch(s -> s.contains(secret));
        }
    }

    private static String config(Path token, Path hook, String keyHash, String upstream, String alg, String secret) {
        return """
                admin: { address: 127.0.0.1:0, token_file: "%s" }
                status_page:
                  address: 127.0.0.1:0
                  title: Acme API
                  components:
                    - { id: app, name: App, routes: [app] }
                notify:
                  webhooks:
                    - { url: "http://127.0.0.1:9/hook", secret_file: "%s", timeout: 1s }
                consumers:
                  acme: { api_keys: [ { sha256: "%s" } ] }
                auth:
                  api_key: { header: X-Api-Key, query: api_key }
                  jwt:
                    idp: { issuer: https://idp.example, audiences: [app], algorithms: [%s], hs256_secret: "%s" }
                clusters:
                  app: { endpoints: [ "%s" ] }
                routes:
                  - name: app
                    match: { path_prefix: /app }
                    cluster: app
                    auth: { any_of: [api_key, jwt:idp] }
                """.formatted(token, hook, keyHash, alg, secret, upstream);
    }

    private static HttpResponse<String> admin(GatewayFixture gw, String method, String path, String token,
                                              String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.adminPort() + path))
                .method(method, HttpRequest.BodyPublishers.ofString(body))
                .header("Authorization", "Bearer " + token);
        return gw.send(b);
    }

    private static String render(ILoggingEvent e) {
        StringBuilder sb = new StringBuilder(e.getFormattedMessage());
        for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
            sb.append('\n').append(t.getClassName()).append(": ").append(t.getMessage());
            for (StackTraceElementProxy frame : t.getStackTraceElementProxyArray()) {
                sb.append('\n').append(frame.getSTEAsString());
            }
        }
        return sb.toString();
    }
}
