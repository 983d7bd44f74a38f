package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.palisade.alert.AlertEngine;
import io.palisade.metrics.GatewayMetrics;
import io.palisade.outcome.Outcome;
import io.palisade.slo.SloEngine;
import io.palisade.slo.SloSettings;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.Gateways;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code dashboards/palisade-slo.json} is valid JSON, and every metric it queries is one the gateway exports: a real
 * gateway's {@code /metrics}, together with what the SLO and alert engines register (the gateway wires those in).
 */
class SloDashboardTest {
    private static final Path DASHBOARD = Path.of("dashboards/palisade-slo.json");
    private static final Pattern METRIC = Pattern.compile("\\bpalisade_[a-z0-9_]+");
    private static final Pattern TYPE = Pattern.compile("(?m)^# TYPE (\\S+) (\\S+)$");

    @RegisterExtension
    final Gateways gateways = Gateways.onSystemTime(1);

    /** Every series name a scrape can hold, from its TYPE lines: counters' _total, histograms' parts. */
    static Set<String> exported(String scrape) {
        Set<String> names = new TreeSet<>();
        Matcher m = TYPE.matcher(scrape);
        while (m.find()) {
            String name = m.group(1);
            switch (m.group(2)) {
                case "counter" -> names.add(name.endsWith("_total") ? name : name + "_total");
                case "histogram" -> {
                    names.add(name + "_bucket");
                    names.add(name + "_count");
                    names.add(name + "_sum");
                }
                default -> names.add(name);
            }
        }
        return names;
    }

    private static void queries(JsonNode node, List<String> out) {
        if (node.isObject()) {
            node.properties().forEach(e -> {
                if ((e.getKey().equals("expr") || e.getKey().equals("query") || e.getKey().equals("definition"))
                        && e.getValue().isTextual()) {
                    out.add(e.getValue().asText());
                }
                queries(e.getValue(), out);
            });
        } else if (node.isArray()) {
            node.forEach(n -> queries(n, out));
        }
    }

    @Test
    void everyMetricTheDashboardQueries_isOneTheGatewayExports() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(Files.readString(DASHBOARD));
        assertThat(dashboard.get("uid").asText()).isEqualTo("palisade-slo");
        assertThat(dashboard.get("panels")).isNotEmpty();
        List<String> queries = new ArrayList<>();
        queries(dashboard, queries);
        Set<String> used = new TreeSet<>();
        for (String q : queries) {
            Matcher m = METRIC.matcher(q);
            while (m.find()) {
                used.add(m.group());
            }
        }
        assertThat(used).contains("palisade_slo_burn_rate", "palisade_slo_error_budget_remaining",
                "palisade_alerts_active", "palisade_requests_total", "palisade_request_duration_seconds_bucket");

        GatewayFixture gw = gateways.start("""
                clusters:
                  orders: { endpoints: [ "127.0.0.1:1" ] }
                routes:
                  - { name: orders, match: { path_prefix: / }, cluster: orders }
                """);
        gw.get("/");
        Set<String> exported = new TreeSet<>(exported(gw.admin("GET", "/metrics").body()));
        GatewayMetrics engines = new GatewayMetrics();
        SloEngine slos = SloEngine.create(List.of(new SloSettings("s", List.of("orders"), 0.99, Duration.ofDays(30),
                Optional.empty())), Clock.systemUTC());
        slos.register(engines);
        AlertEngine alerts = AlertEngine.builder(Clock.systemUTC()).slos(slos).build();
        alerts.register(engines);
        // Series without a value are not exported at all: give every one of them something to show.
        for (int i = 0; i < 100; i++) {
            slos.onOutcome(new Outcome("r", "1", 0, "127.0.0.1", "GET", "/", "", "orders", "orders", "", "", 200,
                    Outcome.Ending.ANSWERED, Optional.empty(), 0, 0, 1_000_000, 0, 1, ""));
        }
        slos.tick();
        alerts.configRolledBack("1", "a test");
        alerts.evaluate();
        exported.addAll(exported(engines.scrape()));

        assertThat(exported).containsAll(used);
    }
}
