package io.palisade.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.config.Address;
import io.palisade.ingest.DeliveryResult.Failure;
import io.palisade.store.IngestLog;
import io.palisade.upstream.Endpoint;
import io.palisade.upstream.Timeouts;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One attempt against a real loopback upstream: what goes on the wire, and what each way of failing reports. */
class DeliveryClientTest {
    private static final Timeouts TIMEOUTS = new Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(10),
            Duration.ofSeconds(30));

    private final DeliveryClient client = new DeliveryClient("test");
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        client.close();
        for (AutoCloseable c : closing) {
            c.close();
        }
        client.terminated().get(10, TimeUnit.SECONDS);
    }

    private DeliveryUpstream upstream() {
        DeliveryUpstream u = DeliveryUpstream.start();
        closing.add(u);
        return u;
    }

    private static IngestLog.Pending record(String id, String method, String path, String query, byte[] body,
                                            IngestLog.Header... headers) {
        Instant now = Instant.now();
        return new IngestLog.Pending(1, id, "track", now, method, path, query, List.of(headers), Optional.empty(),
                body, body.length, 0, now);
    }

    private static IngestLog.Pending post(String id) {
        return record(id, "POST", "/v1/track", "", "{}".getBytes(), new IngestLog.Header("Content-Type",
                "application/json"));
    }

    private DeliveryResult send(Address address, Timeouts timeouts, IngestLog.Pending record) throws Exception {
        return client.send(address, timeouts, record).get(30, TimeUnit.SECONDS);
    }

    @Test
    void sendsTheStoredRequestAsStored_withTheRecordIdAsIdempotencyKey() throws Exception {
        DeliveryUpstream up = upstream();
        byte[] body = new byte[70_000];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i * 31);
        }
        IngestLog.Pending r = record("0191e2f4-aaaa-7000-8000-000000000001", "PUT", "/v1/track/a{b}|c",
                "x=\"1\"&y=[2]&z=%zz", body,
                new IngestLog.Header("Content-Type", "application/octet-stream"),
                new IngestLog.Header("X-Tenant", "t1"),
                new IngestLog.Header("X-Tenant", "t2"),
                new IngestLog.Header("Idempotency-Key", "the-client's-key"),
                new IngestLog.Header("Host", "client.example"),
                new IngestLog.Header("Connection", "close"),
                new IngestLog.Header("Content-Length", "5"),
                new IngestLog.Header("Transfer-Encoding", "chunked"),
                new IngestLog.Header("Expect", "100-continue"),
                new IngestLog.Header("Upgrade", "h2c"));

        DeliveryResult result = send(up.address(), TIMEOUTS, r);

        assertThat(result).isEqualTo(DeliveryResult.answered(200, Optional.empty()));
        DeliveryUpstream.Request got = up.received().get(0);
        assertThat(got.method()).isEqualTo("PUT");
        assertThat(got.uri()).isEqualTo("/v1/track/a{b}|c?x=\"1\"&y=[2]&z=%zz");
        assertThat(got.body()).isEqualTo(body);
        assertThat(got.all("Idempotency-Key")).containsExactly(r.id());
        assertThat(got.all("X-Tenant")).containsExactly("t1", "t2");
        assertThat(got.all("Content-Type")).containsExactly("application/octet-stream");
        assertThat(got.all("Host")).containsExactly(up.address().toString());
        assertThat(got.all("Content-Length")).containsExactly(String.valueOf(body.length));
        assertThat(got.all("Connection")).isEmpty();
        assertThat(got.all("Transfer-Encoding")).isEmpty();
        assertThat(got.all("Expect")).isEmpty();
        assertThat(got.all("Upgrade")).isEmpty();
        assertThat(got.all("User-Agent")).as("nothing the client did not send").isEmpty();
    }

    @Test
    void theConsumerIsNamedAsOnProxiedRequests_andStoredConsumerHeadersAreNotSent() throws Exception {
        DeliveryUpstream up = upstream();
        Instant now = Instant.now();
        IngestLog.Header spoofed = new IngestLog.Header("X-Consumer-Id", "someone-else");
        IngestLog.Header groups = new IngestLog.Header("x-consumer-groups", "admins");
        IngestLog.Pending withConsumer = new IngestLog.Pending(1, "c1", "track", now, "POST", "/", "",
                List.of(spoofed, groups), Optional.of("acme"), new byte[0], 0, 0, now);
        IngestLog.Pending anonymous = new IngestLog.Pending(2, "c2", "track", now, "POST", "/", "",
                List.of(spoofed), Optional.empty(), new byte[0], 0, 0, now);
        assertThat(send(up.address(), TIMEOUTS, withConsumer).status()).isEqualTo(200);
        assertThat(send(up.address(), TIMEOUTS, anonymous).status()).isEqualTo(200);
        assertThat(up.received().get(0).all("X-Consumer-Id")).containsExactly("acme");
        assertThat(up.received().get(0).all("X-Consumer-Groups")).isEmpty();
        assertThat(up.received().get(1).all("X-Consumer-Id")).isEmpty();
    }

    @Test
    void anEmptyBody_isSentWithContentLengthZero_forAnyMethod() throws Exception {
        DeliveryUpstream up = upstream();
        for (String method : new String[] {"POST", "PUT", "PATCH", "DELETE", "GET"}) {
            assertThat(send(up.address(), TIMEOUTS, record("id-" + method, method, "/e", "", new byte[0])).status())
                    .isEqualTo(200);
        }
        assertThat(up.received()).hasSize(5).allSatisfy(got -> {
            assertThat(got.all("Content-Length")).containsExactly("0");
            assertThat(got.body()).isEmpty();
        });
    }

    @Test
    void theStatusAndRetryAfterComeBack() throws Exception {
        DeliveryUpstream up = upstream().answer(r -> new DeliveryUpstream.Status(503, Map.of("Retry-After", "7")));
        DeliveryResult result = send(up.address(), TIMEOUTS, post("a"));
        assertThat(result).isEqualTo(DeliveryResult.answered(503, Optional.of("7")));
        assertThat(result.endpointFailure()).contains(Endpoint.FailureKind.SERVER_ERROR);

        up.answer(r -> DeliveryUpstream.status(400));
        DeliveryResult bad = send(up.address(), TIMEOUTS, post("b"));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.endpointFailure()).as("an answer below 500 is the endpoint's success").isEmpty();
    }

    @Test
    void connectionsAreKeptAlive() throws Exception {
        DeliveryUpstream up = upstream();
        for (int i = 0; i < 5; i++) {
            assertThat(send(up.address(), TIMEOUTS, post("k" + i)).status()).isEqualTo(200);
        }
        assertThat(up.connections()).isEqualTo(1);
    }

    @Test
    void aKeptConnectionTheUpstreamClosed_isReplacedWithinTheAttempt() throws Exception {
        DeliveryUpstream up = upstream();
        assertThat(send(up.address(), TIMEOUTS, post("s1")).status()).isEqualTo(200);
        up.dropConnections();
        assertThat(send(up.address(), TIMEOUTS, post("s2")).status()).isEqualTo(200);
        assertThat(up.received()).extracting(DeliveryUpstream.Request::idempotencyKey).containsExactly("s1", "s2");
    }

    @Test
    void aRefusedConnect_isAConnectFailure() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        DeliveryResult result = send(new Address("127.0.0.1", port), TIMEOUTS, post("r"));
        assertThat(result.failure()).isEqualTo(Failure.CONNECT_FAILED);
        assertThat(result.status()).isZero();
        assertThat(result.error()).startsWith("connect failed");
        assertThat(result.endpointFailure()).contains(Endpoint.FailureKind.CONNECT_FAILED);
    }

    @Test
    void anUpstreamThatNeverAnswers_timesOutAtTheRequestDeadline() throws Exception {
        DeliveryUpstream up = upstream().answer(r -> new DeliveryUpstream.Hang());
        Timeouts quick = new Timeouts(Duration.ofSeconds(2), Duration.ofMillis(300), Duration.ofSeconds(30));
        DeliveryResult result = send(up.address(), quick, post("h"));
        assertThat(result.failure()).isEqualTo(Failure.TIMEOUT);
        assertThat(result.error()).isEqualTo("no response within 300ms");
        assertThat(result.endpointFailure()).contains(Endpoint.FailureKind.TIMEOUT);
    }

    @Test
    void aConnectionClosedWithoutAnAnswer_isAReset() throws Exception {
        DeliveryUpstream up = upstream().answer(r -> new DeliveryUpstream.Close());
        DeliveryResult result = send(up.address(), TIMEOUTS, post("c"));
        assertThat(result.failure()).isEqualTo(Failure.RESET);
        assertThat(result.endpointFailure()).contains(Endpoint.FailureKind.RESET);
    }

    @Test
    void aHeaderThatCannotBeSent_isUnsendable() throws Exception {
        DeliveryUpstream up = upstream();
        DeliveryResult result = send(up.address(), TIMEOUTS, record("u", "POST", "/", "", new byte[0],
                new IngestLog.Header("X-Bad", "a\r\nInjected: yes")));
        assertThat(result.failure()).isEqualTo(Failure.UNSENDABLE);
        assertThat(up.received()).isEmpty();
    }

    @Test
    void close_letsTheAttemptInFlightEnd_thenStops() throws Exception {
        CompletableFuture<Void> release = new CompletableFuture<>();
        DeliveryUpstream up = upstream().answer(r -> new DeliveryUpstream.Held(release, 200));
        CompletableFuture<DeliveryResult> inFlight = client.send(up.address(), TIMEOUTS, post("f"));
        org.awaitility.Awaitility.await().until(() -> up.inFlight() == 1);
        client.close();
        assertThat(client.send(up.address(), TIMEOUTS, post("g")).get(5, TimeUnit.SECONDS).failure())
                .isEqualTo(Failure.UNAVAILABLE);
        assertThat(client.terminated()).isNotDone();
        release.complete(null);
        assertThat(inFlight.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
        client.terminated().get(10, TimeUnit.SECONDS);
    }
}
