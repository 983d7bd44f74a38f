package io.palisade.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code palisade config diff | apply | history | show | rollout | promote | pause | resume | abort | rollback}: the
 * versioned config releases of a running gateway, through its admin API (docs/admin-api.md).
 */
@Command(name = "config", description = "Versioned config releases and staged rollouts of a running gateway.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:done (diff: no differences)", "1:refused by the gateway, reasons on stderr (diff: there"
                + " are differences)", "2:usage error, admin API unreachable or failing (diff: any error)"},
        subcommands = {ConfigCommand.Diff.class, ConfigCommand.Apply.class, ConfigCommand.History.class,
            ConfigCommand.Show.class, ConfigCommand.Rollout.class, ConfigCommand.Promote.class,
            ConfigCommand.Pause.class, ConfigCommand.Resume.class, ConfigCommand.Abort.class,
            ConfigCommand.Rollback.class})
final class ConfigCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    /** Prints the JSON as the API sent it, for {@code --json}. */
    static void raw(JsonNode body, PrintWriter out) {
        out.println(body.toPrettyString());
    }

    @Command(name = "diff", description = {"Show how FILE differs from the active version, one line per change:",
        "  + routes.orders   - clusters.old   ~ routes.api.timeouts.request: 5s -> 10s"},
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:no differences", "1:differences", "2:any error"})
    static final class Diff extends AdminCall {
        @Parameters(paramLabel = "FILE", description = "The YAML config to compare.")
        Path file;

        @Option(names = "--json", description = "Print the API's JSON instead.")
        boolean json;

        @Override
        int run(AdminClient client, PrintWriter out, PrintWriter err) throws AdminClient.Unreachable {
            ObjectNode body = AdminClient.JSON.createObjectNode().put("yaml", readFile(file));
            AdminClient.Reply reply = client.post("/config/diff", Optional.of(body));
            if (!reply.ok()) {
                refused(client, reply, err);
                return FAILED;
            }
            boolean equal = reply.body().path("equal").asBoolean(false);
            if (json) {
                raw(reply.body(), out);
            } else if (equal) {
                out.println("no differences from the active version");
            } else {
                Views.diff(reply.body()).forEach(out::println);
            }
            return equal ? OK : REFUSED;
        }
    }

    @Command(name = "apply", description = "Validate FILE, pre-flight it, store it as a new version and start a"
            + " staged rollout (or, with --direct, activate it at once).")
    static final class Apply extends AdminCall {
        @Parameters(paramLabel = "FILE", description = "The YAML config to apply.")
        Path file;

        @Option(names = {"-m", "--message"}, required = true, description = "Why: kept with the version and in the"
                + " audit.")
        String message;

        @Option(names = "--author", description = "Who (default: $USER@hostname, here ${DEFAULT-VALUE}).")
        String author;

        @Option(names = "--direct", description = "Activate at once instead of a staged rollout.")
        boolean direct;

        @Option(names = "--force", description = "Go ahead despite pre-flight warnings.")
        boolean force;

        @Override
        int run(AdminClient client, PrintWriter out, PrintWriter err) throws AdminClient.Unreachable {
            ObjectNode body = AdminClient.JSON.createObjectNode().put("yaml", readFile(file)).put("message", message)
                    .put("author", author).put("direct", direct).put("force", force);
            AdminClient.Reply reply = client.post("/config/versions", Optional.of(body));
            if (!reply.ok()) {
                return refused(client, reply, err);
            }
            JsonNode v = reply.body();
            out.println("version " + Views.text(v.path("version")) + " stored, state " + Views.text(v.path("state")));
            Views.version(v, out);
            if (v.path("rollout").isObject()) {
                out.println();
                out.println("rollout started:");
                Views.rollout(v.path("rollout"), Clock.systemUTC(), out);
            }
            return OK;
        }
    }

    @Command(name = "history", description = "Every stored version, newest first.")
    static final class History extends AdminCall {
        @Option(names = "--json", description = "Print the API's JSON instead of a table.")
        boolean json;

        @Override
        int run(AdminClient client, PrintWriter out, PrintWriter err) throws AdminClient.Unreachable {
            AdminClient.Reply reply = client.get("/config/versions");
            if (!reply.ok()) {
                return refused(client, reply, err);
            }
            if (json) {
                raw(reply.body(), out);
            } else {
                Views.history(reply.body(), out);
            }
            return OK;
        }
    }

    @Command(name = "show", description = "One version: its metadata, then its YAML (secrets redacted).")
    static final class Show extends AdminCall {
        @Parameters(paramLabel = "N", description = "The version number.")
        long number;

        @Option(names = "--json", description = "Print the API's JSON instead.")
        boolean json;

        @Override
        int run(AdminClient client, PrintWriter out, PrintWriter err) throws AdminClient.Unreachable {
            if (number < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "N: " + number
                        + " (expected: a version number, 1 or more)");
            }
            AdminClient.Reply reply = client.get("/config/versions/" + number);
            if (!reply.ok()) {
                return refused(client, reply, err);
            }
            if (json) {
                raw(reply.body(), out);
            } else {
                Views.show(reply.body(), out);
            }
            return OK;
        }
    }

    @Command(name = "rollout", description = "The rollout in progress: stage, share, canary and baseline figures,"
            + " the verdict so far; or the last one.")
    static final class Rollout extends AdminCall {
        @Option(names = "--json", description = "Print the API's JSON instead.")
        boolean json;

        @Override
        int run(AdminClient client, PrintWriter out, PrintWriter err) throws AdminClient.Unreachable {
            AdminClient.Reply reply = client.get("/config/rollout");
            if (!reply.ok()) {
                return refused(client, reply, err);
            }
            if (json) {
                raw(reply.body(), out);
            } else {
                Views.rollout(reply.body(), Clock.systemUTC(), out);
            }
            return OK;
        }
    }

    /** A change with no body: a rollout control or a rollback; prints the API's message. */
    abstract static class Change extends AdminCall {
        static int print(AdminClient client, AdminClient.Reply reply, PrintWriter out, PrintWriter err) {
            if (!reply.ok()) {
                return refused(client, reply, err);
            }
            JsonNode body = reply.body();
            String message = body.path("message").asText("");
            out.println(message.isEmpty() ? "state " + Views.text(body.path("state")) + ", version "
                    + Views.text(body.path("version")) : message);
            return OK;
        }
    }

    /** {@code POST /config/rollout/ACTION}. */
    abstract static class Control extends Change {
        private final String action;

        Control(String action) {
            this.action = action;
        }

        @Override
        int run(AdminClient client, PrintWriter out, PrintWriter err) throws AdminClient.Unreachable {
            return print(client, client.post("/config/rollout/" + action, Optional.empty()), out, err);
        }
    }

    @Command(name = "promote", description = "Skip the rest of the rollout's steps: the new version takes all"
            + " traffic.")
    static final class Promote extends Control {
        Promote() {
            super("promote");
        }
    }

    @Command(name = "pause", description = "Hold the rollout at its current step (the step's time stops).")
    static final class Pause extends Control {
        Pause() {
            super("pause");
        }
    }

    @Command(name = "resume", description = "Go on with a paused rollout.")
    static final class Resume extends Control {
        Resume() {
            super("resume");
        }
    }

    @Command(name = "abort", description = "Stop the rollout: all traffic back to the baseline version.")
    static final class Abort extends Control {
        Abort() {
            super("abort");
        }
    }

    @Command(name = "rollback", description = "Make version N active again (default: the one before the active"
            + " one).")
    static final class Rollback extends Change {
        @Parameters(arity = "0..1", paramLabel = "N", description = "The version to go back to.")
        Long number;

        @Override
        int run(AdminClient client, PrintWriter out, PrintWriter err) throws AdminClient.Unreachable {
            Optional<JsonNode> body = Optional.empty();
            if (number != null) {
                long n = number;
                if (n < 1) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "N: " + n
                            + " (expected: a version number, 1 or more)");
                }
                body = Optional.of(AdminClient.JSON.createObjectNode().put("version", n));
            }
            return print(client, client.post("/config/rollback", body), out, err);
        }
    }
}
