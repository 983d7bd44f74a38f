package io.palisade.gateway;

import io.palisade.admin.AdminConfig;
import io.palisade.config.Address;
import io.palisade.config.ConfigException;
import io.palisade.config.Syntax;
import io.palisade.proxy.AccessLogConfig;
import io.palisade.route.RequestPolicy;
import io.palisade.route.RouteConfig;
import io.palisade.route.RouteMatch;
import io.palisade.route.WeightedCluster;
import io.palisade.server.ListenerConfig;
import io.palisade.server.ServerConfig;
import io.palisade.server.ServerLimits;
import io.palisade.upstream.CircuitLimits;
import io.palisade.upstream.ClusterConfig;
import io.palisade.upstream.EndpointConfig;
import io.palisade.upstream.HashOn;
import io.palisade.upstream.RetryConfig;
import io.palisade.upstream.Timeouts;
import io.palisade.upstream.balance.BalancerKind;
import io.palisade.upstream.health.HealthCheckConfig;
import io.palisade.upstream.health.OutlierConfig;
import io.palisade.auth.RoutePolicy;
import io.palisade.ratelimit.AdaptiveConcurrencySettings;
import io.palisade.ratelimit.RouteLimits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigLoaderTest {
    static final String FULL = """
            listeners:
              http: { address: 0.0.0.0:8080 }
            admin:
              address: 127.0.0.1:9901
            clusters:
              orders:
                endpoints: [ "127.0.0.1:9001", { address: "127.0.0.1:9002", weight: 3 } ]
                balancer: consistent_hash
                hash_on: header:X-Tenant
                timeouts: { connect: 250ms, request: 5s, idle: 60s }
                health_check: { path: /healthz, interval: 2s, timeout: 500ms, unhealthy_after: 3, healthy_after: 2 }
                outlier: { consecutive_failures: 5, ejection: 30s, max_ejection: 10m, max_ejection_percent: 34, panic_threshold: 40 }
                limits: { max_connections: 1024, max_pending: 256, max_requests: 1024 }
                retries: { attempts: 2, budget: 20% }
                failover: orders-eu
              orders-eu:
                endpoints: [ "127.0.0.1:9003" ]
            routes:
              - name: orders
                match: { path_prefix: /orders, methods: [GET, post], host: API.example.com, headers: { X-Version: "2" } }
                cluster: orders
                strip_prefix: true
                timeouts: { request: 2s }
                request: { max_body: 1MiB, require_body: true }
              - match: { path: /health }
                cluster: orders-eu
                timeouts: { idle: 5s }
            server:
              limits: { max_header_bytes: 32KiB, max_uri_bytes: 4KiB, max_body: 20MiB, header_read_timeout: 5s,
                        client_idle: 2m, max_connections: 500 }
              worker_threads: 4
              drain_timeout: 10s
            access_log: { enabled: false, target: /var/log/palisade/access.log }
            """;

    static final String MINIMAL = """
            clusters:
              orders:
                endpoints: [ "127.0.0.1:9001" ]
            routes:
              - match: { path_prefix: /orders }
                cluster: orders
            """;

    // ---------------------------------------------------------------- round trip and defaults

    @Test
    void fullExample_becomesTheExpectedRecords() {
        GatewayConfig c = ConfigLoader.parse(FULL, "full.yaml");

        assertThat(c.listeners()).containsExactly(new ListenerConfig("http", new Address("0.0.0.0", 8080)));
        assertThat(c.admin()).isEqualTo(new AdminConfig(new Address("127.0.0.1", 9901)));
        assertThat(c.clusters().keySet()).containsExactly("orders", "orders-eu");
        assertThat(c.clusters().get("orders")).isEqualTo(new ClusterConfig("orders",
                List.of(new EndpointConfig(new Address("127.0.0.1", 9001), 1),
                        new EndpointConfig(new Address("127.0.0.1", 9002), 3)),
                BalancerKind.CONSISTENT_HASH, Optional.of(new HashOn(HashOn.Source.HEADER, "X-Tenant")),
                new Timeouts(Duration.ofMillis(250), Duration.ofSeconds(5), Duration.ofSeconds(60)),
                Optional.of(new HealthCheckConfig("/healthz", Duration.ofSeconds(2), Duration.ofMillis(500), 3, 2)),
                new OutlierConfig(5, Duration.ofSeconds(30), Duration.ofMinutes(10), 34, 40),
                new CircuitLimits(1024, 256, 1024), new RetryConfig(2, 0.2), Optional.of("orders-eu"),
                AdaptiveConcurrencySettings.disabled()));
        assertThat(c.clusters().get("orders-eu")).isEqualTo(new ClusterConfig("orders-eu",
                List.of(new EndpointConfig(new Address("127.0.0.1", 9003), 1)), BalancerKind.ROUND_ROBIN,
                Optional.empty(), new Timeouts(Duration.ofSeconds(1), Duration.ofSeconds(15), Duration.ofSeconds(60)),
                Optional.empty(), new OutlierConfig(5, Duration.ofSeconds(30), Duration.ofMinutes(5), 50, 50),
                new CircuitLimits(1024, 256, 1024), new RetryConfig(1, 0.2), Optional.empty(),
                AdaptiveConcurrencySettings.disabled()));
        assertThat(c.routes()).containsExactly(
                new RouteConfig("orders", new RouteMatch(Optional.of("/orders"), Optional.empty(),
                        Set.of("GET", "POST"), Optional.of("api.example.com"), Map.of("X-Version", "2")),
                        List.of(new WeightedCluster("orders", 100)), true, Optional.of(Duration.ofSeconds(2)),
                        Optional.empty(), new RequestPolicy(Optional.of(1024L * 1024), true), RoutePolicy.none(),
                        RouteLimits.none()),
                new RouteConfig("routes[1]", new RouteMatch(Optional.empty(), Optional.of("/health"), Set.of(),
                        Optional.empty(), Map.of()), List.of(new WeightedCluster("orders-eu", 100)), false,
                        Optional.empty(), Optional.of(Duration.ofSeconds(5)),
                        new RequestPolicy(Optional.empty(), false), RoutePolicy.none(), RouteLimits.none()));
        assertThat(c.server()).isEqualTo(new ServerConfig(new ServerLimits(32 * 1024, 4 * 1024, 20L * 1024 * 1024,
                Duration.ofSeconds(5), Duration.ofMinutes(2), 500), 4, Duration.ofSeconds(10)));
        assertThat(c.accessLog()).isEqualTo(new AccessLogConfig(false, "/var/log/palisade/access.log"));
    }

    @Test
    void minimalConfig_getsTheDocumentedDefaults() {
        GatewayConfig c = ConfigLoader.parse(MINIMAL, "minimal.yaml");

        assertThat(c.listeners()).containsExactly(new ListenerConfig("http", new Address("0.0.0.0", 8080)));
        assertThat(c.admin().address()).isEqualTo(new Address("127.0.0.1", 9901));
        ClusterConfig orders = c.clusters().get("orders");
        assertThat(orders.balancer()).isEqualTo(BalancerKind.ROUND_ROBIN);
        assertThat(orders.hashOn()).isEmpty();
        assertThat(orders.timeouts()).isEqualTo(new Timeouts(Duration.ofSeconds(1), Duration.ofSeconds(15),
                Duration.ofSeconds(60)));
        assertThat(orders.healthCheck()).isEmpty();
        assertThat(orders.outlier()).isEqualTo(new OutlierConfig(5, Duration.ofSeconds(30), Duration.ofMinutes(5),
                50, 50));
        assertThat(orders.limits()).isEqualTo(new CircuitLimits(1024, 256, 1024));
        assertThat(orders.retries()).isEqualTo(new RetryConfig(1, 0.2));
        assertThat(orders.failover()).isEmpty();
        RouteConfig route = c.routes().get(0);
        assertThat(route.id()).isEqualTo("routes[0]");
        assertThat(route.stripPrefix()).isFalse();
        assertThat(route.requestTimeout()).isEmpty();
        assertThat(route.idleTimeout()).isEmpty();
        assertThat(route.request()).isEqualTo(new RequestPolicy(Optional.empty(), false));
        assertThat(route.match().methods()).isEmpty();
        assertThat(c.server()).isEqualTo(new ServerConfig(new ServerLimits(16 * 1024, 8 * 1024, 10L * 1024 * 1024,
                Duration.ofSeconds(10), Duration.ofSeconds(60), 10_000), 0, Duration.ofSeconds(30)));
        assertThat(c.accessLog()).isEqualTo(new AccessLogConfig(true, "stdout"));
    }

    @Test
    void sectionsWrittenWithoutValue_meanDefaults() {
        GatewayConfig c = ConfigLoader.parse("listeners:\nadmin:\nserver:\naccess_log:\n" + MINIMAL, "t.yaml");
        assertThat(c.listeners()).containsExactly(new ListenerConfig("http", new Address("0.0.0.0", 8080)));
        assertThat(c.admin().address()).isEqualTo(new Address("127.0.0.1", 9901));
        assertThat(c.server().drainTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.accessLog()).isEqualTo(new AccessLogConfig(true, "stdout"));
    }

    @Test
    void weights_makeTheDefaultBalancerWeighted_butAnExplicitBalancerWins() {
        GatewayConfig c = ConfigLoader.parse("""
                clusters:
                  a: { endpoints: [ { address: "10.0.0.1:80", weight: 2 }, "10.0.0.2:80" ] }
                  b: { endpoints: [ { address: "10.0.0.1:80", weight: 2 } ], balancer: ROUND_ROBIN }
                  c: { endpoints: [ { address: "10.0.0.1:80", weight: 1 } ] }
                routes: [ { match: { path_prefix: / }, cluster: a } ]
                """, "t.yaml");
        assertThat(c.clusters().get("a").balancer()).isEqualTo(BalancerKind.WEIGHTED);
        assertThat(c.clusters().get("b").balancer()).isEqualTo(BalancerKind.ROUND_ROBIN);
        assertThat(c.clusters().get("c").balancer()).isEqualTo(BalancerKind.ROUND_ROBIN);
    }

    @Test
    void hashOn_acceptsEveryForm() {
        for (var form : Map.of("header:X-Tenant", new HashOn(HashOn.Source.HEADER, "X-Tenant"),
                "client_ip", new HashOn(HashOn.Source.CLIENT_IP, ""), "path", new HashOn(HashOn.Source.PATH, ""),
                "query:tenant", new HashOn(HashOn.Source.QUERY, "tenant")).entrySet()) {
            GatewayConfig c = ConfigLoader.parse(withCluster("""
                    endpoints: [ "127.0.0.1:9001" ]
                    balancer: consistent_hash
                    hash_on: %s
                    """.formatted(form.getKey())), "t.yaml");
            assertThat(c.clusters().get("orders").hashOn()).contains(form.getValue());
        }
    }

    @Test
    void healthCheck_defaultsAndShortIntervalHalvesTheDefaultTimeout() {
        GatewayConfig c = ConfigLoader.parse("""
                clusters:
                  a: { endpoints: [ "127.0.0.1:1" ], health_check: { path: "/ready?deep=1" } }
                  b: { endpoints: [ "127.0.0.1:1" ], health_check: { path: /ready, interval: 800ms } }
                routes: [ { match: { path_prefix: / }, cluster: a } ]
                """, "t.yaml");
        assertThat(c.clusters().get("a").healthCheck()).contains(new HealthCheckConfig("/ready?deep=1",
                Duration.ofSeconds(5), Duration.ofSeconds(1), 3, 2));
        assertThat(c.clusters().get("b").healthCheck()).contains(new HealthCheckConfig("/ready",
                Duration.ofMillis(800), Duration.ofMillis(400), 3, 2));
    }

    @Test
    void listenersAndAdmin_acceptPortZeroAndIpv6() {
        GatewayConfig c = ConfigLoader.parse("""
                listeners:
                  http: { address: "127.0.0.1:0" }
                  internal: { address: "127.0.0.1:0" }
                  v6: { address: "[::1]:8443" }
                admin: { address: "127.0.0.1:0" }
                """ + MINIMAL, "t.yaml");
        assertThat(c.listeners()).extracting(ListenerConfig::address).containsExactly(new Address("127.0.0.1", 0),
                new Address("127.0.0.1", 0), new Address("::1", 8443));
        assertThat(c.listeners().get(2).address()).hasToString("[::1]:8443");
        assertThat(c.admin().address()).isEqualTo(new Address("127.0.0.1", 0));
    }

    @Test
    void methods_areUpperCasedAndASingleStringIsAccepted() {
        GatewayConfig c = ConfigLoader.parse(withRoute("""
                match: { path: /a, methods: get }
                cluster: orders
                """), "t.yaml");
        assertThat(c.routes().get(0).match().methods()).containsExactly("GET");
    }

    @Test
    void version_isTheShortSha256OfTheBytes_forTextAndFile(@TempDir Path dir) throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(MINIMAL.getBytes(StandardCharsets.UTF_8));
        String expected = HexFormat.of().formatHex(digest).substring(0, 12);
        Path file = dir.resolve("palisade.yaml");
        Files.writeString(file, MINIMAL);

        assertThat(ConfigLoader.parse(MINIMAL, "t.yaml").version()).isEqualTo(expected);
        assertThat(ConfigLoader.load(file).version()).isEqualTo(expected);
        assertThat(ConfigLoader.parse(MINIMAL + "# changed\n", "t.yaml").version()).isNotEqualTo(expected)
                .hasSize(12);
    }

    @Test
    void policySections_areParsedIntoTheSnapshot() {
        GatewayConfig c = ConfigLoader.parse("""
                consumers:
                  alice: { groups: [orders-read], api_keys: [ { sha256: "%s" } ] }
                auth: { api_key: { header: X-Api-Key } }
                rate_limiting: { store: local, max_keys: 5000 }
                clusters:
                  orders:
                    endpoints: [ "127.0.0.1:9001" ]
                    adaptive_concurrency: { enabled: true, min: 4, max: 64 }
                routes:
                  - match: { path_prefix: /orders }
                    cluster: orders
                    auth: { any_of: [api_key], groups: [orders-read] }
                    rate_limits: [ { key: consumer, rate: 10/s } ]
                    concurrency: { per_consumer: 5 }
                """.formatted("ab".repeat(32)), "t.yaml");
        assertThat(c.auth().consumers()).containsKey("alice");
        assertThat(c.rateLimiting().maxKeys()).isEqualTo(5000);
        assertThat(c.clusters().get("orders").adaptiveConcurrency().enabled()).isTrue();
        RouteConfig r = c.routes().get(0);
        assertThat(r.auth().anyOf()).containsExactly("api_key");
        assertThat(r.limits().perConsumerConcurrency()).hasValue(5);
    }

    @Test
    void policySectionErrors_areReportedWithTheRest() {
        assertThat(errorsOf("""
                clusters:
                  orders: { endpoints: [ "127.0.0.1:9001" ], timeouts: { connect: 0s } }
                routes:
                  - match: { path_prefix: /orders }
                    cluster: orders
                    auth: { any_of: [jwt:nope] }
                    rate_limits: [ { key: consumer, rate: 10/fortnight } ]
                """)).anySatisfy(e -> assertThat(e).startsWith("clusters.orders.timeouts.connect: 0s"))
                .anySatisfy(e -> assertThat(e).startsWith("routes[0].auth.any_of"))
                .anySatisfy(e -> assertThat(e).startsWith("routes[0].rate_limits[0].rate"));
    }

    // ---------------------------------------------------------------- file and YAML level

    @Test
    void missingFile_isAConfigException(@TempDir Path dir) {
        Path file = dir.resolve("nope.yaml");
        assertThat(errorsOfLoad(file)).containsExactly(file + ": cannot read (no such file)");
    }

    @Test
    void directory_isAConfigException(@TempDir Path dir) {
        assertThatThrownBy(() -> ConfigLoader.load(dir)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(dir + ": ");
    }

    @Test
    void invalidUtf8_isAConfigException(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.yaml");
        Files.write(file, new byte[] {'a', ':', ' ', (byte) 0xC3, (byte) 0x28, '\n'});
        assertThat(errorsOfLoad(file)).singleElement().asString().startsWith(file + ": ");
    }

    @Test
    void hugeFile_isAConfigException(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("huge.yaml");
        Files.writeString(file, "a: \"" + "x".repeat(4 * 1024 * 1024) + "\"\n");
        assertThat(errorsOfLoad(file)).singleElement().asString().startsWith(file + ": ");
        Path larger = dir.resolve("larger.yaml");
        Files.write(larger, new byte[17 * 1024 * 1024]);
        assertThat(errorsOfLoad(larger)).containsExactly(larger + ": 17825792 bytes (expected: at most 16MiB)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   \n", "# only a comment\n", "---\n", "~\n"})
    void emptyDocument_isRefusedClearly(String yaml) {
        assertThat(errorsOf(yaml)).containsExactly(
                "t.yaml: empty (expected: a YAML mapping with at least clusters and routes)");
    }

    @Test
    void nonMappingDocument_isRefused() {
        assertThat(errorsOf("- a\n- b\n")).containsExactly(
                "t.yaml: a list at the top level (expected: a mapping with at least clusters and routes)");
        assertThat(errorsOf("hello\n")).containsExactly(
                "t.yaml: a string at the top level (expected: a mapping with at least clusters and routes)");
    }

    @Test
    void malformedYaml_namesLineAndProblem() {
        assertThat(errorsOf("clusters:\n  orders: [a, b\n")).singleElement().asString()
                .startsWith("t.yaml: malformed YAML at line 2, column 16: while parsing a flow sequence; expected ','"
                        + " or ']', but got <stream end>");
        assertThat(errorsOf("a: b: c\n")).singleElement().asString()
                .startsWith("t.yaml: malformed YAML at line 1, column 5: mapping values are not allowed here");
        assertThat(errorsOf("\tclusters: {}\n")).singleElement().asString().startsWith("t.yaml: malformed YAML");
    }

    @Test
    void secondDocument_isRefused() {
        assertThat(errorsOf(MINIMAL + "---\nroutes: []\n")).containsExactly(
                "t.yaml: line 8, column 1: a second YAML document (expected: one document per file)");
    }

    @Test
    void repeatedKey_isReportedWithItsLine() {
        assertThat(errorsOf("""
                clusters:
                  orders:
                    endpoints: [ "127.0.0.1:9001" ]
                    endpoints: [ "127.0.0.1:9002" ]
                  orders:
                    endpoints: [ "127.0.0.1:9003" ]
                routes: [ { match: { path_prefix: / }, cluster: orders } ]
                """)).containsExactly(
                "clusters.orders.endpoints: repeated at line 4 (expected: each key once per mapping)",
                "clusters.orders: repeated at line 5 (expected: each key once per mapping)");
    }

    @Test
    void anchorsAliasesAndMergeKeys_areExpanded() {
        GatewayConfig c = ConfigLoader.parse("""
                clusters:
                  orders:
                    endpoints: &eps [ "127.0.0.1:9001" ]
                    timeouts: &fast { connect: 100ms, request: 1s }
                  billing:
                    endpoints: *eps
                    timeouts:
                      <<: *fast
                      request: 3s
                routes: [ { match: { path_prefix: / }, cluster: orders } ]
                """, "t.yaml");
        assertThat(c.clusters().get("billing").endpoints()).isEqualTo(c.clusters().get("orders").endpoints());
        assertThat(c.clusters().get("billing").timeouts()).isEqualTo(new Timeouts(Duration.ofMillis(100),
                Duration.ofSeconds(3), Duration.ofSeconds(60)));
    }

    @Test
    void aliasOfUnknownOrScalarAnchor_isReported() {
        assertThat(errorsOf(withCluster("""
                endpoints: [ "127.0.0.1:9001" ]
                timeouts: { connect: &c 1s, request: *c }
                """))).containsExactly("clusters.orders.timeouts.request: *c (expected: an alias of a mapping or list"
                + " anchored earlier in the file; anchors on single values are not supported)");
    }

    @Test
    void aliasBomb_isRefusedNotExpanded() {
        StringBuilder yaml = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 9; i++) {
            String prev = "*a" + (i - 1);
            yaml.append("a").append(i).append(": &a").append(i).append(" [")
                    .append(String.join(", ", java.util.Collections.nCopies(10, prev))).append("]\n");
        }
        assertThat(errorsOf(yaml.toString())).singleElement().asString()
                .endsWith("more than 1000000 values once aliases are expanded (expected: a smaller file)");
    }

    @Test
    void yaml11Booleans_stayStrings() {
        assertThat(errorsOf(withRoute("""
                match: { path_prefix: /orders, headers: { X-Feature: on } }
                cluster: orders
                strip_prefix: yes
                """))).containsExactly("routes[0].strip_prefix: yes (expected: true or false)");
        GatewayConfig c = ConfigLoader.parse(withRoute("""
                match: { path_prefix: /orders, headers: { X-Feature: on, X-Version: 1.10, X-Id: 007 } }
                cluster: orders
                """), "t.yaml");
        assertThat(c.routes().get(0).match().headers()).containsExactlyInAnyOrderEntriesOf(
                Map.of("X-Feature", "on", "X-Version", "1.10", "X-Id", "007"));
    }

    @Test
    void nonCanonicalNumbers_areNotIntegers() {
        assertThat(errorsOf(withCluster("""
                endpoints: [ { address: "127.0.0.1:9001", weight: 010 }, { address: "127.0.0.1:9002", weight: 0x1F } ]
                """))).containsExactly("clusters.orders.endpoints[0].weight: 010 (expected: an integer)",
                "clusters.orders.endpoints[1].weight: 0x1F (expected: an integer)");
    }

    // ---------------------------------------------------------------- durations, sizes, unknown keys

    @ParameterizedTest
    @ValueSource(strings = {"0s", "0ms"})
    void zeroDuration_isRefused(String value) {
        assertThat(errorsOf(withCluster("""
                endpoints: [ "127.0.0.1:9001" ]
                timeouts: { connect: %s }
                """.formatted(value)))).containsExactly("clusters.orders.timeouts.connect: " + value
                + " (expected: > 0)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1s", "infinite", "never", "5", "forever", "1 week"})
    void nonFiniteOrUnitlessDuration_isRefused(String value) {
        assertThat(errorsOf(withCluster("""
                endpoints: [ "127.0.0.1:9001" ]
                timeouts: { request: %s }
                """.formatted(value)))).containsExactly("clusters.orders.timeouts.request: " + value
                + " (expected: a duration like 250ms, 5s, 2m, 1h)");
    }

    @Test
    void durationAboveOneDay_isRefused() {
        assertThat(errorsOf("server: { drain_timeout: 2d }\n" + MINIMAL)).containsExactly(
                "server.drain_timeout: 2d (expected: <= 1d)");
    }

    @Test
    void everyServerDuration_isChecked() {
        assertThat(errorsOf("""
                server:
                  drain_timeout: 0s
                  limits: { header_read_timeout: never, client_idle: -1s }
                """ + MINIMAL)).containsExactly(
                "server.limits.header_read_timeout: never (expected: a duration like 250ms, 5s, 2m, 1h)",
                "server.limits.client_idle: -1s (expected: a duration like 250ms, 5s, 2m, 1h)",
                "server.drain_timeout: 0s (expected: > 0)");
    }

    @Test
    void requestId_keepsClientIdsByDefault_generateIsAccepted_andAnythingElseIsRefused() {
        assertThat(ConfigLoader.parse(MINIMAL, "t.yaml").server().requestId())
                .isEqualTo(ServerConfig.RequestIdPolicy.KEEP);
        assertThat(ConfigLoader.parse("server: { request_id: keep }\n" + MINIMAL, "t.yaml").server().requestId())
                .isEqualTo(ServerConfig.RequestIdPolicy.KEEP);
        assertThat(ConfigLoader.parse("server: { request_id: generate }\n" + MINIMAL, "t.yaml").server().requestId())
                .isEqualTo(ServerConfig.RequestIdPolicy.GENERATE);
        assertThat(errorsOf("server: { request_id: trust }\n" + MINIMAL)).containsExactly(
                "server.request_id: trust (expected: one of keep, generate)");
    }

    @Test
    void serverOverload_isReadAsRatios_inOrder() {
        assertThat(ConfigLoader.parse("""
                server: { overload: { heap_stop_keepalive: 70%, heap_shed: 0.9 } }
                """ + MINIMAL, "t.yaml").server().overload()).isEqualTo(new io.palisade.overload.OverloadSettings(0.7, 0.9));
        assertThat(errorsOf("""
                server: { overload: { heap_stop_keepalive: 96%, heap_shed: 95%, heap_panic: 1 } }
                """ + MINIMAL)).containsExactly(
                "server.overload.heap_panic: unknown key (expected one of: heap_shed, heap_stop_keepalive)",
                "server.overload.heap_stop_keepalive: 96% (expected: at most heap_shed, 95%)");
        assertThat(errorsOf("""
                server: { overload: { heap_stop_keepalive: 0, heap_shed: 120% } }
                """ + MINIMAL)).containsExactly(
                "server.overload.heap_shed: 120% (expected: between 0% and 100%)",
                "server.overload.heap_stop_keepalive: 0 (expected: above 0%)");
    }

    @Test
    void serverLimits_areRangeChecked() {
        assertThat(errorsOf("""
                server:
                  worker_threads: -1
                  limits: { max_header_bytes: 100, max_uri_bytes: 2MiB, max_body: lots, max_connections: 0,
                            max_connections_per_ip: -1 }
                """ + MINIMAL)).containsExactly(
                "server.limits.max_header_bytes: 100 (expected: between 1024 and 1048576 bytes)",
                "server.limits.max_uri_bytes: 2MiB (expected: between 256 and 1048576 bytes)",
                "server.limits.max_body: lots (expected: a size like 512, 16KiB, 1MiB)",
                "server.limits.max_connections: 0 (expected: >= 1)",
                "server.limits.max_connections_per_ip: -1 (expected: >= 0)",
                "server.worker_threads: -1 (expected: between 0 and 1024)");
    }

    @Test
    void unknownKeys_areReportedAtEveryLevel() {
        assertThat(errorsOf("""
                listner: {}
                clusters:
                  orders:
                    endpoints: [ "127.0.0.1:9001" ]
                    timeouts: { conect: 1s }
                    timout: 1s
                routes:
                  - match: { path_prefix: /orders, method: GET }
                    cluster: orders
                    stripprefix: true
                """)).containsExactly(
                "listner: unknown key (expected one of: access_log, admin, auth, clusters, consumers, ingest,"
                        + " listeners, notify, rate_limiting, rollout, routes, server, slos, status_page)",
                "clusters.orders.timout: unknown key (expected one of: adaptive_concurrency, balancer, endpoints,"
                        + " failover, hash_on, health_check, limits, outlier, protocol, retries, timeouts, tls)",
                "clusters.orders.timeouts.conect: unknown key (expected one of: connect, idle, request)",
                "routes[0].stripprefix: unknown key (expected one of: auth, cluster, clusters, concurrency, ingest,"
                        + " match, name, rate_limits, request, strip_prefix, timeouts, websocket)",
                "routes[0].match.method: unknown key (expected one of: headers, host, methods, path, path_prefix)");
    }

    @Test
    void wrongShapes_areReportedNotThrown() {
        assertThat(errorsOf("""
                listeners: [ a ]
                admin: 127.0.0.1:9901
                server: 5
                access_log: stdout
                clusters:
                  orders:
                    endpoints: "127.0.0.1:9001"
                    timeouts: 5s
                routes:
                  - match: /orders
                    cluster: orders
                  - just-a-string
                """)).containsExactly(
                "listeners: [\"a\"] (expected: a mapping)",
                "admin: 127.0.0.1:9901 (expected: a mapping)",
                "server: 5 (expected: a mapping)",
                "clusters.orders.endpoints: 127.0.0.1:9001 (expected: a list)",
                "clusters.orders.timeouts: 5s (expected: a mapping)",
                "routes[0].match: /orders (expected: a mapping)",
                "routes[1]: just-a-string (expected: a mapping with at least match and cluster (or clusters))",
                "access_log: stdout (expected: a mapping)");
    }

    // ---------------------------------------------------------------- addresses

    @Test
    void endpointAddresses_mustBeHostPortWithPortAbove0() {
        assertThat(errorsOf(withCluster("""
                endpoints: [ "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "::1:80", "[::1]:80", "host name:80",
                             "localhost:http", "[zz]:80", 8080, { weight: 2 } ]
                """))).containsExactly(
                "clusters.orders.endpoints[0]: 127.0.0.1 (expected: host:port or [v6]:port)",
                "clusters.orders.endpoints[1]: 127.0.0.1:0 (expected: a port between 1 and 65535)",
                "clusters.orders.endpoints[2]: 127.0.0.1:70000 (expected: a port between 1 and 65535)",
                "clusters.orders.endpoints[3]: ::1:80 (expected: host:port or [v6]:port)",
                "clusters.orders.endpoints[5]: host name:80 (expected: host:port or [v6]:port)",
                "clusters.orders.endpoints[6]: localhost:http (expected: host:port or [v6]:port)",
                "clusters.orders.endpoints[7]: [zz]:80 (expected: host:port or [v6]:port)",
                "clusters.orders.endpoints[8]: 8080 (expected: host:port or [v6]:port)",
                "clusters.orders.endpoints[9].address: missing (expected: host:port or [v6]:port)");
    }

    @Test
    void listenerAddress_portMayBe0ButNotAbove65535() {
        assertThat(errorsOf("listeners: { http: { address: \"0.0.0.0:65536\" }, b: {} }\n" + MINIMAL))
                .containsExactly("listeners.http.address: 0.0.0.0:65536 (expected: a port between 0 and 65535)",
                        "listeners.b.address: missing (expected: host:port or [v6]:port)");
    }

    @Test
    void duplicateListenerAddresses_areRefused_includingWildcardOverlap() {
        assertThat(errorsOf("""
                listeners:
                  a: { address: "127.0.0.1:8080" }
                  b: { address: "127.0.0.1:8080" }
                  c: { address: "0.0.0.0:8080" }
                  d: { address: "[::1]:9000" }
                  e: { address: "0.0.0.0:9000" }
                """ + MINIMAL)).containsExactly(
                "listeners.b.address: 127.0.0.1:8080 (expected: an address no other listener binds; listeners.a"
                        + " binds 127.0.0.1:8080)",
                "listeners.c.address: 0.0.0.0:8080 (expected: an address no other listener binds; listeners.a"
                        + " binds 127.0.0.1:8080)");
    }

    @Test
    void adminAddress_mustDifferFromEveryListener() {
        assertThat(errorsOf("""
                listeners: { http: { address: "0.0.0.0:9901" } }
                """ + MINIMAL)).containsExactly(
                "admin.address: 127.0.0.1:9901 (expected: an address no listener binds; listeners.http binds"
                        + " 0.0.0.0:9901)");
        assertThat(errorsOf("""
                listeners: { http: { address: "127.0.0.1:8080" } }
                admin: { address: "127.0.0.1:8080" }
                """ + MINIMAL)).containsExactly(
                "admin.address: 127.0.0.1:8080 (expected: an address no listener binds; listeners.http binds"
                        + " 127.0.0.1:8080)");
    }

    @Test
    void listeners_emptyMappingAndBadNames() {
        assertThat(errorsOf("listeners: {}\n" + MINIMAL)).containsExactly(
                "listeners: {} (expected: at least one listener)");
        assertThat(errorsOf("listeners: { \"my listener\": { address: \"127.0.0.1:1\" } }\n" + MINIMAL))
                .containsExactly("listeners.my listener: \"my listener\" (expected: " + Syntax.NAME_RULE + ")");
    }

    // ---------------------------------------------------------------- clusters

    @Test
    void clusters_missingOrEmpty() {
        assertThat(errorsOf("routes: [ { match: { path_prefix: / }, cluster: orders } ]\n")).containsExactly(
                "clusters: missing (expected: at least one cluster)",
                "routes[0].cluster: \"orders\" (expected: one of the defined clusters: none defined)");
        assertThat(errorsOf("clusters: {}\nroutes: [ { match: { path_prefix: / }, cluster: orders } ]\n"))
                .contains("clusters: {} (expected: at least one cluster)");
    }

    @Test
    void clusterName_mustBeAName() {
        assertThat(errorsOf("""
                clusters:
                  orders.eu: { endpoints: [ "127.0.0.1:1" ] }
                routes: [ { match: { path_prefix: / }, cluster: orders.eu } ]
                """)).containsExactly("clusters.orders.eu: \"orders.eu\" (expected: " + Syntax.NAME_RULE + ")");
    }

    @Test
    void cluster_needsAtLeastOneEndpoint() {
        assertThat(errorsOf(withCluster("balancer: round_robin\n"))).containsExactly(
                "clusters.orders.endpoints: missing (expected: at least one endpoint)");
        assertThat(errorsOf(withCluster("endpoints: []\n"))).containsExactly(
                "clusters.orders.endpoints: [] (expected: at least one endpoint)");
    }

    @Test
    void duplicateEndpoint_isRefused() {
        assertThat(errorsOf(withCluster("""
                endpoints: [ "127.0.0.1:9001", "10.0.0.1:80", { address: "127.0.0.1:9001", weight: 2 } ]
                """))).containsExactly(
                "clusters.orders.endpoints[2]: 127.0.0.1:9001 (expected: each endpoint once; also at endpoints[0])");
    }

    @Test
    void weight_isBetween1And1000() {
        assertThat(errorsOf(withCluster("""
                endpoints: [ { address: "127.0.0.1:1", weight: 0 }, { address: "127.0.0.1:2", weight: 1001 },
                             { address: "127.0.0.1:3", weight: 1.5 } ]
                """))).containsExactly(
                "clusters.orders.endpoints[0].weight: 0 (expected: between 1 and 1000)",
                "clusters.orders.endpoints[1].weight: 1001 (expected: between 1 and 1000)",
                "clusters.orders.endpoints[2].weight: 1.5 (expected: an integer)");
    }

    @Test
    void balancer_mustBeKnown() {
        assertThat(errorsOf(withCluster("endpoints: [ \"127.0.0.1:1\" ]\nbalancer: random\n"))).containsExactly(
                "clusters.orders.balancer: random (expected: one of round_robin, weighted, least_request,"
                        + " consistent_hash)");
    }

    @Test
    void consistentHash_requiresHashOn() {
        assertThat(errorsOf(withCluster("endpoints: [ \"127.0.0.1:1\" ]\nbalancer: consistent_hash\n")))
                .containsExactly("clusters.orders.hash_on: missing (expected: header:NAME, query:NAME, client_ip or"
                        + " path, required by balancer: consistent_hash)");
    }

    @Test
    void hashOn_isForbiddenWithOtherBalancers() {
        assertThat(errorsOf(withCluster("""
                endpoints: [ "127.0.0.1:1" ]
                balancer: least_request
                hash_on: header:X-Tenant
                """))).containsExactly(
                "clusters.orders.hash_on: header:X-Tenant (expected: only with balancer: consistent_hash)");
        assertThat(errorsOf(withCluster("endpoints: [ \"127.0.0.1:1\" ]\nhash_on: client_ip\n"))).containsExactly(
                "clusters.orders.hash_on: client_ip (expected: only with balancer: consistent_hash)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cookie:x", "header:", "header:X Tenant", "query:", "client_ip:x", "ip"})
    void hashOn_mustBeAKnownForm(String value) {
        assertThat(errorsOf(withCluster("""
                endpoints: [ "127.0.0.1:1" ]
                balancer: consistent_hash
                hash_on: "%s"
                """.formatted(value)))).containsExactly("clusters.orders.hash_on: " + value
                + " (expected: header:NAME, query:NAME, client_ip or path)");
    }

    @Test
    void healthCheck_timeoutMustBeBelowInterval() {
        assertThat(errorsOf(withCluster("""
                endpoints: [ "127.0.0.1:1" ]
                health_check: { path: /healthz, interval: 2s, timeout: 2s }
                """))).containsExactly("clusters.orders.health_check.timeout: 2s (expected: < interval 2s)");
        assertThat(errorsOf(withCluster("""
                endpoints: [ "127.0.0.1:1" ]
                health_check: { path: /healthz, interval: 500ms, timeout: 1s }
                """))).containsExactly("clusters.orders.health_check.timeout: 1s (expected: < interval 500ms)");
    }

    @Test
    void healthCheck_thresholdsAreAtLeastOne_andPathIsRequired() {
        assertThat(errorsOf(withCluster("""
                endpoints: [ "127.0.0.1:1" ]
                health_check: { interval: 0s, healthy_after: 0, unhealthy_after: 0 }
                """))).containsExactly(
                "clusters.orders.health_check.path: missing (expected: a value)",
                "clusters.orders.health_check.interval: 0s (expected: > 0)",
                "clusters.orders.health_check.unhealthy_after: 0 (expected: >= 1)",
                "clusters.orders.health_check.healthy_after: 0 (expected: >= 1)");
        assertThat(errorsOf(withCluster("""
                endpoints: [ "127.0.0.1:1" ]
                health_check: { path: healthz }
                """))).containsExactly(
                "clusters.orders.health_check.path: healthz (expected: a path starting with /, optionally with a"
                        + " query)");
    }

    @Test
    void outlier_ejectionWithinMaxAndPercentWithin100() {
        assertThat(errorsOf(withCluster("""
                endpoints: [ "127.0.0.1:1" ]
                outlier: { consecutive_failures: 0, ejection: 10m, max_ejection_percent: 101 }
                """))).containsExactly(
                "clusters.orders.outlier.consecutive_failures: 0 (expected: >= 1)",
                "clusters.orders.outlier.ejection: 10m (expected: <= max_ejection 5m)",
                "clusters.orders.outlier.max_ejection_percent: 101 (expected: between 0 and 100)");
    }

    @Test
    void outlier_panicThresholdIsAPercentage_zeroTurnsItOff() {
        assertThat(errorsOf(withCluster("""
                endpoints: [ "127.0.0.1:1" ]
                outlier: { panic_threshold: 101 }
                """))).containsExactly(
                "clusters.orders.outlier.panic_threshold: 101 (expected: between 0 and 100)");
        assertThat(errorsOf(withCluster("""
                endpoints: [ "127.0.0.1:1" ]
                outlier: { panic_threshold: -1 }
                """))).containsExactly(
                "clusters.orders.outlier.panic_threshold: -1 (expected: between 0 and 100)");
        assertThat(ConfigLoader.parse(withCluster("""
                endpoints: [ "127.0.0.1:1" ]
                outlier: { panic_threshold: 0 }
                """), "t.yaml").clusters().get("orders").outlier().panicThreshold()).isZero();
    }

    @Test
    void limitsAndRetries_areRangeChecked() {
        assertThat(errorsOf(withCluster("""
                endpoints: [ "127.0.0.1:1" ]
                limits: { max_connections: 0, max_pending: -1, max_requests: 0 }
                retries: { attempts: 11, budget: 120% }
                """))).containsExactly(
                "clusters.orders.limits.max_connections: 0 (expected: >= 1)",
                "clusters.orders.limits.max_pending: -1 (expected: >= 0)",
                "clusters.orders.limits.max_requests: 0 (expected: >= 1)",
                "clusters.orders.retries.attempts: 11 (expected: between 0 and 10)",
                "clusters.orders.retries.budget: 120% (expected: between 0% and 100%)");
    }

    @Test
    void failover_mustNameAnotherDefinedCluster() {
        assertThat(errorsOf("""
                clusters:
                  orders: { endpoints: [ "127.0.0.1:1" ], failover: ordrs-eu }
                  orders-eu: { endpoints: [ "127.0.0.1:2" ] }
                  solo: { endpoints: [ "127.0.0.1:3" ], failover: solo }
                routes: [ { match: { path_prefix: / }, cluster: orders } ]
                """)).containsExactly(
                "clusters.orders.failover: \"ordrs-eu\" (expected: one of the other defined clusters: orders-eu,"
                        + " solo)",
                "clusters.solo.failover: \"solo\" (expected: one of the other defined clusters: orders, orders-eu)");
    }

    @Test
    void failoverCycle_isReportedOnce() {
        assertThat(errorsOf("""
                clusters:
                  entry: { endpoints: [ "127.0.0.1:1" ], failover: a }
                  a: { endpoints: [ "127.0.0.1:2" ], failover: b }
                  b: { endpoints: [ "127.0.0.1:3" ], failover: c }
                  c: { endpoints: [ "127.0.0.1:4" ], failover: a }
                  x: { endpoints: [ "127.0.0.1:5" ], failover: y }
                  y: { endpoints: [ "127.0.0.1:6" ], failover: x }
                routes: [ { match: { path_prefix: / }, cluster: entry } ]
                """)).containsExactly(
                "clusters.a.failover: \"b\" (expected: no failover cycle; a -> b -> c -> a)",
                "clusters.x.failover: \"y\" (expected: no failover cycle; x -> y -> x)");
    }

    // ---------------------------------------------------------------- routes

    @Test
    void routes_missingOrEmpty() {
        assertThat(errorsOf("clusters: { orders: { endpoints: [ \"127.0.0.1:1\" ] } }\n")).containsExactly(
                "routes: missing (expected: at least one route)");
        assertThat(errorsOf("clusters: { orders: { endpoints: [ \"127.0.0.1:1\" ] } }\nroutes: []\n"))
                .containsExactly("routes: [] (expected: at least one route)");
    }

    @Test
    void route_mustReferenceADefinedCluster() {
        assertThat(errorsOf("""
                clusters:
                  orders: { endpoints: [ "127.0.0.1:1" ] }
                  orders-eu: { endpoints: [ "127.0.0.1:2" ] }
                routes:
                  - match: { path_prefix: /a }
                    cluster: orders
                  - match: { path_prefix: /b }
                    cluster: ordrs
                  - match: { path_prefix: /c }
                """)).containsExactly(
                "routes[1].cluster: \"ordrs\" (expected: one of the defined clusters: orders, orders-eu)",
                "routes[2].cluster: missing (expected: one of the defined clusters: orders, orders-eu)");
    }

    @Test
    void route_matchNeedsPathOrPrefix() {
        assertThat(errorsOf(withRoute("cluster: orders\n"))).containsExactly(
                "routes[0].match: missing (expected: a mapping with path_prefix or path)");
        assertThat(errorsOf(withRoute("match: { methods: [GET] }\ncluster: orders\n"))).containsExactly(
                "routes[0].match: no path_prefix or path (expected: one of them)");
        assertThat(errorsOf(withRoute("match: { path: /a, path_prefix: /a }\ncluster: orders\n"))).containsExactly(
                "routes[0].match.path: /a (expected: either path or path_prefix, not both)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"orders", "/a//b", "/a/../b", "/a/./b", "/a/%2e%2E/b", "/a b", "/a?x=1", "/a#f",
            "/a\\\\b", "/%zz", "/caf\u00e9"})
    void route_pathsMustBeNormalisedAndStartWithSlash(String path) {
        assertThat(errorsOf(withRoute("match: { path_prefix: \"" + path + "\" }\ncluster: orders\n")))
                .containsExactly("routes[0].match.path_prefix: " + path.replace("\\\\", "\\") + " (expected: "
                        + Syntax.PATH_RULE + ")");
        assertThat(errorsOf(withRoute("match: { path: \"" + path + "\" }\ncluster: orders\n")))
                .containsExactly("routes[0].match.path: " + path.replace("\\\\", "\\") + " (expected: "
                        + Syntax.PATH_RULE + ")");
    }

    @Test
    void route_acceptsRootTrailingSlashAndPercentEscapes() {
        GatewayConfig c = ConfigLoader.parse(withRoute("""
                match: { path_prefix: "/", headers: { X-A: b } }
                cluster: orders
                """) + """
                  - match: { path_prefix: /orders/ }
                    cluster: orders
                  - match: { path: /caf%C3%A9/.well-known/..x }
                    cluster: orders
                """, "t.yaml");
        assertThat(c.routes()).hasSize(3);
    }

    @Test
    void route_methodsMustBeTokens() {
        assertThat(errorsOf(withRoute("match: { path: /a, methods: [GET, \"GE T\", \"\"] }\ncluster: orders\n")))
                .containsExactly("routes[0].match.methods[1]: \"GE T\" (expected: an HTTP method such as GET)",
                        "routes[0].match.methods[2]: \"\" (expected: an HTTP method such as GET)");
        assertThat(errorsOf(withRoute("match: { path: /a, methods: [] }\ncluster: orders\n"))).containsExactly(
                "routes[0].match.methods: [] (expected: at least one method; leave methods out to allow any)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"api.example.com:8080", "*", "*.", "a..b", "-a.com", "api.example.com.", "a b.com",
            "x.*.com"})
    void route_hostMustBeAHostPattern(String host) {
        assertThat(errorsOf(withRoute("match: { path: /a, host: \"" + host + "\" }\ncluster: orders\n")))
                .containsExactly("routes[0].match.host: " + host
                        + " (expected: a host name without port, optionally starting with *.)");
    }

    @Test
    void route_headerNamesAndValuesAreChecked() {
        assertThat(errorsOf(withRoute("""
                match: { path: /a, headers: { "X Bad": "1", X-Empty: ~, X-Obj: { a: 1 }, X-Pad: " v" } }
                cluster: orders
                """))).containsExactly(
                "routes[0].match.headers.X Bad: \"X Bad\" (expected: a header name)",
                "routes[0].match.headers.X-Empty: missing (expected: the exact header value to match)",
                "routes[0].match.headers.X-Obj: {\"a\":1} (expected: a string)",
                "routes[0].match.headers.X-Pad: \" v\" (expected: a header value without control characters or"
                        + " surrounding spaces)");
    }

    @Test
    void route_timeoutsMustBeFinitePositive() {
        assertThat(errorsOf(withRoute("""
                match: { path: /a }
                cluster: orders
                timeouts: { request: 0s, idle: infinite, connect: 1s }
                """))).containsExactly(
                "routes[0].timeouts.connect: unknown key (expected one of: idle, request, websocket_idle)",
                "routes[0].timeouts.request: 0s (expected: > 0)",
                "routes[0].timeouts.idle: infinite (expected: a duration like 250ms, 5s, 2m, 1h)");
    }

    @Test
    void route_maxBodyMustNotExceedTheServerLimit() {
        assertThat(errorsOf(withRoute("""
                match: { path: /a }
                cluster: orders
                request: { max_body: 20MiB }
                """))).containsExactly("routes[0].request.max_body: 20MiB (expected: <= server.limits.max_body 10MiB)");
        assertThat(errorsOf("server: { limits: { max_body: 1000 } }\n" + withRoute("""
                match: { path: /a }
                cluster: orders
                request: { max_body: 1001 }
                """))).containsExactly("routes[0].request.max_body: 1001 (expected: <= server.limits.max_body 1000)");
    }

    @Test
    void route_requireBodyContradictsZeroMaxBody() {
        assertThat(errorsOf(withRoute("""
                match: { path: /a }
                cluster: orders
                request: { max_body: 0, require_body: true }
                """))).containsExactly("routes[0].request.require_body: true (expected: false when max_body is 0)");
    }

    @Test
    void route_stripPrefixNeedsAPrefix() {
        assertThat(errorsOf(withRoute("match: { path: /a }\ncluster: orders\nstrip_prefix: true\n")))
                .containsExactly("routes[0].strip_prefix: true (expected: false unless match.path_prefix is set)");
    }

    @Test
    void routeNames_areNamesAndUnique() {
        assertThat(errorsOf(withRoute("""
                name: orders
                match: { path: /a }
                cluster: orders
                """) + """
                  - name: orders
                    match: { path: /b }
                    cluster: orders
                  - name: "with space"
                    match: { path: /c }
                    cluster: orders
                """)).containsExactly(
                "routes[1].name: \"orders\" (expected: a name no other route has; routes[0] has it)",
                "routes[2].name: \"with space\" (expected: " + Syntax.NAME_RULE + ")");
    }

    // ---------------------------------------------------------------- all at once, robustness

    @Test
    void everyErrorIsReportedInOnePass() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse("""
                clusters:
                  orders:
                    endpoints: [ "127.0.0.1:9001" ]
                    timeouts: { connect: 0s }
                routes:
                  - match: { path_prefix: /orders }
                    cluster: orders
                  - match: { path_prefix: /x }
                    cluster: ordrs
                """, "t.yaml"));
        assertThat(e.errors()).containsExactly("clusters.orders.timeouts.connect: 0s (expected: > 0)",
                "routes[1].cluster: \"ordrs\" (expected: one of the defined clusters: orders)");
        assertThat(e).hasMessage(String.join("\n", e.errors()));
    }

    @Test
    void accessLog_targetMustBeAPath() {
        assertThat(errorsOf("access_log: { target: \"\", enabled: 1 }\n" + MINIMAL)).containsExactly(
                "access_log.enabled: 1 (expected: true or false)",
                "access_log.target: \"\" (expected: stdout or a file path)");
    }

    // ---------------------------------------------------------------- helpers

    static String withCluster(String clusterBody) {
        return "clusters:\n  orders:\n" + clusterBody.indent(4) + """
                routes:
                  - match: { path_prefix: /orders }
                    cluster: orders
                """;
    }

    static String withRoute(String routeBody) {
        String indented = routeBody.indent(4);
        return """
                clusters:
                  orders: { endpoints: [ "127.0.0.1:9001" ] }
                routes:
                """ + "  - " + indented.substring(4);
    }

    static List<String> errorsOf(String yaml) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(yaml, "t.yaml"));
        assertThat(e).as("expected a ConfigException for:\n%s", yaml).isNotNull();
        return e.errors();
    }

    static List<String> errorsOfLoad(Path file) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(file));
        assertThat(e).isNotNull();
        return e.errors();
    }
}
