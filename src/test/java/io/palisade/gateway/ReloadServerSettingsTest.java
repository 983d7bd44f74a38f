package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.admin.ReloadResult;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.Gateways;
import org.junit.jupiter.api.extension.RegisterExtension;
import io.palisade.testing.RawClient;
import io.palisade.testing.TestUpstream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The connection cap is per listener and a reload applies it (the access log needs a restart: a reload that changes it
 * is refused naming the key, ProxyIntegrationTest).
 */
class ReloadServerSettingsTest {
    @RegisterExtension
    static final Gateways gateways = Gateways.onSystemTime(Gateways.SEVERAL);

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private <T extends AutoCloseable> T keep(T resource) {
        resources.add(resource);
        return resource;
    }

    private static String routes(TestUpstream upstream) {
        return """
                clusters:
                  app: { endpoints: [ "%s" ] }
                routes:
                  - match: { path_prefix: / }
                    cluster: app
                """.formatted(upstream.address());
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.exists(file) ? Files.readAllLines(file) : List.of();
    }

    private boolean served(int port) {
        try {
            RawClient c = keep(new RawClient(port));
            c.send("GET /held HTTP/1.1\r\nHost: a\r\n\r\n");
            RawClient.Response r = c.read();
            return r != null && r.status() == 200;
        } catch (IOException e) {
            return false; // closed on accept, before or while the request went out
        }
    }

    @Test
    void maxConnections_capsEachListenerOnItsOwn_andAReloadChangesTheCap() throws Exception {
        TestUpstream upstream = keep(TestUpstream.start("app"));
        String listeners = """
                listeners:
                  http: { address: 127.0.0.1:0 }
                  other: { address: 127.0.0.1:0 }
                """;
        GatewayFixture gw = gateways.start((listeners
                + "server: { limits: { max_connections: 2 } }\n" + routes(upstream)));
        int http = gw.port();
        int other = gw.gateway().port("other");

        assertThat(served(http)).isTrue();
        assertThat(served(http)).isTrue();
        assertThat(served(other)).as("the other listener has a cap of its own").isTrue();
        assertThat(served(other)).isTrue();
        assertThat(served(http)).as("third connection on a listener capped at 2").isFalse();

        ReloadResult raised = gw.reload(listeners + "server: { limits: { max_connections: 3 } }\n" + routes(upstream));
        assertThat(raised.applied()).as("%s", raised.errors()).isTrue();
        assertThat(served(http)).as("the new cap of 3").isTrue();
        assertThat(served(other)).isTrue();
        assertThat(served(http)).isFalse();
    }

    private boolean servedFrom(String local, int port) {
        try {
            RawClient c = keep(RawClient.from(InetAddress.getByName(local), port));
            c.send("GET /held HTTP/1.1\r\nHost: a\r\n\r\n");
            RawClient.Response r = c.read();
            return r != null && r.status() == 200;
        } catch (IOException e) {
            return false; // closed on accept, before or while the request went out
        }
    }

    @Test
    void maxConnectionsPerIp_capsOneAddress_leavesOthersServed_andAReloadChangesTheCap() throws Exception {
        TestUpstream upstream = keep(TestUpstream.start("app"));
        String listeners = "listeners: { http: { address: 127.0.0.1:0 } }\n";
        GatewayFixture gw = gateways.start(listeners
                + "server: { limits: { max_connections_per_ip: 3 } }\n" + routes(upstream));
        int http = gw.port();

        for (int i = 0; i < 3; i++) {
            assertThat(servedFrom("127.0.0.1", http)).as("connection %d from 127.0.0.1", i + 1).isTrue();
        }
        for (int i = 0; i < 3; i++) {
            assertThat(servedFrom("127.0.0.1", http)).as("over the cap of 3 from 127.0.0.1").isFalse();
        }
        assertThat(servedFrom("127.0.0.2", http)).as("another address").isTrue();
        assertThat(gw.admin("GET", "/metrics").body()).contains("palisade_client_connections_per_ip_rejected_total 3.0");

        ReloadResult raised = gw.reload(listeners + "server: { limits: { max_connections_per_ip: 4 } }\n"
                + routes(upstream));
        assertThat(raised.applied()).as("%s", raised.errors()).isTrue();
        assertThat(servedFrom("127.0.0.1", http)).as("the new cap of 4").isTrue();
        assertThat(servedFrom("127.0.0.1", http)).isFalse();
        assertThat(servedFrom("127.0.0.2", http)).isTrue();

        for (int i = resources.size() - 1; i >= 1; i--) {
            resources.remove(i).close();
        }
        // Once the connections close, the address's count is gone with them: it has its whole cap again.
        org.awaitility.Awaitility.await().untilAsserted(() -> assertThat(gw.admin("GET", "/metrics").body())
                .contains("palisade_client_connection_addresses 0.0"));
        for (int i = 0; i < 4; i++) {
            assertThat(servedFrom("127.0.0.1", http)).as("connection %d after the others closed", i + 1).isTrue();
        }
    }

    @Test
    void maxConnectionsPerIp_behindThePROXYProtocol_countsTheClientTheHeaderNames() throws Exception {
        TestUpstream upstream = keep(TestUpstream.start("app"));
        GatewayFixture gw = gateways.start("listeners: { http: { address: 127.0.0.1:0, proxy_protocol: true } }\n"
                + "server: { limits: { max_connections_per_ip: 2 } }\n" + routes(upstream));
        int http = gw.port();
        assertThat(servedBehindBalancer("192.0.2.1", http)).isTrue();
        assertThat(servedBehindBalancer("192.0.2.1", http)).isTrue();
        assertThat(servedBehindBalancer("192.0.2.1", http)).as("the third from the client the header names")
                .isFalse();
        assertThat(servedBehindBalancer("192.0.2.2", http)).as("another client through the same balancer").isTrue();
    }

    private boolean servedBehindBalancer(String client, int port) {
        try {
            RawClient c = keep(new RawClient(port));
            c.send("PROXY TCP4 " + client + " 127.0.0.1 40000 80\r\nGET /held HTTP/1.1\r\nHost: a\r\n\r\n");
            RawClient.Response r = c.read();
            return r != null && r.status() == 200;
        } catch (IOException e) {
            return false;
        }
    }
}
