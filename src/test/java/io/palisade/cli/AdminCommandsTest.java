package io.palisade.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.admin.ApplyRequest;
import io.palisade.testing.AdminFixture;
import io.palisade.testing.RecordingReleaseApi;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code palisade config ...} and {@code palisade audit}, run in-process against a real admin server with a recording
 * release API behind it: what each sends, what it prints, and its exit code.
 */
class AdminCommandsTest {
    private static final String VERSION_8 = """
            {"version": 8, "state": "canary", "hash": "ab12cd", "parent": 7, "author": "ana@host",
             "message": "raise timeouts", "created_at": "2026-12-02T15:30:00Z", "reasons": []}""";
    private static final String RUNNING = """
            {"state": "running", "version": 8, "baseline": 7, "step": 2, "steps": [0.01, 0.1, 0.5, 1.0],
             "share": 0.1, "step_started_at": "2026-12-02T15:30:00Z", "step_duration_seconds": 30,
             "split_by": "client_ip", "auto_rollback": true,
             "figures": {"canary": {"version": "8", "requests": 120, "failures": 3, "error_rate": 0.025,
                                    "p99_ms": 2.14},
                         "baseline": {"version": "7", "requests": 1080, "failures": 1, "error_rate": 0.000926,
                                      "p99_ms": 1.9}},
             "verdict": {"kind": "insufficient", "reason": "fewer than 200 canary requests"},
             "future_field": {"ignored": true}}""";

    @TempDir
    Path dir;
    private AdminFixture admin;
    private RecordingReleaseApi api;
    private final Map<String, String> env = new HashMap<>();

    private record Run(int exit, String out, String err) {}

    @BeforeEach
    void start() throws InterruptedException {
        admin = AdminFixture.open();
        api = admin.api;
        env.put("USER", "ana");
    }

    @AfterEach
    void stop() {
        admin.close();
    }

    /** Runs a command against the test's admin server, unless the arguments name another. */
    private Run run(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        if (all.stream().noneMatch(a -> a.startsWith("--admin")) && !env.containsKey("PALISADE_ADMIN")) {
            all.add("--admin=" + admin.url());
        }
        return runAsIs(all.toArray(String[]::new));
    }

    private Run runAsIs(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = Main.commandLine(env::get);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private Path file(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }

    // ------------------------------------------------------------------------------------------------ reads

    @Test
    void history_printsATable_newestFirst_oneLinePerVersion() {
        api.reply("versions", 200, """
                {"versions": [
                  {"version": 8, "state": "canary", "author": "ana@host", "message": "raise\\ntimeouts",
                   "created_at": "2026-12-02T15:30:00Z"},
                  {"version": 7, "state": "active", "author": "bo@ci", "message": "first",
                   "created_at": "2026-12-01T09:00:00Z", "hash": "x", "reasons": []}]}""");

        Run r = run("config", "history");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().lines().toList()).containsExactly(
                "VERSION  CREATED               AUTHOR    STATE   MESSAGE",
                "8        2026-12-02T15:30:00Z  ana@host  canary  raise timeouts",
                "7        2026-12-01T09:00:00Z  bo@ci     active  first");
    }

    @Test
    void history_json_printsTheApisJson() {
        api.reply("versions", 200, "{\"versions\": [{\"version\": 1, \"extra\": 5}]}");

        Run r = run("config", "history", "--json");

        assertThat(r.exit()).isZero();
        assertThat(RecordingReleaseApi.parse(r.out())).isEqualTo(
                RecordingReleaseApi.parse("{\"versions\": [{\"version\": 1, \"extra\": 5}]}"));
    }

    @Test
    void show_printsTheMetadata_thenTheYaml() {
        api.reply("version", 200, VERSION_8.replace("\"reasons\": []",
                "\"reasons\": [\"canary healthy\"], \"yaml\": \"clusters:\\n  a: {}\\n\""));

        Run r = run("config", "show", "8");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(api.calls("version")).extracting(c -> c.arg(0)).containsExactly(8L);
        assertThat(r.out()).startsWith("""
                version:       8
                state:         canary
                parent:        7
                hash:          ab12cd
                author:        ana@host
                created:       2026-12-02T15:30:00Z
                message:       raise timeouts
                reasons:
                  canary healthy

                clusters:
                  a: {}
                """);
    }

    @Test
    void show_anUnknownVersion_exits1_withTheReason_andABadNumberIsAUsageError() {
        api.reply("version", 404, "{\"error\": \"unknown_version\", \"message\": \"no version 99\"}");

        Run unknown = run("config", "show", "99");
        Run zero = run("config", "show", "0");
        Run word = run("config", "show", "latest");

        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.err()).contains("refused (HTTP 404 unknown_version): no version 99");
        assertThat(unknown.out()).isEmpty();
        assertThat(zero.exit()).isEqualTo(2);
        assertThat(zero.err()).contains("N: 0 (expected: a version number, 1 or more)");
        assertThat(word.exit()).isEqualTo(2);
        assertThat(api.calls("version")).hasSize(1);
    }

    @Test
    void rollout_printsTheStep_theShare_theFigures_andTheVerdict() {
        api.reply("rollout", 200, RUNNING);

        Run r = run("config", "rollout");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("state:         running\n")
                .contains("version:       8 (baseline 7)\n")
                .contains("step:          2/4, share 10%\n")
                .containsPattern("step left: +\\d+s of 30s\n")
                .contains("split by:      client_ip\n")
                .contains("auto rollback: on\n")
                .contains("          REQUESTS  FAILURES  ERROR RATE  P99 MS\n")
                .contains("canary    120       3         2.50%       2.1\n")
                .contains("baseline  1080      1         0.09%       1.9\n")
                .contains("verdict:       insufficient: fewer than 200 canary requests\n");
    }

    @Test
    void rollout_whenNoneRuns_saysSo_withTheLastOne() {
        api.reply("rollout", 200, """
                {"state": "none", "last": {"version": 8, "outcome": "rolled_back", "at": "2026-12-02T15:40:00Z",
                 "reason": "canary error rate 2.5% vs 0.1%"}}""");

        Run r = run("config", "rollout");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("""
                no rollout in progress
                last:          version 8 rolled_back at 2026-12-02T15:40:00Z (canary error rate 2.5% vs 0.1%)
                """);
    }

    // ------------------------------------------------------------------------------------------------ diff

    @Test
    void diff_sendsTheFile_andExits0WhenEqual_1WithOneLinePerChange() throws Exception {
        Path f = file("new.yaml", "clusters: {}\n");
        api.reply("diff", 200, "{\"equal\": true, \"changes\": []}");

        Run same = run("config", "diff", f.toString());

        assertThat(same.exit()).isZero();
        assertThat(same.out()).contains("no differences");
        assertThat(api.calls("diff")).extracting(c -> c.arg(0)).containsExactly("clusters: {}\n");

        api.reply("diff", 200, """
                {"equal": false, "changes": [
                  {"path": "routes.orders", "change": "added", "from": null, "to": {"cluster": "orders"}},
                  {"path": "clusters.old", "change": "removed", "from": {"endpoints": []}, "to": null},
                  {"path": "routes.api.timeouts.request", "change": "changed", "from": "5s", "to": "10s"},
                  {"path": "clusters.a.limits.max_pending", "change": "changed", "from": 256, "to": 512}]}""");
        Run different = run("config", "diff", f.toString());

        assertThat(different.exit()).isEqualTo(1);
        assertThat(different.out().lines().toList()).containsExactly("+ routes.orders", "- clusters.old",
                "~ routes.api.timeouts.request: 5s -> 10s", "~ clusters.a.limits.max_pending: 256 -> 512");
    }

    @Test
    void diff_exits2_onAnyError() throws Exception {
        Path f = file("bad.yaml", "clusters: [\n");
        api.reply("diff", 422, "{\"errors\": [\"bad.yaml: malformed YAML\"]}");

        Run invalid = run("config", "diff", f.toString());
        Run missing = run("config", "diff", dir.resolve("nope.yaml").toString());

        assertThat(invalid.exit()).isEqualTo(2);
        assertThat(invalid.err()).contains("refused (HTTP 422)").contains("  bad.yaml: malformed YAML");
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("cannot read " + dir.resolve("nope.yaml"));
    }

    // ------------------------------------------------------------------------------------------------ changes

    @Test
    void apply_sendsTheFileWithItsMessage_authorFromTheEnvironment_andPrintsTheVersionAndRollout()
            throws Exception {
        Path f = file("new.yaml", "routes: []\n");
        api.reply("apply", 201, VERSION_8.replace("\"reasons\": []", "\"reasons\": [], \"rollout\": " + RUNNING));

        Run r = run("config", "apply", f.toString(), "-m", "raise timeouts");

        assertThat(r.exit()).as(r.err()).isZero();
        ApplyRequest sent = (ApplyRequest) api.calls("apply").getFirst().arg(0);
        assertThat(sent.yaml()).isEqualTo("routes: []\n");
        assertThat(sent.message()).isEqualTo("raise timeouts");
        assertThat(sent.author()).startsWith("ana@");
        assertThat(sent.direct()).isFalse();
        assertThat(sent.force()).isFalse();
        assertThat(r.out()).startsWith("version 8 stored, state canary\n").contains("rollout started:")
                .contains("step:          2/4, share 10%");
    }

    @Test
    void apply_withEveryOption() throws Exception {
        Path f = file("new.yaml", "routes: []\n");
        api.reply("apply", 201, VERSION_8);

        Run r = run("config", "apply", f.toString(), "--message=hotfix", "--author", "ops@bastion", "--direct",
                "--force");

        assertThat(r.exit()).isZero();
        assertThat(api.calls("apply").getFirst().arg(0))
                .isEqualTo(new ApplyRequest("routes: []\n", "hotfix", "ops@bastion", true, true));
    }

    @Test
    void apply_refused_exits1_withEveryReasonOnStderr() throws Exception {
        Path f = file("new.yaml", "routes: []\n");
        api.reply("apply", 422, "{\"errors\": [\"routes: at least one\", \"clusters: missing\"]}");

        Run invalid = run("config", "apply", f.toString(), "-m", "x");
        api.reply("apply", 409, "{\"error\": \"rollout_in_progress\", \"message\": \"version 8 is rolling out\"}");
        Run busy = run("config", "apply", f.toString(), "-m", "x");

        assertThat(invalid.exit()).isEqualTo(1);
        assertThat(invalid.err().lines().toList()).containsExactly("palisade: refused (HTTP 422):",
                "  routes: at least one", "  clusters: missing");
        assertThat(invalid.out()).isEmpty();
        assertThat(busy.exit()).isEqualTo(1);
        assertThat(busy.err()).contains("refused (HTTP 409 rollout_in_progress): version 8 is rolling out");
    }

    @Test
    void apply_withoutAMessage_isAUsageError() throws Exception {
        Run r = run("config", "apply", file("new.yaml", "a: 1").toString());

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("Missing required option: '--message=<message>'");
        assertThat(api.calls()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"promote", "pause", "resume", "abort"})
    void rolloutControls_postTheirAction_andPrintTheMessage(String action) {
        api.reply("rolloutControl", 200, "{\"state\": \"paused\", \"version\": 8, \"message\": \"done: " + action
                + "\"}");

        Run r = run("config", action);

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("done: " + action + "\n");
        assertThat(api.calls("rolloutControl")).extracting(c -> c.arg(0)).containsExactly(action);
    }

    @Test
    void aControlWithNoRollout_exits1() {
        api.reply("rolloutControl", 409, "{\"error\": \"no_rollout\", \"message\": \"no rollout in progress\"}");

        Run r = run("config", "promote");

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("refused (HTTP 409 no_rollout): no rollout in progress");
    }

    @Test
    void rollback_toAVersion_orThePreviousOne() {
        api.reply("rollback", 200, "{\"state\": \"active\", \"version\": 5}");

        Run to5 = run("config", "rollback", "5");
        Run previous = run("config", "rollback");
        Run zero = run("config", "rollback", "0");

        assertThat(to5.exit()).isZero();
        assertThat(to5.out()).isEqualTo("state active, version 5\n");
        assertThat(previous.exit()).isZero();
        assertThat(zero.exit()).isEqualTo(2);
        assertThat(api.calls("rollback")).extracting(c -> c.arg(0))
                .containsExactly(OptionalLong.of(5), OptionalLong.empty());
    }

    // ------------------------------------------------------------------------------------------------ audit

    @Test
    void audit_printsATable() {
        api.reply("audit", 200, """
                {"entries": [
                  {"id": 1, "at": "2026-12-02T15:30:00Z", "actor": "token@10.0.0.5", "action": "apply",
                   "version": 8, "detail": "raise timeouts"},
                  {"id": 2, "at": "2026-12-02T15:31:00Z", "actor": "system", "action": "rollback", "version": null,
                   "detail": "canary regressed"}]}""");

        Run r = run("audit");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().lines().toList()).containsExactly(
                "TIME                  ACTOR           ACTION    VERSION  DETAIL",
                "2026-12-02T15:30:00Z  token@10.0.0.5  apply     8        raise timeouts",
                "2026-12-02T15:31:00Z  system          rollback  -        canary regressed");
        assertThat(api.calls("audit")).extracting(c -> c.arg(0)).containsExactly(Optional.empty());
    }

    @Test
    void audit_since_takesAnInstantOrATimeAgo() {
        run("audit", "--since", "2026-12-02T15:30:00Z", "--limit", "50");
        Instant before = Instant.now();
        run("audit", "--since=2h");
        Instant after = Instant.now();

        List<RecordingReleaseApi.Call> calls = api.calls("audit");
        assertThat(calls.get(0).args()).containsExactly(Optional.of(Instant.parse("2026-12-02T15:30:00Z")), 50);
        @SuppressWarnings("unchecked")
        Instant twoHoursAgo = ((Optional<Instant>) calls.get(1).arg(0)).orElseThrow();
        assertThat(twoHoursAgo).isBetween(before.minus(Duration.ofHours(2)).minusSeconds(1),
                after.minus(Duration.ofHours(2)).plusSeconds(1));
    }

    @Test
    void audit_withABadSince_isAUsageError() {
        Run r = run("audit", "--since", "yesterday");

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--since: yesterday (expected: an ISO-8601 instant");
        assertThat(api.calls()).isEmpty();
    }

    // ------------------------------------------------------------------------------------------------ plumbing

    @Test
    void theAdminUrl_comesFromPalisadeAdmin_whenNoOptionGivesIt() {
        env.put("PALISADE_ADMIN", admin.url());

        Run r = runAsIs("config", "history");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(api.calls("versions")).hasSize(1);
    }

    @Test
    void anUnreachableAdminApi_exits2_withAMessage() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }

        Run r = run("config", "history", "--admin", "http://127.0.0.1:" + closed);
        Run audit = run("audit", "--admin", "http://127.0.0.1:" + closed);

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("cannot reach the admin API at http://127.0.0.1:" + closed);
        assertThat(audit.exit()).isEqualTo(2);
        assertThat(run("config", "history", "--admin", "not a url").exit()).isEqualTo(2);
    }

    @Test
    void aServerError_exits2() {
        api.fail("versions");

        Run r = run("config", "history");

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("the admin API failed (HTTP 500 internal_error)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"config", "config diff", "config apply", "config history", "config show",
        "config rollout", "config promote", "config pause", "config resume", "config abort", "config rollback",
        "audit"})
    void everyAdminCommand_answersHelp(String command) {
        List<String> args = new ArrayList<>(List.of(command.split(" ")));
        args.add("--help");

        Run r = runAsIs(args.toArray(String[]::new));

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("Usage: palisade " + command + " ");
    }

    @Test
    void config_withoutASubcommand_isAUsageError() {
        Run r = runAsIs("config");

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).startsWith("Missing required subcommand");
    }
}
