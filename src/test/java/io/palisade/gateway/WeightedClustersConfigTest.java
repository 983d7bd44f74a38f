package io.palisade.gateway;

import static io.palisade.gateway.ConfigLoaderTest.errorsOf;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import io.palisade.route.RouteConfig;
import io.palisade.route.WeightedCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A route's {@code cluster:} or weighted {@code clusters:}: what the loader reads, refuses, and shows. */
class WeightedClustersConfigTest {
    private static JsonSchema schema;

    @BeforeAll
    static void readSchema() throws Exception {
        schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                .getSchema(new ObjectMapper().readTree(Files.readString(Path.of("schema/palisade.schema.json"))));
    }

    /** Three clusters, and one route written with {@code routeClusters} (its cluster/clusters lines). */
    private static String withClusters(String routeClusters) {
        return """
                clusters:
                  orders-eu: { endpoints: [ "127.0.0.1:9001" ], failover: orders-dr }
                  orders-us: { endpoints: [ "127.0.0.1:9002" ], failover: orders-dr }
                  orders-dr: { endpoints: [ "127.0.0.1:9003" ] }
                routes:
                  - name: orders
                    match: { path_prefix: /orders }
                """ + routeClusters.indent(4);
    }

    private static RouteConfig onlyRoute(String yaml) {
        return ConfigLoader.parse(yaml, "t.yaml").routes().get(0);
    }

    // ---------------------------------------------------------------- what is read

    @Test
    void clusterShorthand_isOneEntryOfWeight100() {
        RouteConfig route = onlyRoute(withClusters("cluster: orders-eu"));

        assertThat(route.clusters()).containsExactly(new WeightedCluster("orders-eu", 100));
        assertThat(route.servingClusters()).containsExactly("orders-eu");
    }

    @Test
    void clusters_areReadInOrderWithTheirWeights_includingZero() {
        RouteConfig route = onlyRoute(withClusters(
                "clusters: [ { name: orders-eu, weight: 90 }, { name: orders-us, weight: 10 }, "
                        + "{ name: orders-dr, weight: 0 } ]"));

        assertThat(route.clusters()).containsExactly(new WeightedCluster("orders-eu", 90),
                new WeightedCluster("orders-us", 10), new WeightedCluster("orders-dr", 0));
        assertThat(route.servingClusters()).containsExactly("orders-eu", "orders-us");
    }

    @Test
    void weightsAtTheBounds_areAccepted() {
        RouteConfig route = onlyRoute(withClusters("""
                clusters:
                  - { name: orders-eu, weight: 10000 }
                  - { name: orders-us, weight: 0 }"""));

        assertThat(route.clusters()).extracting(WeightedCluster::weight).containsExactly(10000, 0);
    }

    @Test
    void reachableClusters_areTheServingOnesAndTheirFailoverChains_notTheDivertedOnes() {
        GatewayConfig config = ConfigLoader.parse("""
                clusters:
                  a: { endpoints: [ "127.0.0.1:1" ], failover: a-dr }
                  a-dr: { endpoints: [ "127.0.0.1:2" ], failover: last }
                  b: { endpoints: [ "127.0.0.1:3" ], failover: last }
                  c: { endpoints: [ "127.0.0.1:4" ], failover: c-dr }
                  c-dr: { endpoints: [ "127.0.0.1:5" ] }
                  last: { endpoints: [ "127.0.0.1:6" ] }
                routes:
                  - match: { path_prefix: /x }
                    clusters: [ { name: b, weight: 1 }, { name: a, weight: 3 }, { name: c, weight: 0 } ]
                  - match: { path_prefix: /y }
                    cluster: c
                """, "t.yaml");

        assertThat(config.routes().get(0).reachableClusters(config.clusters()))
                .containsExactly("b", "last", "a", "a-dr");
        assertThat(config.routes().get(1).reachableClusters(config.clusters())).containsExactly("c", "c-dr");
    }

    // ---------------------------------------------------------------- what is refused, with exact messages

    @Test
    void missingName() {
        assertThat(errorsOf(withClusters("clusters: [ { weight: 50 }, { name: orders-us, weight: 50 } ]")))
                .containsExactly("routes[0].clusters[0].name: missing (expected: one of the defined clusters:"
                        + " orders-eu, orders-us, orders-dr)");
    }

    @Test
    void unknownCluster() {
        assertThat(errorsOf(withClusters(
                "clusters: [ { name: orders-eu, weight: 50 }, { name: ordrs-us, weight: 50 } ]")))
                .containsExactly("routes[0].clusters[1].name: \"ordrs-us\" (expected: one of the defined clusters:"
                        + " orders-eu, orders-us, orders-dr)");
    }

    @Test
    void negativeWeight() {
        assertThat(errorsOf(withClusters(
                "clusters: [ { name: orders-eu, weight: 50 }, { name: orders-us, weight: -1 } ]")))
                .containsExactly("routes[0].clusters[1].weight: -1 (expected: between 0 and 10000)");
    }

    @Test
    void weightOverTheMaximum() {
        assertThat(errorsOf(withClusters("clusters: [ { name: orders-eu, weight: 10001 } ]")))
                .containsExactly("routes[0].clusters[0].weight: 10001 (expected: between 0 and 10000)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.5", "\"50\"", "50%", "fifty", "true", "[50]"})
    void nonIntegerWeight(String weight) {
        String shown = switch (weight) {
            case "\"50\"" -> "50";
            case "[50]" -> "[50]";
            default -> weight;
        };
        assertThat(errorsOf(withClusters("clusters: [ { name: orders-eu, weight: 50 }, { name: orders-us, weight: "
                + weight + " } ]"))).containsExactly("routes[0].clusters[1].weight: " + shown
                        + " (expected: an integer)");
    }

    @Test
    void missingWeight() {
        assertThat(errorsOf(withClusters("clusters: [ { name: orders-eu } ]")))
                .containsExactly("routes[0].clusters[0].weight: missing (expected: an integer between 0 and 10000)");
    }

    @Test
    void everyWeightZero() {
        assertThat(errorsOf(withClusters(
                "clusters: [ { name: orders-eu, weight: 0 }, { name: orders-us, weight: 0 } ]")))
                .containsExactly("routes[0].clusters: every weight is 0 (expected: at least one cluster with a weight"
                        + " above 0)");
    }

    @Test
    void everyWeightZero_isNotClaimedWhenAnEntryIsWrong() {
        assertThat(errorsOf(withClusters(
                "clusters: [ { name: orders-eu, weight: 0 }, { name: orders-us, weight: x } ]")))
                .containsExactly("routes[0].clusters[1].weight: x (expected: an integer)");
    }

    @Test
    void duplicateName() {
        assertThat(errorsOf(withClusters("""
                clusters:
                  - { name: orders-eu, weight: 50 }
                  - { name: orders-us, weight: 50 }
                  - { name: orders-eu, weight: 0 }""")))
                .containsExactly("routes[0].clusters[2].name: \"orders-eu\" (expected: a cluster no other entry names;"
                        + " clusters[0] names it)");
    }

    @Test
    void bothClusterAndClusters() {
        assertThat(errorsOf(withClusters("""
                cluster: orders-eu
                clusters: [ { name: orders-eu, weight: 50 }, { name: orders-us, weight: 50 } ]""")))
                .containsExactly("routes[0].cluster: orders-eu (expected: either cluster or clusters, not both)");
    }

    @Test
    void emptyList() {
        assertThat(errorsOf(withClusters("clusters: []")))
                .containsExactly("routes[0].clusters: [] (expected: at least one cluster)");
    }

    @Test
    void neitherClusterNorClusters() {
        assertThat(errorsOf(withClusters("strip_prefix: false")))
                .containsExactly("routes[0].cluster: missing (expected: one of the defined clusters: orders-eu,"
                        + " orders-us, orders-dr)");
    }

    @Test
    void wrongShapes() {
        assertThat(errorsOf(withClusters("clusters: orders-eu"))).containsExactly(
                "routes[0].clusters: orders-eu (expected: a list)");
        assertThat(errorsOf(withClusters("clusters: [ orders-eu ]"))).containsExactly(
                "routes[0].clusters[0]: orders-eu (expected: a mapping like { name: orders-eu, weight: 50 })");
    }

    @Test
    void unknownKeyInAnEntry() {
        assertThat(errorsOf(withClusters("clusters: [ { name: orders-eu, weight: 50, wieght: 5 } ]")))
                .containsExactly("routes[0].clusters[0].wieght: unknown key (expected one of: name, weight)");
    }

    @Test
    void everyMistakeOfOneList_isReportedInOnePass() {
        assertThat(errorsOf(withClusters("""
                clusters:
                  - { weight: 5 }
                  - { name: nowhere, weight: 5 }
                  - { name: orders-us, weight: -5 }""")))
                .containsExactly(
                        "routes[0].clusters[0].name: missing (expected: one of the defined clusters: orders-eu,"
                                + " orders-us, orders-dr)",
                        "routes[0].clusters[1].name: \"nowhere\" (expected: one of the defined clusters: orders-eu,"
                                + " orders-us, orders-dr)",
                        "routes[0].clusters[2].weight: -5 (expected: between 0 and 10000)");
    }

    /** The schema an editor uses refuses what the loader refuses, where a schema can tell. */
    @ParameterizedTest
    @ValueSource(strings = {
            "clusters: [ { weight: 50 } ]",
            "clusters: [ { name: orders-eu, weight: -1 } ]",
            "clusters: [ { name: orders-eu, weight: 10001 } ]",
            "clusters: [ { name: orders-eu, weight: 0.5 } ]",
            "clusters: [ { name: orders-eu } ]",
            "clusters: [ { name: orders-eu, weight: 0 }, { name: orders-us, weight: 0 } ]",
            "clusters: []",
            "clusters: [ { name: orders-eu, weight: 1, wieght: 5 } ]",
            "cluster: orders-eu\nclusters: [ { name: orders-eu, weight: 1 } ]",
            "strip_prefix: false"})
    void schemaAndLoader_bothRefuse(String routeClusters) throws Exception {
        String yaml = withClusters(routeClusters);
        assertThat(schema.validate(new YAMLMapper().readTree(yaml))).as("schema errors for:\n%s", yaml).isNotEmpty();
        assertThat(errorsOf(yaml)).isNotEmpty();
    }

    @Test
    void schema_acceptsBothForms() throws Exception {
        for (String routeClusters : new String[] {"cluster: orders-eu",
                "clusters: [ { name: orders-eu, weight: 50 }, { name: orders-us, weight: 0 } ]"}) {
            assertThat(schema.validate(new YAMLMapper().readTree(withClusters(routeClusters)))).isEmpty();
        }
        assertThat(schema.validate(new YAMLMapper().readTree(Files.readString(Path.of("examples/weighted.yaml")))))
                .isEmpty();
    }

    // ---------------------------------------------------------------- what /config shows

    @Test
    void shownTree_hasOneShape_clustersListsWhereverTheFileUsedTheShorthand() {
        ConfigLoader.Loaded loaded = ConfigLoader.parseWithSource("""
                clusters:
                  orders-eu: { endpoints: [ "127.0.0.1:9001" ] }
                  orders-us: { endpoints: [ "127.0.0.1:9002" ] }
                routes:
                  - match: { path_prefix: /orders }
                    clusters: [ { weight: 90, name: orders-eu }, { name: orders-us, weight: 10 } ]
                    strip_prefix: true
                  - match: { path: /health }
                    cluster: orders-eu
                    timeouts: { request: 2s }
                """, "t.yaml");

        JsonNode routes = loaded.redactedTree().get("routes");
        assertThat(routes.get(0).toString()).isEqualTo("{\"match\":{\"path_prefix\":\"/orders\"},"
                + "\"clusters\":[{\"name\":\"orders-eu\",\"weight\":90},{\"name\":\"orders-us\",\"weight\":10}],"
                + "\"strip_prefix\":true}");
        assertThat(routes.get(1).toString()).isEqualTo("{\"match\":{\"path\":\"/health\"},"
                + "\"clusters\":[{\"name\":\"orders-eu\",\"weight\":100}],\"timeouts\":{\"request\":\"2s\"}}");
        assertThat(ConfigLoader.parse(loaded.tree().toString(), "shown.json").routes())
                .as("what /config shows loads as the same routes").isEqualTo(loaded.config().routes());
    }
}
