package io.palisade.drills;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** What the ingest drills share: POSTs to an ingest route and its admin API, as a client and an operator use them. */
final class IngestDrills {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private IngestDrills() {}

    /** An ingest answer: its status, the record id of a 202 (else null), the error code of a refusal (else null). */
    record Answer(int status, String id, String code, boolean replayed, String retryAfter, String body) {
        static Answer of(HttpResponse<String> r) {
            String id = null;
            String code = null;
            try {
                JsonNode json = JSON.readTree(r.body());
                id = json.path("id").isTextual() ? json.path("id").asText() : null;
                // The gateway's error body is {"error": CODE, "message": ..., "request_id": ...}; an object with a
                // code is read too.
                JsonNode error = json.path("error");
                code = error.isTextual() ? error.asText()
                        : error.path("code").isTextual() ? error.path("code").asText() : null;
            } catch (IOException | RuntimeException e) {
                // not JSON: the status alone says what happened
            }
            return new Answer(r.statusCode(), id, code,
                    r.headers().firstValue("Idempotent-Replayed").map("true"::equalsIgnoreCase).orElse(false),
                    r.headers().firstValue("Retry-After").orElse(null), r.body());
        }
    }

    static HttpRequest post(String url, byte[] body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b.build();
    }

    static Answer send(HttpRequest request) throws IOException, InterruptedException {
        return Answer.of(HTTP.send(request, HttpResponse.BodyHandlers.ofString()));
    }

    static JsonNode admin(GatewayProcess gw, String method, String path, String json) throws IOException,
            InterruptedException {
        HttpResponse<String> r = gw.adminCall(method, path, json);
        if (r.statusCode() / 100 != 2) {
            throw new AssertionError(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }

    /** {@code GET /ingest}'s entry for {@code route}, or a missing node when the route has none. */
    static JsonNode route(GatewayProcess gw, String route) throws IOException, InterruptedException {
        return route(admin(gw, "GET", "/ingest", null), route);
    }

    static JsonNode route(JsonNode status, String route) {
        for (JsonNode r : status.path("routes")) {
            if (route.equals(r.path("route").asText())) {
                return r;
            }
        }
        return JSON.missingNode();
    }

    /**
     * Polls {@code GET /ingest} every 100 ms until {@code route}'s entry satisfies {@code until}; returns it. Each
     * poll's entry goes to {@code seen} (when not null), so a drill can report e.g. the oldest age on the way.
     */
    static JsonNode await(GatewayProcess gw, String route, Predicate<JsonNode> until, Duration timeout,
                          java.util.function.Consumer<JsonNode> seen) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            last = route(gw, route);
            if (seen != null) {
                seen.accept(last);
            }
            if (until.test(last)) {
                return last;
            }
            Thread.sleep(100); // polling the admin API as an operator's dashboard would
        }
        throw new AssertionError("ingest route " + route + " did not reach the expected state within " + timeout
                + "; last GET /ingest entry: " + last);
    }

    /** Backlog 0 and nothing in flight: every accepted record delivered (or quarantined). */
    static boolean drained(JsonNode route) {
        return route.path("backlog").isNumber() && route.path("backlog").asLong() == 0
                && route.path("in_flight").asLong() == 0;
    }

    /** {@code GET /ingest/ROUTE/quarantine}'s records, up to the API's largest page (10,000; the default is 100). */
    static List<JsonNode> quarantine(GatewayProcess gw, String route) throws IOException, InterruptedException {
        List<JsonNode> out = new ArrayList<>();
        admin(gw, "GET", "/ingest/" + route + "/quarantine?limit=10000", null).path("records").forEach(out::add);
        return out;
    }

    /** The CLI as an operator runs it ({@code bin/palisade ARGS}: the same jar), with its exit code and output. */
    record Cli(int exit, String output) {}

    static Cli cli(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", System.getProperty("palisade.jar", "target/palisade.jar")));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("palisade " + String.join(" ", args) + " did not exit within 60 s");
        }
        return new Cli(p.exitValue(), new String(out, java.nio.charset.StandardCharsets.UTF_8));
    }

    /** The sum of every sample of a metric family {@code name} (a counter's samples may carry {@code _total}). */
    static double metricSum(String metrics, String name) {
        double sum = 0;
        for (String line : metrics.lines().toList()) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ") || line.startsWith(name + "_total{")
                    || line.startsWith(name + "_total ")) {
                try {
                    sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                } catch (NumberFormatException e) {
                    // not a sample line
                }
            }
        }
        return sum;
    }

    /** Every metric line of the {@code palisade_ingest_commit} families, for the reports. */
    static String commitMetrics(String metrics) {
        return String.join("\n", metrics.lines().filter(l -> l.startsWith("palisade_ingest_commit")).toList());
    }
}
