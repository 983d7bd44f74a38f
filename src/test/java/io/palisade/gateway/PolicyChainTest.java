package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.auth.ApiKeys;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import io.palisade.testing.SilentServer;
import io.palisade.testing.TestUpstream;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;

/** The policy chain in the real gateway: auth statuses, rate limits and their headers, identity forwarding. */
class PolicyChainTest {
    private TestUpstream upstream;
    private SilentServer silentAuth;
    private GatewayFixture gw;

    @AfterEach
    void tearDown() throws Exception {
        if (upstream != null) {
            upstream.close();
        }
        if (silentAuth != null) {
            silentAuth.close();
        }
    }

    @GatewayTest(loops = {1, 2})
    void apiKeyRoute_401WithoutKey_403OutsideGroup_200WithIdentityForwarded_429OverLimit(Gateways gateways)
            throws Exception {
        ApiKeys.GeneratedKey acme = ApiKeys.generate();
        ApiKeys.GeneratedKey other = ApiKeys.generate();
        upstream = TestUpstream.start("orders");
        silentAuth = new SilentServer();
        gw = gateways.start("""
                consumers:
                  acme: { groups: [orders-read], api_keys: [ { sha256: "%s" } ] }
                  other: { groups: [billing], api_keys: [ { sha256: "%s" } ] }
                auth:
                  api_key: { header: X-Api-Key }
                  external:
                    policy: { url: "http://%s/check", timeout: 200ms }
                clusters:
                  orders: { endpoints: [ "%s" ] }
                routes:
                  - match: { path_prefix: /orders }
                    cluster: orders
                    auth: { any_of: [api_key], groups: [orders-read] }
                    rate_limits: [ { key: consumer, rate: 5/m, burst: 3 } ]
                  - match: { path_prefix: /ops }
                    cluster: orders
                    auth: { any_of: ["external:policy"] }
                  - match: { path_prefix: /public }
                    cluster: orders
                """.formatted(acme.sha256Hex(), other.sha256Hex(), silentAuth.address(), upstream.address()));

        assertThat(gw.get("/orders/1").statusCode()).isEqualTo(401);
        assertThat(gw.get("/orders/1", "X-Api-Key", "pk_wrong").statusCode()).isEqualTo(401);
        assertThat(gw.get("/orders/1", "X-Api-Key", other.key()).statusCode()).isEqualTo(403);

        HttpResponse<String> ok = gw.get("/orders/1", "X-Api-Key", acme.key(), "X-Consumer-Id", "spoofed");
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.headers().firstValue("ratelimit-policy")).isPresent();
        var seen = upstream.received().get(0).headers();
        assertThat(seen.get("x-consumer-id")).isEqualTo("acme");
        assertThat(seen.get("x-consumer-groups")).isEqualTo("orders-read");
        assertThat(seen.contains("x-api-key")).as("credential stripped").isFalse();

        assertThat(gw.get("/orders/2", "X-Api-Key", acme.key()).statusCode()).isEqualTo(200);
        assertThat(gw.get("/orders/3", "X-Api-Key", acme.key()).statusCode()).isEqualTo(200);
        HttpResponse<String> limited = gw.get("/orders/4", "X-Api-Key", acme.key());
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("retry-after")).isPresent();
        assertThat(limited.headers().firstValue("ratelimit")).isPresent();
        assertThat(limited.body()).contains("rate_limited");

        // The hung auth service is a 503 with Retry-After at its deadline, never a 403.
        HttpResponse<String> unavailable = gw.get("/ops/x", "Authorization", "Bearer t");
        assertThat(unavailable.statusCode()).isEqualTo(503);
        assertThat(unavailable.headers().firstValue("retry-after")).isPresent();
        assertThat(unavailable.body()).contains("auth_unavailable");

        HttpResponse<String> open = gw.get("/public/x", "X-Consumer-Id", "spoofed");
        assertThat(open.statusCode()).isEqualTo(200);
        assertThat(upstream.received().get(upstream.requestCount() - 1).headers().contains("x-consumer-id"))
                .as("client-sent identity headers removed on routes without auth").isFalse();

        String metrics = gw.admin("GET", "/metrics").body();
        assertThat(metrics).contains("palisade_auth_decisions_total{consumer=\"-\",outcome=\"unavailable\"")
                .contains("palisade_auth_decisions_total{consumer=\"acme\",outcome=\"allowed\"")
                .contains("palisade_rejections_total{reason=\"rate_limited\"} 1.0")
                .contains("palisade_auth_external_inflight{provider=\"external:policy\"}");
    }
}
