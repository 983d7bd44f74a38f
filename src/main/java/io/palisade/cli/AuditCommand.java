package io.palisade.cli;

import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code palisade audit [--since T]}: who changed what, when and why, and what the gateway did by itself. */
@Command(name = "audit", description = "The audit log: who changed what, when and why, refused admin calls, and what"
        + " the gateway did by itself (rollbacks), oldest first.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:done", "1:refused by the gateway", "2:usage error, admin API unreachable or failing"})
final class AuditCommand extends AdminCall {
    private static final Pattern AGO = Pattern.compile("([0-9]{1,9})([smhd])");

    @Option(names = "--since", paramLabel = "T", description = "Only entries at or after T: an ISO-8601 instant"
            + " (2026-12-02T15:30:00Z) or a time ago (30m, 2h, 1d).")
    String since;

    @Option(names = "--limit", paramLabel = "N", description = "At most N entries (default 1000, at most 10000).")
    Integer limit;

    @Option(names = "--json", description = "Print the API's JSON instead of a table.")
    boolean json;

    @Override
    int run(AdminClient client, PrintWriter out, PrintWriter err) throws AdminClient.Unreachable {
        StringBuilder query = new StringBuilder();
        if (since != null) {
            Instant from = since(since, Clock.systemUTC()).orElseThrow(() -> new CommandLine.ParameterException(
                    spec.commandLine(), "--since: " + since + " (expected: an ISO-8601 instant like"
                    + " 2026-12-02T15:30:00Z, or a time ago like 30m, 2h, 1d)"));
            query.append("?since=").append(URLEncoder.encode(from.toString(), StandardCharsets.UTF_8));
        }
        if (limit != null) {
            if (limit < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--limit: " + limit
                        + " (expected: 1 or more)");
            }
            query.append(query.isEmpty() ? '?' : '&').append("limit=").append(limit);
        }
        AdminClient.Reply reply = client.get("/audit" + query);
        if (!reply.ok()) {
            return refused(client, reply, err);
        }
        if (json) {
            ConfigCommand.raw(reply.body(), out);
        } else {
            Views.audit(reply.body(), out);
        }
        return OK;
    }

    /** An ISO-8601 instant, or {@code N} seconds, minutes, hours or days before {@code clock}'s now. */
    static Optional<Instant> since(String text, Clock clock) {
        Matcher ago = AGO.matcher(text);
        if (ago.matches()) {
            long n = Long.parseLong(ago.group(1));
            Duration d = switch (ago.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
            return Optional.of(clock.instant().minus(d));
        }
        try {
            return Optional.of(Instant.parse(text));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
