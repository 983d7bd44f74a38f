package io.palisade.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code palisade incident list | show ID | open NAME -m MSG | update ID --status S -m MSG | publish ID | resolve ID
 * | postmortem ID FILE}: the status page's incidents on a running gateway, through its admin API ({@code /incidents},
 * docs/status.md). The gateway records the caller as the person who made each change.
 */
@Command(name = "incident", description = "Incidents of a running gateway's status page: list, open, update,"
        + " publish, resolve, postmortem.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:done", "1:refused by the gateway, reasons on stderr",
            "2:usage error, admin API unreachable or failing"},
        subcommands = {IncidentCommand.ListAll.class, IncidentCommand.Show.class, IncidentCommand.Open.class,
            IncidentCommand.Update.class, IncidentCommand.Publish.class, IncidentCommand.Resolve.class,
            IncidentCommand.Postmortem.class})
final class IncidentCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    static String path(String id) {
        return "/incidents/" + URLEncoder.encode(id, StandardCharsets.UTF_8);
    }

    /** {@code ID=STATUS} pairs into Statuspage's {@code components} object. */
    static void components(CommandSpec spec, List<String> pairs, ObjectNode body) {
        if (pairs == null || pairs.isEmpty()) {
            return;
        }
        ObjectNode components = body.putObject("components");
        for (String p : pairs) {
            int eq = p.indexOf('=');
            if (eq < 1 || eq == p.length() - 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--component: " + p
                        + " (expected: ID=STATUS, e.g. orders=partial_outage)");
            }
            components.put(p.substring(0, eq), p.substring(eq + 1));
        }
    }

    /** One line per incident, as {@code list} prints and the others confirm. */
    static String line(JsonNode i) {
        return Views.text(i.path("id")) + " " + Views.text(i.path("status")) + (i.path("draft").asBoolean()
                ? " (draft)" : "") + " " + Views.text(i.path("impact")) + ": " + Views.text(i.path("name"));
    }

    static int done(AdminClient client, AdminClient.Reply reply, PrintWriter out, PrintWriter err, String verb) {
        if (!reply.ok()) {
            return AdminCall.refused(client, reply, err);
        }
        out.println(verb + " " + line(reply.body()));
        return AdminCall.OK;
    }

    @Command(name = "list", description = "Every incident, newest first, drafts included.")
    static final class ListAll extends AdminCall {
        @Option(names = "--json", description = "Print the API's JSON instead of a table.")
        boolean json;

        @Override
        int run(AdminClient client, PrintWriter out, PrintWriter err) throws AdminClient.Unreachable {
            AdminClient.Reply reply = client.get("/incidents");
            if (!reply.ok()) {
                return refused(client, reply, err);
            }
            if (json) {
                ConfigCommand.raw(reply.body(), out);
                return OK;
            }
            Table t = new Table("ID", "STATUS", "IMPACT", "DRAFT", "CREATED", "UPDATED", "NAME");
            for (JsonNode i : reply.body().path("incidents")) {
                t.row(Views.text(i.path("id")), Views.text(i.path("status")), Views.text(i.path("impact")),
                        i.path("draft").asBoolean() ? "yes" : "no", Views.text(i.path("created_at")),
                        Views.text(i.path("updated_at")), Views.text(i.path("name")));
            }
            t.print(out);
            return OK;
        }
    }

    @Command(name = "show", description = "One incident with every update and who wrote it, as JSON.")
    static final class Show extends AdminCall {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Override
        int run(AdminClient client, PrintWriter out, PrintWriter err) throws AdminClient.Unreachable {
            AdminClient.Reply reply = client.get(path(id));
            if (!reply.ok()) {
                return refused(client, reply, err);
            }
            ConfigCommand.raw(reply.body(), out);
            return OK;
        }
    }

    @Command(name = "open", description = "Open an incident (published unless --draft).")
    static final class Open extends AdminCall {
        @Parameters(index = "0", paramLabel = "NAME", description = "What the public page titles it.")
        String name;

        @Option(names = {"-m", "--message"}, required = true, paramLabel = "MSG", description = "The first update.")
        String message;

        @Option(names = "--status", paramLabel = "S", description = "investigating (default), identified or"
                + " monitoring.")
        String status;

        @Option(names = "--impact", paramLabel = "I", description = "none, minor, major or critical (default: what"
                + " the components' statuses imply).")
        String impact;

        @Option(names = "--component", paramLabel = "ID=STATUS", description = "A component and the status this"
                + " incident gives it (e.g. orders=partial_outage); repeatable.")
        List<String> components;

        @Option(names = "--draft", description = "Keep it off the public page until `incident publish`.")
        boolean draft;

        @Override
        int run(AdminClient client, PrintWriter out, PrintWriter err) throws AdminClient.Unreachable {
            ObjectNode body = AdminClient.JSON.createObjectNode().put("name", name).put("message", message);
            if (status != null) {
                body.put("status", status);
            }
            if (impact != null) {
                body.put("impact", impact);
            }
            components(spec, components, body);
            if (draft) {
                body.put("draft", true);
            }
            return done(client, client.post("/incidents", Optional.of(body)), out, err, "opened");
        }
    }

    @Command(name = "update", description = "Add an update: a message, and a new status, impact or component"
            + " statuses.")
    static final class Update extends AdminCall {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Option(names = {"-m", "--message"}, required = true, paramLabel = "MSG")
        String message;

        @Option(names = "--status", paramLabel = "S", description = "investigating, identified, monitoring or"
                + " resolved (default: unchanged).")
        String status;

        @Option(names = "--impact", paramLabel = "I")
        String impact;

        @Option(names = "--component", paramLabel = "ID=STATUS", description = "Repeatable.")
        List<String> components;

        @Override
        int run(AdminClient client, PrintWriter out, PrintWriter err) throws AdminClient.Unreachable {
            ObjectNode body = AdminClient.JSON.createObjectNode().put("message", message);
            if (status != null) {
                body.put("status", status);
            }
            if (impact != null) {
                body.put("impact", impact);
            }
            components(spec, components, body);
            return done(client, client.patch(path(id), body), out, err, "updated");
        }
    }

    @Command(name = "publish", description = "Put a draft on the public page.")
    static final class Publish extends AdminCall {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Override
        int run(AdminClient client, PrintWriter out, PrintWriter err) throws AdminClient.Unreachable {
            return done(client, client.post(path(id) + "/publish", Optional.empty()), out, err, "published");
        }
    }

    @Command(name = "resolve", description = "Resolve an incident; its components go back to operational.")
    static final class Resolve extends AdminCall {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Option(names = {"-m", "--message"}, paramLabel = "MSG", description = "Default: \"This incident has been"
                + " resolved.\"")
        String message;

        @Override
        int run(AdminClient client, PrintWriter out, PrintWriter err) throws AdminClient.Unreachable {
            ObjectNode body = AdminClient.JSON.createObjectNode().put("status", "resolved");
            if (message != null) {
                body.put("message", message);
            }
            return done(client, client.patch(path(id), body), out, err, "resolved");
        }
    }

    @Command(name = "postmortem", description = "Set the postmortem of a resolved incident from FILE (Markdown or"
            + " text).")
    static final class Postmortem extends AdminCall {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Parameters(index = "1", paramLabel = "FILE")
        Path file;

        @Override
        int run(AdminClient client, PrintWriter out, PrintWriter err) throws AdminClient.Unreachable {
            String text = readFile(file);
            // Sent as JSON so a postmortem that starts with a brace is not taken for a JSON body.
            ObjectNode body = AdminClient.JSON.createObjectNode().put("body", text);
            return done(client, client.put(path(id) + "/postmortem", body.toString()), out, err, "postmortem for");
        }
    }
}
