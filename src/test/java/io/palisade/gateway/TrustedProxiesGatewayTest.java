package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import io.palisade.testing.TestUpstream;
import org.junit.jupiter.api.AfterEach;

/**
 * Behind a load balancer every connection comes from the balancer: with {@code server.trusted_proxies} naming it,
 * per-IP limits count the client its {@code X-Forwarded-For} names; without, they count the balancer, and a client's
 * own {@code X-Forwarded-For} changes nothing.
 */
class TrustedProxiesGatewayTest {
    private TestUpstream upstream;

    @AfterEach
    void tearDown() {
        if (upstream != null) {
            upstream.close();
        }
    }

    private static String config(String server, String address) {
        return server + """
                clusters:
                  api: { endpoints: [ "%s" ] }
                routes:
                  - match: { path_prefix: /api }
                    cluster: api
                    rate_limits: [ { key: ip, rate: 2/m, name: per-ip } ]
                """.formatted(address);
    }

    @GatewayTest(loops = {1})
    void behindATrustedProxy_perIpLimitsCountTheForwardedClient_andTheChainGrowsByThePeer(Gateways gateways) {
        upstream = TestUpstream.start("api");
        GatewayFixture gw = gateways.start(config("server: { trusted_proxies: [ 127.0.0.0/8, \"::1\" ] }\n",
                upstream.address()));
        for (int i = 0; i < 2; i++) {
            assertThat(gw.get("/api/a", "X-Forwarded-For", "203.0.113.1").statusCode()).isEqualTo(200);
        }
        assertThat(gw.get("/api/a", "X-Forwarded-For", "203.0.113.1").statusCode()).as("its third").isEqualTo(429);
        assertThat(gw.get("/api/a", "X-Forwarded-For", "203.0.113.2").statusCode()).as("another client")
                .isEqualTo(200);
        assertThat(gw.get("/api/a", "X-Forwarded-For", "198.51.100.7, 203.0.113.1").statusCode())
                .as("the nearest untrusted hop is the client, whatever it wrote on the left").isEqualTo(429);
        assertThat(upstream.received().get(0).headers().get("X-Forwarded-For")).isEqualTo("203.0.113.1, 127.0.0.1");
        assertThat(gw.admin("GET", "/config").body()).contains("127.0.0.0/8");
    }

    @GatewayTest(loops = {1})
    void withoutTrustedProxies_aClientsForwardedForIsNotBelieved(Gateways gateways) {
        upstream = TestUpstream.start("api");
        GatewayFixture gw = gateways.start(config("", upstream.address()));
        assertThat(gw.get("/api/a", "X-Forwarded-For", "203.0.113.1").statusCode()).isEqualTo(200);
        assertThat(gw.get("/api/a", "X-Forwarded-For", "203.0.113.2").statusCode()).isEqualTo(200);
        assertThat(gw.get("/api/a", "X-Forwarded-For", "203.0.113.3").statusCode()).as("all from 127.0.0.1")
                .isEqualTo(429);
    }
}
