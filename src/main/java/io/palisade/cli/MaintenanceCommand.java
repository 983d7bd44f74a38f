package io.palisade.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code palisade maintenance list | schedule NAME --from T --until T [--component ID ...] [-m MSG]}: the status
 * page's maintenance windows on a running gateway, through its admin API ({@code /maintenances}, docs/status.md).
 */
@Command(name = "maintenance", description = "Maintenance windows of a running gateway's status page: list,"
        + " schedule.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:done", "1:refused by the gateway, reasons on stderr",
            "2:usage error, admin API unreachable or failing"},
        subcommands = {MaintenanceCommand.ListAll.class, MaintenanceCommand.Schedule.class})
final class MaintenanceCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    @Command(name = "list", description = "Every maintenance, the latest scheduled first.")
    static final class ListAll extends AdminCall {
        @Option(names = "--json", description = "Print the API's JSON instead of a table.")
        boolean json;

        @Override
        int run(AdminClient client, PrintWriter out, PrintWriter err) throws AdminClient.Unreachable {
            AdminClient.Reply reply = client.get("/maintenances");
            if (!reply.ok()) {
                return refused(client, reply, err);
            }
            if (json) {
                ConfigCommand.raw(reply.body(), out);
                return OK;
            }
            Table t = new Table("ID", "STATUS", "FROM", "UNTIL", "COMPONENTS", "NAME");
            for (JsonNode m : reply.body().path("scheduled_maintenances")) {
                StringBuilder components = new StringBuilder();
                for (JsonNode c : m.path("components")) {
                    components.append(components.isEmpty() ? "" : ",").append(Views.text(c.path("id")));
                }
                t.row(Views.text(m.path("id")), Views.text(m.path("status")), Views.text(m.path("scheduled_for")),
                        Views.text(m.path("scheduled_until")), components.toString(), Views.text(m.path("name")));
            }
            t.print(out);
            return OK;
        }
    }

    @Command(name = "schedule", description = "Schedule a window in which the components show under_maintenance.")
    static final class Schedule extends AdminCall {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--from", required = true, paramLabel = "T", description = "Start, ISO-8601"
                + " (2026-03-01T22:00:00Z).")
        String from;

        @Option(names = "--until", required = true, paramLabel = "T", description = "End, ISO-8601.")
        String until;

        @Option(names = "--component", paramLabel = "ID", description = "A component under maintenance;"
                + " repeatable, at least one.")
        List<String> components;

        @Option(names = {"-m", "--message"}, paramLabel = "MSG", description = "What the page says about it.")
        String message;

        @Override
        int run(AdminClient client, PrintWriter out, PrintWriter err) throws AdminClient.Unreachable {
            ObjectNode body = AdminClient.JSON.createObjectNode().put("name", name).put("scheduled_for", from)
                    .put("scheduled_until", until);
            ArrayNode list = body.putArray("components");
            if (components != null) {
                components.forEach(list::add);
            }
            if (message != null) {
                body.put("message", message);
            }
            AdminClient.Reply reply = client.post("/maintenances", Optional.of(body));
            if (!reply.ok()) {
                return refused(client, reply, err);
            }
            JsonNode m = reply.body();
            out.println("scheduled " + Views.text(m.path("id")) + " " + Views.text(m.path("status")) + " "
                    + Views.text(m.path("scheduled_for")) + ".." + Views.text(m.path("scheduled_until")) + ": "
                    + Views.text(m.path("name")));
            return OK;
        }
    }
}
