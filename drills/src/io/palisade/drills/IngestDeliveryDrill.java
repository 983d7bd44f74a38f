package io.palisade.drills;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Ingest routes delivering through a real gateway process: what an operator sees and does when the upstream is down,
 * refuses some records, or is too slow for the disk budget. The collector is {@link CountingUpstream}, deduplicating
 * by the record id the gateway sends as {@code Idempotency-Key}; a proxied route beside the ingest ones shows that the
 * gateway keeps serving throughout.
 */
class IngestDeliveryDrill {
    private static final int SENDERS = 8;

    /**
     * (a) The only endpoint of the route's cluster refuses connections while N records are accepted, for a while; then
     * it comes up and the backlog drains by itself. Figures: the drain rate and the oldest age seen.
     */
    @Test
    void upstreamDown_thenBack_backlogDrains() throws Exception {
        int records = DrillLength.pick(2_000, 20_000);
        Duration down = DrillLength.pick(Duration.ofSeconds(3), Duration.ofSeconds(20));
        Report report = new Report("ingest-delivery-upstream-down");
        CountingUpstream collector = CountingUpstream.on(Ports.free());
        try (collector; CountingUpstream app = CountingUpstream.started();
             GatewayProcess gw = GatewayProcess.start("ingest-down", config(collector, app, """
                       - name: track
                         match: { path_prefix: /v1/track, methods: [POST] }
                         ingest:
                           cluster: collector
                           store_headers: [Content-Type, X-Drill-Seq]
                           retry: { initial: 100ms, max: 1s, attempts: 100000, max_age: 1h }
                     """), Ports.free(), Ports.free())) {
            long acceptStart = System.nanoTime();
            List<IngestDrills.Answer> answers = sendAll(records,
                    n -> IngestDrills.post(gw.url("/v1/track/" + n), body(n, 1024), "Content-Type", "application/json",
                            "X-Drill-Seq", String.valueOf(n)));
            double acceptSeconds = (System.nanoTime() - acceptStart) / 1e9;
            assertThat(statuses(answers)).as("answers while the upstream is down").containsOnlyKeys(202);
            Set<String> ids = ids(answers);
            assertThat(ids).hasSize(records);

            double[] oldest = {0};
            JsonNode held = IngestDrills.await(gw, "track", r -> r.path("backlog").asLong() == records,
                    Duration.ofSeconds(30), r -> oldest[0] = Math.max(oldest[0], r.path("oldest_age_seconds").asDouble()));
            long downUntil = System.nanoTime() + down.toNanos();
            while (System.nanoTime() < downUntil) {
                JsonNode r = IngestDrills.route(gw, "track");
                oldest[0] = Math.max(oldest[0], r.path("oldest_age_seconds").asDouble());
                assertThat(r.path("backlog").asLong()).as("backlog while down: nothing delivered, nothing dropped")
                        .isEqualTo(records);
                assertThat(proxied(gw)).as("the proxied route while the ingest upstream is down").isEqualTo(200);
                Thread.sleep(250); // the upstream stays down for a while, as an outage would
            }
            JsonNode before = IngestDrills.route(gw, "track");
            report.line("%s run: %d records of 1 KiB accepted in %.1f s (%.0f/s) while the collector refused"
                            + " connections; GET /ingest then: %s", DrillLength.name(), records, acceptSeconds,
                    records / acceptSeconds, before);

            long up = System.nanoTime();
            collector.start();
            JsonNode drained = IngestDrills.await(gw, "track", IngestDrills::drained, Duration.ofMinutes(5),
                    r -> oldest[0] = Math.max(oldest[0], r.path("oldest_age_seconds").asDouble()));
            double untilDrained = (System.nanoTime() - up) / 1e9;
            double firstToLast = (collector.lastAcceptedNanos() - collector.firstAcceptedNanos()) / 1e9;
            double firstAfter = (collector.firstAcceptedNanos() - up) / 1e9;
            report.line("upstream up: first delivery %.2f s later, backlog 0 after %.1f s: %.0f records/s overall,"
                            + " %.0f records/s from the first delivery to the last; oldest age seen %.1f s; held at"
                            + " %s", firstAfter, untilDrained, records / untilDrained,
                    records / Math.max(firstToLast, 0.001), oldest[0], held.path("backlog"));
            report.line("delivered %d distinct, %d deliveries (%d duplicates), retried %s, quarantined %s; GET"
                            + " /ingest: %s; load average %s", collector.accepted().size(), collector.deliveries(),
                    collector.duplicates(), drained.path("retried"), drained.path("quarantined"), drained,
                    Report.loadAverage());

            assertThat(collector.accepted().keySet()).as("ids delivered").containsAll(ids);
            assertThat(IngestDrills.quarantine(gw, "track")).isEmpty();
            assertThat(drained.path("backlog").asLong()).isZero();
            assertThat(proxied(gw)).isEqualTo(200);
            assertThat(gw.stop()).isEqualTo(0);
            assertThat(gw.logText()).doesNotContain("LEAK").doesNotContain("Exception in thread");
        }
    }

    /**
     * (b) The collector answers 400 to records with {@code X-Bad: 1}: they land in quarantine at once with the status
     * as their reason, the rest are delivered. After the collector is fixed, a replay through the admin API and one
     * through the CLI deliver them, and the quarantine is empty.
     */
    @Test
    void refusedRecords_quarantined_replayedAfterTheFix() throws Exception {
        int records = DrillLength.pick(300, 3_000);
        Report report = new Report("ingest-delivery-quarantine");
        try (CountingUpstream collector = CountingUpstream.started(); CountingUpstream app = CountingUpstream.started();
             GatewayProcess gw = GatewayProcess.start("ingest-quarantine", config(collector, app, """
                       - name: track
                         match: { path_prefix: /v1/track, methods: [POST] }
                         ingest:
                           cluster: collector
                           store_headers: [Content-Type, X-Drill-Seq, X-Bad]
                           retry: { initial: 100ms, max: 1s, attempts: 5, max_age: 1m }
                     """), Ports.free(), Ports.free())) {
            collector.answer(r -> "1".equals(r.header("X-Bad")) ? 400 : 200);
            // Round 1: every 5th record is refused by the collector; replayed through the admin API.
            List<IngestDrills.Answer> answers = sendAll(records, n -> record(gw, n, n % 5 == 0));
            assertThat(statuses(answers)).containsOnlyKeys(202);
            Set<String> bad = new HashSet<>();
            Set<String> good = new HashSet<>();
            for (int n = 0; n < records; n++) {
                (n % 5 == 0 ? bad : good).add(answers.get(n).id());
            }
            IngestDrills.await(gw, "track", IngestDrills::drained, Duration.ofMinutes(3), null);
            List<JsonNode> quarantined = IngestDrills.quarantine(gw, "track");
            Set<String> quarantinedIds = quarantined.stream().map(q -> q.path("id").asText())
                    .collect(Collectors.toSet());
            report.line("%s run, round 1: %d records, %d with X-Bad: 1; delivered %d, quarantined %d; a quarantined"
                            + " record: %s", DrillLength.name(), records, bad.size(), collector.accepted().size(),
                    quarantined.size(), quarantined.isEmpty() ? "none" : quarantined.get(0));
            assertThat(quarantinedIds).isEqualTo(bad);
            assertThat(quarantined).allSatisfy(q -> {
                assertThat(q.path("last_status").asInt()).isEqualTo(400);
                assertThat(q.path("reason").asText()).contains("400");
                assertThat(q.path("attempts").asInt()).isPositive();
            });
            assertThat(collector.accepted().keySet()).isEqualTo(good);
            String one = bad.iterator().next();
            JsonNode detail = IngestDrills.admin(gw, "GET", "/ingest/track/records/" + one, null);
            report.line("GET /ingest/track/records/%s (body excerpt left out): %s", one, withoutExcerpt(detail));
            assertThat(detail.toString()).contains("400").contains("X-Bad");
            assertThat(proxied(gw)).isEqualTo(200);

            collector.answer(r -> 200);
            JsonNode replay = IngestDrills.admin(gw, "POST", "/ingest/track/quarantine/replay", "{\"all\": true}");
            report.line("collector fixed; POST /ingest/track/quarantine/replay {\"all\": true}: %s", replay);
            assertThat(replay.path("replayed").asInt()).isEqualTo(bad.size());
            IngestDrills.await(gw, "track", IngestDrills::drained, Duration.ofMinutes(3), null);
            assertThat(IngestDrills.quarantine(gw, "track")).isEmpty();
            assertThat(collector.accepted().keySet()).containsAll(bad).containsAll(good);

            // Round 2: the collector breaks again; this time the operator replays with the CLI.
            collector.answer(r -> "1".equals(r.header("X-Bad")) ? 400 : 200);
            int more = records / 10;
            List<IngestDrills.Answer> second = sendAll(more, n -> record(gw, records + n, true));
            assertThat(statuses(second)).containsOnlyKeys(202);
            Set<String> bad2 = ids(second);
            IngestDrills.await(gw, "track", IngestDrills::drained, Duration.ofMinutes(3), null);
            assertThat(IngestDrills.quarantine(gw, "track")).extracting(q -> q.path("id").asText())
                    .containsExactlyInAnyOrderElementsOf(bad2);
            collector.answer(r -> 200);
            IngestDrills.Cli cli = IngestDrills.cli("ingest", "replay", "track", "--all", "--admin", gw.admin(""));
            report.line("round 2: %d more refused records quarantined; collector fixed; palisade ingest replay track"
                    + " --all: exit %d, %s", bad2.size(), cli.exit(), cli.output().strip());
            assertThat(cli.exit()).as(cli.output()).isZero();
            IngestDrills.await(gw, "track", IngestDrills::drained, Duration.ofMinutes(3), null);
            assertThat(IngestDrills.quarantine(gw, "track")).isEmpty();
            assertThat(collector.accepted().keySet()).containsAll(bad2);
            IngestDrills.Cli status = IngestDrills.cli("ingest", "status", "--admin", gw.admin(""));
            report.line("all %d records delivered (%d deliveries, %d duplicates, %d refused by the collector); palisade"
                            + " ingest status: exit %d, %s", collector.accepted().size(), collector.deliveries(),
                    collector.duplicates(), collector.refused(), status.exit(),
                    status.output().strip().replace('\n', ' '));
            assertThat(collector.accepted()).hasSize(records + more);
            assertThat(proxied(gw)).isEqualTo(200);
            assertThat(gw.stop()).isEqualTo(0);
            assertThat(gw.logText()).doesNotContain("LEAK").doesNotContain("Exception in thread");
        }
    }

    /**
     * (c) A route with a 64 KiB quota whose collector is down fills up: then 507 {@code ingest_full} with Retry-After,
     * while another ingest route and a proxied route keep serving. When the collector comes up, deliveries free the
     * space and the route accepts again by itself.
     */
    @Test
    void smallQuota_fills_507_thenAcceptsAgainOnceDelivered() throws Exception {
        Report report = new Report("ingest-delivery-quota");
        CountingUpstream slow = CountingUpstream.on(Ports.free());
        try (slow; CountingUpstream collector = CountingUpstream.started();
             CountingUpstream app = CountingUpstream.started();
             GatewayProcess gw = GatewayProcess.start("ingest-quota", config(collector, app, """
                       - name: track
                         match: { path_prefix: /v1/track, methods: [POST] }
                         ingest: { cluster: collector }
                       - name: small
                         match: { path_prefix: /v1/small, methods: [POST] }
                         ingest:
                           cluster: slow
                           quota: 64KiB
                           retry: { initial: 100ms, max: 500ms, attempts: 100000, max_age: 1h }
                     """).replace("clusters:\n", "clusters:\n  slow: { endpoints: [ \"" + slow.address() + "\" ] }\n"),
                     Ports.free(), Ports.free())) {
            List<IngestDrills.Answer> filling = new ArrayList<>();
            IngestDrills.Answer full = null;
            for (int n = 0; n < 1_000 && full == null; n++) {
                IngestDrills.Answer a = IngestDrills.send(IngestDrills.post(gw.url("/v1/small/" + n), body(n, 1024),
                        "Content-Type", "application/json"));
                if (a.status() == 202) {
                    filling.add(a);
                } else {
                    full = a;
                }
            }
            assertThat(full).as("an answer other than 202 within 1,000 POSTs of 1 KiB to a 64 KiB quota").isNotNull();
            JsonNode atFull = IngestDrills.route(gw, "small");
            report.line("quota 64 KiB, collector down: %d records of 1 KiB accepted, then %d %s, Retry-After %s;"
                            + " body %s; GET /ingest: %s", filling.size(), full.status(), full.code(), full.retryAfter(),
                    full.body(), atFull);
            assertThat(full.status()).isEqualTo(507);
            assertThat(full.code()).isEqualTo("ingest_full");
            assertThat(full.retryAfter()).isNotBlank();
            assertThat(filling).isNotEmpty().hasSizeLessThanOrEqualTo(64);
            assertThat(atFull.path("quota_bytes").asLong()).isEqualTo(64 * 1024);
            assertThat(atFull.path("bytes").asLong()).isLessThanOrEqualTo(64 * 1024);

            Map<Integer, Long> whileFull = new TreeMap<>();
            Map<Integer, Long> others = new TreeMap<>();
            for (int n = 0; n < 20; n++) {
                IngestDrills.Answer a = IngestDrills.send(IngestDrills.post(gw.url("/v1/small/full-" + n),
                        body(n, 1024), "Content-Type", "application/json"));
                whileFull.merge(a.status(), 1L, Long::sum);
                if (a.status() == 507) {
                    assertThat(a.code()).isEqualTo("ingest_full");
                    assertThat(a.retryAfter()).isNotBlank();
                }
                others.merge(IngestDrills.send(IngestDrills.post(gw.url("/v1/track/" + n), body(n, 1024),
                        "Content-Type", "application/json")).status(), 1L, Long::sum);
                others.merge(proxied(gw), 1L, Long::sum);
            }
            report.line("while full: the small route answered %s; the other ingest route and the proxied route %s",
                    whileFull, others);
            assertThat(whileFull).containsOnlyKeys(507);
            assertThat(others).containsOnlyKeys(200, 202).containsEntry(202, 20L).containsEntry(200, 20L);

            long up = System.nanoTime();
            slow.start();
            IngestDrills.Answer again = null;
            int stillFull = 0;
            long deadline = up + Duration.ofMinutes(2).toNanos();
            while (System.nanoTime() < deadline) {
                again = IngestDrills.send(IngestDrills.post(gw.url("/v1/small/again"), body(0, 1024),
                        "Content-Type", "application/json"));
                if (again.status() != 507) {
                    break;
                }
                stillFull++;
                Thread.sleep(50); // a client honouring a short back-off
            }
            double seconds = (System.nanoTime() - up) / 1e9;
            JsonNode drained = IngestDrills.await(gw, "small", IngestDrills::drained, Duration.ofMinutes(2), null);
            IngestDrills.await(gw, "track", IngestDrills::drained, Duration.ofMinutes(2), null);
            report.line("collector up: accepted again %.2f s later (%d more 507 before), with no operator action;"
                            + " then drained: %s; delivered to the slow collector %d, to the other %d; load average %s",
                    seconds, stillFull, drained, slow.accepted().size(), collector.accepted().size(),
                    Report.loadAverage());
            assertThat(again).isNotNull();
            assertThat(again.status()).isEqualTo(202);
            assertThat(slow.accepted().keySet()).containsAll(ids(filling)).contains(again.id());
            assertThat(collector.accepted()).hasSize(20);
            assertThat(proxied(gw)).isEqualTo(200);
            assertThat(gw.stop()).isEqualTo(0);
            assertThat(gw.logText()).doesNotContain("LEAK").doesNotContain("Exception in thread");
        }
    }

    private static JsonNode withoutExcerpt(JsonNode record) {
        com.fasterxml.jackson.databind.node.ObjectNode copy = record.deepCopy();
        copy.remove("body_excerpt");
        return copy;
    }

    /** A config with clusters {@code collector} and {@code app}, a proxied route {@code /api}, and {@code routes}. */
    private static String config(CountingUpstream collector, CountingUpstream app, String routes) {
        return """
                access_log: { enabled: false }
                clusters:
                  collector: { endpoints: [ "%s" ] }
                  app: { endpoints: [ "%s" ] }
                routes:
                  - match: { path_prefix: /api }
                    cluster: app
                %s""".formatted(collector.address(), app.address(), routes);
    }

    private static HttpRequest record(GatewayProcess gw, long n, boolean bad) {
        return bad
                ? IngestDrills.post(gw.url("/v1/track/" + n), body(n, 512), "Content-Type", "application/json",
                        "X-Drill-Seq", String.valueOf(n), "X-Bad", "1")
                : IngestDrills.post(gw.url("/v1/track/" + n), body(n, 512), "Content-Type", "application/json",
                        "X-Drill-Seq", String.valueOf(n));
    }

    /** GET /api/x through the gateway: the status (0 when no answer). */
    private static int proxied(GatewayProcess gw) throws InterruptedException {
        try {
            return IngestDrills.HTTP.send(Load.get(gw.url("/api/x"), Duration.ofSeconds(10)),
                    java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return 0;
        }
    }

    /** Sends requests 0..n-1 from {@value #SENDERS} concurrent clients; answers in request order. */
    private static List<IngestDrills.Answer> sendAll(int n, IntFunction<HttpRequest> request) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(SENDERS);
        try {
            AtomicLong next = new AtomicLong();
            IngestDrills.Answer[] answers = new IngestDrills.Answer[n];
            List<Future<?>> done = new ArrayList<>();
            for (int s = 0; s < SENDERS; s++) {
                done.add(pool.submit(() -> {
                    for (int i = (int) next.getAndIncrement(); i < n; i = (int) next.getAndIncrement()) {
                        try {
                            answers[i] = IngestDrills.send(request.apply(i));
                        } catch (IOException e) {
                            answers[i] = new IngestDrills.Answer(0, null, e.toString(), false, null, "");
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            return Arrays.asList(answers);
        } finally {
            pool.shutdownNow();
        }
    }

    private static Map<Integer, Long> statuses(List<IngestDrills.Answer> answers) {
        return answers.stream().collect(Collectors.groupingBy(IngestDrills.Answer::status, TreeMap::new,
                Collectors.counting()));
    }

    private static Set<String> ids(List<IngestDrills.Answer> answers) {
        return answers.stream().map(IngestDrills.Answer::id).collect(Collectors.toSet());
    }

    private static byte[] body(long n, int size) {
        String head = "{\"event\":\"drill\",\"n\":" + n + ",\"pad\":\"";
        char[] pad = new char[size - head.length() - 2];
        Arrays.fill(pad, 'x');
        return (head + new String(pad) + "\"}").getBytes(StandardCharsets.UTF_8);
    }
}
