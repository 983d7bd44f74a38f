package io.palisade.drills;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.palisade.auth.ApiKeys;
import io.palisade.testing.PacedLoad;
import io.palisade.testing.TestUpstream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Seed 000: a bug in an authorization cache refresh gave intermittent 403s to callers with good credentials, for days,
 * and nobody alerted on the 4xx. Here the credential set of 10,000 consumers is reloaded 6 times (20 in the long run,
 * {@code -Dpalisade.drill.long=true}) under steady load with valid keys, and a JWT issuer's key server goes down under
 * load: no valid caller may ever see a 401 or a 403. And a burst of bad keys must show in the 4xx counter an alert
 * would watch. Nothing here is timed: every request must succeed, whatever the machine's speed.
 *
 * <p>Detect and tell ({@link #authBackendDown_503NeverForbidden_incidentOpensAndResolves_badKeyBurstRaises4xxAlert}):
 * an authorization service that cannot be reached is a 503, never a 403, and it opens an incident on the public status
 * page by itself that moves to monitoring and resolves when the service is back; a burst of bad credentials raises the
 * {@code http_4xx_spike} alert on {@code /alerts} from the real process (after the rule's two minutes of warm-up, which
 * the drill waits out with steady traffic), and opens nothing public: those are the clients' own mistakes.
 */
class Seed000AuthRefreshDrill {
    private static final int CONSUMERS = 10_000;
    /** Unrelated consumers; each reload carries a different half of them. */
    private static final int CHURN_POOL = 2_000;
    private static final int RELOADS = DrillLength.pick(6, 20);
    /** Requests answered before the first reload, between two reloads and after the last one. */
    private static final int BETWEEN_RELOADS = DrillLength.pick(500, 1_500);
    /** Requests answered with the key server up, and after a reload with it down. */
    private static final int JWT_PHASE = DrillLength.pick(1_000, 3_000);
    private static final int WORKERS = 8;
    private static final int BAD_BURST = 500;
    private static final String ISSUER = "https://idp.palisade.test";
    private static final Pattern REQUESTS = Pattern.compile(
            "^palisade_requests_total\\{([^}]*)} (\\S+)$", Pattern.MULTILINE);
    private static final Pattern DECISIONS = Pattern.compile(
            "^palisade_auth_decisions_total\\{([^}]*)} (\\S+)$", Pattern.MULTILINE);

    private final HttpClient probe = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void credentialsReloadedUnderLoad_validKeysNever401Or403_and4xxBurstIsCounted() throws Exception {
        Report report = new Report("seed000-auth-refresh");
        List<ApiKeys.GeneratedKey> keys = IntStream.range(0, CONSUMERS).mapToObj(i -> ApiKeys.generate()).toList();
        List<ApiKeys.GeneratedKey> churn = IntStream.range(0, CHURN_POOL).mapToObj(i -> ApiKeys.generate()).toList();
        Random random = new Random(4242);
        Set<Integer> churnIn = pickHalf(random);
        List<Integer> order = new ArrayList<>(IntStream.range(0, CONSUMERS).boxed().toList());

        try (TestUpstream orders = TestUpstream.start("orders");
             GatewayProcess gw = GatewayProcess.start("seed000", apiKeyConfig(keys, order, churn, churnIn, 0,
                     orders.address()), Ports.free(), Ports.free())) {
            List<Long> reloadMs = new ArrayList<>();
            int probes = 0;
            long configBytes = 0;
            List<long[]> reloadWindows = new ArrayList<>();
            List<Load.Sample> samples;
            try (Load load = new Load(WORKERS, Duration.ofSeconds(600), n -> Load.get(gw.url("/orders/" + n),
                    Duration.ofSeconds(10), "X-Api-Key", keys.get(ThreadLocalRandom.current().nextInt(CONSUMERS))
                            .key()))) {
                awaitSent(load, BETWEEN_RELOADS);
                for (int i = 1; i <= RELOADS; i++) {
                    Set<Integer> previous = churnIn;
                    churnIn = pickHalf(random);
                    Collections.shuffle(order, random);
                    String yaml = apiKeyConfig(keys, order, churn, churnIn, i, orders.address());
                    configBytes = yaml.length();
                    long t0 = System.nanoTime();
                    long startMs = load.elapsedMs();
                    HttpResponse<String> r = gw.reload(yaml);
                    reloadMs.add((System.nanoTime() - t0) / 1_000_000);
                    reloadWindows.add(new long[] {startMs, load.elapsedMs()});
                    assertThat(r.statusCode()).as("reload %d: %s", i, r.body()).isEqualTo(200);
                    assertThat(r.body()).containsPattern("\"applied\"\\s*:\\s*true");

                    // The new view is live: a consumer that just joined gets in, one that just left does not.
                    int joined = first(churnIn, previous, i);
                    int left = first(previous, churnIn, i);
                    assertThat(status(gw.url("/orders/probe"), churn.get(joined).key())).as("joined, reload %d", i)
                            .isEqualTo(200);
                    assertThat(status(gw.url("/orders/probe"), churn.get(left).key())).as("left, reload %d", i)
                            .isEqualTo(401);
                    probes += 2;
                    awaitSent(load, load.sent() + BETWEEN_RELOADS);
                }
                awaitSent(load, load.sent() + BETWEEN_RELOADS);
                load.stop();
                samples = load.samples();
            }
            Map<Integer, Long> statuses = Load.statusCounts(samples);
            report.line("%s run: api keys: %d consumers (+ %d of %d unrelated ones per config), %d workers, %d"
                            + " requests in %.1f s, statuses %s", DrillLength.name(), CONSUMERS, CHURN_POOL / 2,
                    CHURN_POOL, WORKERS, samples.size(),
                    samples.stream().mapToLong(Load.Sample::sentAtMs).max().orElse(0) / 1000.0, statuses);
            report.line("reloads: %d applied under load (config ~%d KiB each: consumers reordered, unrelated ones"
                            + " swapped, groups of every consumer changed); reload took min %d / median %d / max %d ms:"
                            + " %s", reloadMs.size(), configBytes / 1024, Collections.min(reloadMs),
                    median(reloadMs), Collections.max(reloadMs), reloadMs);
            report.line("probes after each reload: %d (key that joined: 200, key that left: 401), all as expected",
                    probes);
            List<Load.Sample> slow = samples.stream().filter(x -> x.latencyMicros() > 500_000).toList();
            long slowInReload = slow.stream().filter(x -> reloadWindows.stream()
                    .anyMatch(w -> x.sentAtMs() + x.latencyMicros() / 1000 >= w[0] && x.sentAtMs() <= w[1])).count();
            report.line("latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; %d requests over 500 ms, %d of them overlapping"
                            + " a reload; event-loop lag max %.2f s; machine load average %s (2 shared cores)",
                    Load.percentileMs(samples, 0.5), Load.percentileMs(samples, 0.99),
                    Load.percentileMs(samples, 1.0), slow.size(), slowInReload, maxLag(gw.metrics()),
                    Report.loadAverage());

            assertThat(statuses).as("valid keys never get 401/403 (or anything but 200)").containsOnlyKeys(200);

            // Seed 000's missing alert: a burst of bad credentials must show in the 4xx counter.
            String metricsBefore = gw.metrics();
            double fourxxBefore = sum(REQUESTS, metricsBefore, Map.of("code_class", "4xx"));
            double unauthBefore = sum(DECISIONS, metricsBefore,
                    Map.of("outcome", "unauthenticated", "route", "orders"));
            for (int i = 0; i < BAD_BURST; i++) {
                assertThat(status(gw.url("/orders/bad"), "pk_forged_" + i)).isEqualTo(401);
            }
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    sum(REQUESTS, gw.metrics(), Map.of("code_class", "4xx")) >= fourxxBefore + BAD_BURST);
            String metricsAfter = gw.metrics();
            double fourxx = sum(REQUESTS, metricsAfter, Map.of("code_class", "4xx")) - fourxxBefore;
            double unauth = sum(DECISIONS, metricsAfter, Map.of("outcome", "unauthenticated", "route", "orders"))
                    - unauthBefore;
            report.line("4xx burst: %d bad keys -> palisade_requests_total{code_class=\"4xx\"} +%.0f,"
                    + " palisade_auth_decisions_total{route=\"orders\",outcome=\"unauthenticated\"} +%.0f", BAD_BURST,
                    fourxx, unauth);
            report.line("over the whole run: forbidden %.0f, unavailable %.0f", sum(DECISIONS, metricsAfter,
                    Map.of("outcome", "forbidden")), sum(DECISIONS, metricsAfter, Map.of("outcome", "unavailable")));
            assertThat(fourxx).isEqualTo(BAD_BURST);
            assertThat(unauth).isEqualTo(BAD_BURST);
            assertThat(sum(DECISIONS, metricsAfter, Map.of("outcome", "forbidden"))).isZero();
            assertThat(sum(DECISIONS, metricsAfter, Map.of("outcome", "unavailable"))).isZero();

            assertThat(gw.stop()).isIn(0, 143);
            assertThat(gw.logText()).doesNotContain("LEAK");
        }
    }

    @Test
    void keyServerDownUnderLoad_tokensOfKnownKeysKeepPassing() throws Exception {
        Report report = new Report("seed000-jwks-down");
        RSAKey rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        ECKey ec = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
        KeyPair ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] spki = ed.getPublic().getEncoded();
        OctetKeyPair edPublic = new OctetKeyPair.Builder(Curve.Ed25519,
                Base64URL.encode(Arrays.copyOfRange(spki, spki.length - 32, spki.length))).keyID("ed-1").build();
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            JWTClaimsSet claims = claims("user-" + i);
            tokens.add(switch (i % 3) {
                case 0 -> sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-1", claims);
                case 1 -> sign(new ECDSASigner(ec), JWSAlgorithm.ES256, "ec-1", claims);
                default -> eddsa(ed, claims);
            });
        }

        AtomicInteger fetches = new AtomicInteger();
        HttpServer jwks = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        byte[] keySet = new JWKSet(List.<JWK>of(rsa.toPublicJWK(), ec.toPublicJWK(), edPublic)).toString()
                .getBytes(StandardCharsets.UTF_8);
        jwks.createContext("/jwks.json", exchange -> {
            fetches.incrementAndGet();
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, keySet.length);
            exchange.getResponseBody().write(keySet);
            exchange.close();
        });
        jwks.start();
        boolean jwksUp = true;
        String jwksUrl = "http://127.0.0.1:" + jwks.getAddress().getPort() + "/jwks.json";

        try (TestUpstream orders = TestUpstream.start("orders");
             GatewayProcess gw = GatewayProcess.start("seed000-jwks", jwtConfig(jwksUrl, "30s", orders.address()),
                     Ports.free(), Ports.free());
             Load load = new Load(WORKERS, Duration.ofSeconds(300), n -> Load.get(gw.url("/orders/" + n),
                     Duration.ofSeconds(10), "Authorization", "Bearer "
                             + tokens.get(ThreadLocalRandom.current().nextInt(tokens.size()))))) {
            awaitSent(load, JWT_PHASE);
            // Refreshes every second while the key server is up.
            await().atMost(Duration.ofSeconds(30)).until(() -> fetches.get() >= 3);
            long stoppedAt = load.elapsedMs();
            int fetchesServed = fetches.get();
            jwks.stop(0);
            jwksUp = false;
            // The gateway has noticed: a background refresh failed and it kept the last good key set.
            await().atMost(Duration.ofSeconds(30)).until(() -> gw.logText().contains("keeping the last good key set"));
            long noticedAt = load.elapsedMs();
            // An operator changes the issuer's settings during the outage: the provider is rebuilt, and must keep
            // the keys it had.
            long t0 = System.nanoTime();
            HttpResponse<String> reloaded = gw.reload(jwtConfig(jwksUrl, "20s", orders.address()));
            long reloadMs = (System.nanoTime() - t0) / 1_000_000;
            long reloadedAt = load.elapsedMs();
            assertThat(reloaded.statusCode()).as(reloaded.body()).isEqualTo(200);
            // Then several more refresh periods of load with the key server gone.
            long until = reloadedAt + 5_000;
            await().atMost(Duration.ofSeconds(60)).until(() -> load.elapsedMs() >= until && load.sent() > 0);
            awaitSent(load, load.sent() + JWT_PHASE);
            load.stop();
            List<Load.Sample> all = load.samples();
            List<Load.Sample> before = all.stream().filter(s -> s.sentAtMs() < stoppedAt).toList();
            List<Load.Sample> during = all.stream().filter(s -> s.sentAtMs() >= stoppedAt).toList();
            List<Load.Sample> afterReload = all.stream().filter(s -> s.sentAtMs() >= reloadedAt).toList();
            long failedRefreshLines = gw.logText().lines().filter(l -> l.contains("key set fetch from")).count();
            String metrics = gw.metrics();

            report.line("%s run: jwt: %d tokens (RS256, ES256, EdDSA), %d workers; key server answered %d fetches,"
                    + " then stopped at %.1f s", DrillLength.name(), tokens.size(), WORKERS, fetchesServed,
                    stoppedAt / 1000.0);
            report.line("before the stop: %d requests %s; after it: %d requests over %.1f s %s", before.size(),
                    Load.statusCounts(before), during.size(),
                    (all.stream().mapToLong(Load.Sample::sentAtMs).max().orElse(0) - stoppedAt) / 1000.0,
                    Load.statusCounts(during));
            report.line("during the outage, a reload changed the issuer's clock_skew (the provider is rebuilt): applied in"
                    + " %d ms; %d requests after it %s", reloadMs, afterReload.size(), Load.statusCounts(afterReload));
            report.line("failed refresh noticed %.1f s after the stop (log lines about failed fetches: %d, rate"
                    + " limited to one per 10 s); p99 before %.2f ms, during %.2f ms", (noticedAt - stoppedAt) / 1000.0,
                    failedRefreshLines, Load.percentileMs(before, 0.99), Load.percentileMs(during, 0.99));
            report.line("auth decisions: allowed %.0f, unauthenticated %.0f, unavailable %.0f; machine load average %s",
                    sum(DECISIONS, metrics, Map.of("outcome", "allowed")),
                    sum(DECISIONS, metrics, Map.of("outcome", "unauthenticated")),
                    sum(DECISIONS, metrics, Map.of("outcome", "unavailable")), Report.loadAverage());

            assertThat(before).isNotEmpty();
            assertThat(during.size()).isGreaterThan(JWT_PHASE);
            assertThat(afterReload.size()).isGreaterThan(JWT_PHASE);
            assertThat(Load.statusCounts(all)).as("tokens of known keys pass while the key server is down")
                    .containsOnlyKeys(200);
            assertThat(gw.stop()).isIn(0, 143);
            assertThat(gw.logText()).doesNotContain("LEAK");
        } finally {
            if (jwksUp) {
                jwks.stop(0);
            }
        }
    }

    @Test
    void authBackendDown_503NeverForbidden_incidentOpensAndResolves_badKeyBurstRaises4xxAlert() throws Exception {
        Report report = new Report("seed000-detect-and-tell");
        ApiKeys.GeneratedKey good = ApiKeys.generate();
        int authPort = Ports.free();
        int statusPort = Ports.free();
        ReleaseDrills.AnsweringAuth auth = new ReleaseDrills.AnsweringAuth(authPort);
        long started = System.nanoTime();
        try (TestUpstream orders = TestUpstream.start("orders");
             GatewayProcess gw = GatewayProcess.start("seed000-tell", """
                     access_log: { enabled: false }
                     consumers:
                       shop: { groups: [orders-read], api_keys: [ { sha256: "%s" } ] }
                     auth:
                       external:
                         policy:
                           url: "http://127.0.0.1:%d/check"
                           timeout: 1s
                           breaker: { open_for: 1s }
                     clusters:
                       orders: { endpoints: [ "%s" ] }
                     routes:
                       - name: orders
                         match: { path_prefix: /orders }
                         cluster: orders
                         auth: { any_of: [api_key], groups: [orders-read] }
                       - name: checked
                         match: { path_prefix: /checked }
                         cluster: orders
                         auth: { any_of: ["external:policy"] }
                     """.formatted(good.sha256Hex(), authPort, orders.address())
                     + StatusWatch.yaml(statusPort, "orders", "checked"), Ports.free(), Ports.free());
             StatusWatch watch = StatusWatch.start(statusPort);
             PacedLoad keyed = PacedLoad.steady(gw.port(), null, 2, 25, Duration.ofSeconds(600), Long.MAX_VALUE,
                     n -> new PacedLoad.Get("/orders/" + n, "X-Api-Key", good.key()));
             PacedLoad checked = PacedLoad.steady(gw.port(), null, 2, 25, Duration.ofSeconds(600), Long.MAX_VALUE,
                     n -> new PacedLoad.Get("/checked/" + n))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> checked.samples().size() >= 100);

            // The authorization service goes away: connections to it are refused.
            long faultAt = System.nanoTime();
            auth.close();
            StatusWatch.Sighting opened = watch.await("investigating", faultAt, Duration.ofSeconds(120));
            Map<String, String> componentsDuring = watch.components();
            long healAt = System.nanoTime();
            auth = new ReleaseDrills.AnsweringAuth(authPort);
            StatusWatch.Sighting monitoring = watch.await("monitoring", healAt, Duration.ofSeconds(120));
            StatusWatch.Sighting resolved = watch.await("resolved", healAt, Duration.ofSeconds(120));
            long base = checked.startNanos();
            List<PacedLoad.Sample> outage = PacedLoad.between(checked.samples(), faultAt - base, healAt - base);
            report.line("%s run; machine load average %s (2 shared cores)", DrillLength.name(), Report.loadAverage());
            report.line("auth service unreachable: %d calls on its route %s (never 403); incident \"%s\" (impact %s)"
                            + " seen %.1f s after the fault (goal <= 120 s), components then %s; service back:"
                            + " monitoring after %.1f s, resolved after %.1f s (resolve_after %d s)", outage.size(), PacedLoad.statusCounts(outage), opened.name(),
                    opened.impact(), StatusWatch.seconds(faultAt, opened), componentsDuring,
                    StatusWatch.seconds(healAt, monitoring), StatusWatch.seconds(healAt, resolved),
                    StatusWatch.RESOLVE_AFTER.toSeconds());
            assertThat(PacedLoad.statusCounts(outage)).as("an unreachable auth service is 503, never 403")
                    .containsKey(503).doesNotContainKeys(401, 403);
            assertThat(PacedLoad.statusCounts(outage).keySet()).isSubsetOf(200, 503);
            assertThat(StatusWatch.seconds(faultAt, opened)).as("seconds from fault to incident")
                    .isLessThanOrEqualTo(120);
            assertThat(componentsDuring.get("checked")).isNotEqualTo("operational");
            assertThat(componentsDuring.get("orders")).isEqualTo("operational");
            assertThat(watch.components()).allSatisfy((id, st) -> assertThat(st).isEqualTo("operational"));

            // Seed 000's missing alert. The spike rule judges nothing in its first two minutes (no baseline yet):
            // steady good traffic fills them.
            long warm = started + Duration.ofMinutes(2).plusSeconds(5).toNanos();
            while (System.nanoTime() < warm) {
                Thread.sleep(500); // the gateway's own warm-up, in real time: it runs in its own process
            }
            long burstAt = System.nanoTime();
            int unauthorized = 0;
            for (int i = 0; i < BAD_BURST; i++) {
                unauthorized += status(gw.url("/orders/bad"), "pk_forged_" + i) == 401 ? 1 : 0;
            }
            JsonNode alert = awaitAlert(gw, "http_4xx_spike", "route", "orders");
            double toAlert = (System.nanoTime() - burstAt) / 1e9;
            keyed.stop();
            checked.stop();
            List<PacedLoad.Sample> goodCalls = keyed.samples();
            List<PacedLoad.Sample> afterHeal = PacedLoad.between(checked.samples(), resolved.atNanos() - base,
                    Long.MAX_VALUE);
            report.line("bad-key burst: %d requests, %d answered 401; http_4xx_spike (severity %s) on route orders"
                            + " %.1f s after the burst began: %s", BAD_BURST, unauthorized,
                    alert.path("severity").asText(), toAlert, alert.path("summary").asText());
            report.line("good key throughout: %d requests %s; auth route after the incident resolved: %d calls %s;"
                    + " status page: %d incident(s), indicator %s", goodCalls.size(), PacedLoad.statusCounts(goodCalls),
                    afterHeal.size(), PacedLoad.statusCounts(afterHeal), watch.incidents(), watch.indicator());
            assertThat(afterHeal).isNotEmpty().allMatch(x -> x.status() == 200);
            assertThat(unauthorized).isEqualTo(BAD_BURST);
            assertThat(alert.path("severity").asText()).isEqualTo("ticket");
            assertThat(watch.incidents()).as("the burst of bad credentials opens nothing public").isEqualTo(1);
            assertThat(PacedLoad.statusCounts(goodCalls)).as("the good key never sees 401/403").containsOnlyKeys(200);
            assertThat(gw.stop()).isIn(0, 143);
            assertThat(gw.logText()).doesNotContain("LEAK");
        } finally {
            auth.close();
        }
    }

    /** Waits for an active alert of {@code name} with the label, as {@code GET /alerts} shows it. */
    private static JsonNode awaitAlert(GatewayProcess gw, String name, String label, String value)
            throws InterruptedException, java.io.IOException {
        long limit = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        String last = "";
        while (System.nanoTime() < limit) {
            HttpResponse<String> r = gw.adminCall("GET", "/alerts", null);
            last = r.body();
            for (JsonNode a : new ObjectMapper().readTree(last).path("active")) {
                if (a.path("name").asText().equals(name) && a.path("labels").path(label).asText().equals(value)) {
                    return a;
                }
            }
            Thread.sleep(250); // polling the admin API, as an operator's dashboard would
        }
        throw new AssertionError("no active " + name + " alert for " + label + " " + value + " within 120 s: " + last);
    }

    // ------------------------------------------------------------------------------------------------ config

    private static String jwtConfig(String jwksUrl, String clockSkew, String upstream) {
        return """
                access_log: { enabled: false }
                auth:
                  jwt:
                    idp:
                      jwks_url: "%s"
                      issuer: "%s"
                      audiences: [orders-api]
                      clock_skew: %s
                      fetch: { timeout: 500ms, refresh: 1s, min_interval: 1s }
                clusters:
                  orders: { endpoints: [ "%s" ] }
                routes:
                  - name: orders
                    match: { path_prefix: /orders }
                    cluster: orders
                    auth: { any_of: ["jwt:idp"] }
                """.formatted(jwksUrl, ISSUER, clockSkew, upstream);
    }

    private static String apiKeyConfig(List<ApiKeys.GeneratedKey> keys, List<Integer> order,
                                       List<ApiKeys.GeneratedKey> churn, Set<Integer> churnIn, int generation,
                                       String upstream) {
        StringBuilder y = new StringBuilder(1_400_000);
        y.append("access_log: { enabled: false }\n");
        y.append("consumers:\n");
        // Every consumer's record changes between reloads (a group comes and goes); its key and orders-read stay.
        String groups = generation % 2 == 0 ? "[orders-read]" : "[orders-read, beta-" + generation + "]";
        List<String> lines = new ArrayList<>(CONSUMERS + churnIn.size());
        for (int i : order) {
            lines.add("  c" + i + ": { groups: " + groups + ", api_keys: [ { sha256: \"" + keys.get(i).sha256Hex()
                    + "\" } ] }\n");
        }
        for (int i : churnIn) {
            String g = (i + generation) % 2 == 0 ? "[orders-read]" : "[billing]";
            lines.add("  other" + i + ": { groups: " + g + ", api_keys: [ { sha256: \"" + churn.get(i).sha256Hex()
                    + "\" } ] }\n");
        }
        // Unrelated consumers land anywhere among the others.
        Collections.shuffle(lines, new Random(generation));
        lines.forEach(y::append);
        y.append("""
                clusters:
                  orders: { endpoints: [ "%s" ] }
                routes:
                  - name: orders
                    match: { path_prefix: /orders }
                    cluster: orders
                    auth: { any_of: [api_key], groups: [orders-read] }
                """.formatted(upstream));
        return y.toString();
    }

    /** A random half of the unrelated consumers. */
    private static Set<Integer> pickHalf(Random random) {
        List<Integer> all = new ArrayList<>(IntStream.range(0, CHURN_POOL).boxed().toList());
        Collections.shuffle(all, random);
        return new HashSet<>(all.subList(0, CHURN_POOL / 2));
    }

    /** The first unrelated consumer in {@code a} and not in {@code b} that holds orders-read in this generation. */
    private static int first(Set<Integer> a, Set<Integer> b, int generation) {
        return a.stream().filter(i -> !b.contains(i) && (i + generation) % 2 == 0).sorted().findFirst()
                .orElseThrow();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private int status(String url, String key) throws Exception {
        return probe.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .header("X-Api-Key", key).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static void awaitSent(Load load, long n) {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(20)).until(() -> load.sent() >= n);
    }

    private static double maxLag(String metrics) {
        Matcher m = Pattern.compile("^palisade_event_loop_lag_max_seconds (\\S+)$", Pattern.MULTILINE).matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    private static long median(List<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    /** The sum of the series of one metric whose labels include {@code match}. */
    private static double sum(Pattern metric, String text, Map<String, String> match) {
        double total = 0;
        Matcher m = metric.matcher(text);
        while (m.find()) {
            String labels = m.group(1);
            if (match.entrySet().stream().allMatch(e -> labels.contains(e.getKey() + "=\"" + e.getValue() + "\""))) {
                total += Double.parseDouble(m.group(2));
            }
        }
        return total;
    }

    private static JWTClaimsSet claims(String subject) {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder().issuer(ISSUER).audience("orders-api").subject(subject)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plus(Duration.ofHours(1)))).build();
    }

    private static String sign(JWSSigner signer, JWSAlgorithm alg, String kid, JWTClaimsSet claims)
            throws JOSEException {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(kid).build(), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    /** EdDSA with the JDK's Ed25519 (Nimbus's signer would need Tink). */
    private static String eddsa(KeyPair ed, JWTClaimsSet claims) throws Exception {
        String input = Base64URL.encode("{\"alg\":\"EdDSA\",\"kid\":\"ed-1\"}") + "." + Base64URL.encode(
                claims.toString());
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(ed.getPrivate());
        s.update(input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + Base64URL.encode(s.sign());
    }
}
