package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.testing.NodeScripts;
import io.palisade.tls.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** npm's ws client over {@code wss://} to a TLS listener, tunnelled to npm's ws server: the TLS half of the tunnel. */
class WebSocketTlsTest {
    @TempDir
    Path dir;
    private Gateway gateway;

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void npmWsOverTls_throughTheTunnel_echoesAndClosesWithTheServersCode() throws Exception {
        TestPki.Issued ca = TestPki.ca("Palisade Test CA");
        TestPki.write(dir, "api", TestPki.server(ca, "localhost", TestPki.ec(), "localhost"), TestPki.KeyForm.PKCS8);
        Path caFile = TestPki.writeCert(dir, "ca", ca.cert());
        try (NodeScripts.Server server = new NodeScripts.Server("ws-echo-server.mjs")) {
            Path config = dir.resolve("palisade.yaml");
            Files.writeString(config, """
                    listeners:
                      https:
                        address: 127.0.0.1:0
                        tls:
                          certificates: [ { cert_file: %1$s/api.pem, key_file: %1$s/api.key } ]
                    admin: { address: 127.0.0.1:0 }
                    access_log: { enabled: false }
                    clusters:
                      ws: { endpoints: [ "127.0.0.1:%2$d" ] }
                    routes:
                      - name: chat
                        match: { path_prefix: /chat }
                        cluster: ws
                        websocket: true
                    """.formatted(dir, server.port()));
            gateway = Gateway.start(config, dir.resolve("state"));
            NodeScripts.Run run = NodeScripts.run("ws-client.mjs", "wss://localhost:" + gateway.port("https")
                    + "/chat/tls", caFile.toString());
            assertThat(run.exitCode()).as(run.output()).isZero();
            assertThat(run.output()).contains("\"upgradeStatus\":101").contains("\"closeCode\":4000")
                    .contains("\"binaryOk\":true");
        }
    }
}
