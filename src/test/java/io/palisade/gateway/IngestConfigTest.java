package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.config.ConfigException;
import io.palisade.ingest.IngestSettings;
import io.palisade.route.IngestAction;
import io.palisade.route.RouteConfig;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The {@code ingest:} sections: defaults, every key, and each mistake refused with its path. */
class IngestConfigTest {
    private static final String CLUSTERS = """
            clusters:
              collector: { endpoints: [ "127.0.0.1:9000" ] }
            """;

    private static List<String> errors(String yaml) {
        try {
            ConfigLoader.parse(yaml, "t.yaml");
        } catch (ConfigException e) {
            return e.errors();
        }
        throw new AssertionError("accepted: " + yaml);
    }

    private static String route(String ingest) {
        return CLUSTERS + """
                routes:
                  - name: track
                    match: { path_prefix: /v1/track }
                    ingest: %s
                """.formatted(ingest);
    }

    @Test
    void anIngestRoute_getsTheDefaults() {
        GatewayConfig c = ConfigLoader.parse(route("{ cluster: collector }"), "t.yaml");

        RouteConfig r = c.routes().get(0);
        assertThat(r.clusters()).isEmpty();
        IngestAction a = r.ingest().orElseThrow();
        assertThat(a.cluster()).isEqualTo("collector");
        assertThat(a.maxRecord()).isEqualTo(1024 * 1024);
        assertThat(a.quota()).isEqualTo(Long.MAX_VALUE);
        assertThat(a.acceptEmpty()).isFalse();
        assertThat(a.storeHeaders()).containsExactly("Content-Type");
        assertThat(a.retry()).isEqualTo(new IngestAction.Retry(Duration.ofMillis(500), Duration.ofMinutes(5), 25,
                Duration.ofHours(24)));
        assertThat(a.concurrency()).isEqualTo(32);
        assertThat(c.ingest()).isEqualTo(IngestSettings.DEFAULTS);
        assertThat(r.reachableClusters(c.clusters())).containsExactly("collector");
    }

    @Test
    void everyKey_isRead() {
        GatewayConfig c = ConfigLoader.parse("""
                ingest: { fsync: 100ms, max_disk: 2GiB, idempotency_window: 2h }
                """ + route("""
                { cluster: collector, max_record: 64KiB, quota: 512MiB, empty_body: accept,
                          store_headers: [Content-Type, X-Tenant, x-tenant],
                          retry: { initial: 10ms, max: 1s, attempts: 3, max_age: 48h }, concurrency: 4 }"""),
                "t.yaml");

        IngestAction a = c.routes().get(0).ingest().orElseThrow();
        assertThat(a).isEqualTo(new IngestAction("collector", 64 * 1024, 512L * 1024 * 1024, true,
                List.of("Content-Type", "X-Tenant"), new IngestAction.Retry(Duration.ofMillis(10),
                        Duration.ofSeconds(1), 3, Duration.ofHours(48)), 4));
        assertThat(c.ingest()).isEqualTo(new IngestSettings(Optional.of(Duration.ofMillis(100)),
                2L * 1024 * 1024 * 1024, Duration.ofHours(2)));
    }

    @Test
    void mistakes_areRefused_withTheirPaths() {
        assertThat(errors(CLUSTERS + """
                routes:
                  - match: { path_prefix: /v1/track }
                    ingest: { cluster: collector }
                """)).containsExactly("routes[0].name: missing (expected: a name on an ingest route; it appears in"
                + " admin paths)");
        assertThat(errors(CLUSTERS + """
                routes:
                  - name: track
                    match: { path_prefix: /v1/track }
                    cluster: collector
                    ingest: { cluster: collector }
                """)).containsExactly("routes[0].cluster: collector (expected: absent on an ingest route (its"
                + " ingest.cluster receives the records))");
        assertThat(errors(route("{ cluster: nowhere }"))).containsExactly("routes[0].ingest.cluster: \"nowhere\""
                + " (expected: one of the defined clusters: collector)");
        assertThat(errors(route("{ cluster: collector, store_headers: [Content-Type, Authorization, Cookie] }")))
                .containsExactly(
                        "routes[0].ingest.store_headers[1]: \"Authorization\" (expected: a header that carries no"
                                + " credentials; ingest records never keep them)",
                        "routes[0].ingest.store_headers[2]: \"Cookie\" (expected: a header that carries no credentials;"
                                + " ingest records never keep them)");
        assertThat(errors(route("{ cluster: collector, empty_body: maybe }"))).singleElement().asString()
                .startsWith("routes[0].ingest.empty_body: maybe");
        assertThat(errors(route("{ cluster: collector, max_record: 20MiB }"))).containsExactly(
                "routes[0].ingest.max_record: 20MiB (expected: <= server.limits.max_body 10MiB)");
        assertThat(errors("ingest: { max_disk: 1GiB }\n" + route("{ cluster: collector, quota: 2GiB }")))
                .containsExactly("routes[0].ingest.quota: 2GiB (expected: <= ingest.max_disk 1GiB)");
        assertThat(errors(route("{ cluster: collector, retry: { initial: 2s, max: 1s } }"))).containsExactly(
                "routes[0].ingest.retry.max: 1s (expected: >= retry.initial 2s)");
        assertThat(errors(route("{ cluster: collector, concurrency: 0 }"))).singleElement().asString()
                .startsWith("routes[0].ingest.concurrency: 0");
        assertThat(errors(route("{ cluster: collector, spool: true }"))).singleElement().asString()
                .startsWith("routes[0].ingest.spool: unknown key");
        assertThat(errors("ingest: { fsync: sometimes }\n" + route("{ cluster: collector }"))).containsExactly(
                "ingest.fsync: sometimes (expected: always, or an interval such as 100ms (above 0, at most 10s))");
        assertThat(errors("ingest: { fsync: 1m }\n" + route("{ cluster: collector }"))).singleElement().asString()
                .startsWith("ingest.fsync: 1m");
    }
}
