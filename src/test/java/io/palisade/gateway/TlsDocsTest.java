package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.palisade.tls.TestPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/tls.md's configs are text blocks (the loader reads the files they name, which ExamplesTest cannot provide):
 * this test makes the certificates each names, under a temporary directory, and loads every one of them.
 */
class TlsDocsTest {
    private static final Pattern FILE = Pattern.compile("certs/([A-Za-z0-9_-]+)\\.(pem|key)");

    @TempDir
    Path dir;

    @Test
    void everyConfigInTheTlsDocs_loadsWithTheFilesItNames() throws IOException {
        List<String> configs = configBlocks(Path.of("docs/tls.md"));
        assertThat(configs).hasSizeGreaterThanOrEqualTo(4);
        Files.createDirectories(dir.resolve("certs"));
        TestPki.Issued ca = TestPki.ca("docs CA");
        for (String yaml : configs) {
            Matcher m = FILE.matcher(yaml);
            while (m.find()) {
                String name = m.group(1);
                if (Files.exists(dir.resolve("certs/" + name + ".pem"))) {
                    continue;
                }
                if (name.endsWith("ca")) {
                    TestPki.writeCert(dir.resolve("certs"), name, ca.cert());
                } else {
                    TestPki.write(dir.resolve("certs"), name, TestPki.server(ca, name, TestPki.ec(), name + ".test"),
                            TestPki.KeyForm.TRADITIONAL);
                }
            }
            if (yaml.contains("secrets/admin.token")) {
                // An admin address off loopback needs its token file (docs/security.md).
                Files.createDirectories(dir.resolve("secrets"));
                Files.writeString(dir.resolve("secrets/admin.token"), "t".repeat(48) + "\n");
            }
            String local = yaml.replace("certs/", dir.resolve("certs") + "/")
                    .replace("secrets/", dir.resolve("secrets") + "/");
            assertThatCode(() -> ConfigLoader.parse(local, "docs/tls.md")).as(yaml).doesNotThrowAnyException();
        }
    }

    /** The ```text blocks that are configs (they hold routes). */
    private static List<String> configBlocks(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).strip().equals("```text")) {
                continue;
            }
            StringBuilder b = new StringBuilder();
            for (i++; i < lines.size() && !lines.get(i).strip().startsWith("```"); i++) {
                b.append(lines.get(i)).append('\n');
            }
            if (b.indexOf("routes:") >= 0) {
                out.add(b.toString());
            }
        }
        return out;
    }
}
