package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a reload cannot change in a running gateway: each named with why, and nothing when it is unchanged. */
class RestartOnlyTest {
    @TempDir
    Path dir;

    private static GatewayConfig parse(String yaml) {
        return ConfigLoader.parse(yaml + ConfigLoaderTest.MINIMAL, "t.yaml");
    }

    @Test
    void theIngestFsyncTheStatusPageAndTheWebhooks_needARestart() throws Exception {
        Path secret = Files.writeString(dir.resolve("hook.secret"), "whsec_"
                + Base64.getEncoder().encodeToString(new byte[32]) + "\n");
        String page = """
                status_page:
                  address: 127.0.0.1:0
                  components: [ { id: orders, name: Orders, routes: ["routes[0]"] } ]
                """;
        GatewayConfig base = parse(page + "notify: { webhooks: [ { url: \"http://127.0.0.1:1/h\", secret_file: \""
                + secret + "\" } ] }\n");

        assertThat(RestartOnly.changes(base, base)).isEmpty();
        assertThat(RestartOnly.changes(base, parse(page))).containsExactly("notify: changed (expected: unchanged on"
                + " reload; the webhook notifier is set up at start with its subscribers and their secrets, restart"
                + " to change them)");
        assertThat(RestartOnly.changes(parse(page), parse(""))).containsExactly("status_page: changed (expected:"
                + " unchanged on reload; the status page's listener, components and incident book are set up at"
                + " start, restart to change them)");
        assertThat(RestartOnly.changes(parse(""), parse("ingest: { fsync: 100ms }\n"))).containsExactly(
                "ingest.fsync: changed (expected: unchanged on reload; the ingest store opens with it, restart to"
                        + " change it)");
    }
}
