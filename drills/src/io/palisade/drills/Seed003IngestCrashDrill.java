package io.palisade.drills;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpRequest;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Seed 003 with durable ingest: the store-and-forward service must never lose what it acknowledged, whatever kills it.
 * A flood of ingest POSTs (1 KiB JSON, binary and zero-sized bodies) from several clients; the gateway is killed with
 * SIGKILL at a random moment (a seeded random, reported; {@code -Dpalisade.drill.seed=N} repeats a run's moments),
 * restarted on the same state dir, and the flood goes on. Once by default; {@value #LONG_CRASHES} times in a row with
 * {@code -Dpalisade.drill.long=true} ({@code bin/test-long}). A collector in this JVM deduplicates by
 * {@code Idempotency-Key} (the record id) and counts.
 *
 * <p>Half the clients send their own {@code Idempotency-Key} and, like a careful client, send a request again with
 * the same key until it gets an answer: each of their requests must end with exactly one id. The others send each
 * request once: what the kill cut off (sent, no answer) may or may not have been stored, and is counted apart.
 *
 * <p>Asserted: every acknowledged id delivered, with its path, body and headers (lost = 0); no id delivered that was
 * not acknowledged, except requests whose answer a kill cut off; only 202 (and, while the store opens after a restart,
 * 503 {@code ingest_unavailable}) answered; the gateway accepted again after every restart, and drained its backlog.
 */
class Seed003IngestCrashDrill {
    private static final int LONG_CRASHES = 12;
    private static final int CRASHES = DrillLength.pick(1, LONG_CRASHES);
    private static final int WORKERS = 8;
    private static final String ROUTE = "track";
    private static final Duration AFTER_LAST_RESTART = Duration.ofSeconds(2);
    /** The store's recovery line: "cut 4,120 bytes of a torn WAL tail after the last of 1,234 commits". */
    private static final Pattern TORN = Pattern.compile("([0-9][0-9,.]*) bytes of a torn");

    /** What a client sent as request {@code seq}. */
    private record Sent(long seq, String uri, int bytes, long crc, boolean keyed) {}

    /** One crash and what the restart took. */
    private record Crash(long afterMs, long acceptMsFromKill, long acceptMsFromLaunch, long readyMsFromLaunch,
                         long tornBytes, String recoveryLog) {}

    private final Map<Long, Sent> sent = new ConcurrentHashMap<>();
    private final Map<Long, String> ackedBySeq = new ConcurrentHashMap<>();
    private final Map<String, Long> seqById = new ConcurrentHashMap<>();
    private final Set<Long> cutByKill = ConcurrentHashMap.newKeySet();
    private final Set<Long> deadConnection = ConcurrentHashMap.newKeySet();
    private final Set<Long> refused = ConcurrentHashMap.newKeySet();
    private final Map<String, LongAdder> unexpected = new ConcurrentHashMap<>();
    private final LongAdder connectRefused = new LongAdder();
    private final LongAdder unavailable = new LongAdder();
    private final LongAdder unavailableWithoutRetryAfter = new LongAdder();
    private final LongAdder keyedResent = new LongAdder();
    private final LongAdder replayed = new LongAdder();
    private final LongAdder timeouts = new LongAdder();
    private final LongAdder idReusedForAnotherRequest = new LongAdder();
    private final AtomicLong seqs = new AtomicLong();
    private final AtomicBoolean stop = new AtomicBoolean();
    /** The drill is over (passed or failed): keyed clients stop sending again too. */
    private final AtomicBoolean abandon = new AtomicBoolean();
    private volatile long lastKillNanos = System.nanoTime();
    private final AtomicLong firstAcceptAfterKill = new AtomicLong();

    @Test
    void killedMidFlood_restartsOnItsStateDir_losesNothingAcknowledged() throws Exception {
        long seed = Long.getLong("palisade.drill.seed", System.nanoTime());
        Random random = new Random(seed);
        Report report = new Report("seed003-ingest-crash");
        report.line("%s run: %d kill -9 of the gateway, seed %d (-Dpalisade.drill.seed=%d repeats the moments), %d"
                + " clients, load average %s", DrillLength.name(), CRASHES, seed, seed, WORKERS, Report.loadAverage());
        try (CountingUpstream collector = CountingUpstream.started()) {
            String yaml = """
                    access_log: { enabled: false }
                    ingest:
                      fsync: always
                    clusters:
                      collector: { endpoints: [ "%s" ] }
                    routes:
                      - name: track
                        match: { path_prefix: /v1/track, methods: [POST] }
                        ingest:
                          cluster: collector
                          empty_body: accept
                          store_headers: [Content-Type, X-Drill-Seq]
                          retry: { initial: 100ms, max: 2s, attempts: 1000, max_age: 1h }
                    """.formatted(collector.address());
            GatewayProcess gw = GatewayProcess.start("seed003-ingest", yaml, Ports.free(), Ports.free());
            List<Crash> crashes = new ArrayList<>();
            List<Thread> clients = new ArrayList<>();
            try {
                String base = gw.url("/v1/track");
                long floodStart = System.nanoTime();
                for (int w = 0; w < WORKERS; w++) {
                    int worker = w;
                    Random own = new Random(seed + 1 + w);
                    Thread t = Thread.ofPlatform().daemon().name("ingest-client-" + w)
                            .start(() -> client(worker, own, base));
                    clients.add(t);
                }
                for (int c = 0; c < CRASHES; c++) {
                    long afterMs = 500 + random.nextInt(2500);
                    Thread.sleep(afterMs); // the random moment of the kill, from the seeded random
                    int logBefore = gw.logText().length();
                    markKill();
                    gw.kill();
                    long launched = System.nanoTime();
                    gw = GatewayProcess.restart(gw, "seed003-ingest");
                    long ready = System.nanoTime();
                    long accepted = awaitAccepted(Duration.ofSeconds(60));
                    String recovery = gw.logText().substring(logBefore);
                    // What the new process cut off at open, as GET /ingest reports it; else as its log says.
                    JsonNode disk = IngestDrills.admin(gw, "GET", "/ingest", null).path("disk");
                    long torn = disk.has("torn_bytes_recovered") ? disk.path("torn_bytes_recovered").asLong()
                            : tornBytes(recovery);
                    Crash crash = new Crash(afterMs, (accepted - lastKillNanos) / 1_000_000,
                            (accepted - launched) / 1_000_000, (ready - launched) / 1_000_000, torn,
                            recoveryLines(recovery));
                    crashes.add(crash);
                    report.line("kill %d: %d ms into the flood phase; accepting again %d ms after the kill (%d ms"
                                    + " after the new process started; ready %d ms after); torn WAL bytes %d%s", c + 1,
                            afterMs, crash.acceptMsFromKill(), crash.acceptMsFromLaunch(), crash.readyMsFromLaunch(),
                            torn, crash.recoveryLog().isEmpty() ? "" : "; log: " + crash.recoveryLog());
                }
                Thread.sleep(AFTER_LAST_RESTART.toMillis()); // the flood goes on against the last restart
                stop.set(true);
                for (Thread t : clients) {
                    t.join(Duration.ofSeconds(150));
                }
                double floodSeconds = (System.nanoTime() - floodStart) / 1e9;
                long drainStart = System.nanoTime();
                JsonNode drained = IngestDrills.await(gw, ROUTE, IngestDrills::drained, Duration.ofMinutes(5), null);
                double drainSeconds = (System.nanoTime() - drainStart) / 1e9;
                report.line("flood: %d requests in %.1f s, restarts included (%.0f acknowledged/s; the gateway runs"
                                + " with paranoid leak detection), backlog drained %.1f s after it"
                                + " stopped; GET /ingest then: %s", seqs.get(), floodSeconds,
                        ackedBySeq.size() / floodSeconds, drainSeconds, drained);
                verify(report, collector, crashes);
                String metrics = gw.metrics();
                report.line("gateway metrics: accepted %.0f, duplicates %.0f, delivered %.0f (this process)",
                        IngestDrills.metricSum(metrics, "palisade_ingest_accepted"),
                        IngestDrills.metricSum(metrics, "palisade_ingest_duplicates"),
                        IngestDrills.metricSum(metrics, "palisade_ingest_delivered"));
                assertThat(gw.alive()).isTrue();
                assertThat(gw.stop()).as("exit code after SIGTERM").isEqualTo(0);
                assertThat(gw.logText()).doesNotContain("LEAK").doesNotContain("Exception in thread");
            } finally {
                stop.set(true);
                abandon.set(true);
                gw.close();
                report.line("load average %s", Report.loadAverage());
            }
        }
    }

    private void verify(Report report, CountingUpstream collector, List<Crash> crashes) {
        Map<String, CountingUpstream.Delivery> delivered = collector.accepted();
        long lost = 0;
        long mismatched = 0;
        List<String> examples = new ArrayList<>();
        for (Map.Entry<Long, String> ack : ackedBySeq.entrySet()) {
            CountingUpstream.Delivery d = delivered.get(ack.getValue());
            Sent s = sent.get(ack.getKey());
            if (d == null) {
                lost++;
                example(examples, "lost: request " + s + " acknowledged as " + ack.getValue());
            } else if (!String.valueOf(s.seq()).equals(d.seq()) || d.bodyBytes() != s.bytes() || d.crc() != s.crc()
                    || !s.uri().equals(d.uri()) || !"POST".equals(d.method())) {
                mismatched++;
                example(examples, "delivered other than sent: " + s + " -> " + d);
            }
        }
        long unackedCut = 0;
        long unackedDead = 0;
        long unackedOther = 0;
        for (CountingUpstream.Delivery d : delivered.values()) {
            if (seqById.containsKey(d.key())) {
                continue;
            }
            long seq = d.seq() == null ? -1 : Long.parseLong(d.seq());
            if (cutByKill.contains(seq)) {
                unackedCut++;
            } else if (deadConnection.contains(seq)) {
                unackedDead++;
            } else {
                unackedOther++;
                example(examples, "delivered, never acknowledged, and not cut off by a kill: " + d + " sent as "
                        + sent.get(seq) + (refused.contains(seq) ? " (refused)" : ""));
            }
        }
        long ackedEmpty = ackedBySeq.keySet().stream().filter(seq -> sent.get(seq).bytes() == 0).count();
        Map<Boolean, Long> keyedAcked = new TreeMap<>();
        ackedBySeq.keySet().forEach(seq -> keyedAcked.merge(sent.get(seq).keyed(), 1L, Long::sum));
        Map<String, Long> wrong = new TreeMap<>();
        unexpected.forEach((k, v) -> wrong.put(k, v.sum()));

        report.line("acknowledged (202) %d (%d by the clients sending Idempotency-Key, %d by the others); delivered"
                        + " %d distinct ids, %d deliveries; duplicates delivered %d; lost %d; delivered other than sent"
                        + " %d", ackedBySeq.size(), keyedAcked.getOrDefault(true, 0L),
                keyedAcked.getOrDefault(false, 0L), delivered.size(), collector.deliveries(),
                collector.duplicates(), lost, mismatched);
        report.line("zero-sized bodies acknowledged and delivered as zero-sized records: %d", ackedEmpty);
        report.line("unanswered at a kill (sent, no answer; one-shot clients): %d, of which stored and delivered %d;"
                        + " failed on a connection the kill left dead: %d, delivered %d; delivered never acknowledged"
                        + " otherwise: %d", cutByKill.size(), unackedCut, deadConnection.size(), unackedDead,
                unackedOther);
        report.line("Idempotency-Key clients: %d requests sent again after no answer, %d answered"
                        + " Idempotent-Replayed (stored before the kill); an id answered for two requests: %d",
                keyedResent.sum(), replayed.sum(), idReusedForAnotherRequest.sum());
        report.line("connections refused while down %d; 503 ingest_unavailable %d (%d without Retry-After);"
                        + " timeouts %d; other answers %s; deliveries without Idempotency-Key %d", connectRefused.sum(),
                unavailable.sum(), unavailableWithoutRetryAfter.sum(), timeouts.sum(),
                wrong.isEmpty() ? "none" : wrong, collector.withoutKey());
        report.line("restarts %d; time to accept again after each (ms from the kill): %s; from the new process's"
                        + " start: %s; torn WAL bytes cut: %s", crashes.size(),
                crashes.stream().map(c -> String.valueOf(c.acceptMsFromKill())).toList(),
                crashes.stream().map(c -> String.valueOf(c.acceptMsFromLaunch())).toList(),
                crashes.stream().map(c -> String.valueOf(c.tornBytes())).toList());
        if (!examples.isEmpty()) {
            report.line("examples: %s", String.join("; ", examples));
        }

        assertThat(lost).as("acknowledged ids never delivered").isZero();
        assertThat(mismatched).as("deliveries that differ from what was acknowledged").isZero();
        assertThat(unackedOther).as("ids delivered that were never acknowledged nor cut off by a kill").isZero();
        assertThat(idReusedForAnotherRequest.sum()).as("one id answered for two requests").isZero();
        assertThat(wrong).as("answers other than 202 and 503 ingest_unavailable").isEmpty();
        assertThat(unavailableWithoutRetryAfter.sum()).as("503 without Retry-After").isZero();
        assertThat(timeouts.sum()).as("requests that timed out on a live gateway").isZero();
        assertThat(collector.withoutKey()).as("deliveries without Idempotency-Key").isZero();
        assertThat(crashes).hasSize(CRASHES);
        assertThat(ackedBySeq).isNotEmpty();
        assertThat(ackedEmpty).as("zero-sized records acknowledged").isPositive();
    }

    private static void example(List<String> examples, String text) {
        if (examples.size() < 5) {
            examples.add(text);
        }
    }

    private synchronized void markKill() {
        lastKillNanos = System.nanoTime();
        firstAcceptAfterKill.set(0);
    }

    /** A 202 for a request sent at {@code t0}: the first one sent after the last kill marks the restart accepting. */
    private synchronized void noteAccepted(long t0) {
        if (t0 - lastKillNanos > 0 && firstAcceptAfterKill.get() == 0) {
            firstAcceptAfterKill.set(System.nanoTime());
        }
    }

    /** Waits until a client got a 202 for a request sent after the last kill; returns when (nanoTime). */
    private long awaitAccepted(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            long at = firstAcceptAfterKill.get();
            if (at != 0) {
                return at;
            }
            Thread.sleep(5); // polling the clients' progress
        }
        throw new AssertionError("no ingest request accepted within " + timeout + " of the restart");
    }

    /**
     * One client: sends requests one after another until the drill stops. Odd clients send an Idempotency-Key and
     * send a request again (same key, same body) until it is answered; even ones send each request once.
     */
    private void client(int worker, Random random, String base) {
        boolean keyed = worker % 2 == 1;
        while (!stop.get()) {
            long seq = seqs.incrementAndGet();
            byte[] body;
            String type;
            int kind = random.nextInt(10);
            if (kind < 5) {
                body = json(seq, 1024);
                type = "application/json";
            } else if (kind < 8) {
                body = new byte[1 + random.nextInt(4096)];
                random.nextBytes(body);
                type = "application/octet-stream";
            } else {
                body = new byte[0];
                type = "application/octet-stream";
            }
            String uri = "/v1/track/c" + worker + "?seq=" + seq;
            sent.put(seq, new Sent(seq, uri, body.length, CountingUpstream.crc(body), keyed));
            HttpRequest request = keyed
                    ? IngestDrills.post(base + "/c" + worker + "?seq=" + seq, body, "Content-Type", type,
                            "X-Drill-Seq", String.valueOf(seq), "Idempotency-Key", "drill-" + seq)
                    : IngestDrills.post(base + "/c" + worker + "?seq=" + seq, body, "Content-Type", type,
                            "X-Drill-Seq", String.valueOf(seq));
            // A keyed request is sent again until answered, for at most two minutes (the gateway restarts in seconds).
            long giveUp = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            for (int attempt = 0; ; attempt++) {
                if (attempt > 0) {
                    keyedResent.increment();
                }
                boolean unanswered = attempt(seq, request, keyed);
                if (!keyed || !unanswered || System.nanoTime() - giveUp > 0 || abandon.get()) {
                    break;
                }
            }
        }
    }

    /** Sends once and records the outcome; true when there was no final answer (a keyed client sends again). */
    private boolean attempt(long seq, HttpRequest request, boolean keyed) {
        long t0 = System.nanoTime();
        try {
            IngestDrills.Answer a = IngestDrills.send(request);
            if (a.status() == 202 && a.id() != null) {
                ackedBySeq.put(seq, a.id());
                Long other = seqById.putIfAbsent(a.id(), seq);
                if (other != null && other != seq) {
                    idReusedForAnotherRequest.increment();
                }
                if (a.replayed()) {
                    replayed.increment();
                }
                noteAccepted(t0);
                cutByKill.remove(seq);
                deadConnection.remove(seq);
                return false;
            }
            if (a.status() == 503 && "ingest_unavailable".equals(a.code())) {
                unavailable.increment();
                if (a.retryAfter() == null) {
                    unavailableWithoutRetryAfter.increment();
                }
                if (!keyed) {
                    refused.add(seq);
                }
                pause();
                return true;
            }
            unexpected.computeIfAbsent(a.status() + " " + a.code(), k -> new LongAdder()).increment();
            refused.add(seq);
            return false;
        } catch (ConnectException e) {
            connectRefused.increment(); // nothing reached a gateway: nothing stored
            pause();
            return true;
        } catch (HttpTimeoutException e) {
            timeouts.increment();
            cutByKill.add(seq);
            return true;
        } catch (IOException e) {
            // Sent (at least in part) and no answer: stored or not, the client cannot tell. Sent before the last
            // kill: the kill cut it off; after it: it went out on a connection the kill had left dead.
            (t0 - lastKillNanos < 0 ? cutByKill : deadConnection).add(seq);
            pause();
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void pause() {
        try {
            Thread.sleep(20); // the gateway is down or opening its store: a client backs off a little
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A JSON event of exactly {@code size} bytes. */
    private static byte[] json(long seq, int size) {
        String head = "{\"event\":\"drill\",\"seq\":" + seq + ",\"pad\":\"";
        char[] pad = new char[size - head.length() - 2];
        Arrays.fill(pad, 'x');
        return (head + new String(pad) + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    /** Bytes of a torn WAL tail the restart's log says it cut off (0 when it says nothing about one). */
    static long tornBytes(String log) {
        long sum = 0;
        Matcher m = TORN.matcher(log);
        while (m.find()) {
            sum += Long.parseLong(m.group(1).replaceAll("[^0-9]", ""));
        }
        return sum;
    }

    /** The restart's log lines about recovering the ingest store, for the report. */
    private static String recoveryLines(String log) {
        return String.join(" | ", log.lines().filter(l -> l.toLowerCase(java.util.Locale.ROOT).contains("ingest")
                && (l.contains("torn") || l.contains("recover") || l.contains("WAL") || l.contains("cut")))
                .map(String::strip).limit(3).toList());
    }
}
