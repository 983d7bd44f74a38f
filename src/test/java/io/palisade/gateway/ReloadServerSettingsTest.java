package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.palisade.config.ReloadResult;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.RawClient;
import io.palisade.testing.TestUpstream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Server-wide settings a reload must apply rather than ignore: the access log and the connection cap. */
class ReloadServerSettingsTest {
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private <T extends AutoCloseable> T keep(T resource) {
        resources.add(resource);
        return resource;
    }

    private static String routes(TestUpstream upstream) {
        return """
                clusters:
                  app: { endpoints: [ "%s" ] }
                routes:
                  - match: { path_prefix: / }
                    cluster: app
                """.formatted(upstream.address());
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.exists(file) ? Files.readAllLines(file) : List.of();
    }

    @Test
    void reload_movesTheAccessLogToItsNewTarget_andTheOldFileKeepsEveryLineLoggedBefore() throws Exception {
        TestUpstream upstream = keep(TestUpstream.start("app"));
        Path dir = Files.createTempDirectory("palisade-access");
        Path before = dir.resolve("before.log");
        Path after = dir.resolve("after.log");
        GatewayFixture gw = keep(GatewayFixture.start("access_log: { target: \"" + before + "\" }\n"
                + routes(upstream)));
        for (int i = 0; i < 3; i++) {
            assertThat(gw.get("/a", "X-Request-Id", "before-" + i).statusCode()).isEqualTo(200);
        }

        ReloadResult moved = gw.reload("access_log: { target: \"" + after + "\" }\n" + routes(upstream));
        assertThat(moved.applied()).as("%s", moved.errors()).isTrue();
        for (int i = 0; i < 2; i++) {
            assertThat(gw.get("/b", "X-Request-Id", "after-" + i).statusCode()).isEqualTo(200);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> lines(after).size() == 2 && lines(before).size() == 3);
        assertThat(lines(before)).allMatch(l -> l.contains("\"request_id\":\"before-"));
        assertThat(lines(after)).allMatch(l -> l.contains("\"request_id\":\"after-"));

        ReloadResult off = gw.reload("access_log: { enabled: false }\n" + routes(upstream));
        assertThat(off.applied()).isTrue();
        assertThat(gw.get("/c", "X-Request-Id", "off").statusCode()).isEqualTo(200);

        ReloadResult unopenable = gw.reload("access_log: { target: \"" + dir + "\" }\n" + routes(upstream));
        assertThat(unopenable.applied()).isFalse();
        assertThat(unopenable.errors()).singleElement().asString().startsWith("access_log.target: cannot open " + dir);
        assertThat(gw.get("/d").statusCode()).isEqualTo(200);
        assertThat(lines(after)).hasSize(2);
    }

    /** Opens a keep-alive connection and has one request served on it; false when the listener refused it. */
    private boolean served(int port) {
        try {
            RawClient c = keep(new RawClient(port));
            c.send("GET /held HTTP/1.1\r\nHost: a\r\n\r\n");
            RawClient.Response r = c.read();
            return r != null && r.status() == 200;
        } catch (IOException e) {
            return false; // closed on accept, before or while the request went out
        }
    }

    @Test
    void maxConnections_capsEachListenerOnItsOwn_andAReloadChangesTheCap() throws Exception {
        TestUpstream upstream = keep(TestUpstream.start("app"));
        String listeners = """
                listeners:
                  http: { address: 127.0.0.1:0 }
                  other: { address: 127.0.0.1:0 }
                """;
        GatewayFixture gw = keep(GatewayFixture.start(listeners
                + "server: { limits: { max_connections: 2 } }\n" + routes(upstream)));
        int http = gw.port();
        int other = gw.gateway().port("other");

        assertThat(served(http)).isTrue();
        assertThat(served(http)).isTrue();
        assertThat(served(other)).as("the other listener has a cap of its own").isTrue();
        assertThat(served(other)).isTrue();
        assertThat(served(http)).as("third connection on a listener capped at 2").isFalse();

        ReloadResult raised = gw.reload(listeners + "server: { limits: { max_connections: 3 } }\n" + routes(upstream));
        assertThat(raised.applied()).as("%s", raised.errors()).isTrue();
        assertThat(served(http)).as("the new cap of 3").isTrue();
        assertThat(served(other)).isTrue();
        assertThat(served(http)).isFalse();
    }
}
