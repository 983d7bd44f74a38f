package io.palisade.packaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code packaging/systemd/palisade.service}: it has the restart back-off and hardening docs/security.md promises, and
 * {@code systemd-analyze verify} accepts it without a warning (an unknown or misspelt directive is only a warning to
 * systemd, so the test fails on any output). The unit names /opt/palisade; the copy verified here names this checkout,
 * whose bin/palisade exists, because verify checks that ExecStart's program does.
 */
class SystemdUnitTest {
    private static final Path UNIT = Path.of("packaging", "systemd", "palisade.service");

    @TempDir
    Path dir;

    @Test
    void theUnitRestartsWithBackOff_andIsHardened() throws IOException {
        List<String> lines = Files.readAllLines(UNIT).stream().map(String::strip)
                .filter(l -> !l.startsWith("#") && !l.isEmpty()).toList();
        assertThat(lines).contains("Restart=on-failure", "RestartSec=5s", "StartLimitIntervalSec=10min",
                "StartLimitBurst=5", "RestartPreventExitStatus=1", "SuccessExitStatus=3", "LimitNOFILE=1048576",
                "StateDirectory=palisade", "CacheDirectory=palisade", "NoNewPrivileges=yes", "ProtectSystem=strict",
                "ReadWritePaths=/var/lib/palisade /var/cache/palisade", "PrivateTmp=yes", "ProtectHome=yes",
                "Environment=JAVA_TOOL_OPTIONS=-Djava.io.tmpdir=/var/cache/palisade");
        assertThat(lines).as("the JIT writes code and runs it").noneMatch(l -> l.startsWith("MemoryDenyWriteExecute"));
        assertThat(lines).anyMatch(l -> l.startsWith("ExecStart=/opt/palisade/bin/palisade run --config "));
    }

    @Test
    void systemdAnalyzeVerify_acceptsTheUnitWithoutAWarning() throws Exception {
        Optional<Path> analyze = Stream.of("/usr/bin/systemd-analyze", "/bin/systemd-analyze")
                .map(Path::of).filter(Files::isExecutable).findFirst();
        assumeTrue(analyze.isPresent(), "systemd-analyze is not installed (Debian's systemd package has it; bin/test"
                + " installs it): the unit is not verified");
        Path home = Path.of("").toAbsolutePath();
        Path unit = dir.resolve("palisade.service");
        Files.writeString(unit, Files.readString(UNIT).replace("/opt/palisade", home.toString()));
        Process p = new ProcessBuilder(analyze.get().toString(), "verify", unit.toString())
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("systemd-analyze verify finished").isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).as("systemd-analyze verify output").isEmpty();
    }
}
