package io.palisade.server;

import io.palisade.testing.GatewayFixture;
import io.palisade.testing.Gateways;
import io.palisade.testing.TestUpstream;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bad-input table of {@link BadInputTableTest}, sent over raw sockets to the whole gateway (protocol handlers,
 * proxy, a real upstream) instead of the protocol handlers alone: every input gets its exact status, the connection
 * closes where it must, and a good request on a new connection is proxied with 200 afterwards.
 */
class GatewayBadInputTableTest {
    private static final String HOST = "127.0.0.1";
    @RegisterExtension
    static final Gateways GATEWAYS = Gateways.onSystemTime(Gateways.SEVERAL);
    private static TestUpstream upstream;
    private static GatewayFixture gateway;

    @BeforeAll
    static void start() {
        upstream = TestUpstream.start("echo").behave(new TestUpstream.Echo());
        gateway = GATEWAYS.start("""
                server:
                  limits: { max_header_bytes: 8KiB, max_uri_bytes: 8KiB, max_body: 16KiB, header_read_timeout: 300ms,
                            client_idle: 1s, max_connections: 64 }
                clusters:
                  echo: { endpoints: [ "%s" ] }
                routes:
                  - match: { path_prefix: / }
                    cluster: echo
                """.formatted(upstream.address()));
    }

    @AfterAll
    static void stop() {
        upstream.close();
    }

    static List<BadInputs.Case> cases() {
        return BadInputs.cases(ProtocolTestServer.LIMITS);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eachInput_getsItsExactAnswerFromTheGateway_andTheGatewayKeepsServing(BadInputs.Case c) throws Exception {
        BadInputClient.assertAnswered(c, HOST, gateway.port());
    }
}
