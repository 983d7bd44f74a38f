package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.config.ConfigException;
import io.palisade.slo.SloSettings;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The {@code slos:} section: the issue's shape, and each mistake refused with its path and exact message. */
class SloConfigTest {
    private static final String BASE = """
            clusters:
              orders: { endpoints: [ "127.0.0.1:9000" ] }
            routes:
              - { name: orders, match: { path_prefix: /orders }, cluster: orders }
              - { name: orders-write, match: { path_prefix: /orders-write }, cluster: orders }
            """;

    private static List<String> errors(String slos) {
        try {
            ConfigLoader.parse(BASE + slos, "t.yaml");
        } catch (ConfigException e) {
            return e.errors();
        }
        throw new AssertionError("accepted: " + slos);
    }

    @Test
    void theIssuesShape_isRead() {
        GatewayConfig c = ConfigLoader.parse(BASE + """
                slos:
                  - name: orders-availability
                    routes: [orders, orders-write]
                    objective: 99.9%
                    window: 30d
                  - name: orders-latency
                    routes: [orders]
                    objective: 99%
                    latency: 300ms
                    window: 30d
                """, "t.yaml");

        assertThat(c.slos()).containsExactly(
                new SloSettings("orders-availability", List.of("orders", "orders-write"), 0.999, Duration.ofDays(30),
                        Optional.empty()),
                new SloSettings("orders-latency", List.of("orders"), 0.99, Duration.ofDays(30),
                        Optional.of(Duration.ofMillis(300))));
        assertThat(c.slos().get(0).objectivePercent()).isEqualTo("99.9%");
        assertThat(c.slos().get(0).errorBudget()).isCloseTo(0.001, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void noSection_noSlos_andWindowsUpTo90Days() {
        assertThat(ConfigLoader.parse(BASE, "t.yaml").slos()).isEmpty();
        GatewayConfig c = ConfigLoader.parse(BASE + """
                slos:
                  - { name: quarter, routes: [orders], objective: 0.995, window: 90d }
                  - { name: drill, routes: [orders], objective: 99.9%, window: 6h }
                  - { name: shortest, routes: [orders], objective: 50%, window: 1h }
                """, "t.yaml");
        assertThat(c.slos()).extracting(SloSettings::window)
                .containsExactly(Duration.ofDays(90), Duration.ofHours(6), Duration.ofHours(1));
    }

    @Test
    void objective_mustBeAboveZeroAndBelowAHundredPercent() {
        assertThat(errors("slos: [ { name: a, routes: [orders], objective: 100%, window: 30d } ]"))
                .containsExactly("slos[0].objective: 100% (expected: above 0% and below 100%, like 99.9%)");
        assertThat(errors("slos: [ { name: a, routes: [orders], objective: 0%, window: 30d } ]"))
                .containsExactly("slos[0].objective: 0% (expected: above 0% and below 100%, like 99.9%)");
        assertThat(errors("slos: [ { name: a, routes: [orders], objective: 101%, window: 30d } ]"))
                .containsExactly("slos[0].objective: 101% (expected: between 0% and 100%)");
        assertThat(errors("slos: [ { name: a, routes: [orders], objective: lots, window: 30d } ]"))
                .containsExactly("slos[0].objective: lots (expected: a percentage like 20%)");
        assertThat(errors("slos: [ { name: a, routes: [orders], window: 30d } ]"))
                .containsExactly("slos[0].objective: missing (expected: a percentage like 99.9%)");
    }

    @Test
    void window_isRequired_between1hAnd90d() {
        assertThat(errors("slos: [ { name: a, routes: [orders], objective: 99%, window: 91d } ]"))
                .containsExactly("slos[0].window: 91d (expected: <= 90d)");
        assertThat(errors("slos: [ { name: a, routes: [orders], objective: 99%, window: 30m } ]"))
                .containsExactly("slos[0].window: 30m (expected: at least 1h)");
        assertThat(errors("slos: [ { name: a, routes: [orders], objective: 99%, window: forever } ]"))
                .containsExactly("slos[0].window: forever (expected: a duration like 250ms, 5s, 2m, 1h)");
        assertThat(errors("slos: [ { name: a, routes: [orders], objective: 99% } ]"))
                .containsExactly("slos[0].window: missing (expected: a duration like 30d, at most 90d)");
    }

    @Test
    void routes_mustNameConfiguredRoutes_once() {
        assertThat(errors("slos: [ { name: a, routes: [orders, ordres], objective: 99%, window: 30d } ]"))
                .containsExactly("slos[0].routes[1]: ordres (expected: the name of a configured route: one of"
                        + " orders, orders-write)");
        assertThat(errors("slos: [ { name: a, routes: [orders, orders], objective: 99%, window: 30d } ]"))
                .containsExactly("slos[0].routes[1]: orders (expected: a route not already listed)");
        assertThat(errors("slos: [ { name: a, routes: [], objective: 99%, window: 30d } ]"))
                .containsExactly("slos[0].routes: [] (expected: at least one route name)");
        assertThat(errors("slos: [ { name: a, routes: orders, objective: 99%, window: 30d } ]"))
                .containsExactly("slos[0].routes: orders (expected: a list of route names, like [orders])");
        assertThat(errors("slos: [ { name: a, objective: 99%, window: 30d } ]"))
                .containsExactly("slos[0].routes: missing (expected: a list of route names, like [orders])");
    }

    @Test
    void names_areRequiredValidAndUnique() {
        assertThat(errors("""
                slos:
                  - { name: a, routes: [orders], objective: 99%, window: 30d }
                  - { name: a, routes: [orders-write], objective: 99%, window: 30d }
                """)).containsExactly("slos[1].name: a (expected: a name no other SLO has)");
        assertThat(errors("slos: [ { name: \"a b\", routes: [orders], objective: 99%, window: 30d } ]"))
                .containsExactly("slos[0].name: a b (expected: a name of letters, digits, '_' and '-', starting"
                        + " with a letter or digit, at most 64 characters)");
        assertThat(errors("slos: [ { routes: [orders], objective: 99%, window: 30d } ]"))
                .containsExactly("slos[0].name: missing (expected: a value)");
    }

    @Test
    void latency_unknownKeys_andShapes() {
        assertThat(errors("slos: [ { name: a, routes: [orders], objective: 99%, window: 30d, latency: 0ms } ]"))
                .containsExactly("slos[0].latency: 0ms (expected: > 0)");
        assertThat(errors("slos: [ { name: a, routes: [orders], objective: 99%, window: 30d, latency: 2d } ]"))
                .containsExactly("slos[0].latency: 2d (expected: <= 1d)");
        assertThat(errors("slos: [ { name: a, routes: [orders], objective: 99%, window: 30d, target: 1 } ]"))
                .containsExactly("slos[0].target: unknown key (expected one of: latency, name, objective, routes,"
                        + " window)");
        assertThat(errors("slos: { a: 1 }")).containsExactly("slos: {\"a\":1} (expected: a list)");
        assertThat(errors("slos: [ orders ]")).containsExactly("slos[0]: orders (expected: a mapping like"
                + " { name: orders-availability, routes: [orders], objective: 99.9%, window: 30d })");
    }

    @Test
    void everyMistake_isReportedInOnePass() {
        assertThat(errors("""
                slos:
                  - { name: a, routes: [nope], objective: 100%, window: 91d, latency: -1s }
                """)).containsExactly(
                "slos[0].routes[0]: nope (expected: the name of a configured route: one of orders, orders-write)",
                "slos[0].objective: 100% (expected: above 0% and below 100%, like 99.9%)",
                "slos[0].window: 91d (expected: <= 90d)",
                "slos[0].latency: -1s (expected: a duration like 250ms, 5s, 2m, 1h)");
    }
}
