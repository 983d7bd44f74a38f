package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.palisade.testing.Collector;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import io.palisade.testing.RawClient;
import io.palisade.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;

/**
 * Ingest routes in the real gateway: a 202 with an id once stored, delivery to a real collector with the record id
 * as Idempotency-Key, and every bad input named by the issue (empty, oversized, truncated, binary, framing, junk
 * headers, bad keys) answered with its exact status while the gateway keeps serving.
 */
class IngestRouteTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private Collector collector;
    private TestUpstream api;

    @AfterEach
    void tearDown() {
        if (collector != null) {
            collector.close();
        }
        if (api != null) {
            api.close();
        }
    }

    private GatewayFixture start(Gateways gateways, String ingestRoute, String extra) {
        collector = Collector.start();
        api = TestUpstream.start("api");
        return gateways.start(extra + """
                clusters:
                  collector: { endpoints: [ "%s" ] }
                  api: { endpoints: [ "%s" ] }
                routes:
                  - name: track
                    match: { path_prefix: /v1/track }
                    ingest: %s
                  - match: { path_prefix: /api }
                    cluster: api
                """.formatted(collector.address(), api.address(), ingestRoute));
    }

    private static void awaitReady(GatewayFixture gw) {
        await().atMost(Duration.ofSeconds(60)).until(() -> gw.gateway().ingest().state()
                == io.palisade.ingest.IngestService.State.READY);
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    private static void stillServing(GatewayFixture gw) {
        assertThat(gw.get("/api/ping").statusCode()).isEqualTo(200);
    }

    @GatewayTest(loops = {1, 2})
    void accepted_202WithAnId_thenDeliveredWithTheRecordIdAsIdempotencyKey(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways, "{ cluster: collector, store_headers: [Content-Type, X-Tenant] }", "");
        awaitReady(gw);

        HttpResponse<String> r = gw.post("/v1/track/events?src=web", "{\"event\":\"click\"}",
                "Content-Type", "application/json", "X-Tenant", "acme", "X-Secret-Thing", "not kept");

        assertThat(r.statusCode()).isEqualTo(202);
        String id = json(r).path("id").asText();
        assertThat(json(r).path("status").asText()).isEqualTo("accepted");
        assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        await().atMost(Duration.ofSeconds(60)).until(() -> collector.deliveries().size() == 1);
        Collector.Delivery d = collector.deliveries().get(0);
        assertThat(d.method()).isEqualTo("POST");
        assertThat(d.uri()).isEqualTo("/v1/track/events?src=web");
        assertThat(new String(d.body(), StandardCharsets.UTF_8)).isEqualTo("{\"event\":\"click\"}");
        assertThat(d.header("Idempotency-Key")).isEqualTo(id);
        assertThat(d.header("X-Tenant")).isEqualTo("acme");
        assertThat(d.header("Content-Type")).isEqualTo("application/json");
        assertThat(d.header("X-Secret-Thing")).isNull();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            JsonNode status = json(gw.admin("GET", "/ingest"));
            JsonNode route = status.path("routes").get(0);
            assertThat(route.path("route").asText()).isEqualTo("track");
            assertThat(route.path("delivered").asLong()).isEqualTo(1);
            assertThat(route.path("backlog").asLong()).isZero();
            assertThat(route.path("bytes").asLong()).isZero();
        });
        assertThat(gw.gateway().metrics().scrape()).contains("palisade_ingest_delivered_total{route=\"track\"} 1.0");
        stillServing(gw);
    }

    @GatewayTest(loops = {1})
    void anIdempotencyKey_returnsTheSameId_andStoresOnce(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways, "{ cluster: collector }", "");
        awaitReady(gw);

        HttpResponse<String> first = gw.post("/v1/track", "a", "Idempotency-Key", "order-42");
        HttpResponse<String> again = gw.post("/v1/track", "a", "Idempotency-Key", "order-42");
        HttpResponse<String> other = gw.post("/v1/track", "a", "Idempotency-Key", "order-43");

        assertThat(first.statusCode()).isEqualTo(202);
        assertThat(again.statusCode()).isEqualTo(202);
        assertThat(json(again).path("id").asText()).isEqualTo(json(first).path("id").asText());
        assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(json(other).path("id").asText()).isNotEqualTo(json(first).path("id").asText());
        await().atMost(Duration.ofSeconds(60)).until(() -> collector.deliveries().size() == 2);
        assertThat(collector.byKey()).containsOnlyKeys(json(first).path("id").asText(),
                json(other).path("id").asText());

        assertThat(gw.post("/v1/track", "a", "Idempotency-Key", "x".repeat(256)).statusCode()).isEqualTo(400);
        assertThat(gw.post("/v1/track", "a", "Idempotency-Key", "has space").statusCode()).isEqualTo(400);
        try (RawClient c = new RawClient(gw.port())) {
            c.send("POST /v1/track HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nIdempotency-Key: a\r\n"
                    + "Idempotency-Key: b\r\n\r\nx");
            RawClient.Response twice = c.read();
            assertThat(twice.status()).isEqualTo(400);
            assertThat(twice.body()).contains("invalid_idempotency_key");
        }
        stillServing(gw);
    }

    @GatewayTest(loops = {1})
    void emptyBodies_rejectedWith400_orStoredAsZeroByteRecords(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways, "{ cluster: collector }", "");
        awaitReady(gw);
        try (RawClient c = new RawClient(gw.port())) {
            c.send("POST /v1/track HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
            RawClient.Response r = c.read();
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body()).contains("body_required");
        }
        try (RawClient c = new RawClient(gw.port())) {
            c.send("POST /v1/track HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
            RawClient.Response r = c.read();
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body()).contains("body_required");
        }
        stillServing(gw);

        assertThat(gw.reload("""
                clusters:
                  collector: { endpoints: [ "%s" ] }
                  api: { endpoints: [ "%s" ] }
                routes:
                  - name: track
                    match: { path_prefix: /v1/track }
                    ingest: { cluster: collector, empty_body: accept }
                  - match: { path_prefix: /api }
                    cluster: api
                """.formatted(collector.address(), api.address())).applied()).isTrue();
        try (RawClient c = new RawClient(gw.port())) {
            c.send("POST /v1/track HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(202);
            c.send("POST /v1/track HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(202);
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> collector.deliveries().size() == 2);
        assertThat(collector.deliveries()).allSatisfy(d -> assertThat(d.body()).isEmpty());
        stillServing(gw);
    }

    @GatewayTest(loops = {1})
    void oversizedTruncatedAndAmbiguousBodies_getTheir4xx_andNothingIsStored(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways, "{ cluster: collector, max_record: 1KiB }", "");
        awaitReady(gw);
        try (RawClient c = new RawClient(gw.port())) {
            c.send("POST /v1/track HTTP/1.1\r\nHost: t\r\nContent-Length: 1025\r\n\r\n");
            RawClient.Response r = c.read();
            assertThat(r.status()).isEqualTo(413);
            assertThat(r.body()).contains("body_too_large");
        }
        try (RawClient c = new RawClient(gw.port())) {
            String chunk = "x".repeat(600);
            c.send("POST /v1/track HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" + chunk
                    + "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(413);
        }
        try (RawClient c = new RawClient(gw.port())) {
            c.send("POST /v1/track HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "0\r\n\r\n");
            RawClient.Response r = c.read();
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body()).contains("ambiguous_framing");
        }
        try (RawClient c = new RawClient(gw.port())) {
            c.send("POST /v1/track HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly-a-part");
            c.shutdownOutput();
            RawClient.Response r = c.read();
            assertThat(r == null || r.status() == 400).as("a truncated body is a 400 or a close, never a 202")
                    .isTrue();
        }
        try (RawClient c = new RawClient(gw.port())) {
            StringBuilder junk = new StringBuilder("POST /v1/track HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n");
            for (int i = 0; i < 10_000; i++) {
                junk.append("X-Junk-").append(i).append(": ").append("y".repeat(8)).append("\r\n");
            }
            c.send(junk.append("\r\nx").toString());
            RawClient.Response r = c.read();
            assertThat(r == null || r.status() == 431).as("10,000 junk headers: 431 or a close").isTrue();
        }
        stillServing(gw);
        assertThat(gw.post("/v1/track", "fits").statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(60)).until(() -> collector.deliveries().size() == 1);
        assertThat(new String(collector.deliveries().get(0).body(), StandardCharsets.UTF_8)).isEqualTo("fits");
    }

    @GatewayTest(loops = {1})
    void aBodySlowerThanTheRouteTimeout_is408BodyTimeout_andNothingIsStored(Gateways gateways) throws Exception {
        collector = Collector.start();
        api = TestUpstream.start("api");
        GatewayFixture gw = gateways.start("""
                clusters:
                  collector: { endpoints: [ "%s" ] }
                  api: { endpoints: [ "%s" ] }
                routes:
                  - name: track
                    match: { path_prefix: /v1/track }
                    timeouts: { request: 1s }
                    ingest: { cluster: collector }
                  - match: { path_prefix: /api }
                    cluster: api
                """.formatted(collector.address(), api.address()));
        awaitReady(gw);
        try (RawClient c = new RawClient(gw.port())) {
            c.timeout(30_000);
            c.send("POST /v1/track HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly-ten-b");
            RawClient.Response r = c.read();
            assertThat(r.status()).isEqualTo(408);
            assertThat(r.body()).contains("body_timeout");
            assertThat(c.closedByServer()).as("the rest of the body is not read: the connection closes").isTrue();
        }
        stillServing(gw);
        JsonNode route = json(gw.admin("GET", "/ingest")).path("routes").get(0);
        assertThat(route.path("accepted").asLong()).isZero();
        assertThat(route.path("backlog").asLong()).isZero();
    }

    @GatewayTest(loops = {1})
    void aBinaryBody_isDeliveredByteForByte(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways, "{ cluster: collector }", "");
        awaitReady(gw);
        byte[] body = new byte[64 * 1024];
        new Random(7).nextBytes(body);
        body[0] = 0;
        body[1] = (byte) 0xff;

        HttpResponse<String> r = gw.client().send(HttpRequest.newBuilder(URI.create(gw.url("/v1/track")))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(60)).until(() -> collector.deliveries().size() == 1);
        assertThat(Arrays.equals(collector.deliveries().get(0).body(), body)).isTrue();
        stillServing(gw);
    }

    @GatewayTest(loops = {1})
    void a400FromTheCluster_quarantines_andReplayAfterTheFixDelivers(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways, "{ cluster: collector }", "");
        awaitReady(gw);
        collector.answer(d -> new String(d.body(), StandardCharsets.UTF_8).startsWith("bad") ? 400 : 200);

        String badId = json(gw.post("/v1/track", "bad record")).path("id").asText();
        assertThat(gw.post("/v1/track", "good record").statusCode()).isEqualTo(202);

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            JsonNode q = json(gw.admin("GET", "/ingest/track/quarantine"));
            assertThat(q.path("records")).hasSize(1);
            assertThat(q.path("records").get(0).path("id").asText()).isEqualTo(badId);
            assertThat(q.path("records").get(0).path("last_status").asInt()).isEqualTo(400);
        });
        assertThat(collector.deliveries()).hasSize(1);
        JsonNode record = json(gw.admin("GET", "/ingest/track/records/" + badId));
        assertThat(record.path("state").asText()).isEqualTo("quarantined");
        assertThat(record.path("body_excerpt").asText()).isEqualTo("bad record");
        assertThat(record.path("attempts")).hasSize(1);
        assertThat(gw.admin("GET", "/ingest/track/records/00000000-0000-7000-8000-000000000000").statusCode())
                .isEqualTo(404);

        collector.answer(d -> 200);
        HttpResponse<String> replay = gw.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.adminPort()
                + "/ingest/track/quarantine/replay")).POST(HttpRequest.BodyPublishers.ofString("{\"all\": true}")));
        assertThat(replay.statusCode()).isEqualTo(200);
        assertThat(json(replay).path("replayed").asInt()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(60)).until(() -> collector.deliveries().size() == 2);
        assertThat(collector.byKey()).containsKey(badId);
        assertThat(json(gw.admin("GET", "/ingest/track/quarantine")).path("records")).isEmpty();
        stillServing(gw);
    }

    @GatewayTest(loops = {1})
    void aFullQuota_is507WithRetryAfter_andDeliveriesFreeItByThemselves(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways, "{ cluster: collector, quota: 2KiB, retry: { initial: 50ms, max: 200ms } }",
                "");
        awaitReady(gw);
        collector.answer(d -> 503);
        String kb = "k".repeat(700);
        int accepted = 0;
        HttpResponse<String> full = null;
        for (int i = 0; i < 10 && full == null; i++) {
            HttpResponse<String> r = gw.post("/v1/track", kb);
            if (r.statusCode() == 202) {
                accepted++;
            } else {
                full = r;
            }
        }
        assertThat(accepted).isEqualTo(2);
        assertThat(full).isNotNull();
        assertThat(full.statusCode()).isEqualTo(507);
        assertThat(full.headers().firstValue("Retry-After")).hasValue("5");
        assertThat(json(full).path("error").asText()).isEqualTo("ingest_full");
        stillServing(gw);

        collector.answer(d -> 200);
        await().atMost(Duration.ofSeconds(60)).until(() -> collector.deliveries().size() == 2);
        await().atMost(Duration.ofSeconds(60)).until(() -> gw.post("/v1/track", kb).statusCode() == 202);
    }
}
