package io.palisade.drills;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What a person watching the gateway's public status page sees, and when: polls {@code /api/v2/incidents.json} on the
 * status page's own listener every 200 ms from its own thread, and notes each incident's changes of status, with the
 * moment each was first seen (an incident that flaps back to {@code investigating} is noted again). A drill marks its fault and its recovery with {@link System#nanoTime()} and reads the seconds
 * from there to the incident, to {@code monitoring} and to {@code resolved}.
 *
 * <p>The status page section a drill adds to its config comes from {@link #yaml}: its SLOs over the drill's routes
 * with a 6-hour window, so the burn-rate windows scale down to seconds (see docs/slo.md), and automatic incidents that
 * resolve after {@link #RESOLVE_AFTER} of quiet.
 */
final class StatusWatch implements AutoCloseable {
    static final Duration RESOLVE_AFTER = Duration.ofSeconds(5);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    /** An incident seen in a status it was not in at the poll before. */
    record Sighting(String id, String name, String status, String impact, long atNanos, JsonNode incident) {}

    private final int port;
    private final Thread thread;
    private final AtomicBoolean stop = new AtomicBoolean();
    /** Guarded by {@code this}: each incident's status at the last poll, and every change seen. */
    private final Map<String, String> last = new LinkedHashMap<>();
    private final List<Sighting> sightings = new ArrayList<>();
    private volatile int polls;
    private volatile String lastProblem = "";

    private StatusWatch(int port) {
        this.port = port;
        this.thread = Thread.ofPlatform().daemon().name("status-watch-" + port).start(this::run);
    }

    /** Starts watching the status page listening on {@code port} of 127.0.0.1. */
    static StatusWatch start(int port) {
        return new StatusWatch(port);
    }

    /**
     * The config sections a drill adds: one availability SLO per route (named {@code ROUTE-availability}, objective
     * 99.9 %, window 6h), and a status page on {@code port} with one component per route.
     */
    static String yaml(int port, String... routes) {
        StringBuilder y = new StringBuilder("slos:\n");
        for (String r : routes) {
            y.append("  - { name: ").append(r).append("-availability, routes: [").append(r)
                    .append("], objective: 99.9%, window: 6h }\n");
        }
        y.append("status_page:\n  address: 127.0.0.1:").append(port).append("\n  title: Drill API\n")
                .append("  incidents: publish\n  resolve_after: ").append(RESOLVE_AFTER.toSeconds()).append("s\n")
                .append("  components:\n");
        for (String r : routes) {
            y.append("    - { id: ").append(r).append(", name: ").append(r).append(" API, slos: [").append(r)
                    .append("-availability] }\n");
        }
        return y.toString();
    }

    private void run() {
        while (!stop.get()) {
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(url("/api/v2/incidents.json"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                long now = System.nanoTime();
                if (r.statusCode() == 200) {
                    for (JsonNode i : JSON.readTree(r.body()).path("incidents")) {
                        String id = i.path("id").asText();
                        String status = i.path("status").asText();
                        synchronized (this) {
                            if (!status.equals(last.put(id, status))) {
                                sightings.add(new Sighting(id, i.path("name").asText(), status,
                                        i.path("impact").asText(), now, i));
                            }
                        }
                    }
                    polls++;
                } else {
                    lastProblem = "status " + r.statusCode();
                }
            } catch (IOException e) {
                lastProblem = String.valueOf(e);
            } catch (InterruptedException e) {
                return;
            }
            try {
                Thread.sleep(200); // the watcher's poll period, as a status page client's refresh
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** Every change of status so far, in the order seen. */
    synchronized List<Sighting> sightings() {
        return new ArrayList<>(sightings);
    }

    /** How many distinct incidents the page has shown. */
    synchronized long incidents() {
        return last.size();
    }

    /** The first sighting of any incident in {@code status} at or after {@code sinceNanos}. */
    synchronized Optional<Sighting> first(String status, long sinceNanos) {
        return sightings.stream().filter(s -> s.status().equals(status) && s.atNanos() >= sinceNanos)
                .findFirst();
    }

    /** Waits (polling the watcher's notes) for an incident in {@code status} seen at or after {@code sinceNanos}. */
    Sighting await(String status, long sinceNanos, Duration timeout) throws InterruptedException {
        long limit = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < limit) {
            Optional<Sighting> s = first(status, sinceNanos);
            if (s.isPresent()) {
                return s.get();
            }
            Thread.sleep(100); // polling the watcher's notes
        }
        throw new AssertionError("no incident in status " + status + " on the status page within " + timeout
                + "; seen: " + sightings() + "; polls " + polls + ", last problem: " + lastProblem);
    }

    /** Seconds from {@code fromNanos} to a sighting. */
    static double seconds(long fromNanos, Sighting s) {
        return (s.atNanos() - fromNanos) / 1e9;
    }

    /** The status page's components as a person's client reads them: id to status. */
    Map<String, String> components() throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(url("/api/v2/components.json"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode c : JSON.readTree(r.body()).path("components")) {
            out.put(c.path("id").asText(), c.path("status").asText());
        }
        return out;
    }

    /** The page's overall indicator ({@code none}, {@code minor}, {@code major}, {@code critical}). */
    String indicator() throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(url("/api/v2/status.json"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body()).path("status").path("indicator").asText();
    }

    /** How many times the page answered the watcher. */
    int polls() {
        return polls;
    }

    @Override
    public void close() {
        stop.set(true);
        thread.interrupt();
    }
}
