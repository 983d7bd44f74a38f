package io.palisade.gateway;

import io.palisade.config.Address;
import io.palisade.config.ConfigException;
import io.palisade.route.RouteReader;
import io.palisade.route.WeightedCluster;
import io.palisade.server.ListenerConfig;
import io.palisade.upstream.ClusterConfig;
import io.palisade.upstream.ClusterReader;
import io.palisade.upstream.EndpointConfig;
import io.palisade.upstream.health.HealthCheckConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The shipped schema (for editors) and the loader (authoritative) agree on the example and on common mistakes. */
class SchemaTest {
    private static final Path SCHEMA = Path.of("schema/palisade.schema.json");
    private static final Path EXAMPLE = Path.of("examples/palisade.yaml");
    private static final YAMLMapper YAML = new YAMLMapper();

    private static JsonNode schemaNode;
    private static JsonSchema schema;

    @BeforeAll
    static void readSchema() throws Exception {
        schemaNode = new ObjectMapper().readTree(Files.readString(SCHEMA));
        schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schemaNode);
    }

    private static Set<ValidationMessage> schemaErrors(String yaml) throws Exception {
        return schema.validate(YAML.readTree(yaml));
    }

    @Test
    void schema_isAValidDraft202012Schema() {
        JsonSchema meta = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                .getSchema(SchemaLocation.of("https://json-schema.org/draft/2020-12/schema"));
        assertThat(meta.validate(schemaNode)).isEmpty();
    }

    @Test
    void example_validatesAgainstTheSchema() throws Exception {
        assertThat(schemaErrors(Files.readString(EXAMPLE))).isEmpty();
    }

    @Test
    void example_loads() {
        GatewayConfig config = ConfigLoader.load(EXAMPLE);

        assertThat(config.listeners()).containsExactly(new ListenerConfig("http", new Address("127.0.0.1", 8080)));
        assertThat(config.admin().address()).isEqualTo(new Address("127.0.0.1", 9901));
        ClusterConfig demo = config.clusters().get("demo");
        assertThat(demo.endpoints()).containsExactly(new EndpointConfig(new Address("127.0.0.1", 9001), 1));
        assertThat(demo.healthCheck()).contains(new HealthCheckConfig("/healthz", Duration.ofSeconds(2),
                Duration.ofMillis(500), 3, 2));
        assertThat(demo.failover()).contains("demo-backup");
        assertThat(config.clusters().get("demo-backup").endpoints())
                .containsExactly(new EndpointConfig(new Address("127.0.0.1", 9002), 1));
        assertThat(config.routes()).hasSize(2);
        assertThat(config.routes().get(0)).satisfies(r -> {
            assertThat(r.id()).isEqualTo("api");
            assertThat(r.match().pathPrefix()).contains("/api");
            assertThat(r.clusters()).containsExactly(new WeightedCluster("demo", 100));
        });
        assertThat(config.routes().get(1)).satisfies(r -> {
            assertThat(r.id()).isEqualTo("track");
            assertThat(r.clusters()).isEmpty();
            assertThat(r.ingest()).hasValueSatisfying(a -> assertThat(a.cluster()).isEqualTo("collector"));
        });
    }

    @Test
    void docsExample_loadsAndValidates() throws Exception {
        String docs = Files.readString(Path.of("docs/configuration.md"));
        String section = docs.substring(docs.indexOf("## Example"));
        int start = section.indexOf("```yaml\n") + "```yaml\n".length();
        String yaml = section.substring(start, section.indexOf("```", start));

        assertThat(schemaErrors(yaml)).isEmpty();
        assertThat(ConfigLoader.parse(yaml, "configuration.md").clusters()).containsOnlyKeys("orders", "orders-eu");
    }

    /** An editor with the schema agrees with the loader on every example a reader may copy from the docs. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.palisade.gateway.ExamplesTest#docsYamlBlocks")
    void everyYamlBlockInTheDocs_validatesAgainstTheSchema(String where, String yaml) throws Exception {
        assertThat(schemaErrors(yaml)).as(where).isEmpty();
    }

    @Test
    void loaderTestsFullExample_validatesAgainstTheSchema() throws Exception {
        assertThat(schemaErrors(ConfigLoaderTest.FULL)).isEmpty();
        assertThat(schemaErrors(ConfigLoaderTest.MINIMAL)).isEmpty();
    }

    /** Every rate-limiting key the loader reads: the schema accepts it and the loader builds what it says. */
    static final String RATE_LIMITING = """
            rate_limiting:
              store: redis
              redis: { address: "127.0.0.1:6379", timeout: 50ms, probe_interval: 2s }
              nodes: 3
              max_keys: 200000
            consumers:
              acme: { groups: [orders], api_keys: [ { sha256: "%s" } ] }
            auth:
              api_key: { header: X-Api-Key }
            clusters:
              orders:
                endpoints: [ "127.0.0.1:9001" ]
                adaptive_concurrency: { enabled: true, min: 4, max: 256, initial: 16, tolerance: 2.5, window: 50 }
              reports:
                endpoints: [ "127.0.0.1:9002" ]
                adaptive_concurrency: {}
            routes:
              - name: orders
                match: { path_prefix: /orders }
                cluster: orders
                auth: { any_of: [api_key] }
                rate_limits:
                  - { key: ip, rate: 100/s, burst: 200, before_auth: true }
                  - { key: consumer, rate: 50/s, burst: 100, scope: local, name: per-consumer }
                  - { key: consumer, rate: 100000/d, name: daily }
                  - { key: [consumer, header:X-Region], rate: 10/m }
                  - { key: [route], rate: 1000/h, name: "route-wide" }
                  - { key: path, rate: 5/s, scope: global }
                concurrency: { per_consumer: 32 }
              - match: { path_prefix: /reports }
                cluster: reports
                rate_limits: []
            """.formatted("a".repeat(64));

    @Test
    void rateLimitingExample_validatesAgainstTheSchema_andLoads() throws Exception {
        assertThat(schemaErrors(RATE_LIMITING)).isEmpty();

        GatewayConfig config = ConfigLoader.parse(RATE_LIMITING, "rate-limiting.yaml");
        assertThat(config.rateLimiting().store()).isEqualTo(io.palisade.ratelimit.RateLimitSettings.Store.REDIS);
        assertThat(config.rateLimiting().nodes()).isEqualTo(3);
        assertThat(config.rateLimiting().maxKeys()).isEqualTo(200_000);
        assertThat(config.rateLimiting().redis().orElseThrow().probeInterval()).isEqualTo(Duration.ofSeconds(2));
        var orders = config.routes().get(0).limits();
        assertThat(orders.rules()).extracting(io.palisade.ratelimit.RateRule::name).containsExactly(
                "ip-100/s", "per-consumer", "daily", "consumer+header:x-region-10/m", "route-wide", "path-5/s");
        assertThat(orders.perConsumerConcurrency()).hasValue(32);
        assertThat(config.clusters().get("orders").adaptiveConcurrency().tolerance()).isEqualTo(2.5);
        assertThat(config.clusters().get("reports").adaptiveConcurrency().enabled()).isTrue();
        assertThat(config.clusters().get("reports").adaptiveConcurrency().initial()).isEqualTo(20);
    }

    /** A small config with one rate-limiting mistake put where its prefix says (RULE, ROUTE, CLUSTER or the root). */
    private static String withRateLimitingMistake(String mistake) {
        String rule = mistake.startsWith("RULE ") ? mistake.substring(5) : "{ key: ip, rate: 10/s }";
        String route = mistake.startsWith("ROUTE ") ? "\n    " + mistake.substring(6) : "";
        String cluster = mistake.startsWith("CLUSTER ") ? ", adaptive_concurrency: " + mistake.substring(8) : "";
        String root = mistake.startsWith("rate_limiting") ? mistake + "\n" : "";
        return root + """
                clusters:
                  c: { endpoints: [ "127.0.0.1:1" ]%s }
                routes:
                  - match: { path_prefix: /a }
                    cluster: c
                    rate_limits: [ %s ]%s
                """.formatted(cluster, rule, route);
    }

    @Test
    void rateLimitingMistakeTemplate_isValidWithoutAMistake() throws Exception {
        for (String fine : List.of("", "ROUTE concurrency: { per_consumer: 4 }", "CLUSTER { min: 2, max: 8 }",
                "rate_limiting: { store: redis, redis: { address: \"127.0.0.1:6379\", timeout: 50ms } }",
                "RULE { key: [ip, header:X-Region], rate: 10/s, burst: 5, before_auth: true, name: a.b }")) {
            String yaml = withRateLimitingMistake(fine);
            assertThat(schemaErrors(yaml)).as("schema errors for:\n%s", yaml).isEmpty();
            assertThat(ConfigLoader.parse(yaml, "t.yaml").routes()).hasSize(1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "rate_limiting: { store: redis }",
            "rate_limiting: { store: memcached }",
            "rate_limiting: { redis: { address: \"127.0.0.1:6379\" } }",
            "rate_limiting: { redis: { address: \"127.0.0.1:0\", timeout: 50ms } }",
            "rate_limiting: { redis: { address: \"127.0.0.1:6379\", timeout: 0s } }",
            "rate_limiting: { nodes: 0 }",
            "rate_limiting: { max_keys: 0 }",
            "rate_limiting: { max_key: 10 }",
            "RULE { key: ip }",
            "RULE { rate: 10/s }",
            "RULE { key: ip, rate: 0/s }",
            "RULE { key: ip, rate: 10/w }",
            "RULE { key: ip, rate: 10 }",
            "RULE { key: cookie, rate: 10/s }",
            "RULE { key: [ip, ip], rate: 10/s }",
            "RULE { key: [], rate: 10/s }",
            "RULE { key: \"header:\", rate: 10/s }",
            "RULE { key: ip, rate: 10/s, burst: 0 }",
            "RULE { key: ip, rate: 10/s, burst: many }",
            "RULE { key: consumer, rate: 10/s, before_auth: true }",
            "RULE { key: [ip, consumer], rate: 10/s, before_auth: true }",
            "RULE { key: ip, rate: 10/s, scope: cluster }",
            "RULE { key: ip, rate: 10/s, name: \"has space\" }",
            "RULE { key: ip, rate: 10/s, name: \"\" }",
            "RULE { key: ip, rate: 10/s, limit: 5 }",
            "ROUTE concurrency: {}",
            "ROUTE concurrency: { per_consumer: 0 }",
            "ROUTE concurrency: { per_consumer: 4, per_route: 8 }",
            "CLUSTER { min: 0 }",
            "CLUSTER { tolerance: 0.5 }",
            "CLUSTER { window: 0 }",
            "CLUSTER { enabled: maybe }",
            "CLUSTER { limit: 10 }"})
    void invalidRateLimiting_failsBothSchemaAndLoader(String mistake) throws Exception {
        String yaml = withRateLimitingMistake(mistake);
        assertThat(schemaErrors(yaml)).as("schema errors for:\n%s", yaml).isNotEmpty();
        assertThatThrownBy(() -> ConfigLoader.parse(yaml, "t.yaml")).as("loader on:\n%s", yaml)
                .isInstanceOf(ConfigException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            // unknown key
            "listner: {}\n" + ConfigLoaderTest.MINIMAL,
            // zero and unitless durations
            "server: { drain_timeout: 0s }\n" + ConfigLoaderTest.MINIMAL,
            "server: { drain_timeout: 30 }\n" + ConfigLoaderTest.MINIMAL,
            // request ids are kept or generated, nothing else
            "server: { request_id: trust }\n" + ConfigLoaderTest.MINIMAL,
            "server: { request_id: true }\n" + ConfigLoaderTest.MINIMAL,
            // bad addresses
            "admin: { address: \"127.0.0.1:70000\" }\n" + ConfigLoaderTest.MINIMAL,
            "listeners: { http: { address: \"::1:80\" } }\n" + ConfigLoaderTest.MINIMAL,
            "clusters: { c: { endpoints: [ \"127.0.0.1:0\" ] } }\nroutes: [ { match: { path: /a }, cluster: c } ]\n",
            // no endpoints, bad weight, bad balancer
            "clusters: { c: { endpoints: [] } }\nroutes: [ { match: { path: /a }, cluster: c } ]\n",
            "clusters: { c: { endpoints: [ { address: \"127.0.0.1:1\", weight: 0 } ] } }\n"
                    + "routes: [ { match: { path: /a }, cluster: c } ]\n",
            "clusters: { c: { endpoints: [ \"127.0.0.1:1\" ], balancer: random } }\n"
                    + "routes: [ { match: { path: /a }, cluster: c } ]\n",
            // consistent_hash and hash_on go together
            "clusters: { c: { endpoints: [ \"127.0.0.1:1\" ], balancer: consistent_hash } }\n"
                    + "routes: [ { match: { path: /a }, cluster: c } ]\n",
            "clusters: { c: { endpoints: [ \"127.0.0.1:1\" ], hash_on: client_ip } }\n"
                    + "routes: [ { match: { path: /a }, cluster: c } ]\n",
            // health check and outlier ranges
            "clusters: { c: { endpoints: [ \"127.0.0.1:1\" ], health_check: { interval: 2s } } }\n"
                    + "routes: [ { match: { path: /a }, cluster: c } ]\n",
            "clusters: { c: { endpoints: [ \"127.0.0.1:1\" ], outlier: { max_ejection_percent: 101 } } }\n"
                    + "routes: [ { match: { path: /a }, cluster: c } ]\n",
            "clusters: { c: { endpoints: [ \"127.0.0.1:1\" ], outlier: { panic_threshold: 101 } } }\n"
                    + "routes: [ { match: { path: /a }, cluster: c } ]\n",
            "clusters: { c: { endpoints: [ \"127.0.0.1:1\" ], outlier: { panic_threshold: 50% } } }\n"
                    + "routes: [ { match: { path: /a }, cluster: c } ]\n",
            // routes
            "clusters: { c: { endpoints: [ \"127.0.0.1:1\" ] } }\nroutes: []\n",
            "clusters: { c: { endpoints: [ \"127.0.0.1:1\" ] } }\nroutes: [ { match: { path: /a } } ]\n",
            "clusters: { c: { endpoints: [ \"127.0.0.1:1\" ] } }\nroutes: [ { match: { methods: [GET] }, cluster: c } ]\n",
            "clusters: { c: { endpoints: [ \"127.0.0.1:1\" ] } }\n"
                    + "routes: [ { match: { path: /a, path_prefix: /a }, cluster: c } ]\n",
            "clusters: { c: { endpoints: [ \"127.0.0.1:1\" ] } }\nroutes: [ { match: { path: a }, cluster: c } ]\n",
            "clusters: { c: { endpoints: [ \"127.0.0.1:1\" ] } }\n"
                    + "routes: [ { match: { path_prefix: /a/../b }, cluster: c } ]\n",
            "clusters: { c: { endpoints: [ \"127.0.0.1:1\" ] } }\n"
                    + "routes: [ { match: { path: /a, methods: [] }, cluster: c } ]\n",
            "clusters: { c: { endpoints: [ \"127.0.0.1:1\" ] } }\n"
                    + "routes: [ { match: { path: /a, host: \"a.com:80\" }, cluster: c } ]\n",
            "clusters: { c: { endpoints: [ \"127.0.0.1:1\" ] } }\n"
                    + "routes: [ { match: { path: /a }, cluster: c, timeouts: { request: never } } ]\n",
            "clusters: { \"bad name\": { endpoints: [ \"127.0.0.1:1\" ] } }\n"
                    + "routes: [ { match: { path: /a }, cluster: \"bad name\" } ]\n"})
    void invalidConfig_failsBothSchemaAndLoader(String yaml) throws Exception {
        assertThat(schemaErrors(yaml)).as("schema errors for:\n%s", yaml).isNotEmpty();
        assertThatThrownBy(() -> ConfigLoader.parse(yaml, "t.yaml")).isInstanceOf(ConfigException.class);
    }

    @Test
    void schemaKeys_matchTheKeysTheLoaderKnows() {
        assertThat(names(schemaNode.get("properties")))
                .containsExactlyInAnyOrderElementsOf(union(ConfigLoader.ROOT_KEYS, ConfigLoader.ROOT_KEYS_ELSEWHERE));
        assertThat(names(schemaNode.at("/$defs/cluster/properties")))
                .containsExactlyInAnyOrderElementsOf(union(ClusterReader.KEYS, ClusterReader.KEYS_ELSEWHERE));
        assertThat(names(schemaNode.at("/$defs/route/properties")))
                .containsExactlyInAnyOrderElementsOf(union(RouteReader.KEYS, RouteReader.KEYS_ELSEWHERE));
        assertThat(names(schemaNode.at("/$defs/cluster/properties/outlier/properties")))
                .containsExactlyInAnyOrderElementsOf(ClusterReader.OUTLIER_KEYS);
    }

    private static List<String> names(JsonNode object) {
        List<String> out = new ArrayList<>();
        object.fieldNames().forEachRemaining(out::add);
        return out;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        return ClusterReader.union(a, b);
    }
}
