package io.palisade.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code palisade ingest status | quarantine ROUTE | record ROUTE ID | replay ROUTE (--all | ID...) | purge ROUTE
 * (--all | ID...)}: the ingest routes of a running gateway, through its admin API ({@code /ingest}, docs/ingest.md).
 */
@Command(name = "ingest", description = "Durable ingest routes of a running gateway: backlog, quarantine, replay,"
        + " purge.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:done", "1:refused by the gateway, reasons on stderr",
            "2:usage error, admin API unreachable or failing"},
        subcommands = {IngestCommand.Status.class, IngestCommand.Quarantine.class, IngestCommand.Show.class,
            IngestCommand.Replay.class, IngestCommand.Purge.class})
final class IngestCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    static String route(String route) {
        return URLEncoder.encode(route, StandardCharsets.UTF_8);
    }

    @Command(name = "status", description = "Per ingest route: backlog, oldest age, in flight, delivered, retried,"
            + " quarantined, bytes against the quota.")
    static final class Status extends AdminCall {
        @Option(names = "--json", description = "Print the API's JSON instead of a table.")
        boolean json;

        @Override
        int run(AdminClient client, PrintWriter out, PrintWriter err) throws AdminClient.Unreachable {
            AdminClient.Reply reply = client.get("/ingest");
            if (!reply.ok()) {
                return refused(client, reply, err);
            }
            if (json) {
                ConfigCommand.raw(reply.body(), out);
                return OK;
            }
            JsonNode body = reply.body();
            JsonNode disk = body.path("disk");
            out.println("store " + Views.text(body.path("state")) + ", " + Views.text(disk.path("used_bytes"))
                    + " of " + Views.text(disk.path("max_disk_bytes")) + " bytes used (max_disk)");
            Table t = new Table("ROUTE", "CLUSTER", "BACKLOG", "OLDEST", "IN FLIGHT", "DELIVERED", "RETRIED",
                    "QUARANTINED", "BYTES", "QUOTA");
            for (JsonNode r : body.path("routes")) {
                t.row(Views.text(r.path("route")), Views.text(r.path("cluster")), Views.text(r.path("backlog")),
                        String.format(java.util.Locale.ROOT, "%.1fs", r.path("oldest_age_seconds").asDouble()),
                        Views.text(r.path("in_flight")), Views.text(r.path("delivered")),
                        Views.text(r.path("retried")), Views.text(r.path("quarantined")),
                        Views.text(r.path("bytes")), Views.text(r.path("quota_bytes")));
            }
            t.print(out);
            return OK;
        }
    }

    @Command(name = "quarantine", description = "The records of ROUTE that were given up on: last status, attempts,"
            + " reason.")
    static final class Quarantine extends AdminCall {
        @Parameters(index = "0", paramLabel = "ROUTE", description = "The ingest route's name.")
        String route;

        @Option(names = "--limit", paramLabel = "N", description = "At most N records (default 100).")
        Integer limit;

        @Option(names = "--json", description = "Print the API's JSON instead of a table.")
        boolean json;

        @Override
        int run(AdminClient client, PrintWriter out, PrintWriter err) throws AdminClient.Unreachable {
            String query = limit == null ? "" : "?limit=" + limit;
            AdminClient.Reply reply = client.get("/ingest/" + route(route) + "/quarantine" + query);
            if (!reply.ok()) {
                return refused(client, reply, err);
            }
            if (json) {
                ConfigCommand.raw(reply.body(), out);
                return OK;
            }
            Table t = new Table("ID", "RECEIVED", "QUARANTINED", "ATTEMPTS", "LAST STATUS", "REASON");
            for (JsonNode r : reply.body().path("records")) {
                t.row(Views.text(r.path("id")), Views.text(r.path("received_at")),
                        Views.text(r.path("quarantined_at")), Views.text(r.path("attempts")),
                        Views.text(r.path("last_status")), Views.text(r.path("reason")));
            }
            t.print(out);
            return OK;
        }
    }

    @Command(name = "record", description = "One stored record of ROUTE: headers, body excerpt, every attempt.")
    static final class Show extends AdminCall {
        @Parameters(index = "0", paramLabel = "ROUTE", description = "The ingest route's name.")
        String route;

        @Parameters(index = "1", paramLabel = "ID", description = "The record's id (from the 202 or the quarantine).")
        String id;

        @Override
        int run(AdminClient client, PrintWriter out, PrintWriter err) throws AdminClient.Unreachable {
            AdminClient.Reply reply = client.get("/ingest/" + route(route) + "/records/"
                    + URLEncoder.encode(id, StandardCharsets.UTF_8));
            if (!reply.ok()) {
                return refused(client, reply, err);
            }
            ConfigCommand.raw(reply.body(), out);
            return OK;
        }
    }

    /** Replay and purge: a route and either {@code --all} or ids. */
    abstract static class Selection extends AdminCall {
        @Parameters(index = "0", paramLabel = "ROUTE", description = "The ingest route's name.")
        String route;

        @Parameters(index = "1..*", paramLabel = "ID", description = "Quarantined records' ids.")
        List<String> ids;

        @Option(names = "--all", description = "Every quarantined record of ROUTE.")
        boolean all;

        ObjectNode body() {
            boolean someIds = ids != null && !ids.isEmpty();
            if (all == someIds) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "expected: --all or one or more IDs, not both");
            }
            ObjectNode body = AdminClient.JSON.createObjectNode();
            if (all) {
                body.put("all", true);
            } else {
                ArrayNode list = body.putArray("ids");
                ids.forEach(list::add);
            }
            return body;
        }
    }

    @Command(name = "replay", description = "Send quarantined records of ROUTE again (after fixing what refused"
            + " them): their attempts and age start again.")
    static final class Replay extends Selection {
        @Override
        int run(AdminClient client, PrintWriter out, PrintWriter err) throws AdminClient.Unreachable {
            AdminClient.Reply reply = client.post("/ingest/" + route(route) + "/quarantine/replay",
                    Optional.of(body()));
            if (!reply.ok()) {
                return refused(client, reply, err);
            }
            out.println("replayed " + Views.text(reply.body().path("replayed")) + " record(s) of " + route);
            return OK;
        }
    }

    @Command(name = "purge", description = "Delete quarantined records of ROUTE for good (pending records are never"
            + " purged).")
    static final class Purge extends Selection {
        @Override
        int run(AdminClient client, PrintWriter out, PrintWriter err) throws AdminClient.Unreachable {
            AdminClient.Reply reply = client.delete("/ingest/" + route(route) + "/quarantine", body());
            if (!reply.ok()) {
                return refused(client, reply, err);
            }
            out.println("purged " + Views.text(reply.body().path("purged")) + " record(s) of " + route + " ("
                    + Views.text(reply.body().path("bytes")) + " bytes)");
            return OK;
        }
    }
}
