package io.palisade.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.testing.AdminFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin commands against a gateway with {@code admin.token_file}: the token from the option or the environment. */
class AdminTokenCommandsTest {
    private static final String TOKEN = "cli-admin-token-0123456789";

    @TempDir
    Path dir;
    private AdminFixture admin;
    private Path tokenFile;
    private final Map<String, String> env = new HashMap<>();

    private record Run(int exit, String out, String err) {}

    @BeforeEach
    void start() throws Exception {
        tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
        admin = AdminFixture.withToken(tokenFile);
        admin.api.reply("versions", 200, "{\"versions\": []}");
        env.put("PALISADE_ADMIN", admin.url());
    }

    @AfterEach
    void stop() {
        admin.close();
    }

    private Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = Main.commandLine(env::get);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return new Run(cl.execute(args), out.toString(), err.toString());
    }

    @Test
    void theTokenFromTokenFile_isSent() {
        Run r = run("config", "history", "--token-file", tokenFile.toString());

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(admin.api.calls("versions")).hasSize(1);
        assertThat(admin.api.refusals()).isEmpty();
    }

    @Test
    void theTokenFromPalisadeTokenFile_isSent() {
        env.put("PALISADE_TOKEN_FILE", tokenFile.toString());

        Run r = run("audit");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(admin.api.calls("audit")).hasSize(1);
    }

    @Test
    void withoutAToken_theRefusalExits1_andSaysHowToGiveOne() {
        Run r = run("config", "history");

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("refused (HTTP 401 unauthorized)")
                .contains("pass --token-file or set PALISADE_TOKEN_FILE");
        assertThat(admin.api.refusals()).singleElement().satisfies(f -> assertThat(f.status()).isEqualTo(401));
    }

    @Test
    void aWrongToken_exits1_andAMissingTokenFile_exits2() throws Exception {
        Path wrong = Files.writeString(dir.resolve("wrong"), "not-the-token-at-all-000");

        Run refused = run("config", "history", "--token-file", wrong.toString());
        Run missing = run("config", "history", "--token-file", dir.resolve("nope").toString());

        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("HTTP 401").doesNotContain("pass --token-file");
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("cannot read the token file " + dir.resolve("nope"));
        assertThat(admin.api.calls()).isEmpty();
    }
}
