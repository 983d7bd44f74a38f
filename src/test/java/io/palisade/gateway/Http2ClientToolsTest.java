package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.palisade.testing.TestUpstream;
import io.palisade.tls.TestPki;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP/2 command-line clients people try a gateway with, against the real listeners: {@code curl --http2} over TLS
 * (ALPN) and {@code curl --http2-prior-knowledge} in cleartext, and nghttp2's {@code nghttp -nv} both ways. Each must
 * get a 200 over HTTP/2. curl and nghttp (Debian's nghttp2-client) are installed by {@code bin/test}; outside CI a
 * machine without them skips this test, in CI their absence fails it.
 */
class Http2ClientToolsTest {
    @TempDir
    Path dir;
    private Gateway gateway;
    private TestUpstream upstream;
    private Path caFile;

    @BeforeEach
    void start() throws Exception {
        upstream = TestUpstream.start("app");
        TestPki.Issued ca = TestPki.ca("Palisade Test CA");
        TestPki.write(dir, "api", TestPki.server(ca, "localhost", TestPki.ec(), "localhost"), TestPki.KeyForm.PKCS8);
        caFile = TestPki.writeCert(dir, "ca", ca.cert());
        Path config = dir.resolve("palisade.yaml");
        Files.writeString(config, """
                listeners:
                  http: { address: 127.0.0.1:0, http2: {} }
                  https:
                    address: 127.0.0.1:0
                    tls:
                      certificates: [ { cert_file: %1$s/api.pem, key_file: %1$s/api.key } ]
                      alpn: [h2, http/1.1]
                admin: { address: 127.0.0.1:0 }
                access_log: { enabled: false }
                clusters:
                  app: { endpoints: [ "%2$s" ] }
                routes:
                  - { match: { path_prefix: /api }, cluster: app }
                """.formatted(dir, upstream.address()));
        gateway = Gateway.start(config, dir.resolve("state"));
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void curl_http2OverTls_andPriorKnowledgeInCleartext_get200OverHttp2() throws Exception {
        requireTool("curl", "curl");
        String tls = run("curl", "-sS", "--http2", "--cacert", caFile.toString(), "-o", "/dev/null", "-w",
                "%{http_version} %{http_code}", "https://localhost:" + gateway.port("https") + "/api/curl-tls");
        assertThat(tls).as("ALPN chose h2").isEqualTo("2 200");
        String h2c = run("curl", "-sS", "--http2-prior-knowledge", "-o", "/dev/null", "-w",
                "%{http_version} %{http_code}", "http://127.0.0.1:" + gateway.port("http") + "/api/curl-h2c");
        assertThat(h2c).isEqualTo("2 200");
        assertThat(upstream.received()).extracting(TestUpstream.Received::uri).contains("/api/curl-tls", "/api/curl-h2c");
    }

    @Test
    void nghttp_overTlsAndInCleartext_gets200_andSeesTheListenersSettings() throws Exception {
        requireTool("nghttp", "nghttp2-client");
        String tls = run("nghttp", "-nv", "https://localhost:" + gateway.port("https") + "/api/nghttp-tls");
        assertThat(tls).contains("The negotiated protocol: h2").contains(":status: 200");
        String h2c = run("nghttp", "-nv", "http://127.0.0.1:" + gateway.port("http") + "/api/nghttp-h2c");
        assertThat(h2c).contains(":status: 200")
                .contains("SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100")
                .contains("SETTINGS_ENABLE_CONNECT_PROTOCOL(0x08):1");
        assertThat(upstream.received()).extracting(TestUpstream.Received::uri).contains("/api/nghttp-tls", "/api/nghttp-h2c");
    }

    /** Runs a command to its end (within 60 s) and returns its output; a non-zero exit fails the test with it. */
    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + "\n" + out).isZero();
        return out;
    }

    /** The tool is on the PATH; else the test is skipped, unless in CI ({@code CI=true}), where that fails it. */
    static void requireTool(String tool, String debianPackage) {
        boolean present = false;
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                present = true;
                break;
            }
        }
        if (!present && "true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(tool + " is not installed (Debian package " + debianPackage + ", which bin/test installs)");
        }
        assumeTrue(present, tool + " is not installed (apt-get install " + debianPackage + "): skipped outside CI");
    }
}
