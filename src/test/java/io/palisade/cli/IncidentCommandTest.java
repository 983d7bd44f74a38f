package io.palisade.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code palisade incident ...} and {@code palisade maintenance ...}, run in-process against a real gateway with a
 * status page: what each prints, its exit code, and that the gateway did what it said.
 */
class IncidentCommandTest {
    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {}

    private static Run run(GatewayFixture gw, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = Main.commandLine(Map.of("PALISADE_ADMIN", "http://127.0.0.1:" + gw.adminPort())::get);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private static GatewayFixture start(Gateways gateways) {
        return gateways.start("""
                status_page:
                  address: 127.0.0.1:0
                  title: Acme API
                  components:
                    - { id: orders, name: Orders API }
                    - { id: collect, name: Collector }
                clusters:
                  app: { endpoints: [ "127.0.0.1:9" ] }
                routes:
                  - name: api
                    match: { path_prefix: /api }
                    cluster: app
                """);
    }

    @GatewayTest(loops = 1)
    void openUpdatePublishResolvePostmortem_thenList(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        Run opened = run(gw, "incident", "open", "Checkout errors", "-m", "Looking into it.", "--draft",
                "--component", "orders=partial_outage", "--impact", "major");
        assertThat(opened.exit()).as(opened.err()).isZero();
        assertThat(opened.out()).startsWith("opened ").contains("investigating (draft) major: Checkout errors");
        String id = opened.out().split(" ")[1];

        Run updated = run(gw, "incident", "update", id, "--status", "identified", "-m", "A bad deploy.");
        assertThat(updated.exit()).as(updated.err()).isZero();
        assertThat(updated.out()).contains("identified");
        assertThat(run(gw, "incident", "publish", id).out()).doesNotContain("draft");
        Run resolved = run(gw, "incident", "resolve", id);
        assertThat(resolved.out()).contains(id + " resolved");
        Path pm = Files.writeString(dir.resolve("pm.md"), "{not json} # What happened\nA deploy.");
        Run postmortem = run(gw, "incident", "postmortem", id, pm.toString());
        assertThat(postmortem.exit()).as(postmortem.err()).isZero();
        assertThat(postmortem.out()).contains("postmortem");

        Run list = run(gw, "incident", "list");
        assertThat(list.exit()).isZero();
        assertThat(list.out()).contains("ID", "STATUS", id, "postmortem", "Checkout errors");
        Run show = run(gw, "incident", "show", id);
        assertThat(show.out()).contains("{not json} # What happened", "A bad deploy.", "loopback@127.0.0.1");
    }

    @GatewayTest(loops = 1)
    void refusals_exit1_withTheReason(Gateways gateways) {
        GatewayFixture gw = start(gateways);
        Run unknown = run(gw, "incident", "update", "nope", "-m", "x");
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.err()).contains("HTTP 404", "nope");
        Run badComponent = run(gw, "incident", "open", "x", "-m", "y", "--component", "nope=major_outage");
        assertThat(badComponent.exit()).isEqualTo(1);
        assertThat(badComponent.err()).contains("HTTP 422", "unknown component nope");
        assertThat(run(gw, "incident", "open", "x", "-m", "y", "--component", "orders").exit()).isEqualTo(2);
        assertThat(run(gw, "incident", "open", "x").exit()).as("no -m").isEqualTo(2);
        Run past = run(gw, "maintenance", "schedule", "late", "--from", "2020-01-01T00:00:00Z", "--until",
                "2020-01-01T01:00:00Z", "--component", "orders");
        assertThat(past.exit()).isEqualTo(1);
        assertThat(past.err()).contains("in the future");
    }

    @GatewayTest(loops = 1)
    void maintenanceScheduleAndList(Gateways gateways) {
        GatewayFixture gw = start(gateways);
        Instant from = Instant.now().plus(Duration.ofDays(1));
        Run scheduled = run(gw, "maintenance", "schedule", "DB upgrade", "--from", from.toString(), "--until",
                from.plus(Duration.ofHours(2)).toString(), "--component", "orders", "--component", "collect",
                "-m", "Writes pause briefly.");
        assertThat(scheduled.exit()).as(scheduled.err()).isZero();
        assertThat(scheduled.out()).startsWith("scheduled ").contains("scheduled", "DB upgrade");
        Run list = run(gw, "maintenance", "list");
        assertThat(list.exit()).isZero();
        assertThat(list.out()).contains("orders,collect", "DB upgrade", "scheduled");
    }
}
