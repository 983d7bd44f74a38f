package io.palisade.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every case of {@link BadInputs} over a real socket against the protocol handlers on {@link ProtocolTestServer}. */
class BadInputTableTest {
    private static final String HOST = "127.0.0.1";
    private static ProtocolTestServer server;

    @BeforeAll
    static void start() throws InterruptedException {
        server = ProtocolTestServer.start(ProtocolTestServer.LIMITS);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static List<BadInputs.Case> cases() {
        return BadInputs.cases(ProtocolTestServer.LIMITS);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eachInput_getsItsExactAnswer_andTheServerKeepsServing(BadInputs.Case c) throws Exception {
        BadInputClient.assertAnswered(c, HOST, server.port());
        assertThat(server.unexpectedErrors()).isEmpty();
    }
}
