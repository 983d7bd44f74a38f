package io.palisade.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The contract on the embedded engine: SQLite in WAL mode in a directory of its own. */
class SqliteStateStoreTest extends StateStoreContractTest {
    @TempDir
    Path tmp;
    private Path dir;

    @Override
    void freshStorage() {
        dir = tmp.resolve("state").resolve("gateway-1");
    }

    @Override
    StateStore openStorage() {
        return StateStore.embedded(dir);
    }

    @Test
    void embedded_createsTheDirectory_andTheDatabaseIsInWalMode() throws Exception {
        assertThat(dir.resolve("palisade.db")).isRegularFile();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("palisade.db"));
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("wal");
        }
    }

    /**
     * A writer JVM ({@link KillWriter}) adds versions and prints "committed N" after each; it is killed (SIGKILL) as
     * soon as the test reads "committed 20". Reopened, the store has version 20 and everything before it, each with
     * its audit row: what addVersion returned was on disk.
     */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void killedWriter_losesNoVersionItReportedCommitted() throws Exception {
        store.close();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process writer = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                KillWriter.class.getName(), dir.toString())
                .redirectError(tmp.resolve("writer.err").toFile()).start();
        long reported = 0;
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                reported = Long.parseLong(line.substring("committed ".length()));
                if (reported == 20) {
                    writer.destroyForcibly();
                    break;
                }
            }
        } finally {
            writer.destroyForcibly().waitFor();
        }
        assertThat(reported).as("the writer's last line; its stderr:\n%s",
                Files.readString(tmp.resolve("writer.err"))).isEqualTo(20);

        StateStore reopened = open();
        List<StoredVersion> versions = reopened.versions(100_000);
        long newest = versions.get(0).number();
        assertThat(newest).isGreaterThanOrEqualTo(20);
        assertThat(versions).extracting(StoredVersion::number)
                .containsExactlyElementsOf(LongStream.iterate(newest, n -> n >= 1, n -> n - 1).boxed().toList());
        assertThat(reopened.version(20).orElseThrow().hash()).isEqualTo("kill-20");
        assertThat(reopened.auditSince(Instant.EPOCH, 100_000)).extracting(r -> r.version().orElseThrow())
                .containsExactlyElementsOf(LongStream.rangeClosed(1, newest).boxed().toList());
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("palisade.db"));
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("ok");
        }
    }

    /** The child JVM of {@link #killedWriter_losesNoVersionItReportedCommitted}: writes until it is killed. */
    static final class KillWriter {
        private KillWriter() {
        }

        public static void main(String[] args) {
            StateStore store = StateStore.embedded(Path.of(args[0]));
            for (int i = 1; i <= 100_000; i++) {
                StoredVersion v = store.addVersion(new NewVersion("kill-" + i, OptionalLong.empty(), "writer",
                        "m", T0, "yaml", VersionState.SUPERSEDED, List.of()), audit("config.apply", T0));
                System.out.println("committed " + v.number());
                System.out.flush();
            }
            store.close();
        }
    }
}
