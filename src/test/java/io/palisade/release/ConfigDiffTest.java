package io.palisade.release;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import io.palisade.config.ConfigErrors;
import io.palisade.config.YamlReader;
import io.palisade.release.ConfigDiff.Change;
import io.palisade.release.ConfigDiff.Change.Kind;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigDiffTest {
    private static final String BASE = """
            listeners:
              http: { address: 0.0.0.0:8080 }
            clusters:
              orders:
                endpoints: [ "10.0.0.1:9001", { address: "10.0.0.2:9002", weight: 3 } ]
                timeouts: { connect: 250ms, request: 5s }
              users:
                endpoints: [ "10.0.0.3:9001" ]
            routes:
              - name: orders
                match: { path_prefix: /orders }
                cluster: orders
              - name: users
                match: { path_prefix: /users }
                cluster: users
              - match: { path_prefix: / }
                cluster: users
            """;

    /** Parsed the way the gateway parses a config file. */
    private static JsonNode yaml(String text) {
        ConfigErrors errors = new ConfigErrors();
        JsonNode root = YamlReader.read(text.getBytes(StandardCharsets.UTF_8), "test.yaml", errors);
        errors.throwIfAny();
        return root;
    }

    private static List<Change> diff(String active, String next) {
        return ConfigDiff.between(yaml(active), yaml(next));
    }

    private static List<String> summary(List<Change> changes) {
        return changes.stream().map(c -> c.kind() + " " + c.path()).toList();
    }

    @Test
    void equalTrees_noChange() {
        assertThat(diff(BASE, BASE)).isEmpty();
    }

    @Test
    void numbersCompareByValue_stringsExactly() {
        assertThat(diff("a: { n: 1, s: '1' }", "a: { n: 1.0, s: '1' }")).isEmpty();
        assertThat(diff("a: { n: 100 }", "a: { n: 1e2 }")).isEmpty();

        assertThat(summary(diff("a: { s: '1' }", "a: { s: '1.0' }"))).containsExactly("CHANGED a.s");
        assertThat(summary(diff("a: { n: 1 }", "a: { n: '1' }"))).containsExactly("CHANGED a.n");
        assertThat(summary(diff("a: { t: 5s }", "a: { t: 5000ms }"))).containsExactly("CHANGED a.t");
    }

    @Test
    void addedRoute_isOneChangeAtItsRoot_withTheWholeRoute() {
        String next = BASE.replace("""
                  - match: { path_prefix: / }
                """, """
                  - name: payments
                    match: { path_prefix: /payments }
                    cluster: orders
                  - match: { path_prefix: / }
                """);

        List<Change> changes = diff(BASE, next);

        // The unnamed catch-all moved from index 2 to 3: keyed by its index, it shows as removed and added.
        assertThat(summary(changes)).containsExactly("ADDED routes.payments", "REMOVED routes[2]", "ADDED routes[3]");
        Change added = changes.get(0);
        assertThat(added.from().isMissingNode()).isTrue();
        assertThat(added.to().path("match").path("path_prefix").asText()).isEqualTo("/payments");
    }

    @Test
    void removedRoute_isOneChange() {
        String next = BASE.replace("""
                  - name: users
                    match: { path_prefix: /users }
                    cluster: users
                """, "");

        List<Change> changes = diff(BASE, next);

        // The unnamed catch-all moved from index 2 to 1: keyed by its index, it shows as removed and added.
        assertThat(summary(changes)).containsExactly("REMOVED routes.users", "ADDED routes[1]", "REMOVED routes[2]");
        assertThat(changes.get(0).to().isMissingNode()).isTrue();
        assertThat(changes.get(0).from().path("cluster").asText()).isEqualTo("users");
    }

    @Test
    void changedRoute_namesTheRouteAndTheKey() {
        String next = BASE.replace("""
                    match: { path_prefix: /users }
                    cluster: users
                """, """
                    match: { path_prefix: /users }
                    cluster: orders
                """);

        List<Change> changes = diff(BASE, next);

        assertThat(changes).containsExactly(new Change("routes.users.cluster", Kind.CHANGED,
                yaml("x: users").get("x"), yaml("x: orders").get("x")));
    }

    @Test
    void reorderedNamedRoutes_areNoChange_aRenameIsRemovedPlusAdded() {
        String reordered = """
                routes:
                  - name: users
                    cluster: users
                  - name: orders
                    cluster: orders
                """;
        String active = """
                routes:
                  - name: orders
                    cluster: orders
                  - name: users
                    cluster: users
                """;

        assertThat(diff(active, reordered)).isEmpty();
        assertThat(summary(diff(active, active.replace("name: users", "name: people"))))
                .containsExactly("ADDED routes.people", "REMOVED routes.users");
    }

    @Test
    void nestedChange_isReportedAtTheLeaf() {
        List<Change> changes = diff(BASE, BASE.replace("request: 5s", "request: 2s"));

        assertThat(summary(changes)).containsExactly("CHANGED clusters.orders.timeouts.request");
        assertThat(changes.get(0).from().asText()).isEqualTo("5s");
        assertThat(changes.get(0).to().asText()).isEqualTo("2s");
    }

    @Test
    void otherLists_compareByIndex() {
        String next = BASE.replace("""
                [ "10.0.0.1:9001", { address: "10.0.0.2:9002", weight: 3 } ]""", """
                [ "10.0.0.1:9001", { address: "10.0.0.9:9002", weight: 3 }, "10.0.0.4:9001" ]""");

        assertThat(summary(diff(BASE, next))).containsExactly("CHANGED clusters.orders.endpoints[1].address",
                "ADDED clusters.orders.endpoints[2]");
        assertThat(summary(diff(next, BASE))).containsExactly("CHANGED clusters.orders.endpoints[1].address",
                "REMOVED clusters.orders.endpoints[2]");
    }

    @Test
    void typeChange_isOneChangeWithBothValues() {
        String next = BASE.replace("""
                "10.0.0.1:9001", { address""", """
                { address: "10.0.0.1:9001", weight: 2 }, { address""");

        List<Change> changes = diff(BASE, next);

        assertThat(summary(changes)).containsExactly("CHANGED clusters.orders.endpoints[0]");
        assertThat(changes.get(0).from().isTextual()).isTrue();
        assertThat(changes.get(0).to().path("weight").asInt()).isEqualTo(2);
    }

    @Test
    void addedOrRemovedSection_isOneChange_nullCountsAsAbsent() {
        String withAuth = BASE + """
                auth:
                  external:
                    policy: { url: "http://10.0.0.7/check", timeout: 1s }
                """;

        assertThat(summary(diff(BASE, withAuth))).containsExactly("ADDED auth");
        assertThat(summary(diff(withAuth, BASE))).containsExactly("REMOVED auth");
        assertThat(diff(BASE, BASE + "auth:\n")).isEmpty();
        assertThat(summary(diff(BASE + "auth:\n", withAuth))).containsExactly("ADDED auth");
        assertThat(summary(diff("a: { b: 1 }", "a: { b: }"))).containsExactly("REMOVED a.b");
    }

    @Test
    void emptyDocument_comparesAsAnEmptyMapping() {
        List<Change> changes = diff("", BASE);

        assertThat(summary(changes)).containsExactly("ADDED clusters", "ADDED listeners", "ADDED routes");
        assertThat(diff("# nothing yet\n", "---\n")).isEmpty();
        assertThat(summary(diff(BASE, "---\n"))).containsExactly("REMOVED clusters", "REMOVED listeners",
                "REMOVED routes");
        assertThat(diff("just text", BASE)).extracting(Change::path, Change::kind)
                .containsExactly(tuple("", Kind.CHANGED));
    }

    @Test
    void changes_areSortedByPath_indicesByNumber_oddKeysQuoted() {
        String active = """
                a: { list: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] }
                headers: { x-one: a }
                """;
        String next = """
                a: { list: [0, 1, 9, 3, 4, 5, 6, 7, 8, 9, 99, 11] }
                headers: { x-one: b, "x.two": c }
                """;

        assertThat(summary(diff(active, next))).containsExactly("CHANGED a.list[2]", "CHANGED a.list[10]",
                "CHANGED headers.x-one", "ADDED headers[\"x.two\"]");
    }

    @Test
    void unnamedAndRepeatedNameRoutes_fallBackToTheirIndex() {
        String active = """
                routes:
                  - name: a
                    cluster: one
                  - name: a
                    cluster: two
                """;

        assertThat(summary(diff(active, active.replace("cluster: two", "cluster: three"))))
                .containsExactly("CHANGED routes[1].cluster");
    }
}
