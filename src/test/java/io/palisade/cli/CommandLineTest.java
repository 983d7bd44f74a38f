package io.palisade.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.auth.ApiKeys;
import io.palisade.gateway.ConfigLoader;
import io.palisade.gateway.GatewayConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as the launcher runs it ({@link Main#commandLine()}), in-process: arguments, output, exit codes. */
class CommandLineTest {
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

    @Test
    void keysNew_withAConsumer_printsTheKey_itsHash_andAConsumersEntryTheLoaderAccepts() {
        Run r = run("keys", "new", "acme");

        assertThat(r.exit()).isZero();
        Matcher key = Pattern.compile("(?m)^key: +(pk_[A-Za-z0-9_-]{43})$").matcher(r.out());
        Matcher hash = Pattern.compile("(?m)^sha256: +([0-9a-f]{64})$").matcher(r.out());
        assertThat(key.find()).as(r.out()).isTrue();
        assertThat(hash.find()).as(r.out()).isTrue();
        assertThat(hash.group(1)).isEqualTo(ApiKeys.sha256Hex(key.group(1)));
        String entry = r.out().substring(r.out().indexOf("# The key is for acme"));
        GatewayConfig config = ConfigLoader.parse(entry + """
                clusters:
                  app: { endpoints: [ "127.0.0.1:9001" ] }
                routes:
                  - match: { path_prefix: / }
                    cluster: app
                    auth: { any_of: [api_key] }
                """, "pasted.yaml");
        assertThat(config.auth().consumers()).containsOnlyKeys("acme");
        assertThat(r.out()).doesNotContain(key.group(1) + "\"").as("the key itself is not in the entry");
    }

    @Test
    void keysNew_withoutAConsumer_printsTheKeyAndItsHash() {
        Run r = run("keys", "new");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).containsPattern("(?m)^key: +pk_").containsPattern("(?m)^sha256: +[0-9a-f]{64}$")
                .doesNotContain("consumers:");
    }

    @Test
    void keysNew_withAConsumerIdTheConfigWouldRefuse_isAUsageError() {
        Run r = run("keys", "new", "acme corp");

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("CONSUMER: acme corp (expected: a consumer id")
                .contains("Usage: palisade keys new");
        assertThat(r.out()).doesNotContain("key:");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "run", "validate", "demo", "demo-upstream", "keys", "keys new", "help"})
    void everyCommand_answersHelp_withItsUsage_andExitZero(String command) {
        List<String> args = new java.util.ArrayList<>(command.isEmpty() ? List.of() : List.of(command.split(" ")));
        args.add("--help");

        Run r = run(args.toArray(String[]::new));

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("Usage: palisade" + (command.isEmpty() ? " " : " " + command + " "));
        assertThat(r.err()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "keys"})
    void aCommandWithoutItsSubcommand_isAUsageError_onStderr(String command) {
        Run r = run(command.isEmpty() ? new String[0] : command.split(" "));

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).startsWith("Missing required subcommand").contains("Usage: palisade");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void anUnknownCommandOrOption_isAUsageError() {
        assertThat(run("serve").exit()).isEqualTo(2);
        assertThat(run("keys", "new", "--consumer", "acme").exit()).isEqualTo(2);
        assertThat(run("validate").err()).contains("Missing required option: '--config=<config>'");
    }

    @Test
    void validate_aValidFile_listsEachWeightedRouteWithItsShares(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("weighted.yaml");
        Files.writeString(file, """
                clusters:
                  eu: { endpoints: [ "127.0.0.1:9001" ] }
                  us: { endpoints: [ "127.0.0.1:9002" ] }
                  ap: { endpoints: [ "127.0.0.1:9003" ] }
                routes:
                  - name: orders
                    match: { path_prefix: /orders }
                    clusters: [ { name: eu, weight: 2 }, { name: us, weight: 1 }, { name: ap, weight: 0 } ]
                  - match: { path_prefix: /health }
                    cluster: eu
                """);

        Run r = run("validate", "--config", file.toString());

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).matches("\\Q" + file + "\\E: valid \\(content [0-9a-f]{12}, 2 routes, 3 clusters\\)\n"
                + "  route orders: eu 66.7%, us 33.3%, ap 0% \\(no traffic\\)\n");
    }

    @Test
    void validate_anInvalidFile_printsEveryErrorOnStderr_andExitsOne(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, """
                clusters:
                  eu: { endpoints: [ "127.0.0.1:9001" ] }
                routes:
                  - match: { path_prefix: /orders }
                    clusters: [ { name: eu, weight: 0 }, { name: us, weight: 1 } ]
                """);

        Run r = run("validate", "--config", file.toString());

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("routes[0].clusters[1].name: \"us\" (expected: one of the defined clusters:"
                + " eu)\n" + file + ": 1 error(s)\n");
    }
}
