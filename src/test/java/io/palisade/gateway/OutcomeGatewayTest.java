package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.palisade.auth.ApiKeys;
import io.palisade.error.ErrorKind;
import io.palisade.outcome.Outcome;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.RawClient;
import io.palisade.testing.SilentServer;
import io.palisade.testing.TestUpstream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;
import io.palisade.testing.Gateways;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real gateway, with the access log on and a subscriber of its own: however a request ends (proxied, refused by
 * a filter, unroutable, an upstream failure, refused by the protocol handlers), it ends in exactly one outcome with
 * the fields that say so, and in exactly one access-log line; the gateway's own answers carry their real byte count.
 */
class OutcomeGatewayTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
    private static final ApiKeys.GeneratedKey acme = ApiKeys.generate();
    private static TestUpstream upstream;
    private static SilentServer silent;
    private static String deadAddress;
    private static Path log;
    private static GatewayFixture gw;

    @RegisterExtension
    static final Gateways gateways = Gateways.onSystemTime(Gateways.SEVERAL);

    @BeforeAll
    static void start() throws IOException {
        upstream = TestUpstream.start("app");
        silent = new SilentServer();
        try (ServerSocket s = new ServerSocket(0)) {
            deadAddress = "127.0.0.1:" + s.getLocalPort(); // closed again: connections to it are refused
        }
        log = Files.createTempFile("palisade-outcome", ".log");
        gw = gateways.start("""
                access_log: { enabled: true, target: "%s" }
                consumers:
                  acme: { groups: [tenants], api_keys: [ { sha256: "%s" } ] }
                auth:
                  api_key: { header: X-Api-Key }
                clusters:
                  app: { endpoints: [ "%s" ] }
                  dead: { endpoints: [ "%s" ], timeouts: { connect: 500ms, request: 2s, idle: 10s } }
                  hung: { endpoints: [ "%s" ], timeouts: { connect: 500ms, request: 300ms, idle: 10s } }
                routes:
                  - { name: open, match: { path_prefix: /open }, cluster: app }
                  - name: private
                    match: { path_prefix: /private }
                    cluster: app
                    auth: { any_of: [api_key] }
                  - name: limited
                    match: { path_prefix: /limited }
                    cluster: app
                    rate_limits: [ { key: ip, rate: 1/m, before_auth: true, name: per-ip } ]
                  - { name: dead, match: { path_prefix: /dead }, cluster: dead }
                  - { name: hung, match: { path_prefix: /hung }, cluster: hung }
                """.formatted(log, acme.sha256Hex(), upstream.address(), deadAddress,
                "127.0.0.1:" + silent.port()));
        // Subscribed before the collector: the collector (and every request) must not notice it.
        gw.gateway().outcomes().subscribe(o -> {
            throw new IllegalStateException("a broken subscriber");
        });
        gw.gateway().outcomes().subscribe(outcomes::add);
    }

    @AfterAll
    static void stop() throws Exception {
        silent.close();
        upstream.close();
        Files.deleteIfExists(log);
    }

    /** The one outcome that matches, once it is there; fails on a second one. */
    private static Outcome onlyOutcome(Predicate<Outcome> which) {
        await().atMost(Duration.ofSeconds(10)).until(() -> outcomes.stream().anyMatch(which));
        List<Outcome> matching = outcomes.stream().filter(which).toList();
        assertThat(matching).hasSize(1);
        return matching.get(0);
    }

    private static Outcome onlyOutcome(String requestId) {
        return onlyOutcome(o -> o.requestId().equals(requestId));
    }

    /** The one access-log line of {@code requestId}, once it is written; fails on a second one. */
    private static JsonNode onlyLogLine(String requestId) {
        await().atMost(Duration.ofSeconds(10)).until(() -> !logLines(requestId).isEmpty());
        List<JsonNode> lines = logLines(requestId);
        assertThat(lines).hasSize(1);
        return lines.get(0);
    }

    private static List<JsonNode> logLines(String requestId) {
        try {
            List<JsonNode> lines = new ArrayList<>();
            for (String text : Files.readAllLines(log)) {
                JsonNode line = JSON.readTree(text);
                if (line.get("request_id").asText().equals(requestId)) {
                    lines.add(line);
                }
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int bytes(HttpResponse<String> r) {
        return r.body().getBytes(StandardCharsets.UTF_8).length;
    }

    /** The outcome of {@code r}, with what every request's outcome and log line say about it checked. */
    private static Outcome checked(String requestId, HttpResponse<String> r) {
        Outcome o = onlyOutcome(requestId);
        assertThat(o.status()).isEqualTo(r.statusCode());
        assertThat(o.bytesOut()).isEqualTo(bytes(r));
        assertThat(o.configVersion()).isEqualTo(gw.gateway().config().version());
        assertThat(o.clientIp()).isEqualTo("127.0.0.1");
        assertThat(o.totalNanos()).isPositive().isGreaterThanOrEqualTo(o.upstreamNanos());
        JsonNode line = onlyLogLine(requestId);
        assertThat(line.get("status").asInt()).isEqualTo(r.statusCode());
        assertThat(line.get("bytes_out").asLong()).isEqualTo(bytes(r));
        assertThat(line.get("route").asText()).isEqualTo(o.route());
        assertThat(line.path("cluster").asText()).as("left out when none was picked").isEqualTo(o.cluster());
        assertThat(line.has("error")).isEqualTo(o.error().isPresent());
        o.error().ifPresent(kind -> assertThat(line.get("error").asText()).isEqualTo(kind.code()));
        return o;
    }

    @Test
    void proxied200_oneOutcome_withRouteClusterEndpointAndTimes() {
        HttpResponse<String> r = gw.get("/open/thing?a=1", "X-Request-Id", "ok-200");
        assertThat(r.statusCode()).isEqualTo(200);

        Outcome o = checked("ok-200", r);
        assertThat(o.method()).isEqualTo("GET");
        assertThat(o.path()).isEqualTo("/open/thing");
        assertThat(o.query()).isEqualTo("a=1");
        assertThat(o.route()).isEqualTo("open");
        assertThat(o.cluster()).isEqualTo("app");
        assertThat(o.endpoint()).isEqualTo(upstream.address());
        assertThat(o.consumer()).isEmpty();
        assertThat(o.ending()).isEqualTo(Outcome.Ending.ANSWERED);
        assertThat(o.error()).isEmpty();
        assertThat(o.bytesOut()).isPositive();
        assertThat(o.upstreamNanos()).isPositive();
        assertThat(o.attempts()).isEqualTo(1);
        assertThat(o.upstreamFailure()).isEmpty();
    }

    @Test
    void authenticated200_namesTheConsumer() {
        HttpResponse<String> r = gw.get("/private/1", "X-Request-Id", "ok-consumer", "X-Api-Key", acme.key());
        assertThat(r.statusCode()).isEqualTo(200);

        Outcome o = checked("ok-consumer", r);
        assertThat(o.route()).isEqualTo("private");
        assertThat(o.consumer()).isEqualTo("acme");
        assertThat(onlyLogLine("ok-consumer").get("consumer").asText()).isEqualTo("acme");
    }

    @Test
    void noRoute404_oneOutcome_unmatched_withTheErrorBodysBytes() {
        HttpResponse<String> r = gw.get("/nowhere", "X-Request-Id", "no-route");
        assertThat(r.statusCode()).isEqualTo(404);

        Outcome o = checked("no-route", r);
        assertThat(o.route()).isEqualTo(Outcome.UNMATCHED_ROUTE);
        assertThat(o.cluster()).isEmpty();
        assertThat(o.endpoint()).isEmpty();
        assertThat(o.error()).contains(ErrorKind.ROUTE_NOT_FOUND);
        assertThat(o.ending()).isEqualTo(Outcome.Ending.ANSWERED);
        assertThat(o.bytesOut()).isPositive();
        assertThat(o.attempts()).isZero();
        assertThat(o.upstreamNanos()).isZero();
    }

    @Test
    void missingKey401_oneOutcome_onItsRoute_withoutCluster() {
        HttpResponse<String> r = gw.get("/private/1", "X-Request-Id", "no-key");
        assertThat(r.statusCode()).isEqualTo(401);

        Outcome o = checked("no-key", r);
        assertThat(o.route()).isEqualTo("private");
        assertThat(o.cluster()).isEmpty();
        assertThat(o.error()).contains(ErrorKind.UNAUTHENTICATED);
        assertThat(o.consumer()).isEmpty();
    }

    @Test
    void overTheLimit429_oneOutcomeEach_forTheAdmittedAndTheRefused() {
        HttpResponse<String> first = gw.get("/limited/a", "X-Request-Id", "limit-1");
        HttpResponse<String> second = gw.get("/limited/a", "X-Request-Id", "limit-2");
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(second.statusCode()).isEqualTo(429);

        assertThat(checked("limit-1", first).error()).isEmpty();
        Outcome refused = checked("limit-2", second);
        assertThat(refused.route()).isEqualTo("limited");
        assertThat(refused.error()).contains(ErrorKind.RATE_LIMITED);
        assertThat(refused.cluster()).isEmpty();
    }

    @Test
    void unreachableUpstream502_oneOutcome_afterEveryAttempt() {
        HttpResponse<String> r = gw.get("/dead/1", "X-Request-Id", "dead-502");
        assertThat(r.statusCode()).isEqualTo(502);

        Outcome o = checked("dead-502", r);
        assertThat(o.route()).isEqualTo("dead");
        assertThat(o.cluster()).isEqualTo("dead");
        assertThat(o.endpoint()).isEqualTo(deadAddress);
        assertThat(o.error()).contains(ErrorKind.UPSTREAM_CONNECT_FAILED);
        assertThat(o.upstreamFailure()).isEqualTo("connect");
        assertThat(o.attempts()).isPositive();
        assertThat(onlyLogLine("dead-502").get("upstream_failure").asText()).isEqualTo("connect");
    }

    @Test
    void silentUpstream504_oneOutcome_atTheDeadline() {
        HttpResponse<String> r = gw.get("/hung/1", "X-Request-Id", "hung-504");
        assertThat(r.statusCode()).isEqualTo(504);

        Outcome o = checked("hung-504", r);
        assertThat(o.route()).isEqualTo("hung");
        assertThat(o.cluster()).isEqualTo("hung");
        assertThat(o.error()).contains(ErrorKind.UPSTREAM_TIMEOUT);
        assertThat(o.endpoint()).isEqualTo("127.0.0.1:" + silent.port());
        assertThat(o.totalNanos()).isGreaterThanOrEqualTo(Duration.ofMillis(300).toNanos());
    }

    /** Sends {@code raw} on a connection of its own and reads the one answer. */
    private static RawClient.Response raw(String raw) throws IOException {
        try (RawClient c = new RawClient(gw.port())) {
            return c.send(raw).read();
        }
    }

    private static void keepsServing() {
        assertThat(gw.get("/open/after").statusCode()).isEqualTo(200);
    }

    @Test
    void headersTooLarge431_refusedBeforeTheProxy_oneOutcomeAndOneLogLine_withTheRealBytes() throws IOException {
        RawClient.Response r = raw("GET /open/big HTTP/1.1\r\nHost: a\r\nX-Big: " + "b".repeat(64 * 1024)
                + "\r\n\r\n");
        assertThat(r.status()).isEqualTo(431);

        Outcome o = onlyOutcome(x -> x.error().equals(Optional.of(ErrorKind.HEADERS_TOO_LARGE)));
        assertThat(o.requestId()).isEqualTo(r.header("x-request-id"));
        assertThat(o.status()).isEqualTo(431);
        assertThat(o.route()).isEqualTo(Outcome.UNMATCHED_ROUTE);
        assertThat(o.ending()).isEqualTo(Outcome.Ending.ANSWERED);
        assertThat(o.bytesOut()).isEqualTo(r.body().length()).isPositive();
        assertThat(o.configVersion()).isEqualTo(gw.gateway().config().version());
        assertThat(o.clientIp()).isEqualTo("127.0.0.1");
        assertThat(o.method()).isEmpty(); // the head was never decoded whole
        JsonNode line = onlyLogLine(o.requestId());
        assertThat(line.get("status").asInt()).isEqualTo(431);
        assertThat(line.get("error").asText()).isEqualTo("headers_too_large");
        assertThat(line.get("bytes_out").asLong()).isEqualTo(r.body().length());
        assertThat(line.get("route").asText()).isEqualTo(Outcome.UNMATCHED_ROUTE);
        keepsServing();
    }

    @Test
    void missingHost400_refusedBeforeTheProxy_oneOutcomeAndOneLogLine_withItsRequestLine() throws IOException {
        RawClient.Response r = raw("POST /open/pipe?x=1 HTTP/1.1\r\nX-Request-Id: pipe-400\r\n"
                + "Content-Length: 0\r\n\r\n");
        assertThat(r.status()).isEqualTo(400);

        Outcome o = onlyOutcome("pipe-400");
        assertThat(o.error()).contains(ErrorKind.MISSING_HOST);
        assertThat(o.status()).isEqualTo(400);
        assertThat(o.route()).isEqualTo(Outcome.UNMATCHED_ROUTE);
        assertThat(o.method()).isEqualTo("POST");
        assertThat(o.path()).isEqualTo("/open/pipe");
        assertThat(o.query()).isEqualTo("x=1");
        assertThat(o.bytesOut()).isEqualTo(r.body().length()).isPositive();
        JsonNode line = onlyLogLine("pipe-400");
        assertThat(line.get("status").asInt()).isEqualTo(400);
        assertThat(line.get("error").asText()).isEqualTo("missing_host");
        assertThat(line.get("path").asText()).isEqualTo("/open/pipe?x=1");
        assertThat(line.get("bytes_out").asLong()).isEqualTo(r.body().length());
        keepsServing();
        await().atMost(Duration.ofSeconds(10)).until(() -> gw.admin("GET", "/metrics").body()
                .contains("palisade_rejections_total{reason=\"missing_host\"}"));
        assertThat(gw.admin("GET", "/metrics").body()).containsPattern(
                "palisade_requests_total\\{cluster=\"\",code_class=\"4xx\",route=\"unmatched\"} [1-9]");
    }

    @Test
    void bodyBrokenMidStream_isAnsweredByTheExchange_oneOutcomeOnItsRoute_andOneLogLine() throws IOException {
        RawClient.Response r = raw("POST /open/chunks HTTP/1.1\r\nHost: a\r\nX-Request-Id: bad-chunk\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n");
        assertThat(r.status()).isEqualTo(400);

        Outcome o = onlyOutcome("bad-chunk");
        assertThat(o.error()).contains(ErrorKind.INVALID_CHUNK);
        assertThat(o.route()).isEqualTo("open");
        assertThat(o.ending()).isEqualTo(Outcome.Ending.ANSWERED);
        assertThat(o.bytesOut()).isEqualTo(r.body().length()).isPositive();
        assertThat(onlyLogLine("bad-chunk").get("error").asText()).isEqualTo("invalid_chunk");
        keepsServing();
    }

    @Test
    void aThrowingSubscriber_hurtsNoRequest_andTheOtherSubscribersStillGetEveryOutcome() {
        long failuresBefore = gw.gateway().outcomes().failures();
        assertThat(gw.get("/open/despite", "X-Request-Id", "despite").statusCode()).isEqualTo(200);
        onlyOutcome("despite");
        onlyLogLine("despite");
        assertThat(gw.gateway().outcomes().failures()).isGreaterThan(failuresBefore);
    }

    @Test
    void everyOutcome_isCountedInTheRequestMetrics() {
        assertThat(gw.get("/open/counted", "X-Request-Id", "counted").statusCode()).isEqualTo(200);
        assertThat(gw.get("/nowhere/counted", "X-Request-Id", "counted-404").statusCode()).isEqualTo(404);
        onlyOutcome("counted");
        onlyOutcome("counted-404");
        await().atMost(Duration.ofSeconds(10)).until(() -> gw.admin("GET", "/metrics").body()
                .contains("palisade_requests_total{cluster=\"app\",code_class=\"2xx\",route=\"open\"}"));
        assertThat(gw.admin("GET", "/metrics").body())
                .contains("palisade_rejections_total{reason=\"route_not_found\"}")
                .containsPattern("palisade_request_duration_seconds_count\\{route=\"open\"} [1-9]");
    }
}
