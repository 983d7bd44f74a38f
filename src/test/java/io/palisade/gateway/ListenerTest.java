package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.palisade.server.Transport;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.RawClient;
import io.palisade.testing.TestUpstream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How the data listeners are bound: a socket per event loop where SO_REUSEPORT exists, and ports held elsewhere. */
class ListenerTest {
    private TestUpstream upstream;
    private GatewayFixture gw;

    @AfterEach
    void tearDown() throws Exception {
        if (gw != null) {
            gw.close();
        }
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

    @Test
    void everyEventLoopListensOnTheSamePort_andNewConnectionsAreServed() throws Exception {
        upstream = TestUpstream.start("app");
        gw = GatewayFixture.start(config(upstream.address(), ""));

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

    @Test
    void aPortAnotherProcessHolds_isRefusedWithItsAddress_notShared() throws Exception {
        upstream = TestUpstream.start("app");
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> GatewayFixture.start(config(upstream.address(),
                    "listeners:\n  http: { address: 127.0.0.1:" + port + " }")))
                    .hasRootCauseInstanceOf(java.net.BindException.class)
                    .hasMessageContaining("127.0.0.1:" + port);
        }
    }

    @Test
    void anAdminPortAnotherProcessHolds_isRefusedWithItsAddress_asABusyListenerIs() throws Exception {
        upstream = TestUpstream.start("app");
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> GatewayFixture.start(config(upstream.address(),
                    "admin:\n  address: 127.0.0.1:" + port)))
                    .isInstanceOf(UncheckedIOException.class)
                    .hasRootCauseInstanceOf(java.net.BindException.class)
                    .hasMessage("admin 127.0.0.1:" + port + ": Address already in use");
            assertThatThrownBy(() -> GatewayFixture.start(config(upstream.address(),
                    "listeners:\n  http: { address: 127.0.0.1:" + port + " }")))
                    .isInstanceOf(UncheckedIOException.class)
                    .hasMessage("listener http 127.0.0.1:" + port + ": Address already in use");
        }
        // The refused starts left nothing behind that stops the next one.
        gw = GatewayFixture.start(config(upstream.address(), ""));
        try (RawClient c = new RawClient(gw.port())) {
            c.send("GET /after HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
        }
    }

    @Test
    void aSecondGatewayOnTheFirstOnesPort_isRefused() throws Exception {
        upstream = TestUpstream.start("app");
        gw = GatewayFixture.start(config(upstream.address(), ""));
        String taken = "listeners:\n  http: { address: 127.0.0.1:" + gw.port() + " }";
        assertThatThrownBy(() -> GatewayFixture.start(config(upstream.address(), taken)))
                .isInstanceOf(UncheckedIOException.class);
        try (RawClient c = new RawClient(gw.port())) {
            c.send("GET /still HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
        }
    }
}
