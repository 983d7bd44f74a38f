package io.palisade.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.HttpResponseStatus;
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
        BadInputClient.Outcome outcome = BadInputClient.send(HOST, server.port(), c);

        if (c.status() == 0) {
            assertThat(outcome.statusLine()).as("no response expected").isNull();
        } else {
            assertThat(outcome.statusLine()).isEqualTo("HTTP/1.1 " + HttpResponseStatus.valueOf(c.status()));
            assertThat(outcome.error()).isEqualTo(c.error());
        }
        assertThat(outcome.closed()).as("connection closed").isEqualTo(c.closes());
        if (!c.closes()) {
            assertThat(outcome.followUp()).as("good request on the same connection").isEqualTo(200);
        }
        assertThat(BadInputClient.goodRequestOnNewConnection(HOST, server.port())).isEqualTo("HTTP/1.1 200 OK");
        assertThat(server.unexpectedErrors()).isEmpty();
    }
}
