package io.palisade.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Behaviour that only shows on real sockets: connection caps, closing without resets, pipelining across reads. */
class ProtocolServerSocketTest {
    private static final String HOST = "127.0.0.1";

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket(HOST, port);
        s.setSoTimeout(30_000);
        return s;
    }

    @Test
    void connectionsOverMaxConnections_areClosedOnAccept_andCounted() throws Exception {
        ServerLimits limits = new ServerLimits(8192, 8192, 1024, Duration.ofSeconds(5), Duration.ofSeconds(30), 2);
        try (ProtocolTestServer server = ProtocolTestServer.start(limits);
                Socket a = connect(server.port())) {
            Socket b = connect(server.port());
            await().until(() -> server.limiter().open() == 2);
            try (Socket c = connect(server.port())) {
                assertThat(c.getInputStream().read()).isEqualTo(-1);
            }
            assertThat(server.limiter().rejected()).isEqualTo(1);
            a.getOutputStream().write(BadInputClient.GOOD_REQUEST.getBytes(StandardCharsets.US_ASCII));
            assertThat(BadInputClient.readResponse(a.getInputStream()).statusLine()).isEqualTo("HTTP/1.1 200 OK");
            b.close();
            await().until(() -> server.limiter().open() == 1);
            assertThat(BadInputClient.goodRequestOnNewConnection(HOST, server.port())).isEqualTo("HTTP/1.1 200 OK");
        }
    }

    @Test
    void bodyOverMax_theClientCanFinishSendingAndStillReadsThe413_insteadOfAReset() throws Exception {
        int bodyBytes = 16 * 1024 * 1024; // more than the socket buffers hold: the server must keep reading
        try (ProtocolTestServer server = ProtocolTestServer.start(ProtocolTestServer.LIMITS);
                Socket s = connect(server.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /up HTTP/1.1\r\n" + BadInputs.HOST + "Content-Length: " + bodyBytes + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[64 * 1024];
            for (int sent = 0; sent < bodyBytes; sent += chunk.length) {
                out.write(chunk); // a server that closed at once would reset the connection here
            }
            InputStream in = s.getInputStream();
            BadInputClient.Response r = BadInputClient.readResponse(in);
            assertThat(r.statusLine()).isEqualTo("HTTP/1.1 413 Request Entity Too Large");
            assertThat(r.body()).contains("\"error\":\"body_too_large\"");
            assertThat(in.read()).isEqualTo(-1);
            assertThat(server.unexpectedErrors()).isEmpty();
        }
    }

    @Test
    void headerOverMax_theClientCanFinishSendingAndStillReadsThe431_insteadOfAReset() throws Exception {
        int headerBytes = 16 * 1024 * 1024; // the decoder gives up after max_header_bytes; the client sends on
        try (ProtocolTestServer server = ProtocolTestServer.start(ProtocolTestServer.LIMITS);
                Socket s = connect(server.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("GET / HTTP/1.1\r\n" + BadInputs.HOST + "X-Big: ").getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[64 * 1024];
            java.util.Arrays.fill(chunk, (byte) 'a');
            for (int sent = 0; sent < headerBytes; sent += chunk.length) {
                out.write(chunk); // a server that closed at once would reset the connection here
            }
            InputStream in = s.getInputStream();
            BadInputClient.Response r = BadInputClient.readResponse(in);
            assertThat(r.statusLine()).isEqualTo("HTTP/1.1 431 Request Header Fields Too Large");
            assertThat(in.read()).isEqualTo(-1);
            assertThat(server.unexpectedErrors()).isEmpty();
        }
    }

    @Test
    void pipelinedRequestsSplitAcrossWrites_areAnsweredInOrder() throws Exception {
        try (ProtocolTestServer server = ProtocolTestServer.start(ProtocolTestServer.LIMITS);
                Socket s = connect(server.port())) {
            String pipelined = "POST /1 HTTP/1.1\r\n" + BadInputs.HOST + "Content-Length: 3\r\n\r\nabc"
                    + "POST /2 HTTP/1.1\r\n" + BadInputs.HOST + "Transfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
                    + "GET /3 HTTP/1.1\r\n" + BadInputs.HOST + "\r\n";
            byte[] bytes = pipelined.getBytes(StandardCharsets.US_ASCII);
            OutputStream out = s.getOutputStream();
            for (int i = 0; i < bytes.length; i += 7) {
                out.write(bytes, i, Math.min(7, bytes.length - i));
                out.flush();
            }
            List<String> bodies = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                bodies.add(BadInputClient.readResponse(s.getInputStream()).body());
            }
            assertThat(bodies).containsExactly("ok /1 3", "ok /2 2", "ok /3 0");
        }
    }
}
