package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.palisade.server.Transport;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import io.palisade.testing.RawClient;
import io.palisade.testing.TestUpstream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;

/**
 * How the data listeners are bound: a socket per event loop where SO_REUSEPORT exists, and ports held elsewhere. The
 * config sets its own loop count (3).
 */
class ListenerTest {
    private TestUpstream upstream;
    private GatewayFixture gw;

    @AfterEach
    void tearDown() throws Exception {
        if (upstream != null) {
            upstream.close();
        }
    }

    private static String config(String upstreamAddress, String listener) {
        return """
                server: { worker_threads: 3 }
                %s
                clusters:
                  app: { endpoints: [ "%s" ] }
                routes:
                  - match: { path_prefix: / }
                    cluster: app
                """.formatted(listener, upstreamAddress);
    }

    @GatewayTest
    void everyEventLoopListensOnTheSamePort_andNewConnectionsAreServed(Gateways gateways) throws Exception {
        upstream = TestUpstream.start("app");
        gw = gateways.start(config(upstream.address(), ""));

        var channels = gw.gateway().listenerChannels();
        Set<EventLoop> loops = new HashSet<>();
        Set<Integer> ports = new HashSet<>();
        for (Channel ch : channels) {
            loops.add(ch.eventLoop());
            ports.add(((InetSocketAddress) ch.localAddress()).getPort());
        }
        if (Transport.detect().reusePort().isPresent()) {
            assertThat(channels).hasSize(3);
            assertThat(loops).as("one listening socket per event loop").hasSize(3);
        } else {
            assertThat(channels).hasSize(1);
        }
        assertThat(ports).containsExactly(gw.port());

        // A new connection per request: whichever socket the kernel hands it to serves it.
        for (int i = 0; i < 60; i++) {
            try (RawClient c = new RawClient(gw.port())) {
                c.send("GET /x/" + i + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
                assertThat(c.read().status()).isEqualTo(200);
            }
        }
        assertThat(upstream.received()).hasSize(60);
    }

    @GatewayTest
    void aPortAnotherProcessHolds_isRefusedWithItsAddress_notShared(Gateways gateways) throws Exception {
        upstream = TestUpstream.start("app");
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> gateways.start(config(upstream.address(),
                    "listeners:\n  http: { address: 127.0.0.1:" + port + " }")))
                    .hasRootCauseInstanceOf(java.net.BindException.class)
                    .hasMessageContaining("127.0.0.1:" + port);
        }
    }

    @GatewayTest
    void aStartRefusedForItsPort_leavesNoThreadOfItsOwnRunning(Gateways gateways) throws Exception {
        upstream = TestUpstream.start("app");
        java.nio.file.Path accessLog = java.nio.file.Files.createTempFile("palisade-access", ".log");
        try (io.palisade.testing.RedisServer redis = io.palisade.testing.RedisServer.start();
             ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int jwksPort = closedPort();
            Set<Thread> before = Thread.getAllStackTraces().keySet();
            // Everything that starts threads of its own before the listeners bind: the access log's writer, the
            // JWKS fetch and refresh, the Redis client, health checks, the event loops and the control thread.
            String yaml = """
                    listeners:
                      http: { address: 127.0.0.1:%d }
                    access_log: { enabled: true, target: "%s" }
                    auth:
                      jwt:
                        idp:
                          jwks_url: "http://127.0.0.1:%d/jwks.json"
                          issuer: "https://idp.example"
                          audiences: [orders]
                          fetch: { timeout: 500ms, refresh: 5m, min_interval: 1s }
                    rate_limiting:
                      store: redis
                      redis: { address: "127.0.0.1:%d", timeout: 250ms, probe_interval: 200ms }
                    clusters:
                      app:
                        endpoints: [ "%s" ]
                        health_check: { path: /healthz, interval: 1s, timeout: 500ms }
                    routes:
                      - match: { path_prefix: / }
                        cluster: app
                        auth: { any_of: ["jwt:idp"] }
                        rate_limits: [ { key: ip, rate: 100/s, scope: global } ]
                    """.formatted(taken.getLocalPort(), accessLog, jwksPort, redis.port(), upstream.address());
            assertThatThrownBy(() -> gateways.start(yaml)).isInstanceOf(UncheckedIOException.class);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).untilAsserted(() ->
                    assertThat(Thread.getAllStackTraces().keySet().stream()
                            .filter(t -> !before.contains(t) && t.isAlive())
                            .map(Thread::getName)
                            .filter(n -> n.startsWith("palisade-") || n.startsWith("lettuce-")
                                    || n.startsWith("HttpClient-"))
                            .toList())
                            .as("threads the failed start left running").isEmpty());
        } finally {
            java.nio.file.Files.deleteIfExists(accessLog);
        }
    }

    private static int closedPort() throws java.io.IOException {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @GatewayTest
    void anAdminPortAnotherProcessHolds_isRefusedWithItsAddress_asABusyListenerIs(Gateways gateways)
            throws Exception {
        upstream = TestUpstream.start("app");
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> gateways.start(config(upstream.address(),
                    "admin:\n  address: 127.0.0.1:" + port)))
                    .isInstanceOf(UncheckedIOException.class)
                    .hasRootCauseInstanceOf(java.net.BindException.class)
                    .hasMessage("admin 127.0.0.1:" + port + ": Address already in use");
            assertThatThrownBy(() -> gateways.start(config(upstream.address(),
                    "listeners:\n  http: { address: 127.0.0.1:" + port + " }")))
                    .isInstanceOf(UncheckedIOException.class)
                    .hasMessage("listener http 127.0.0.1:" + port + ": Address already in use");
        }
        // The refused starts left nothing behind that stops the next one.
        gw = gateways.start(config(upstream.address(), ""));
        try (RawClient c = new RawClient(gw.port())) {
            c.send("GET /after HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
        }
    }

    @GatewayTest
    void aSecondGatewayOnTheFirstOnesPort_isRefused(Gateways gateways) throws Exception {
        upstream = TestUpstream.start("app");
        gw = gateways.start(config(upstream.address(), ""));
        String taken = "listeners:\n  http: { address: 127.0.0.1:" + gw.port() + " }";
        assertThatThrownBy(() -> gateways.start(config(upstream.address(), taken)))
                .isInstanceOf(UncheckedIOException.class);
        try (RawClient c = new RawClient(gw.port())) {
            c.send("GET /still HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
        }
    }
}
