package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import io.palisade.testing.RawClient;
import io.palisade.testing.RawH2;
import io.palisade.testing.TestUpstream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;

/**
 * HTTP/2 with prior knowledge (h2c) on a plain listener with {@code http2:}: each stream is one exchange through the
 * same routes, limits and outcomes as HTTP/1.1, translated to HTTP/1.1 for the upstream; what would smuggle is
 * refused; HTTP/1.1 keeps working on the same port.
 */
class Http2GatewayTest {
    private TestUpstream upstream;

    @AfterEach
    void tearDown() {
        if (upstream != null) {
            upstream.close();
        }
    }

    static String config(String upstreamAddress) {
        return """
                listeners:
                  http: { address: 127.0.0.1:0, http2: { max_concurrent_streams: 10, max_header_list_size: 8KiB } }
                clusters:
                  app: { endpoints: [ "%s" ] }
                routes:
                  - match: { path_prefix: /api }
                    cluster: app
                """.formatted(upstreamAddress);
    }

    private GatewayFixture start(Gateways gateways) {
        upstream = TestUpstream.start("app");
        return gateways.start(config(upstream.address()));
    }

    @GatewayTest
    void aStreamIsAnExchange_translatedToHttp11ForTheUpstream(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        try (RawH2 h2 = new RawH2(gw.port())) {
            int s = h2.newStreamId();
            h2.headers(s, RawH2.get("/api/items?x=1").add("x-trace", "t1").add("cookie", "a=1").add("cookie", "b=2"),
                    true);
            RawH2.Answer a = h2.answer(s);
            assertThat(a.status()).isEqualTo(200);
            assertThat(a.body()).contains("\"uri\":\"/api/items?x=1\"");
            assertThat(a.headers().get("x-upstream")).hasToString("app");
            assertThat(a.headers().get("x-request-id")).isNotNull();
            // No HTTP/1.1 connection fields on an HTTP/2 response.
            assertThat(a.headers().contains("connection")).isFalse();
            assertThat(a.headers().contains("transfer-encoding")).isFalse();
        }
        TestUpstream.Received r = upstream.received().getFirst();
        assertThat(r.method()).isEqualTo("GET");
        assertThat(r.headers().get("host")).isEqualTo("gw.test");
        assertThat(r.headers().get("x-trace")).isEqualTo("t1");
        assertThat(r.headers().get("cookie")).isEqualTo("a=1; b=2");
        assertThat(r.headers().names()).noneMatch(n -> n.toLowerCase().startsWith("x-http2-"));
    }

    @GatewayTest
    void aRequestBody_withAndWithoutContentLength_reachesTheUpstream(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        upstream.behave(new TestUpstream.Echo());
        try (RawH2 h2 = new RawH2(gw.port())) {
            int s = h2.newStreamId();
            h2.headers(s, RawH2.request("POST", "/api/echo").add("content-length", "11"), false);
            h2.data(s, "hello ".getBytes(StandardCharsets.UTF_8), false);
            h2.data(s, "world".getBytes(StandardCharsets.UTF_8), true);
            assertThat(h2.answer(s).body()).isEqualTo("hello world");

            int chunked = h2.newStreamId();
            h2.headers(chunked, RawH2.request("POST", "/api/echo"), false);
            h2.data(chunked, "no length".getBytes(StandardCharsets.UTF_8), true);
            RawH2.Answer a = h2.answer(chunked);
            assertThat(a.status()).isEqualTo(200);
            assertThat(a.body()).isEqualTo("no length");
        }
    }

    @GatewayTest
    void manyStreamsOnOneConnection_areServedConcurrently(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        upstream.behave(new TestUpstream.Respond(200, null, 200));
        try (RawH2 h2 = new RawH2(gw.port())) {
            List<Integer> streams = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                int s = h2.newStreamId();
                streams.add(s);
                h2.headers(s, RawH2.get("/api/s" + i), true);
            }
            // Each upstream answer waits 200 ms; all eight are in flight at once, so the upstream holds eight
            // connections at some point (one exchange per stream, each with its own upstream connection).
            await().atMost(10, TimeUnit.SECONDS).until(() -> upstream.requestCount() == 8);
            for (int s : streams) {
                assertThat(h2.answer(s).status()).isEqualTo(200);
            }
        }
    }

    @GatewayTest
    void anUnknownRoute_is404_andTheConnectionGoesOn(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        try (RawH2 h2 = new RawH2(gw.port())) {
            int s = h2.newStreamId();
            h2.headers(s, RawH2.get("/nowhere"), true);
            RawH2.Answer a = h2.answer(s);
            assertThat(a.status()).isEqualTo(404);
            assertThat(a.body()).contains("route_not_found");
            int next = h2.newStreamId();
            h2.headers(next, RawH2.get("/api/after"), true);
            assertThat(h2.answer(next).status()).isEqualTo(200);
        }
    }

    /** RFC 9113 §8.2.2: connection-specific fields make a request malformed; none reaches an HTTP/1.1 upstream. */
    @GatewayTest
    void connectionSpecificFields_areRefusedWithAStreamError(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        String[][] fields = {
            {"connection", "keep-alive"}, {"keep-alive", "timeout=5"}, {"proxy-connection", "keep-alive"},
            {"transfer-encoding", "chunked"}, {"upgrade", "websocket"}, {"te", "gzip"},
        };
        for (String[] field : fields) {
            try (RawH2 h2 = new RawH2(gw.port())) {
                int s = h2.newStreamId();
                h2.headers(s, RawH2.request("GET", "/api/smuggle").add(field[0], field[1]), true);
                RawH2.Answer a = h2.answer(s);
                assertThat(a.resetCode()).as(field[0]).isEqualTo(Http2Error.PROTOCOL_ERROR.code());
                // The connection keeps serving.
                int next = h2.newStreamId();
                h2.headers(next, RawH2.get("/api/ok"), true);
                assertThat(h2.answer(next).status()).as(field[0]).isEqualTo(200);
            }
        }
        // With a body behind the refused head: the codec never opened the stream, so its DATA is a connection error
        // (GOAWAY PROTOCOL_ERROR), and still nothing reaches the upstream.
        try (RawH2 h2 = new RawH2(gw.port())) {
            int s = h2.newStreamId();
            h2.headers(s, RawH2.request("POST", "/api/smuggle").add("transfer-encoding", "chunked"), false);
            h2.data(s, "0\r\n\r\nGET /admin HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII), true);
            RawH2.Frame f;
            long code = -1;
            while ((f = h2.read()) != null) {
                if (f.type() == RawH2.RST_STREAM || f.type() == RawH2.GOAWAY) {
                    code = f.errorCode();
                    break;
                }
            }
            assertThat(code).isEqualTo(Http2Error.PROTOCOL_ERROR.code());
        }
        // TE: trailers is the one TE allowed.
        try (RawH2 h2 = new RawH2(gw.port())) {
            int s = h2.newStreamId();
            h2.headers(s, RawH2.get("/api/te").add("te", "trailers"), true);
            assertThat(h2.answer(s).status()).isEqualTo(200);
        }
        assertThat(upstream.received()).extracting(TestUpstream.Received::uri)
                .doesNotContain("/api/smuggle", "/admin");
    }

    @GatewayTest
    void crLfOrNulInAFieldValue_is400_andNothingReachesTheUpstream(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        for (String value : new String[] {"a\r\nx-injected: 1", "a\nb", "a\u0000b", "a\rb"}) {
            try (RawH2 h2 = new RawH2(gw.port())) {
                int s = h2.newStreamId();
                h2.headers(s, RawH2.get("/api/inject").add("x-v", value), true);
                RawH2.Answer a = h2.answer(s);
                if (a.resetCode() >= 0) {
                    assertThat(a.resetCode()).isEqualTo(Http2Error.PROTOCOL_ERROR.code());
                } else {
                    assertThat(a.status()).isEqualTo(400);
                    assertThat(a.body()).contains("malformed_request");
                }
                int next = h2.newStreamId();
                h2.headers(next, RawH2.get("/api/ok"), true);
                assertThat(h2.answer(next).status()).isEqualTo(200);
            }
        }
        assertThat(upstream.received()).extracting(TestUpstream.Received::uri).doesNotContain("/api/inject");
    }

    @GatewayTest
    void aContentLengthThatDisagreesWithTheData_isAStreamError(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        upstream.behave(new TestUpstream.Echo());
        try (RawH2 h2 = new RawH2(gw.port())) {
            int more = h2.newStreamId();
            h2.headers(more, RawH2.request("POST", "/api/more").add("content-length", "3"), false);
            h2.data(more, "too long".getBytes(StandardCharsets.US_ASCII), true);
            assertThat(h2.answer(more).resetCode()).isEqualTo(Http2Error.PROTOCOL_ERROR.code());

            int less = h2.newStreamId();
            h2.headers(less, RawH2.request("POST", "/api/less").add("content-length", "30"), false);
            h2.data(less, "short".getBytes(StandardCharsets.US_ASCII), true);
            assertThat(h2.answer(less).resetCode()).isEqualTo(Http2Error.PROTOCOL_ERROR.code());

            int next = h2.newStreamId();
            h2.headers(next, RawH2.get("/api/ok"), true);
            assertThat(h2.answer(next).status()).isEqualTo(200);
        }
        // What the upstream got, if anything, was never a complete request with the wrong length.
        assertThat(upstream.received()).noneMatch(r -> r.uri().equals("/api/more") && r.bodyBytes() != 3);
        assertThat(upstream.received()).noneMatch(r -> r.uri().equals("/api/less"));
    }

    @GatewayTest
    void http11_stillWorksOnTheSameListener_andUpgradeH2cIsNeverHonoured(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        try (RawClient c = new RawClient(gw.port())) {
            c.send("GET /api/one HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
            c.send("GET /api/up HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                    + "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n");
            RawClient.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("upgrade")).isNull();
        }
        TestUpstream.Received up = upstream.received().stream().filter(x -> x.uri().equals("/api/up")).findFirst()
                .orElseThrow();
        assertThat(up.headers().contains("upgrade")).isFalse();
        assertThat(up.headers().contains("http2-settings")).isFalse();
    }

    @GatewayTest
    void aListenerWithoutHttp2_doesNotSpeakIt(Gateways gateways) throws Exception {
        upstream = TestUpstream.start("app");
        GatewayFixture gw = gateways.start(config(upstream.address()).replace(
                ", http2: { max_concurrent_streams: 10, max_header_list_size: 8KiB }", ""));
        try (RawH2 h2 = new RawH2(gw.port())) {
            // The preface is an HTTP/1.1 request line the gateway refuses.
            RawH2.Frame f = h2.read();
            assertThat(f == null || f.type() != RawH2.SETTINGS).isTrue();
        }
    }

    @GatewayTest
    void curlWithPriorKnowledge_getsItsAnswer(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        Process p = new ProcessBuilder("curl", "-sS", "--http2-prior-knowledge", "-o", "-", "-w",
                "\\n%{http_version} %{http_code}", gw.url("/api/curl")).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(text).endsWith("\n2 200").contains("/api/curl");
    }

    @GatewayTest
    void anIdleConnection_getsGoAwayNoError(Gateways gateways) throws Exception {
        upstream = TestUpstream.start("app");
        GatewayFixture gw = gateways.start("server: { limits: { client_idle: 300ms } }\n" + config(upstream.address()));
        try (RawH2 h2 = new RawH2(gw.port())) {
            int s = h2.newStreamId();
            h2.headers(s, RawH2.get("/api/x"), true);
            assertThat(h2.answer(s).status()).isEqualTo(200);
            RawH2.Frame goAway = h2.awaitGoAway();
            assertThat(goAway).isNotNull();
            assertThat(goAway.errorCode()).isEqualTo(Http2Error.NO_ERROR.code());
            assertThat(h2.closedByServer()).isTrue();
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(gw.admin("GET", "/metrics").body())
                .contains("palisade_http2_goaways_sent_total{reason=\"no_error\"} 1.0")
                .contains("palisade_http2_streams_opened_total 1.0"));
    }

    /** A stream is an exchange: the route's body limit, its deadline and the request metrics apply per stream. */
    @GatewayTest
    void limitsDeadlinesAndOutcomes_applyPerStream(Gateways gateways) throws Exception {
        upstream = TestUpstream.start("app");
        GatewayFixture gw = gateways.start("""
                listeners:
                  http: { address: 127.0.0.1:0, http2: {} }
                clusters:
                  app: { endpoints: [ "%s" ] }
                routes:
                  - match: { path_prefix: /api/small }
                    cluster: app
                    request: { max_body: 10 }
                  - match: { path_prefix: /api/slow }
                    cluster: app
                    timeouts: { request: 500ms }
                  - match: { path_prefix: /api }
                    cluster: app
                """.formatted(upstream.address()));
        try (RawH2 h2 = new RawH2(gw.port())) {
            int tooBig = h2.newStreamId();
            h2.headers(tooBig, RawH2.request("POST", "/api/small").add("content-length", "20"), false);
            h2.data(tooBig, "x".repeat(20).getBytes(StandardCharsets.US_ASCII), true);
            RawH2.Answer a = h2.answer(tooBig);
            assertThat(a.status()).isEqualTo(413);

            upstream.behave(new TestUpstream.Hang());
            int slow = h2.newStreamId();
            h2.headers(slow, RawH2.get("/api/slow"), true);
            assertThat(h2.answer(slow).status()).isEqualTo(504);

            upstream.behave(new TestUpstream.Respond(200, null, 0));
            int fine = h2.newStreamId();
            h2.headers(fine, RawH2.get("/api/fine"), true);
            assertThat(h2.answer(fine).status()).isEqualTo(200);
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(gw.admin("GET", "/metrics").body())
                .contains("palisade_rejections_total{reason=\"body_too_large\"} 1.0")
                .contains("palisade_requests_total{cluster=\"app\",code_class=\"5xx\",route=\"routes[1]\"} 1.0"));
    }

    /**
     * An HTTP/1.1 client through a {@code protocol: h2c} cluster: the second gateway is the h2c upstream (an h2c
     * listener in front of an HTTP/1.1 server), so the request is translated to HTTP/2 and back.
     */
    @GatewayTest
    void anHttp11Client_throughAnH2cCluster_getsItsAnswers(Gateways gateways) throws Exception {
        GatewayFixture inner = start(gateways);
        upstream.behave(new TestUpstream.Echo());
        GatewayFixture outer = gateways.start("""
                clusters:
                  inner: { endpoints: [ "127.0.0.1:%d" ], protocol: h2c }
                routes:
                  - match: { path_prefix: /api }
                    cluster: inner
                """.formatted(inner.port()));
        for (int i = 0; i < 5; i++) {
            var r = outer.post("/api/echo", "body " + i);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("body " + i);
        }
        try (RawClient c = new RawClient(outer.port())) {
            c.send("POST /api/chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
            RawClient.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("hello world");
        }
        // Five exchanges and one more, every one a stream on one h2c connection per event loop at most.
        assertThat(upstream.requestCount()).isEqualTo(6);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(inner.admin("GET", "/metrics").body())
                .contains("palisade_http2_streams_opened_total 6.0"));
    }

    /**
     * A drain tells an HTTP/2 client GOAWAY(NO_ERROR) at once, lets its stream in flight finish, and ends without
     * waiting for the drain timeout.
     */
    @GatewayTest(loops = 1)
    void aDrain_sendsGoAway_andLetsTheStreamInFlightFinish(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        java.util.concurrent.CompletableFuture<Void> release = new java.util.concurrent.CompletableFuture<>();
        upstream.behave(new TestUpstream.Held(release));
        try (RawH2 h2 = new RawH2(gw.port())) {
            int s = h2.newStreamId();
            h2.headers(s, RawH2.get("/api/held"), true);
            await().atMost(10, TimeUnit.SECONDS).until(() -> upstream.requestCount() == 1);
            java.util.concurrent.CompletableFuture<Boolean> stopped = java.util.concurrent.CompletableFuture
                    .supplyAsync(() -> gw.gateway().stop());
            RawH2.Frame goAway = h2.awaitGoAway();
            assertThat(goAway).isNotNull();
            assertThat(goAway.errorCode()).isEqualTo(Http2Error.NO_ERROR.code());
            release.complete(null);
            assertThat(h2.answer(s).status()).isEqualTo(200);
            assertThat(stopped.get(20, TimeUnit.SECONDS)).as("every request finished within the drain").isTrue();
        }
    }

    static Http2Headers big(Http2Headers h, int fields, int valueBytes) {
        String v = "v".repeat(valueBytes);
        for (int i = 0; i < fields; i++) {
            h.add("x-f" + i, v);
        }
        return h;
    }
}
