package io.palisade.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import io.palisade.testing.RawClient;
import io.palisade.testing.SilentServer;
import io.palisade.testing.TestUpstream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The gateway in this JVM in front of real HTTP upstreams on loopback. Tests of routing, pooling, retries, limits and
 * gauges run with one event loop and with several.
 */
class ProxyIntegrationTest {
    private final List<AutoCloseable> resources = new ArrayList<>();
    private Gateways gateways;

    @BeforeEach
    void setUp(Gateways gateways) {
        this.gateways = gateways;
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private TestUpstream upstream(String name) {
        TestUpstream u = TestUpstream.start(name);
        resources.add(u);
        return u;
    }

    private GatewayFixture gateway(String yaml) {
        return gateways.start(yaml);
    }

    /**
     * One cluster behind one catch-all route. Its deadlines only bound a hang: tests of deadlines configure their own,
     * and a busy machine moving 3 MiB both ways, or a test holding a request while it reloads or closes, must not
     * meet one.
     */
    private static String oneRoute(String endpoints, String extraCluster, String extraRoute) {
        return """
                clusters:
                  app:
                    endpoints: [ %s ]
                    timeouts: { connect: 5s, request: 30s, idle: 30s }
                %s
                routes:
                  - match: { path_prefix: / }
                    cluster: app
                %s
                """.formatted(endpoints, extraCluster, extraRoute);
    }

    @GatewayTest(loops = {1, 2})
    void accessLog_oneJsonLinePerRequest_withItsFields() throws Exception {
        TestUpstream up = upstream("a");
        java.nio.file.Path log = java.nio.file.Files.createTempFile("palisade-access", ".log");
        try {
            GatewayFixture gw = gateway("access_log: { enabled: true, target: \"" + log + "\" }\n"
                    + oneRoute("\"" + up.address() + "\"", "", ""));
            for (int i = 0; i < 3; i++) {
                assertThat(gw.get("/p/" + i + "?q=%22" + i, "X-Request-Id", "req-" + i).statusCode()).isEqualTo(200);
            }
            assertThat(gw.get("/last", "X-Request-Id", "req-3").statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> java.nio.file.Files.readAllLines(log).size() == 4);
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            java.util.Map<String, com.fasterxml.jackson.databind.JsonNode> byId = new java.util.HashMap<>();
            for (String text : java.nio.file.Files.readAllLines(log)) {
                com.fasterxml.jackson.databind.JsonNode line = json.readTree(text);
                byId.put(line.get("request_id").asText(), line);
            }
            assertThat(byId).containsOnlyKeys("req-0", "req-1", "req-2", "req-3");
            for (int i = 0; i < 3; i++) {
                com.fasterxml.jackson.databind.JsonNode line = byId.get("req-" + i);
                assertThat(line.get("path").asText()).isEqualTo("/p/" + i + "?q=%22" + i);
                assertThat(line.get("method").asText()).isEqualTo("GET");
                assertThat(line.get("client").asText()).isEqualTo("127.0.0.1");
                assertThat(line.get("cluster").asText()).isEqualTo("app");
                assertThat(line.get("endpoint").asText()).isEqualTo(up.address());
                assertThat(line.get("status").asInt()).isEqualTo(200);
                assertThat(line.get("duration_ms").asDouble()).isPositive();
                assertThat(java.time.Instant.parse(line.get("time").asText())).isBefore(java.time.Instant.now());
                assertThat(line.has("consumer")).isFalse();
            }
        } finally {
            java.nio.file.Files.deleteIfExists(log);
        }
    }

    @GatewayTest
    void accessLog_leavesOutWhatDoesNotApply_andRedactsTheApiKeyQueryParameter() throws Exception {
        TestUpstream up = upstream("a");
        java.nio.file.Path log = java.nio.file.Files.createTempFile("palisade-access", ".log");
        try {
            GatewayFixture gw = gateway("access_log: { enabled: true, target: \"" + log + "\" }\n"
                    + "auth: { api_key: { header: X-Api-Key, query: api_key } }\n" + """
                    clusters:
                      app: { endpoints: [ "%s" ] }
                    routes:
                      - match: { path_prefix: /app }
                        cluster: app
                    """.formatted(up.address()));
            assertThat(gw.get("/app/x?api_key=pk_leaked&page=2", "X-Request-Id", "proxied").statusCode())
                    .isEqualTo(200);
            assertThat(gw.get("/nowhere?api_key=pk_leaked", "X-Request-Id", "refused").statusCode()).isEqualTo(404);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> java.nio.file.Files.readAllLines(log).size() == 2);
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            java.util.Map<String, com.fasterxml.jackson.databind.JsonNode> byId = new java.util.HashMap<>();
            for (String text : java.nio.file.Files.readAllLines(log)) {
                assertThat(text).doesNotContain("pk_leaked");
                com.fasterxml.jackson.databind.JsonNode line = json.readTree(text);
                byId.put(line.get("request_id").asText(), line);
            }
            com.fasterxml.jackson.databind.JsonNode proxied = byId.get("proxied");
            assertThat(proxied.get("path").asText()).isEqualTo("/app/x?api_key=<redacted>&page=2");
            assertThat(proxied.get("cluster").asText()).isEqualTo("app");
            assertThat(proxied.get("endpoint").asText()).isEqualTo(up.address());
            com.fasterxml.jackson.databind.JsonNode refused = byId.get("refused");
            assertThat(refused.get("status").asInt()).isEqualTo(404);
            assertThat(refused.get("path").asText()).isEqualTo("/nowhere?api_key=<redacted>");
            assertThat(refused.has("cluster")).as("no cluster was picked: left out, like consumer").isFalse();
            assertThat(refused.has("endpoint")).isFalse();
            assertThat(refused.has("consumer")).isFalse();
            assertThat(up.received().get(0).uri()).as("the upstream URI is not the log's business")
                    .isEqualTo("/app/x?api_key=pk_leaked&page=2");
        } finally {
            java.nio.file.Files.deleteIfExists(log);
        }
    }

    private static double gauge(GatewayFixture gw, String series) {
        for (String line : gw.admin("GET", "/metrics").body().split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1));
            }
        }
        throw new AssertionError("no " + series);
    }

    @GatewayTest(loops = {1, 2})
    void gauges_countRequestsInFlight_andUpstreamConnectionsIdleBusyAndPending() throws Exception {
        TestUpstream up = upstream("a");
        SilentServer silent = new SilentServer();
        resources.add(silent);
        GatewayFixture gw = gateway("""
                clusters:
                  app: { endpoints: [ "%s" ] }
                  hung: { endpoints: [ "%s" ], timeouts: { connect: 500ms, request: 3s, idle: 30s } }
                routes:
                  - match: { path_prefix: /hung }
                    cluster: hung
                  - match: { path_prefix: / }
                    cluster: app
                """.formatted(up.address(), silent.address()));
        for (int i = 0; i < 3; i++) {
            assertThat(gw.get("/x").statusCode()).isEqualTo(200);
        }
        await().atMost(Duration.ofSeconds(10))
                .until(() -> gauge(gw, "palisade_upstream_connections{state=\"idle\"}") == 1);
        assertThat(gauge(gw, "palisade_upstream_connections{state=\"busy\"}")).isZero();
        assertThat(gauge(gw, "palisade_inflight_requests")).isZero();
        CompletableFuture<HttpResponse<String>> hung = CompletableFuture.supplyAsync(() -> gw.get("/hung"));
        await().atMost(Duration.ofSeconds(10)).until(() -> gauge(gw, "palisade_inflight_requests") == 1
                && gauge(gw, "palisade_upstream_connections{state=\"busy\"}") == 1);
        assertThat(gauge(gw, "palisade_upstream_pending")).isZero();
        assertThat(hung.get().statusCode()).isEqualTo(504);
        await().atMost(Duration.ofSeconds(10)).until(() -> gauge(gw, "palisade_inflight_requests") == 0);
    }

    @GatewayTest(loops = {1, 2})
    void proxiesGet_withForwardingHeaders_requestId_andTrace() {
        TestUpstream up = upstream("a");
        GatewayFixture gw = gateway(oneRoute("\"" + up.address() + "\"", "", ""));

        HttpResponse<String> r = gw.get("/hello?x=1", "X-Request-Id", "req-123");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"uri\":\"/hello?x=1\"");
        assertThat(r.headers().firstValue("x-request-id")).contains("req-123");
        TestUpstream.Received seen = up.received().get(0);
        assertThat(seen.headers().get("x-request-id")).isEqualTo("req-123");
        assertThat(seen.headers().get("x-forwarded-for")).isEqualTo("127.0.0.1");
        assertThat(seen.headers().get("x-forwarded-proto")).isEqualTo("http");
        assertThat(seen.headers().get("x-forwarded-host")).startsWith("127.0.0.1:");
        assertThat(seen.headers().get("traceparent")).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
    }

    @GatewayTest
    void requestIdGenerate_replacesTheClientsId_andTheForwardingHeadersAreAsDocumented() {
        TestUpstream up = upstream("a");
        GatewayFixture gw = gateway("server: { request_id: generate }\n"
                + oneRoute("\"" + up.address() + "\"", "", ""));

        HttpResponse<String> r = gw.get("/hello", "X-Request-Id", "req-123", "X-Forwarded-For", "203.0.113.7",
                "X-Forwarded-Proto", "https", "X-Forwarded-Host", "spoofed.example");

        assertThat(r.statusCode()).isEqualTo(200);
        TestUpstream.Received seen = up.received().get(0);
        assertThat(seen.headers().get("x-request-id")).matches("[0-9a-f]{16}");
        assertThat(r.headers().firstValue("x-request-id")).contains(seen.headers().get("x-request-id"));
        // docs/configuration.md, "Headers": the client's X-Forwarded-For is kept and the client address appended;
        // -Proto and -Host are the gateway's own.
        assertThat(seen.headers().get("x-forwarded-for")).isEqualTo("203.0.113.7, 127.0.0.1");
        assertThat(seen.headers().get("x-forwarded-proto")).isEqualTo("http");
        assertThat(seen.headers().get("x-forwarded-host")).startsWith("127.0.0.1:");
        HttpResponse<String> invalid = gw.get("/hello", "X-Request-Id", "bad id");
        assertThat(invalid.headers().firstValue("x-request-id").orElseThrow()).matches("[0-9a-f]{16}");
    }

    @GatewayTest
    void continuesIncomingTrace_withNewSpan() {
        TestUpstream up = upstream("a");
        GatewayFixture gw = gateway(oneRoute("\"" + up.address() + "\"", "", ""));
        String incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

        gw.get("/", "traceparent", incoming);

        String forwarded = up.received().get(0).headers().get("traceparent");
        assertThat(forwarded).startsWith("00-4bf92f3577b34da6a3ce929d0e0e4736-").endsWith("-01")
                .isNotEqualTo(incoming);
    }

    @GatewayTest
    void removesHopByHopHeaders_includingThoseNamedInConnection() throws Exception {
        TestUpstream up = upstream("a");
        GatewayFixture gw = gateway(oneRoute("\"" + up.address() + "\"", "", ""));
        try (RawClient c = new RawClient(gw.port())) {
            c.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\n"
                    + "Keep-Alive: timeout=5\r\nProxy-Authorization: Basic Zm9v\r\nTE: trailers\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
        }
        var h = up.received().get(0).headers();
        assertThat(h.contains("x-secret")).isFalse();
        assertThat(h.contains("keep-alive")).isFalse();
        assertThat(h.contains("proxy-authorization")).isFalse();
        assertThat(h.contains("te")).isFalse();
    }

    @GatewayTest(loops = {1, 2})
    void streamsLargeBodiesBothWays_andReusesUpstreamConnections() {
        TestUpstream up = upstream("a").behave(new TestUpstream.Echo());
        GatewayFixture gw = gateway(oneRoute("\"" + up.address() + "\"", "", ""));
        String body = "x".repeat(3 * 1024 * 1024 + 17);

        for (int i = 0; i < 5; i++) {
            HttpResponse<String> r = gw.post("/echo", body);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).hasSize(body.length()).isEqualTo(body);
        }
        assertThat(up.connectionCount()).isEqualTo(1);
    }

    @GatewayTest
    void chunkedUpload_isForwardedChunked() throws Exception {
        TestUpstream up = upstream("a").behave(new TestUpstream.Echo());
        GatewayFixture gw = gateway(oneRoute("\"" + up.address() + "\"", "", ""));
        try (RawClient c = new RawClient(gw.port())) {
            c.send("POST /u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
            RawClient.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("hello world");
        }
    }

    @GatewayTest
    void expectContinue_isAnsweredByTheGateway_afterPolicyPasses() throws Exception {
        TestUpstream up = upstream("a").behave(new TestUpstream.Echo());
        GatewayFixture gw = gateway(oneRoute("\"" + up.address() + "\"", "", ""));
        try (RawClient c = new RawClient(gw.port())) {
            c.send("POST /u HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(100);
            c.send("ping");
            RawClient.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("ping");
        }
        assertThat(up.received().get(0).headers().contains("expect")).isFalse();
    }

    @GatewayTest
    void expectContinue_inAListTheValidatorAccepts_isAnsweredToo() throws Exception {
        // The validator lets an empty list element through (RFC 9110 §5.6.1), and the proxy follows its decision.
        TestUpstream up = upstream("a").behave(new TestUpstream.Echo());
        GatewayFixture gw = gateway(oneRoute("\"" + up.address() + "\"", "", ""));
        try (RawClient c = new RawClient(gw.port())) {
            c.send("POST /u HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue, \r\n\r\n");
            assertThat(c.read().status()).isEqualTo(100);
            c.send("ping");
            RawClient.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("ping");
        }
    }

    @GatewayTest
    void hashOnQuery_readsTheParameterAsAuthDoes_soEverySpellingOfAValueReachesOneEndpoint() {
        TestUpstream a = upstream("a");
        TestUpstream b = upstream("b");
        TestUpstream c = upstream("c");
        GatewayFixture gw = gateway("""
                clusters:
                  app:
                    endpoints: [ "%s", "%s", "%s" ]
                    balancer: consistent_hash
                    hash_on: "query:tenant"
                routes:
                  - match: { path_prefix: / }
                    cluster: app
                """.formatted(a.address(), b.address(), c.address()));
        for (int i = 0; i < 6; i++) {
            // '+' and %20 are both a space; the name may be escaped too; the first of repeated values counts.
            String plus = gw.get("/x?tenant=t" + i + "+one").body();
            String escaped = gw.get("/x?ten%61nt=t" + i + "%20one&tenant=other").body();
            assertThat(upstreamOf(escaped)).as("tenant %d", i).isEqualTo(upstreamOf(plus));
        }
    }

    private static String upstreamOf(String body) {
        int at = body.indexOf("\"upstream\":\"");
        return body.substring(at + 12, body.indexOf('"', at + 12));
    }

    @GatewayTest(loops = {1, 2})
    void pipelinedRequests_areAnsweredInOrder() throws Exception {
        TestUpstream up = upstream("a");
        GatewayFixture gw = gateway(oneRoute("\"" + up.address() + "\"", "", ""));
        try (RawClient c = new RawClient(gw.port())) {
            c.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().body()).contains("/1");
            assertThat(c.read().body()).contains("/2");
            assertThat(c.read().body()).contains("/3");
        }
    }

    @GatewayTest
    void unknownPath_is404_wrongMethod_is405_andGatewayKeepsServing() {
        TestUpstream up = upstream("a");
        GatewayFixture gw = gateway("""
                clusters:
                  app: { endpoints: [ "%s" ] }
                routes:
                  - match: { path_prefix: /api, methods: [GET] }
                    cluster: app
                """.formatted(up.address()));

        HttpResponse<String> missing = gw.get("/nope");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).contains("\"error\":\"route_not_found\"").contains("\"request_id\":\"");
        assertThat(gw.post("/api/x", "b").statusCode()).isEqualTo(405);
        assertThat(gw.get("/api/x").statusCode()).isEqualTo(200);
    }

    @GatewayTest
    void rejectedBodylessRequest_keepsTheConnectionForTheNext() throws Exception {
        TestUpstream up = upstream("a");
        GatewayFixture gw = gateway("""
                clusters:
                  app: { endpoints: [ "%s" ] }
                routes:
                  - match: { path_prefix: /api, methods: [GET] }
                    cluster: app
                """.formatted(up.address()));
        try (RawClient c = new RawClient(gw.port())) {
            c.send("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
            RawClient.Response missing = c.read();
            assertThat(missing.status()).isEqualTo(404);
            assertThat(missing.header("connection")).isNull();
            c.send("DELETE /api/1 HTTP/1.1\r\nHost: x\r\n\r\n");
            RawClient.Response wrongMethod = c.read();
            assertThat(wrongMethod.status()).isEqualTo(405);
            assertThat(wrongMethod.header("allow")).isEqualTo("GET");
            c.send("GET /api/1 HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
        }
        assertThat(up.requestCount()).isEqualTo(1);
    }

    @GatewayTest
    void requireBody_refusesEmptyBodies_with400_andChunkedEmptyToo() throws Exception {
        TestUpstream up = upstream("a").behave(new TestUpstream.Echo());
        GatewayFixture gw = gateway(oneRoute("\"" + up.address() + "\"", "",
                "    request: { max_body: 1KiB, require_body: true }"));

        assertThat(gw.post("/ingest", "").statusCode()).isEqualTo(400);
        try (RawClient c = new RawClient(gw.port())) {
            c.send("POST /ingest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
            RawClient.Response r = c.read();
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body()).contains("body_required");
        }
        assertThat(gw.post("/ingest", "{}").statusCode()).isEqualTo(200);
        assertThat(up.requestCount()).isEqualTo(1);
    }

    @GatewayTest
    void routeMaxBody_is413_forDeclaredAndStreamedBodies() throws Exception {
        TestUpstream up = upstream("a").behave(new TestUpstream.Echo());
        GatewayFixture gw = gateway(oneRoute("\"" + up.address() + "\"", "",
                "    request: { max_body: 1KiB }"));

        assertThat(gw.post("/x", "y".repeat(2048)).statusCode()).isEqualTo(413);
        try (RawClient c = new RawClient(gw.port())) {
            String chunk = "z".repeat(600);
            c.send("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" + chunk + "\r\n258\r\n"
                    + chunk + "\r\n0\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(413);
        }
        assertThat(gw.post("/x", "small").statusCode()).isEqualTo(200);
    }

    @GatewayTest(loops = {1, 2})
    void hungUpstream_gets504AtRouteDeadline_andOtherRoutesKeepServing() throws Exception {
        TestUpstream fast = upstream("fast");
        SilentServer silent = new SilentServer();
        resources.add(silent);
        GatewayFixture gw = gateway("""
                clusters:
                  slow:
                    endpoints: [ "%s" ]
                    timeouts: { connect: 500ms, request: 5s, idle: 30s }
                    retries: { attempts: 0 }
                  fast: { endpoints: [ "%s" ] }
                routes:
                  - match: { path_prefix: /slow }
                    cluster: slow
                    timeouts: { request: 300ms }
                  - match: { path_prefix: /fast }
                    cluster: fast
                """.formatted(silent.address(), fast.address()));

        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<CompletableFuture<HttpResponse<String>>> hung = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                hung.add(CompletableFuture.supplyAsync(() -> gw.get("/slow"), pool));
            }
            for (int i = 0; i < 20; i++) {
                assertThat(gw.get("/fast").statusCode()).isEqualTo(200);
            }
            for (CompletableFuture<HttpResponse<String>> f : hung) {
                HttpResponse<String> r = f.join();
                assertThat(r.statusCode()).isEqualTo(504);
                assertThat(r.body()).contains("upstream_timeout");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @GatewayTest(loops = {1, 2})
    void routeIdleTimeout_overridesTheClusters_andThePooledConnectionGetsTheClusterOneBack() throws Exception {
        SilentServer silent = new SilentServer();
        resources.add(silent);
        TestUpstream fast = upstream("fast");
        GatewayFixture gw = gateway("""
                clusters:
                  slow:
                    endpoints: [ "%s" ]
                    timeouts: { connect: 500ms, request: 30s, idle: 30s }
                    retries: { attempts: 0 }
                  fast:
                    endpoints: [ "%s" ]
                    timeouts: { connect: 500ms, request: 30s, idle: 30s }
                routes:
                  - match: { path_prefix: /slow }
                    cluster: slow
                    timeouts: { idle: 200ms }
                  - match: { path_prefix: /fast }
                    cluster: fast
                    timeouts: { idle: 5s }
                """.formatted(silent.address(), fast.address()));

        HttpResponse<String> r = gw.get("/slow");
        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(r.body()).contains("upstream_timeout");
        for (int i = 0; i < 3; i++) {
            assertThat(gw.get("/fast").statusCode()).isEqualTo(200);
        }
        assertThat(fast.connectionCount()).isEqualTo(1);
    }

    @GatewayTest(loops = {1, 2})
    void clusterAtMaxRequests_answers503Fast_andOthersKeepServing() throws Exception {
        SilentServer silent = new SilentServer();
        resources.add(silent);
        TestUpstream fast = upstream("fast");
        GatewayFixture gw = gateway("""
                clusters:
                  small:
                    endpoints: [ "%s" ]
                    timeouts: { connect: 500ms, request: 3s, idle: 30s }
                    limits: { max_connections: 100, max_pending: 100, max_requests: 2 }
                    retries: { attempts: 0 }
                  fast: { endpoints: [ "%s" ] }
                routes:
                  - match: { path_prefix: /small }
                    cluster: small
                  - match: { path_prefix: /fast }
                    cluster: fast
                """.formatted(silent.address(), fast.address()));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                held.add(CompletableFuture.supplyAsync(() -> gw.get("/small"), pool));
            }
            await().until(() -> silent.acceptedCount() == 2);

            HttpResponse<String> over = gw.get("/small");
            assertThat(over.statusCode()).isEqualTo(503);
            assertThat(over.body()).contains("upstream_overloaded");
            assertThat(over.headers().firstValue("retry-after")).isPresent();
            assertThat(gw.get("/fast").statusCode()).isEqualTo(200);
            held.forEach(f -> assertThat(f.join().statusCode()).isEqualTo(504));
        } finally {
            pool.shutdownNow();
        }
    }

    private static int pendingRequests(GatewayFixture gw, String cluster) throws Exception {
        for (com.fasterxml.jackson.databind.JsonNode c : new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(gw.admin("GET", "/clusters").body())) {
            if (c.get("name").asText().equals(cluster)) {
                return c.get("pendingRequests").asInt();
            }
        }
        throw new AssertionError("no cluster " + cluster);
    }

    /** Issue 16: with max_pending: 0 every request got 503, even one at a time on an idle cluster. */
    @GatewayTest
    void maxPendingZero_servesEveryRequestThatCanOpenOrReuseAConnection_andQueuesNone() throws Exception {
        TestUpstream up = upstream("a");
        // One event loop: its pool holds every connection, so "/after" below can reuse one (a connection idle on
        // another loop's pool counts against max_connections but serves only that loop).
        GatewayFixture gw = gateway("""
                server: { worker_threads: 1 }
                clusters:
                  app:
                    endpoints: [ "%s" ]
                    limits: { max_connections: 2, max_pending: 0, max_requests: 100 }
                routes:
                  - match: { path_prefix: / }
                    cluster: app
                """.formatted(up.address()));
        for (int i = 0; i < 5; i++) {
            assertThat(gw.get("/one-at-a-time/" + i).statusCode()).isEqualTo(200);
        }

        CompletableFuture<Void> release = new CompletableFuture<>();
        up.behave(new TestUpstream.Held(release));
        List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            int n = i;
            held.add(CompletableFuture.supplyAsync(() -> gw.get("/held/" + n)));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> up.requestCount() == 7);
        HttpResponse<String> third = gw.get("/third");
        assertThat(third.statusCode()).as("both connections busy and no queue").isEqualTo(503);
        assertThat(third.body()).contains("upstream_overloaded");
        assertThat(third.headers().allValues("retry-after")).containsExactly("1");

        release.complete(null);
        held.forEach(f -> assertThat(f.join().statusCode()).isEqualTo(200));
        assertThat(gw.get("/after").statusCode()).isEqualTo(200);
        assertThat(up.connectionCount()).isLessThanOrEqualTo(2);
    }

    @GatewayTest
    void maxPending_queuesARequestWhileEveryConnectionIsBusy_andServesItOnTheNextOneFreed() throws Exception {
        CompletableFuture<Void> release = new CompletableFuture<>();
        TestUpstream up = upstream("a").behave(new TestUpstream.Held(release));
        GatewayFixture gw = gateway("""
                server: { worker_threads: 1 }
                clusters:
                  app:
                    endpoints: [ "%s" ]
                    limits: { max_connections: 1, max_pending: 1, max_requests: 100 }
                routes:
                  - match: { path_prefix: / }
                    cluster: app
                """.formatted(up.address()));
        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> gw.get("/first"));
        await().atMost(Duration.ofSeconds(10)).until(() -> up.requestCount() == 1);
        CompletableFuture<HttpResponse<String>> queued = CompletableFuture.supplyAsync(() -> gw.get("/queued"));
        await().atMost(Duration.ofSeconds(10)).until(() -> pendingRequests(gw, "app") == 1);
        assertThat(gauge(gw, "palisade_upstream_pending")).isEqualTo(1);

        HttpResponse<String> overQueue = gw.get("/over");
        assertThat(overQueue.statusCode()).as("the queue of one is full").isEqualTo(503);
        assertThat(overQueue.body()).contains("upstream_overloaded");
        assertThat(up.requestCount()).isEqualTo(1);

        release.complete(null);
        assertThat(first.join().statusCode()).isEqualTo(200);
        assertThat(queued.join().statusCode()).isEqualTo(200);
        assertThat(up.received()).extracting(TestUpstream.Received::uri).containsExactly("/first", "/queued");
        assertThat(up.connectionCount()).as("the queued request took the connection the first one freed")
                .isEqualTo(1);
        assertThat(pendingRequests(gw, "app")).isZero();
        assertThat(gauge(gw, "palisade_upstream_pending")).isZero();
    }

    @GatewayTest
    void aQueuedRequest_gets503AtItsDeadline_andGivesItsPlaceBack() throws Exception {
        CompletableFuture<Void> release = new CompletableFuture<>();
        TestUpstream up = upstream("a").behave(new TestUpstream.Held(release));
        GatewayFixture gw = gateway("""
                server: { worker_threads: 1 }
                clusters:
                  app:
                    endpoints: [ "%s" ]
                    limits: { max_connections: 1, max_pending: 1, max_requests: 100 }
                routes:
                  - match: { path_prefix: /queued }
                    cluster: app
                    timeouts: { request: 300ms }
                  - match: { path_prefix: / }
                    cluster: app
                    timeouts: { request: 20s }
                """.formatted(up.address()));
        try {
            CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> gw.get("/first"));
            await().atMost(Duration.ofSeconds(10)).until(() -> up.requestCount() == 1);

            HttpResponse<String> queued = gw.get("/queued");

            assertThat(queued.statusCode()).isEqualTo(503);
            assertThat(queued.body()).contains("upstream_overloaded");
            assertThat(queued.headers().allValues("retry-after")).containsExactly("1");
            assertThat(pendingRequests(gw, "app")).isZero();
            assertThat(gauge(gw, "palisade_upstream_pending")).isZero();
            release.complete(null);
            assertThat(first.join().statusCode()).isEqualTo(200);
            assertThat(gw.get("/queued/again").statusCode()).isEqualTo(200);
            assertThat(up.requestCount()).as("the timed-out request never reached the upstream").isEqualTo(2);
        } finally {
            release.complete(null);
        }
    }

    @GatewayTest
    void aRequestQueuedForAnotherEndpoint_getsTheSlotOfTheConnectionClosedForIt() throws Exception {
        CompletableFuture<Void> release = new CompletableFuture<>();
        TestUpstream a = upstream("a").behave(new TestUpstream.Held(release));
        TestUpstream b = upstream("b").behave(new TestUpstream.Held(release));
        GatewayFixture gw = gateway("""
                server: { worker_threads: 1 }
                clusters:
                  app:
                    endpoints: [ "%s", "%s" ]
                    balancer: round_robin
                    limits: { max_connections: 1, max_pending: 1, max_requests: 100 }
                routes:
                  - match: { path_prefix: / }
                    cluster: app
                """.formatted(a.address(), b.address()));
        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> gw.get("/first"));
        await().atMost(Duration.ofSeconds(10)).until(() -> a.requestCount() + b.requestCount() == 1);
        CompletableFuture<HttpResponse<String>> second = CompletableFuture.supplyAsync(() -> gw.get("/second"));
        await().atMost(Duration.ofSeconds(10)).until(() -> pendingRequests(gw, "app") == 1);

        release.complete(null);

        HttpResponse<String> r1 = first.join();
        HttpResponse<String> r2 = second.join();
        assertThat(r1.statusCode()).isEqualTo(200);
        assertThat(r2.statusCode()).isEqualTo(200);
        assertThat(r2.headers().firstValue("x-upstream")).as("the balancer's pick is kept")
                .isNotEqualTo(r1.headers().firstValue("x-upstream"));
        assertThat(a.connectionCount()).isEqualTo(1);
        assertThat(b.connectionCount()).isEqualTo(1);
        assertThat(pendingRequests(gw, "app")).isZero();
    }

    /** Queued requests and the connections they wait for land on either event loop: none waits for its deadline. */
    @GatewayTest
    void aBurstBeyondMaxConnections_isServedThroughTheQueue_acrossEventLoops() throws Exception {
        TestUpstream up = upstream("a").behave(new TestUpstream.Respond(200, "ok", 20));
        GatewayFixture gw = gateway("""
                server: { worker_threads: 2 }
                clusters:
                  app:
                    endpoints: [ "%s" ]
                    timeouts: { connect: 1s, request: 20s, idle: 60s }
                    limits: { max_connections: 2, max_pending: 100, max_requests: 100 }
                    retries: { attempts: 0 }
                routes:
                  - match: { path_prefix: / }
                    cluster: app
                """.formatted(up.address()));
        ExecutorService clients = Executors.newFixedThreadPool(24);
        try {
            for (int round = 0; round < 3; round++) {
                List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
                for (int i = 0; i < 24; i++) {
                    int n = i;
                    burst.add(CompletableFuture.supplyAsync(() -> gw.send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create(gw.url("/burst/" + n))).GET()), clients));
                }
                for (CompletableFuture<HttpResponse<String>> f : burst) {
                    assertThat(f.join().statusCode()).isEqualTo(200);
                }
            }
        } finally {
            clients.shutdownNow();
        }
        assertThat(up.requestCount()).isEqualTo(72);
        assertThat(pendingRequests(gw, "app")).isZero();
        assertThat(gauge(gw, "palisade_upstream_pending")).isZero();
    }

    @GatewayTest
    void garbageFromUpstream_is502UpstreamError_andTheGatewayKeepsServing() throws Exception {
        java.net.ServerSocket garbage = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        resources.add(garbage);
        Thread responder = new Thread(() -> {
            while (!garbage.isClosed()) {
                try (java.net.Socket s = garbage.accept()) {
                    s.getInputStream().read(new byte[4096]);
                    s.getOutputStream().write("THIS IS NOT HTTP\r\n\r\n".getBytes(
                            java.nio.charset.StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                    s.getInputStream().read();
                } catch (java.io.IOException e) {
                    return;
                }
            }
        }, "garbage-upstream");
        responder.setDaemon(true);
        responder.start();
        TestUpstream good = upstream("good");
        GatewayFixture gw = gateway("""
                clusters:
                  bad: { endpoints: [ "127.0.0.1:%d" ], retries: { attempts: 0 } }
                  good: { endpoints: [ "%s" ] }
                routes:
                  - match: { path_prefix: /bad }
                    cluster: bad
                  - match: { path_prefix: /good }
                    cluster: good
                """.formatted(garbage.getLocalPort(), good.address()));

        HttpResponse<String> r = gw.get("/bad");
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.body()).contains("upstream_error");
        assertThat(gw.get("/good").statusCode()).isEqualTo(200);
    }

    @GatewayTest(loops = {1, 2})
    void refusedConnection_is502_afterRetryingAnotherEndpoint() {
        TestUpstream good = upstream("good");
        int closedPort = closedPort();
        GatewayFixture gw = gateway("""
                clusters:
                  app:
                    endpoints: [ "127.0.0.1:%d" ]
                    retries: { attempts: 1 }
                  mixed:
                    endpoints: [ "127.0.0.1:%d", "%s" ]
                    balancer: round_robin
                    retries: { attempts: 1 }
                routes:
                  - match: { path_prefix: /dead }
                    cluster: app
                  - match: { path_prefix: /mixed }
                    cluster: mixed
                """.formatted(closedPort, closedPort, good.address()));

        HttpResponse<String> dead = gw.get("/dead");
        assertThat(dead.statusCode()).isEqualTo(502);
        assertThat(dead.body()).contains("upstream_unreachable");
        for (int i = 0; i < 6; i++) {
            assertThat(gw.get("/mixed").statusCode()).isEqualTo(200);
        }
    }

    @GatewayTest(loops = {1, 2})
    void upstreamClosingBeforeResponse_isRetriedForIdempotentRequests() {
        TestUpstream closer = upstream("closer").behave(new TestUpstream.Close());
        TestUpstream good = upstream("good");
        GatewayFixture gw = gateway("""
                clusters:
                  app:
                    endpoints: [ "%s", "%s" ]
                    balancer: round_robin
                    retries: { attempts: 1, budget: 100%% }
                    outlier: { consecutive_failures: 1000, ejection: 1s }
                routes:
                  - match: { path_prefix: / }
                    cluster: app
                """.formatted(closer.address(), good.address()));

        for (int i = 0; i < 6; i++) {
            assertThat(gw.get("/r").statusCode()).isEqualTo(200);
        }
        // A POST is not retried after it was sent: it may have had an effect.
        List<Integer> postStatuses = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            postStatuses.add(gw.post("/r", "b").statusCode());
        }
        assertThat(postStatuses).contains(502).contains(200);
    }

    @GatewayTest
    void failsOverToTheConfiguredCluster_whenPrimaryHasNoHealthyEndpoint() {
        TestUpstream primary = upstream("primary");
        TestUpstream backup = upstream("backup");
        // Two failed checks in a row make the primary unhealthy, so one check slowed down by a busy machine does not.
        GatewayFixture gw = gateway("""
                clusters:
                  primary:
                    endpoints: [ "%s" ]
                    timeouts: { connect: 200ms, request: 500ms, idle: 10s }
                    health_check: { path: /healthz, interval: 300ms, timeout: 250ms, unhealthy_after: 2, healthy_after: 1 }
                    failover: backup
                  backup:
                    endpoints: [ "%s" ]
                routes:
                  - match: { path_prefix: / }
                    cluster: primary
                """.formatted(primary.address(), backup.address()));
        awaitHealth(gw, "primary", "HEALTHY");
        assertThat(gw.get("/").headers().firstValue("x-upstream")).contains("primary");

        primary.behave(new TestUpstream.Hang());
        awaitHealth(gw, "primary", "UNHEALTHY");
        assertThat(gw.get("/").headers().firstValue("x-upstream")).contains("backup");

        primary.behave(new TestUpstream.Respond(200, null, 0));
        awaitHealth(gw, "primary", "HEALTHY");
        assertThat(gw.get("/").headers().firstValue("x-upstream")).contains("primary");
    }

    @GatewayTest(loops = {1, 2})
    void refusedPrimaryEndpoints_retryOnTheFailoverCluster_withoutLeakingTheRetryBudget() {
        TestUpstream backup = upstream("backup");
        GatewayFixture gw = gateway("""
                clusters:
                  primary:
                    endpoints: [ "127.0.0.1:%d", "127.0.0.1:%d" ]
                    retries: { attempts: 2, budget: 20%% }
                    outlier: { consecutive_failures: 1000000, ejection: 1s }
                    failover: backup
                  backup:
                    endpoints: [ "%s" ]
                routes:
                  - match: { path_prefix: / }
                    cluster: primary
                """.formatted(closedPort(), closedPort(), backup.address()));

        // More requests than the retry budget's floor: a leaked place in the budget would start failing them.
        for (int i = 0; i < 50; i++) {
            HttpResponse<String> r = gw.get("/r" + i);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("x-upstream")).contains("backup");
        }
    }

    @GatewayTest
    void noHealthyEndpointAnywhere_is503WithRetryAfter() {
        int closedPort = closedPort();
        GatewayFixture gw = gateway("""
                clusters:
                  app:
                    endpoints: [ "127.0.0.1:%d" ]
                    health_check: { path: /healthz, interval: 100ms, timeout: 50ms, unhealthy_after: 1, healthy_after: 1 }
                routes:
                  - match: { path_prefix: / }
                    cluster: app
                """.formatted(closedPort));

        awaitHealth(gw, "app", "UNHEALTHY");
        HttpResponse<String> r = gw.get("/");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("retry-after")).isPresent();
        assertThat(r.body()).contains("no_healthy_upstream");
        assertThat(gw.admin("GET", "/healthz").statusCode()).as("the gateway keeps serving").isEqualTo(200);
    }

    /**
     * Waits for the active checks of {@code cluster}'s only endpoint to reach {@code state}, as the admin port shows
     * it: the check's own verdict, not an interval assumed to have passed.
     */
    private static void awaitHealth(GatewayFixture gw, String cluster, String state) {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
            for (com.fasterxml.jackson.databind.JsonNode c : json.readTree(gw.admin("GET", "/clusters").body())) {
                if (c.get("name").asText().equals(cluster)) {
                    return c.get("endpoints").get(0).get("health").asText().equals(state);
                }
            }
            return false;
        });
    }

    @GatewayTest(loops = {1, 2})
    void reload_swapsRoutes_andAnInvalidFileKeepsTheLiveConfig() {
        TestUpstream a = upstream("a");
        TestUpstream b = upstream("b");
        String v1 = oneRoute("\"" + a.address() + "\"", "", "");
        GatewayFixture gw = gateway(v1);
        assertThat(gw.get("/").headers().firstValue("x-upstream")).contains("a");

        var ok = gw.reload(oneRoute("\"" + b.address() + "\"", "", ""));
        assertThat(ok.applied()).isTrue();
        assertThat(gw.get("/").headers().firstValue("x-upstream")).contains("b");

        var refused = gw.reload(oneRoute("\"" + a.address() + "\"", "", "").replace("request: 30s", "request: 0s"));
        assertThat(refused.applied()).isFalse();
        assertThat(refused.errors()).anyMatch(e -> e.startsWith("clusters.app.timeouts.request: 0s"));
        assertThat(gw.get("/").headers().firstValue("x-upstream")).contains("b");

        HttpResponse<String> viaAdmin = gw.admin("POST", "/config/reload");
        assertThat(viaAdmin.statusCode()).isEqualTo(422);
        assertThat(viaAdmin.body()).contains("timeouts.request");
    }

    /** docs/configuration.md marks these keys "restart": a reload that changes one is refused whole, with 422. */
    @GatewayTest
    void reload_thatChangesARestartOnlyKey_isRefusedWith422_andTheLiveConfigKeepsServing() {
        TestUpstream a = upstream("a");
        TestUpstream b = upstream("b");
        String live = oneRoute("\"" + a.address() + "\"", "", "");
        GatewayFixture gw = gateway(live);
        String next = oneRoute("\"" + b.address() + "\"", "", "");
        java.util.Map<String, String> changes = new java.util.LinkedHashMap<>();
        changes.put("listeners: { http: { address: 127.0.0.1:1 } }\n",
                "listeners: changed (expected: unchanged on reload; restart to change listeners)");
        changes.put("admin: { address: 127.0.0.1:1 }\n",
                "admin: changed (expected: unchanged on reload; restart to change the admin address)");
        changes.put("server: { worker_threads: 3 }\n",
                "server.worker_threads: changed (expected: unchanged on reload; restart to change it)");
        changes.put("access_log: { enabled: true }\n",
                "access_log: changed (expected: unchanged on reload; restart to change the access log)");
        for (var change : changes.entrySet()) {
            var refused = gw.reload(change.getKey() + next);
            assertThat(refused.applied()).as(change.getKey()).isFalse();
            assertThat(refused.errors()).as(change.getKey()).containsExactly(change.getValue());
            HttpResponse<String> viaAdmin = gw.admin("POST", "/config/reload");
            assertThat(viaAdmin.statusCode()).as(change.getKey()).isEqualTo(422);
            assertThat(viaAdmin.body()).as(change.getKey()).contains(change.getValue()).contains("\"applied\" : false");
            assertThat(gw.get("/").headers().firstValue("x-upstream")).as(change.getKey()).contains("a");
        }
        assertThat(gw.reload(next).applied()).as("the same file without the restart-only change").isTrue();
        assertThat(gw.get("/").headers().firstValue("x-upstream")).contains("b");
    }

    @GatewayTest
    void reload_letsInFlightRequestsFinishOnTheirSnapshot() {
        CompletableFuture<Void> release = new CompletableFuture<>();
        TestUpstream a = upstream("a").behave(new TestUpstream.Held(release));
        TestUpstream b = upstream("b");
        GatewayFixture gw = gateway(oneRoute("\"" + a.address() + "\"", "", ""));

        CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(() -> gw.get("/slow"));
        await().until(() -> a.requestCount() == 1);
        assertThat(gw.reload(oneRoute("\"" + b.address() + "\"", "", "")).applied()).isTrue();
        assertThat(gw.get("/").headers().firstValue("x-upstream")).contains("b");

        release.complete(null);
        HttpResponse<String> held = inFlight.join();
        assertThat(held.statusCode()).isEqualTo(200);
        assertThat(held.headers().firstValue("x-upstream")).as("answered on the snapshot it started with")
                .contains("a");
    }

    @GatewayTest
    void adminPort_servesHealthReadinessMetricsConfigAndClusters() {
        TestUpstream a = upstream("a");
        GatewayFixture gw = gateway(oneRoute("\"" + a.address() + "\"", "", ""));
        gw.get("/x");
        gw.get("/y");

        assertThat(gw.admin("GET", "/healthz").statusCode()).isEqualTo(200);
        assertThat(gw.admin("GET", "/readyz").statusCode()).isEqualTo(200);
        String metrics = gw.admin("GET", "/metrics").body();
        assertThat(metrics).contains("palisade_requests_total{cluster=\"app\",code_class=\"2xx\",route=\"routes[0]\"} 2")
                .contains("palisade_request_duration_seconds_bucket")
                .contains("palisade_upstream_endpoint_healthy{cluster=\"app\",endpoint=\"" + a.address() + "\"} 1")
                .contains("palisade_active_connections");
        assertThat(gw.admin("GET", "/config").body()).contains("\"version\"");
        assertThat(gw.admin("GET", "/clusters").body()).contains(a.address());
        assertThat(gw.admin("GET", "/nope").statusCode()).isEqualTo(404);
    }

    @GatewayTest
    void gracefulClose_finishesInFlightRequests() {
        CompletableFuture<Void> release = new CompletableFuture<>();
        TestUpstream a = upstream("a").behave(new TestUpstream.Held(release));
        GatewayFixture gw = gateway(oneRoute("\"" + a.address() + "\"", "", ""));
        // Threads of its own: both calls block, and the common pool may have a single thread on a 2-core machine.
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(() -> gw.get("/"),
                    threads);
            await().until(() -> a.requestCount() == 1);

            CompletableFuture<Void> closing = CompletableFuture.runAsync(gw::close, threads);
            // Not ready any more, so the drain has begun; the held request keeps the close waiting.
            await().until(() -> gw.admin("GET", "/readyz").statusCode() == 503);
            assertThat(closing).isNotDone();
            release.complete(null);

            assertThat(inFlight.join().statusCode()).isEqualTo(200);
            closing.join();
        } finally {
            release.complete(null);
            threads.shutdownNow();
        }
    }

    @GatewayTest(loops = {1, 2})
    void leastRequest_sendsLessToASlowEndpoint() {
        TestUpstream slow = upstream("slow").behave(new TestUpstream.Respond(200, "s", 200));
        TestUpstream fast = upstream("fast");
        GatewayFixture gw = gateway("""
                clusters:
                  app:
                    endpoints: [ "%s", "%s" ]
                    balancer: least_request
                routes:
                  - match: { path_prefix: / }
                    cluster: app
                """.formatted(slow.address(), fast.address()));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<CompletableFuture<?>> all = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                all.add(CompletableFuture.runAsync(() -> gw.get("/"), pool));
            }
            all.forEach(CompletableFuture::join);
        } finally {
            pool.shutdownNow();
        }
        assertThat(fast.requestCount()).isGreaterThan(slow.requestCount() * 3);
    }

    @GatewayTest
    void routeBodyLimit_413WhileTheBodyIsStillArriving_reachesTheClientOverTheSocket_notAReset() throws Exception {
        TestUpstream up = upstream("a");
        GatewayFixture gw = gateway(oneRoute("\"" + up.address() + "\"", "", "    request: { max_body: 1KiB }"));
        int bodyBytes = 9 * 1024 * 1024; // under the server's max_body: the route's limit answers, in the proxy
        for (int attempt = 0; attempt < 5; attempt++) {
            try (java.net.Socket socket = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), gw.port())) {
                socket.setSoTimeout(20_000);
                java.io.OutputStream out = socket.getOutputStream();
                // The client sends its head and goes on sending the body without waiting for an answer, as most
                // clients do, and reads only once it has sent everything. The gateway answers 413 on the head and
                // reads and drops the rest of the body: a reset would fail these sends ("Broken pipe").
                out.write(("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: " + bodyBytes + "\r\n\r\n")
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                byte[] chunk = new byte[64 * 1024];
                for (int sent = 0; sent < bodyBytes; sent += chunk.length) {
                    out.write(chunk);
                }
                out.flush();
                String response = new String(socket.getInputStream().readAllBytes(),
                        java.nio.charset.StandardCharsets.ISO_8859_1);
                assertThat(response).as("attempt %d", attempt).startsWith("HTTP/1.1 413 ")
                        .contains("body_too_large");
            }
        }
        assertThat(gw.get("/after").statusCode()).isEqualTo(200);
        assertThat(up.received()).hasSize(1);
    }

    @GatewayTest
    void oneEndpointCluster_ejectedAfterRefusedConnections_keepsServingOnceItAnswersAgain_inPanic() throws Exception {
        int port = closedPort();
        GatewayFixture gw = gateway("""
                clusters:
                  app:
                    endpoints: [ "127.0.0.1:%d" ]
                    timeouts: { connect: 500ms, request: 2s, idle: 10s }
                    outlier: { consecutive_failures: 3, ejection: 30s }
                    retries: { attempts: 0 }
                routes:
                  - match: { path_prefix: / }
                    cluster: app
                """.formatted(port));
        for (int i = 0; i < 3; i++) {
            assertThat(gw.get("/refused").statusCode()).isEqualTo(502);
        }
        assertThat(adminCluster(gw, "app").at("/endpoints/0/ejected").asBoolean()).isTrue();

        TestUpstream back = TestUpstream.start("back", port); // the endpoint answers again, still ejected for 30 s
        resources.add(back);
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> r = gw.get("/again/" + i);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }
        assertThat(back.requestCount()).isEqualTo(5);
        com.fasterxml.jackson.databind.JsonNode app = adminCluster(gw, "app");
        assertThat(app.at("/endpoints/0/ejected").asBoolean()).isTrue();
        assertThat(app.get("panic").asBoolean()).isTrue();
        assertThat(gauge(gw, "palisade_upstream_panic_active{cluster=\"app\"}")).isEqualTo(1);
        assertThat(gauge(gw, "palisade_upstream_panic_picks_total{cluster=\"app\"}")).isGreaterThanOrEqualTo(5);
    }

    private static com.fasterxml.jackson.databind.JsonNode adminCluster(GatewayFixture gw, String name)
            throws java.io.IOException {
        for (com.fasterxml.jackson.databind.JsonNode c : new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(gw.admin("GET", "/clusters").body())) {
            if (c.get("name").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no cluster " + name);
    }

    private static int closedPort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

}
