package io.palisade.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code palisade slo rules}: the output is a rule file Prometheus's own {@code promtool} accepts, and its alerts fire
 * (and stay quiet) where the gateway's scheme says, checked by {@code promtool test rules} on synthetic series. Fails,
 * never skips, without promtool: bin/test installs Debian's prometheus package, which ships it.
 */
class SloCommandTest {
    private static final String CONFIG = """
            clusters:
              orders: { endpoints: [ "127.0.0.1:9000" ] }
            routes:
              - { name: orders, match: { path_prefix: /orders }, cluster: orders }
              - { name: orders-write, match: { path_prefix: /orders-write }, cluster: orders }
              - { match: { path_prefix: /legacy }, cluster: orders }
            slos:
              - name: orders-availability
                routes: [orders]
                objective: 99.9%
                window: 30d
              - name: orders-latency
                routes: [orders, "routes[2]"]
                objective: 99%
                latency: 300ms
                window: 30d
              - name: orders-fast
                routes: [orders-write]
                objective: 99%
                latency: 250ms
                window: 7d
              - name: drill
                routes: [orders]
                objective: 99.9%
                window: 6h
            """;

    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private Path config(String yaml) throws IOException {
        Path file = dir.resolve("palisade.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    /** Runs promtool in {@code dir}; its exit code and output. */
    private Run promtool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("promtool"));
        cmd.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("promtool is not installed (Debian: apt-get install prometheus; bin/test"
                    + " installs it)", e);
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), output, "");
    }

    @Test
    void rules_passPromtoolsCheck_andCommentWhatTheyApproximate() throws Exception {
        Run r = run("slo", "rules", "--config", config(CONFIG).toString());
        assertThat(r.exit()).as(r.err()).isZero();
        Files.writeString(dir.resolve("rules.yml"), r.out());
        Run check = promtool("check", "rules", "rules.yml");
        assertThat(check.exit()).as(check.out()).isZero();
        assertThat(check.out()).contains("SUCCESS: 64 rules found");

        JsonNode groups = new YAMLMapper().readTree(r.out()).get("groups");
        assertThat(groups).hasSize(4);
        assertThat(groups.get(0).get("name").asText()).isEqualTo("palisade-slo-orders-availability");
        assertThat(groups.get(0).get("rules")).hasSize(7 * 2 + 2);
        assertThat(r.out()).contains("# Windows: 5m=2500ms, 30m=15s, 1h=30s, 2h=1m, 6h=3m, 1d=12m, 3d=36m.")
                .contains("    interval: 625ms")
                .contains("# latency 300ms is not a bucket boundary of palisade_request_duration_seconds")
                .contains("these rules use le=0.25, so requests between 0.25 s and 0.3 s count as bad here")
                .doesNotContain("# latency 250ms") // a bucket boundary: nothing to say
                .contains("le=~\"0\\\\.25\"", "route=~\"orders|routes\\\\[2\\\\]\"", "[2500ms]", "[36m]")
                .contains("bad is the 5xx class here; the gateway does not count 501 and 503 load_shed");
    }

    @Test
    void theAlerts_fireWhereTheSchemeSays_inPromtoolsUnitTests() throws Exception {
        Run r = run("slo", "rules", "--config", config("""
                clusters:
                  orders: { endpoints: [ "127.0.0.1:9000" ] }
                routes:
                  - { name: orders, match: { path_prefix: /orders }, cluster: orders }
                slos:
                  - { name: orders-availability, routes: [orders], objective: 99.9%, window: 30d }
                """).toString());
        Files.writeString(dir.resolve("rules.yml"), r.out());
        String summary = "SLO orders-availability (99.9% over 30d) is burning its error budget: ";
        String pageDescription = "The burn rate (error ratio / error budget 0.001) is above 14.4 over 1h and 5m, or"
                + " above 6 over 6h and 30m (windows scaled with the SLO window). See docs/slo.md.";
        String ticketDescription = "The burn rate (error ratio / error budget 0.001) is above 3 over 1d and 2h, or"
                + " above 1 over 3d and 6h (windows scaled with the SLO window). See docs/slo.md.";
        Files.writeString(dir.resolve("test.yml"), """
                rule_files:
                  - rules.yml
                evaluation_interval: 1m
                tests:
                  # 1000 good a minute; after 100 minutes 200 errors a minute; a flood of 4xx never counts.
                  - interval: 1m
                    input_series:
                      - series: 'palisade_requests_total{route="orders",cluster="orders",code_class="2xx"}'
                        values: '0+1000x200'
                      - series: 'palisade_requests_total{route="orders",cluster="orders",code_class="5xx"}'
                        values: '0x100 200+200x100'
                      - series: 'palisade_requests_total{route="orders",cluster="orders",code_class="4xx"}'
                        values: '0+50000x200'
                    alert_rule_test:
                      - eval_time: 90m
                        alertname: PalisadeSloErrorBudgetBurn
                        exp_alerts: []
                      - eval_time: 120m
                        alertname: PalisadeSloErrorBudgetBurn
                        exp_alerts:
                          - exp_labels: { severity: page, slo: orders-availability }
                            exp_annotations: { summary: "%1$spage", description: "%2$s" }
                          - exp_labels: { severity: ticket, slo: orders-availability }
                            exp_annotations: { summary: "%1$sticket", description: "%3$s" }
                  # A trickle of one request every two minutes, half of them failing once the fault begins: the 5m
                  # and 30m windows never hold 20 requests, so no page can fire (no signal is no alert); the 2h
                  # window holds 60, enough for a ticket.
                  - interval: 1m
                    input_series:
                      - series: 'palisade_requests_total{route="orders",cluster="orders",code_class="2xx"}'
                        values: '0+0.5x100 50.25+0.25x200'
                      - series: 'palisade_requests_total{route="orders",cluster="orders",code_class="5xx"}'
                        values: '0x100 0.25+0.25x200'
                    alert_rule_test:
                      - eval_time: 220m
                        alertname: PalisadeSloErrorBudgetBurn
                        exp_alerts:
                          - exp_labels: { severity: ticket, slo: orders-availability }
                            exp_annotations: { summary: "%1$sticket", description: "%3$s" }
                """.formatted(summary, pageDescription, ticketDescription));
        Run test = promtool("test", "rules", "test.yml");
        assertThat(test.exit()).as(test.out()).isZero();
        assertThat(test.out()).contains("SUCCESS");
    }

    @Test
    void exact_buildsOnTheGatewaysOwnCounts() throws Exception {
        Run r = run("slo", "rules", "--exact", "--config", config(CONFIG).toString());
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("palisade_slo_requests_total{slo=\"orders-latency\",result=\"bad\"}[5m]")
                .doesNotContain("palisade_requests_total{").doesNotContain("# latency 300ms");
        Files.writeString(dir.resolve("exact.yml"), r.out());
        Run check = promtool("check", "rules", "exact.yml");
        assertThat(check.exit()).as(check.out()).isZero();
    }

    @Test
    void aConfigWithoutSlos_isAnEmptyRuleFile_andAnInvalidOneIsRefused() throws Exception {
        Run none = run("slo", "rules", "--config", config("""
                clusters:
                  orders: { endpoints: [ "127.0.0.1:9000" ] }
                routes:
                  - { name: orders, match: { path_prefix: /orders }, cluster: orders }
                """).toString());
        assertThat(none.exit()).isZero();
        assertThat(none.out()).endsWith("# The config has no slos: section.\ngroups: []\n");
        Files.writeString(dir.resolve("none.yml"), none.out());
        assertThat(promtool("check", "rules", "none.yml").exit()).isZero();

        Run bad = run("slo", "rules", "--config", config(CONFIG.replaceFirst("objective: 99.9%", "objective: 100%"))
                .toString());
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("slos[0].objective: 100% (expected: above 0% and below 100%, like 99.9%)",
                "1 error(s)");
        assertThat(run("slo").exit()).isEqualTo(2);
        assertThat(run("slo", "rules").exit()).isEqualTo(2);
    }
}
