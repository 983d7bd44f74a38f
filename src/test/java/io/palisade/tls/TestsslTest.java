package io.palisade.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.palisade.gateway.Gateway;
import io.palisade.testing.TestUpstream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * testssl.sh (Debian's package) against a TLS listener on its default settings, with the test CA given by
 * {@code --add-ca} and a certificate carrying the IP SAN 127.0.0.1: no finding may be rated HIGH or CRITICAL. It takes
 * minutes, so it runs in {@code bin/test-long} (section {@code testssl}, which sets {@code -Dpalisade.testssl=true}),
 * not in {@code bin/test}; the summary goes to {@code target/testssl/summary.txt}.
 */
class TestsslTest {
    @TempDir
    Path dir;

    @Test
    void defaultTlsSettings_haveNoHighOrCriticalFinding() throws Exception {
        assumeTrue(Boolean.getBoolean("palisade.testssl"), "long run only: bin/test-long --only testssl");
        Path out = Files.createDirectories(Path.of("target/testssl"));
        TestPki.Issued ca = TestPki.ca("Palisade Test CA");
        TestPki.write(dir, "api", TestPki.server(ca, "localhost", TestPki.ec(),
                java.time.Instant.now().plus(java.time.Duration.ofDays(365)), "localhost"), TestPki.KeyForm.PKCS8);
        Path caFile = TestPki.writeCert(dir, "ca", ca.cert());
        try (TestUpstream upstream = TestUpstream.start("app")) {
            Path config = dir.resolve("palisade.yaml");
            Files.writeString(config, """
                    listeners:
                      https:
                        address: 127.0.0.1:0
                        tls: { certificates: [ { cert_file: %1$s/api.pem, key_file: %1$s/api.key } ] }
                    admin: { address: 127.0.0.1:0 }
                    access_log: { enabled: false }
                    clusters:
                      app: { endpoints: [ "%2$s" ] }
                    routes:
                      - { match: { path_prefix: / }, cluster: app }
                    """.formatted(dir, upstream.address()));
            try (Gateway gateway = Gateway.start(config, dir.resolve("state"))) {
                Path json = out.resolve("findings.json");
                Files.deleteIfExists(json);
                Process p = new ProcessBuilder("testssl", "--quiet", "--color", "0", "--warnings", "batch",
                        "--add-ca", caFile.toString(), "--jsonfile", json.toString(),
                        "127.0.0.1:" + gateway.port("https")).redirectErrorStream(true)
                        .redirectOutput(out.resolve("testssl.log").toFile()).start();
                assertThat(p.waitFor(20, TimeUnit.MINUTES)).as("testssl finished").isTrue();
                JsonNode findings = new ObjectMapper().readTree(Files.readString(json, StandardCharsets.UTF_8));
                Map<String, Integer> bySeverity = new TreeMap<>();
                List<String> serious = new ArrayList<>();
                for (JsonNode f : findings) {
                    String severity = f.path("severity").asText();
                    bySeverity.merge(severity, 1, Integer::sum);
                    if (severity.equals("HIGH") || severity.equals("CRITICAL")) {
                        serious.add(f.path("id").asText() + ": " + f.path("finding").asText());
                    }
                }
                List<String> notable = new ArrayList<>();
                for (JsonNode f : findings) {
                    String severity = f.path("severity").asText();
                    if (severity.equals("LOW") || severity.equals("MEDIUM") || severity.equals("WARN")) {
                        notable.add(severity + " " + f.path("id").asText() + ": " + f.path("finding").asText());
                    }
                }
                String summary = "testssl.sh findings by severity: " + bySeverity + "\n"
                        + String.join("\n", notable) + "\n";
                Files.writeString(out.resolve("summary.txt"), summary);
                System.out.println("[testssl] " + summary);
                assertThat(serious).as("HIGH or CRITICAL findings").isEmpty();
            }
        }
    }
}
