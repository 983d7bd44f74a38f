package io.palisade.auth;

import static io.palisade.auth.AuthTesting.decision;
import static io.palisade.auth.AuthTesting.get;
import static io.palisade.auth.AuthTesting.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.palisade.testing.SilentServer;
import io.palisade.auth.AuthTesting.TestServer;
import io.palisade.error.ErrorKind;
import io.palisade.testing.FakeTicker;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ExternalAuthTest {
    private final FakeTicker ticker = new FakeTicker();
    private final TestServer server = new TestServer();
    private final ApiKeys.GeneratedKey acmeKey = ApiKeys.generate();
    private final ApiKeys.GeneratedKey bobKey = ApiKeys.generate();
    private AuthService auth;
    private RoutePolicy route;
    private RoutePolicy mixed;

    @AfterEach
    void stop() {
        if (auth != null) {
            auth.close();
        }
        server.close();
    }

    private void start(String url, String timeout, int maxInFlight) {
        Yaml y = Yaml.of("""
                consumers:
                  acme: { groups: [orders-read, ops], api_keys: [ { sha256: "%s" } ] }
                  bob: { groups: [billing], api_keys: [ { sha256: "%s" } ] }
                auth:
                  external:
                    policy:
                      url: %s
                      timeout: %s
                      max_in_flight: %d
                      cache: { allow_ttl: 30s, deny_ttl: 5s, serve_stale_for: 5m, max_entries: 1000 }
                      forward_headers: [Authorization, X-Tenant]
                      breaker: { consecutive_failures: 2, open_for: 10s }
                routes:
                  - auth: { any_of: [external:policy] }
                  - auth: { any_of: [api_key, external:policy], groups: [ops] }
                """.formatted(acmeKey.sha256Hex(), bobKey.sha256Hex(), url, timeout, maxInFlight));
        route = y.route(0);
        mixed = y.route(1);
        y.errors.throwIfAny();
        auth = AuthService.create(y.settings, ticker, Clock.systemUTC());
    }

    private void start() {
        start(server.url("/check"), "2s", 64);
    }

    private AuthDecision decide(AuthRequest r) {
        return decision(auth.authenticate(route, r));
    }

    private AuthStats.External stats() {
        return auth.stats().external().get("external:policy");
    }

    @Test
    void allow_carriesConsumerGroupsAndHeaders_andTheServiceSeesTheForwardedAttributes() throws Exception {
        start();
        server.answer(200, """
                {"allow": true, "consumer": "acme", "groups": ["auditors"], "headers": {"X-Tenant-Id": "7"}}""");
        AuthDecision d = decide(request("POST", "/ops/run", "dry=1", "Authorization", "Bearer t",
                "X-Tenant", "t1", "X-Other", "not forwarded"));

        assertThat(d).isInstanceOf(AuthDecision.Allowed.class);
        AuthDecision.Allowed a = (AuthDecision.Allowed) d;
        assertThat(a.identity().consumerId()).isEqualTo("acme");
        assertThat(a.identity().provider()).isEqualTo("external:policy");
        assertThat(a.identity().groups()).containsExactlyInAnyOrder("auditors", "orders-read", "ops");
        assertThat(a.upstreamHeaders()).isEqualTo(Map.of("X-Tenant-Id", "7"));

        JsonNode sent = new ObjectMapper().readTree(server.bodies.get(0));
        assertThat(sent.get("method").asText()).isEqualTo("POST");
        assertThat(sent.get("path").asText()).isEqualTo("/ops/run");
        assertThat(sent.get("query").asText()).isEqualTo("dry=1");
        assertThat(sent.get("headers").properties()).extracting(Map.Entry::getKey)
                .containsExactlyInAnyOrder("authorization", "x-tenant");
        assertThat(sent.get("headers").get("authorization").asText()).isEqualTo("Bearer t");
    }

    @Test
    void emptyOk_allowsAsTheProviderIdentity() {
        start();
        AuthDecision d = decide(get("/ops/x"));
        assertThat(((AuthDecision.Allowed) d).identity().consumerId()).isEqualTo("external:policy");
    }

    @Test
    void serviceAnswers_mapToDecisions() {
        start();
        server.answer(401, "");
        assertThat(decide(get("/ops/401")).error()).contains(ErrorKind.UNAUTHENTICATED);
        server.answer(403, "");
        assertThat(decide(get("/ops/403")).error()).contains(ErrorKind.FORBIDDEN);
        server.answer(200, "{\"allow\": false}");
        assertThat(decide(get("/ops/allow-false")).error()).contains(ErrorKind.FORBIDDEN);
        server.answer(200, "{\"headers\": {\"Connection\": \"close\"}}");
        assertThat(decide(get("/ops/hop-by-hop"))).isInstanceOf(AuthDecision.Unavailable.class);
        server.answer(200, "");
        assertThat(decide(get("/ops/ok"))).isInstanceOf(AuthDecision.Allowed.class);
        server.answer(200, "{\"headers\": {\"X-Consumer-Id\": \"root\"}}");
        assertThat(decide(get("/ops/spoof"))).isInstanceOf(AuthDecision.Unavailable.class);
        server.answer(200, "not json");
        assertThat(decide(get("/ops/garbage"))).isEqualTo(
                new AuthDecision.Unavailable("external:policy", "response body is not JSON"));
        // malformed answers are failures of the service: two in a row open the circuit
        assertThat(stats().breaker()).isEqualTo(BreakerState.OPEN);
    }

    @Test
    void serverError_isUnavailable() {
        start();
        server.answer(500, "");
        assertThat(decide(get("/ops/x"))).isEqualTo(new AuthDecision.Unavailable("external:policy", "status 500"));
        server.answer(302, "");
        assertThat(decide(get("/ops/y"))).isEqualTo(new AuthDecision.Unavailable("external:policy", "status 302"));
    }

    @Test
    void hungAuthService_answers503AtDeadline() throws Exception {
        try (SilentServer silent = new SilentServer()) {
            start(silent.url("/check"), "300ms", 64);
            AuthDecision d = decide(get("/ops/x"));
            assertThat(d).isEqualTo(new AuthDecision.Unavailable("external:policy", "timed out"));
            assertThat(d.error()).contains(ErrorKind.AUTH_UNAVAILABLE);
            assertThat(silent.acceptedCount()).isEqualTo(1);
            assertThat(stats().inFlight()).isZero();
        }
    }

    @Test
    void fullBulkhead_isUnavailableAtOnce() throws Exception {
        try (SilentServer silent = new SilentServer()) {
            start(silent.url("/check"), "2s", 1);
            CompletableFuture<AuthDecision> first = auth.authenticate(route, get("/ops/1")).toCompletableFuture();
            CompletableFuture<AuthDecision> second = auth.authenticate(route, get("/ops/2")).toCompletableFuture();

            assertThat(second).as("rejected without waiting").isDone();
            assertThat(second.join()).isEqualTo(new AuthDecision.Unavailable("external:policy",
                    "too many calls in flight (max_in_flight 1)"));
            assertThat(decision(first)).isInstanceOf(AuthDecision.Unavailable.class);
            assertThat(stats().breaker()).as("a full bulkhead is not the service failing")
                    .isEqualTo(BreakerState.CLOSED);
        }
    }

    @Test
    void breaker_opensAfterFailures_andClosesAfterASuccessfulProbe() {
        start();
        server.answer(500, "");
        decide(get("/ops/1"));
        decide(get("/ops/2"));
        assertThat(stats().breaker()).isEqualTo(BreakerState.OPEN);

        assertThat(decide(get("/ops/3"))).isEqualTo(new AuthDecision.Unavailable("external:policy", "circuit open"));
        assertThat(server.requests.get()).as("no call while open").isEqualTo(2);

        server.answer(200, "");
        ticker.advance(Duration.ofSeconds(10));
        assertThat(decide(get("/ops/4"))).isInstanceOf(AuthDecision.Allowed.class);
        assertThat(stats().breaker()).isEqualTo(BreakerState.CLOSED);
        assertThat(server.requests.get()).isEqualTo(3);
    }

    @Test
    void failedProbe_reopensTheCircuit() {
        start();
        server.answer(500, "");
        decide(get("/ops/1"));
        decide(get("/ops/2"));
        ticker.advance(Duration.ofSeconds(10));
        assertThat(decide(get("/ops/3"))).isInstanceOf(AuthDecision.Unavailable.class);
        assertThat(stats().breaker()).isEqualTo(BreakerState.OPEN);
        assertThat(server.requests.get()).isEqualTo(3);
    }

    @Test
    void decisions_areCachedForTheirTtl() {
        start();
        server.answer(403, "");
        AuthRequest r = get("/ops/x", "Authorization", "Bearer a");
        assertThat(decide(r).error()).contains(ErrorKind.FORBIDDEN);
        assertThat(decide(r).error()).contains(ErrorKind.FORBIDDEN);
        assertThat(server.requests.get()).isEqualTo(1);
        assertThat(decide(get("/ops/x", "Authorization", "Bearer b")).error()).contains(ErrorKind.FORBIDDEN);
        assertThat(server.requests.get()).as("other forwarded header, other entry").isEqualTo(2);

        ticker.advance(Duration.ofSeconds(6));
        server.answer(200, "");
        assertThat(decide(r)).as("deny_ttl over; service healthy, so it is asked again")
                .isInstanceOf(AuthDecision.Allowed.class);
        assertThat(server.requests.get()).isEqualTo(3);
        assertThat(stats().cacheEntries()).isEqualTo(2);
    }

    @Test
    void serviceDown_servesStaleDecisions_andRefreshesWhenItIsBack() {
        start();
        server.answer(200, "{\"consumer\": \"acme\"}");
        AuthRequest r = get("/ops/x", "Authorization", "Bearer a");
        assertThat(decide(r)).isInstanceOf(AuthDecision.Allowed.class);

        ticker.advance(Duration.ofSeconds(31));
        server.answer(500, "");
        assertThat(decide(r)).as("call failed, stale answer served").isInstanceOf(AuthDecision.Allowed.class);
        assertThat(decide(r)).isInstanceOf(AuthDecision.Allowed.class);
        assertThat(stats().breaker()).isEqualTo(BreakerState.OPEN);
        assertThat(server.requests.get()).isEqualTo(3);

        CompletableFuture<AuthDecision> whileOpen = auth.authenticate(route, r).toCompletableFuture();
        assertThat(whileOpen).as("stale answer at once while the circuit is open").isDone();
        assertThat(whileOpen.join()).isInstanceOf(AuthDecision.Allowed.class);
        assertThat(server.requests.get()).isEqualTo(3);
        assertThat(stats().staleServed()).isEqualTo(3);

        server.answer(200, "{\"consumer\": \"acme\", \"groups\": [\"fresh\"]}");
        ticker.advance(Duration.ofSeconds(10));
        assertThat(decide(r)).as("stale served; background refresh probes").isInstanceOf(AuthDecision.Allowed.class);
        await().atMost(Duration.ofSeconds(10)).until(() -> stats().breaker() == BreakerState.CLOSED);
        await().atMost(Duration.ofSeconds(10)).until(() -> ((AuthDecision.Allowed) decide(r)).identity().groups()
                .contains("fresh"));
        assertThat(server.requests.get()).isEqualTo(4);
    }

    @Test
    void staleDecisionPastServeStaleFor_isNotServed() {
        start();
        AuthRequest r = get("/ops/x");
        assertThat(decide(r)).isInstanceOf(AuthDecision.Allowed.class);
        server.answer(500, "");
        ticker.advance(Duration.ofSeconds(30).plus(Duration.ofMinutes(5)));
        assertThat(decide(r)).isEqualTo(new AuthDecision.Unavailable("external:policy", "status 500"));
    }

    @Test
    void failingDependency_isNever403_evenWhenAnotherProviderForbids() {
        start("http://127.0.0.1:" + AuthTesting.closedPort() + "/check", "1s", 64);
        AuthDecision bob = decision(auth.authenticate(mixed, get("/ops", "X-Api-Key", bobKey.key())));
        assertThat(bob).as("bob is not in ops; the policy service might have allowed him")
                .isInstanceOf(AuthDecision.Unavailable.class);
        assertThat(bob.error()).contains(ErrorKind.AUTH_UNAVAILABLE);
        assertThat(decision(auth.authenticate(mixed, get("/ops", "X-Api-Key", "pk_unknown"))))
                .isInstanceOf(AuthDecision.Unavailable.class);

        AuthDecision acme = decision(auth.authenticate(mixed, get("/ops", "X-Api-Key", acmeKey.key())));
        assertThat(acme).as("first allowed wins; the service is not asked").isInstanceOf(AuthDecision.Allowed.class);
        assertThat(auth.stats().outcomes()).containsEntry("unavailable", 2L).containsEntry("forbidden", 0L);
    }
}
