package io.palisade.proxy;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.http.RequestMethod;
import com.github.tomakehurst.wiremock.matching.RequestPatternBuilder;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import io.palisade.testing.TestUpstream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The gateway in this JVM in front of WireMock (a real Jetty server on loopback) injecting the faults upstreams have
 * in the field: a reset, an empty response, garbage, a malformed chunk, a delay past the deadline, a body dribbled
 * past the deadline or with gaps past the idle timeout. Each fault before the response began is a 502 or 504 with
 * its code from {@link io.palisade.error.ErrorKind}; one after it began cuts the client's connection, so the client
 * can tell the body is incomplete, never a 200 whose truncated body looks whole. After a run of faults no upstream
 * connection is left busy, Netty's paranoid leak detector (on for every test class, {@code LeakCheckExtension})
 * reports nothing, and 100 requests in a row succeed.
 */
class UpstreamFaultsTest {
    /** A body long enough to come in several chunks when dribbled. */
    private static final String BODY = "0123456789abcdef".repeat(256);
    private static WireMockServer wiremock;

    @BeforeAll
    static void startWireMock() {
        wiremock = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort().containerThreads(40)
                .jettyIdleTimeout(600_000L));
        wiremock.start();
        stub("/reset", aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));
        stub("/empty", aResponse().withFault(Fault.EMPTY_RESPONSE));
        stub("/garbage", aResponse().withFault(Fault.RANDOM_DATA_THEN_CLOSE));
        stub("/malformed-chunk", aResponse().withFault(Fault.MALFORMED_RESPONSE_CHUNK));
        // Well past the route's 2 s deadline, so a slow machine's scheduling cannot make it look in time.
        stub("/delay", aResponse().withStatus(200).withBody(BODY).withFixedDelay(10_000));
        stub("/cluster-delay", aResponse().withStatus(200).withBody(BODY).withFixedDelay(10_000));
        // WireMock sends the head with the first piece of a dribbled body, one interval in. 2 pieces 8 s apart:
        // the route's 1 s idle timeout (also the longest wait for the head) passes before the head.
        stub("/slow-head", aResponse().withStatus(200).withBody(BODY).withChunkedDribbleDelay(2, 8_000));
        // 20 pieces over 5 s (the head about 0.25 s in): the route's 3 s deadline passes mid-body.
        stub("/dribble", aResponse().withStatus(200).withBody(BODY).withChunkedDribbleDelay(20, 5_000));
        // A slow body: 64 KiB in 80 pieces over 20 s; the 3 s deadline passes mid-body.
        stub("/slow-body", aResponse().withStatus(200).withBody(BODY.repeat(16)).withChunkedDribbleDelay(80, 20_000));
        // Dribbled in 4 pieces over 400 ms: within every deadline, so it must arrive whole.
        stub("/dribble-in-time", aResponse().withStatus(200).withBody(BODY).withChunkedDribbleDelay(4, 400));
        stub("/ok", aResponse().withStatus(200).withBody(BODY));
        // The first endpoint of the two-endpoint cluster: every request it gets is reset.
        stub("/mixed", aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));
    }

    private static void stub(String prefix, com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder r) {
        wiremock.stubFor(any(urlPathMatching(prefix + "(/.*)?")).willReturn(r));
    }

    @AfterAll
    static void stopWireMock() {
        wiremock.stop();
    }

    private static String config(String extraEndpoint) {
        return """
                clusters:
                  wm:
                    endpoints: [ "127.0.0.1:%d" ]
                    timeouts: { connect: 2s, request: 30s, idle: 30s }
                    retries: { attempts: 0 }
                    outlier: { consecutive_failures: 100000 }
                  wm-short:
                    endpoints: [ "127.0.0.1:%d" ]
                    timeouts: { connect: 2s, request: 2s, idle: 30s }
                    retries: { attempts: 0 }
                  mixed:
                    endpoints: [ "127.0.0.1:%d", "%s" ]
                    balancer: round_robin
                    timeouts: { connect: 2s, request: 30s, idle: 30s }
                    retries: { attempts: 1, budget: 100%% }
                    outlier: { consecutive_failures: 100000 }
                routes:
                  - match: { path_prefix: /mixed }
                    cluster: mixed
                  - match: { path_prefix: /cluster-delay }
                    cluster: wm-short
                  - match: { path_prefix: /delay }
                    cluster: wm
                    timeouts: { request: 2s }
                  - match: { path_prefix: /dribble/ }
                    cluster: wm
                    timeouts: { request: 3s }
                  - match: { path_prefix: /slow-body }
                    cluster: wm
                    timeouts: { request: 3s }
                  - match: { path_prefix: /slow-head }
                    cluster: wm
                    timeouts: { idle: 1s }
                  - match: { path_prefix: / }
                    cluster: wm
                """.formatted(wiremock.port(), wiremock.port(), wiremock.port(), extraEndpoint);
    }

    /** A fault before the response began, and what the client must get for it. */
    private record Early(String path, int status, String code) {}

    private static final List<Early> EARLY = List.of(
            new Early("/reset/x", 502, "upstream_reset"),
            new Early("/empty/x", 502, "upstream_reset"),
            new Early("/garbage/x", 502, "upstream_error"),
            new Early("/delay/x", 504, "upstream_timeout"),
            new Early("/cluster-delay/x", 504, "upstream_timeout"),
            new Early("/slow-head/x", 504, "upstream_timeout"));

    @GatewayTest
    void faultsBeforeTheResponse_areEach502Or504_withTheirCode(Gateways gateways) throws Exception {
        try (TestUpstream good = TestUpstream.start("good")) {
            GatewayFixture gw = gateways.start(config(good.address()));
            for (Early e : EARLY) {
                HttpResponse<String> r = gw.get(e.path());
                assertThat(r.statusCode()).as(e.path()).isEqualTo(e.status());
                assertThat(r.body()).as(e.path()).contains("\"error\":\"" + e.code() + "\"");
                assertThat(r.headers().firstValue("content-type")).as(e.path()).hasValue("application/json");
            }
            assertThat(gw.get("/ok").statusCode()).isEqualTo(200);
        }
    }

    /** Faults after the head went out: the connection is cut before a complete body, whatever the framing. */
    @GatewayTest
    void faultsAfterTheResponseBegan_cutTheConnection_neverAComplete200(Gateways gateways) throws Exception {
        try (TestUpstream good = TestUpstream.start("good")) {
            GatewayFixture gw = gateways.start(config(good.address()));
            for (String path : List.of("/malformed-chunk/x", "/dribble/x", "/slow-body/x")) {
                Raw raw = Raw.get(gw.port(), path);
                assertThat(raw.closed).as(path + ": connection closed by the gateway").isTrue();
                if (raw.status != 0) {
                    // The head reached the client before the fault: then the body must read as cut off.
                    assertThat(raw.status).as(path).isEqualTo(200);
                    assertThat(raw.completeBody()).as(path + ": body complete? framing %s, %d body bytes",
                            raw.framing(), raw.body.length).isFalse();
                }
            }
            // Dribbled within every deadline, the body arrives whole, with its framing.
            Raw inTime = Raw.get(gw.port(), "/dribble-in-time/x");
            assertThat(inTime.status).isEqualTo(200);
            assertThat(inTime.completeBody()).isTrue();
            assertThat(inTime.decodedBody()).isEqualTo(BODY);
        }
    }

    /**
     * Every fault many times over from several clients, then: no upstream connection busy or queued, idle ones
     * within what the clients could have kept open, no request in flight, and 100 requests in a row answered 200.
     * Buffers are checked by the leak detector when the class ends.
     */
    @GatewayTest(loops = {1, 2})
    void afterManyFaults_nothingIsHeld_andThePoolServes100InARow(Gateways gateways) throws Exception {
        try (TestUpstream good = TestUpstream.start("good")) {
            GatewayFixture gw = gateways.start(config(good.address()));
            List<String> paths = List.of("/reset/r", "/empty/r", "/garbage/r", "/malformed-chunk/r", "/ok/r",
                    "/dribble-in-time/r", "/delay/r", "/slow-head/r", "/dribble/r", "/slow-body/r");
            int clients = 6;
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            Map<String, Integer> statuses = new TreeMap<>();
            try {
                List<Future<List<String>>> results = new ArrayList<>();
                for (int c = 0; c < clients; c++) {
                    int client = c;
                    results.add(pool.submit(() -> {
                        List<String> seen = new ArrayList<>();
                        for (int i = 0; i < 12; i++) {
                            String path = paths.get((client + i) % paths.size());
                            // The slow ones take seconds each: fewer of them keeps the test short.
                            if (i >= paths.size() && (path.startsWith("/delay") || path.startsWith("/dribble/")
                                    || path.startsWith("/slow-"))) {
                                continue;
                            }
                            Raw r = Raw.get(gw.port(), path);
                            seen.add(path.substring(0, path.indexOf('/', 1)) + " " + r.status
                                    + (r.status == 200 && !r.completeBody() ? " cut" : ""));
                        }
                        return seen;
                    }));
                }
                for (Future<List<String>> f : results) {
                    for (String s : f.get()) {
                        statuses.merge(s, 1, Integer::sum);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
            // The outcomes the other tests pin down, and nothing else (no 200 that reads as whole on a fault). Six
            // clients at once on a busy machine may delay a dribbled body's head past its deadline: then a 504.
            assertThat(statuses.keySet()).as("%s", statuses).allMatch(s -> s.matches(
                    "/(reset|empty|garbage) 502|/(delay|slow-head) 504|/(malformed-chunk|dribble|slow-body) (200 cut|0)"
                            + "|/(dribble|slow-body) 504"
                            + "|/(ok|dribble-in-time) 200"));
            System.out.println("[faults] outcomes with " + gw.loops() + " event loop(s): " + statuses);

            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(gauge(gw, "palisade_upstream_connections{state=\"busy\"}")).isZero();
                assertThat(gauge(gw, "palisade_upstream_pending")).isZero();
                assertThat(gauge(gw, "palisade_inflight_requests")).isZero();
            });
            // Each client had at most one request in flight: that many idle connections at most, per event loop.
            assertThat(gauge(gw, "palisade_upstream_connections{state=\"idle\"}"))
                    .isLessThanOrEqualTo((double) clients * gw.loops());

            for (int i = 0; i < 100; i++) {
                HttpResponse<String> r = gw.get("/ok/after-" + i);
                assertThat(r.statusCode()).as("request %d after the faults", i).isEqualTo(200);
                assertThat(r.body()).isEqualTo(BODY);
            }
        }
    }

    /**
     * Retries as configured (docs/configuration.md, {@code retries}): a reset on a GET is retried once on the other
     * endpoint, so every GET succeeds; a POST with a body is never sent twice (it may have had an effect), so those
     * that met the reset get 502 and every POST reached an upstream exactly once.
     */
    @GatewayTest
    void resetOnAGet_isRetriedOnAnotherEndpoint_aPostWithABodyIsNot(Gateways gateways) throws Exception {
        try (TestUpstream good = TestUpstream.start("good").behave(new TestUpstream.Echo())) {
            GatewayFixture gw = gateways.start(config(good.address()));
            wiremock.resetRequests();
            for (int i = 0; i < 10; i++) {
                assertThat(gw.get("/mixed/get-" + i).statusCode()).as("GET %d", i).isEqualTo(200);
            }
            int getsReset = wiremock.countRequestsMatching(RequestPatternBuilder.newRequestPattern(RequestMethod.GET,
                    urlPathMatching("/mixed/get-.*")).build()).getCount();
            assertThat(getsReset).as("GETs that met the reset, and were retried").isPositive();
            assertThat(good.requestCount()).as("every GET answered by the good endpoint").isEqualTo(10);

            List<Integer> postStatuses = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                HttpResponse<String> r = gw.post("/mixed/post-" + i, "{\"n\":" + i + "}");
                postStatuses.add(r.statusCode());
                if (r.statusCode() != 200) {
                    assertThat(r.statusCode()).isEqualTo(502);
                    assertThat(r.body()).contains("\"error\":\"upstream_reset\"");
                }
            }
            int postsReset = wiremock.countRequestsMatching(RequestPatternBuilder.newRequestPattern(
                    RequestMethod.POST, urlPathMatching("/mixed/post-.*")).build()).getCount();
            long postsGood = good.received().stream().filter(r -> r.method().equals("POST")).count();
            assertThat(postStatuses).contains(502);
            assertThat(postStatuses.stream().filter(s -> s == 502).count()).isEqualTo(postsReset);
            assertThat(postsReset + postsGood).as("each POST sent to an upstream exactly once").isEqualTo(10);
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

    /**
     * One GET on its own connection, read to the end: the head, the body bytes as they came, and whether the server
     * closed the connection. What a careful client would see, framing included.
     */
    private static final class Raw {
        int status;
        Map<String, String> headers = new TreeMap<>();
        byte[] body = new byte[0];
        boolean closed;

        static Raw get(int port, String path) throws IOException {
            Raw raw = new Raw();
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.setSoTimeout(30_000);
                s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: faults\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                byte[] buf = new byte[8192];
                try {
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        all.write(buf, 0, n);
                        if (raw.parse(all.toByteArray()) && raw.completeBody()) {
                            break; // a whole response: the connection may stay open (keep-alive)
                        }
                    }
                    raw.closed = n < 0;
                } catch (java.net.SocketException e) {
                    raw.closed = true; // a reset is a close too
                }
                raw.parse(all.toByteArray());
            }
            return raw;
        }

        /** Parses what came so far; false while the head is incomplete. */
        boolean parse(byte[] bytes) {
            String text = new String(bytes, StandardCharsets.ISO_8859_1);
            int end = text.indexOf("\r\n\r\n");
            if (end < 0) {
                return false;
            }
            String[] lines = text.substring(0, end).split("\r\n");
            status = Integer.parseInt(lines[0].split(" ")[1]);
            headers.clear();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
            }
            body = java.util.Arrays.copyOfRange(bytes, end + 4, bytes.length);
            return true;
        }

        String framing() {
            return headers.containsKey("transfer-encoding") ? "chunked"
                    : headers.containsKey("content-length") ? "content-length " + headers.get("content-length")
                    : "until close";
        }

        /**
         * Whether the body is complete by its framing: all of its Content-Length, or a chunked body up to its last
         * (zero) chunk. A body framed by the close alone cannot show a cut; the gateway never sends one.
         */
        boolean completeBody() {
            if (headers.containsKey("transfer-encoding")) {
                return decodeChunked() != null;
            }
            if (headers.containsKey("content-length")) {
                return body.length >= Long.parseLong(headers.get("content-length"));
            }
            throw new AssertionError("a response framed by the connection's close: " + headers);
        }

        String decodedBody() {
            return headers.containsKey("transfer-encoding") ? decodeChunked()
                    : new String(body, StandardCharsets.ISO_8859_1);
        }

        /** The chunked body decoded, or null when it did not reach its last chunk. */
        private String decodeChunked() {
            String s = new String(body, StandardCharsets.ISO_8859_1);
            StringBuilder out = new StringBuilder();
            int at = 0;
            while (true) {
                int eol = s.indexOf("\r\n", at);
                if (eol < 0) {
                    return null;
                }
                String sizeText = s.substring(at, eol);
                int semi = sizeText.indexOf(';');
                int size = Integer.parseInt((semi < 0 ? sizeText : sizeText.substring(0, semi)).trim(), 16);
                if (size == 0) {
                    return s.indexOf("\r\n", eol + 2) >= 0 ? out.toString() : null;
                }
                if (eol + 2 + size + 2 > s.length()) {
                    return null;
                }
                out.append(s, eol + 2, eol + 2 + size);
                at = eol + 2 + size + 2;
            }
        }
    }
}
