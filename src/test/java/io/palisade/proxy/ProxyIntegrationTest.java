package io.palisade.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.palisade.testing.GatewayFixture;
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
import org.junit.jupiter.api.Test;

/** The gateway in this JVM in front of real HTTP upstreams on loopback. */
class ProxyIntegrationTest {
    private final List<AutoCloseable> resources = new ArrayList<>();

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
        GatewayFixture g = GatewayFixture.start(yaml);
        resources.add(g);
        return g;
    }

    private static String oneRoute(String endpoints, String extraCluster, String extraRoute) {
        return """
                clusters:
                  app:
                    endpoints: [ %s ]
                    timeouts: { connect: 500ms, request: 2s, idle: 10s }
                %s
                routes:
                  - match: { path_prefix: / }
                    cluster: app
                %s
                """.formatted(endpoints, extraCluster, extraRoute);
    }

    @Test
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

    private static double gauge(GatewayFixture gw, String series) {
        for (String line : gw.admin("GET", "/metrics").body().split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1));
            }
        }
        throw new AssertionError("no " + series);
    }

    @Test
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

    @Test
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

    @Test
    void continuesIncomingTrace_withNewSpan() {
        TestUpstream up = upstream("a");
        GatewayFixture gw = gateway(oneRoute("\"" + up.address() + "\"", "", ""));
        String incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

        gw.get("/", "traceparent", incoming);

        String forwarded = up.received().get(0).headers().get("traceparent");
        assertThat(forwarded).startsWith("00-4bf92f3577b34da6a3ce929d0e0e4736-").endsWith("-01")
                .isNotEqualTo(incoming);
    }

    @Test
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

    @Test
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

    @Test
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

    @Test
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

    @Test
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

    @Test
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

    @Test
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

    @Test
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

    @Test
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

    @Test
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

    @Test
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

    @Test
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

    @Test
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

    @Test
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

    @Test
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

    @Test
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

    @Test
    void failsOverToTheConfiguredCluster_whenPrimaryHasNoHealthyEndpoint() {
        TestUpstream primary = upstream("primary");
        TestUpstream backup = upstream("backup");
        GatewayFixture gw = gateway("""
                clusters:
                  primary:
                    endpoints: [ "%s" ]
                    timeouts: { connect: 200ms, request: 500ms, idle: 10s }
                    health_check: { path: /healthz, interval: 100ms, timeout: 50ms, unhealthy_after: 1, healthy_after: 1 }
                    failover: backup
                  backup:
                    endpoints: [ "%s" ]
                routes:
                  - match: { path_prefix: / }
                    cluster: primary
                """.formatted(primary.address(), backup.address()));
        assertThat(gw.get("/").headers().firstValue("x-upstream")).contains("primary");

        primary.behave(new TestUpstream.Hang());

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(gw.get("/").headers().firstValue("x-upstream")).contains("backup"));
        primary.behave(new TestUpstream.Respond(200, null, 0));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(gw.get("/").headers().firstValue("x-upstream")).contains("primary"));
    }

    @Test
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

    @Test
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

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            HttpResponse<String> r = gw.get("/");
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.headers().firstValue("retry-after")).isPresent();
            assertThat(r.body()).contains("no_healthy_upstream");
        });
    }

    @Test
    void reload_swapsRoutes_andAnInvalidFileKeepsTheLiveConfig() {
        TestUpstream a = upstream("a");
        TestUpstream b = upstream("b");
        String v1 = oneRoute("\"" + a.address() + "\"", "", "");
        GatewayFixture gw = gateway(v1);
        assertThat(gw.get("/").headers().firstValue("x-upstream")).contains("a");

        var ok = gw.reload(oneRoute("\"" + b.address() + "\"", "", ""));
        assertThat(ok.applied()).isTrue();
        assertThat(gw.get("/").headers().firstValue("x-upstream")).contains("b");

        var refused = gw.reload(oneRoute("\"" + a.address() + "\"", "", "").replace("request: 2s", "request: 0s"));
        assertThat(refused.applied()).isFalse();
        assertThat(refused.errors()).anyMatch(e -> e.startsWith("clusters.app.timeouts.request: 0s"));
        assertThat(gw.get("/").headers().firstValue("x-upstream")).contains("b");

        HttpResponse<String> viaAdmin = gw.admin("POST", "/config/reload");
        assertThat(viaAdmin.statusCode()).isEqualTo(422);
        assertThat(viaAdmin.body()).contains("timeouts.request");
    }

    @Test
    void reload_letsInFlightRequestsFinishOnTheirSnapshot() {
        TestUpstream a = upstream("a").behave(new TestUpstream.Respond(200, "from-a", 300));
        TestUpstream b = upstream("b");
        GatewayFixture gw = gateway(oneRoute("\"" + a.address() + "\"", "", ""));

        CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(() -> gw.get("/slow"));
        await().until(() -> a.requestCount() == 1);
        assertThat(gw.reload(oneRoute("\"" + b.address() + "\"", "", "")).applied()).isTrue();

        assertThat(inFlight.join().body()).isEqualTo("from-a");
        assertThat(gw.get("/").headers().firstValue("x-upstream")).contains("b");
    }

    @Test
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

    @Test
    void gracefulClose_finishesInFlightRequests() {
        TestUpstream a = upstream("a").behave(new TestUpstream.Respond(200, "done", 300));
        GatewayFixture gw = GatewayFixture.start(oneRoute("\"" + a.address() + "\"", "", ""));
        CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(() -> gw.get("/"));
        await().until(() -> a.requestCount() == 1);

        gw.close();

        assertThat(inFlight.join().body()).isEqualTo("done");
    }

    @Test
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

    private static int closedPort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

}
