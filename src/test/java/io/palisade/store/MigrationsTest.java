package io.palisade.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

/** The skip of Flyway on a current schema: what counts as current, and that it names the scripts the build has. */
class MigrationsTest {
    private static final Pattern SCRIPT = Pattern.compile("V(\\d+)__.*\\.sql");

    @TempDir
    Path tmp;

    @Test
    void latest_namesTheHighestScriptOfEachLocation() throws Exception {
        for (Migrations.Location location : Migrations.LATEST) {
            Path dir = Path.of("src/main/resources", location.path().substring("classpath:".length()));
            int highest;
            try (Stream<Path> files = Files.list(dir)) {
                highest = files.map(f -> SCRIPT.matcher(f.getFileName().toString())).filter(Matcher::matches)
                        .mapToInt(m -> Integer.parseInt(m.group(1))).max().orElse(0);
            }
            assertThat(location.latest()).as("Migrations' latest version of %s", dir).isEqualTo(highest);
        }
    }

    @Test
    void aNewStore_isMigrated_andThenCurrent() {
        SQLiteDataSource ds = dataSource("a.db");
        assertThat(Migrations.current(ds, Migrations.STATE.latest())).as("no history yet").isFalse();
        Migrations.migrate(ds, Migrations.STATE);
        assertThat(Migrations.current(ds, Migrations.STATE.latest())).isTrue();
        Migrations.migrate(ds, Migrations.STATE); // current: nothing to do, nothing thrown
        assertThat(Migrations.current(ds, Migrations.STATE.latest() + 1)).as("a build with one script more").isFalse();
    }

    @Test
    void aFailedOrNewerOrMissingVersion_isNotCurrent() throws Exception {
        SQLiteDataSource ds = dataSource("b.db");
        Migrations.migrate(ds, Migrations.STATE);
        int latest = Migrations.STATE.latest();
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE flyway_schema_history SET success = 0 WHERE version = '" + latest + "'");
            assertThat(Migrations.current(ds, latest)).as("failed").isFalse();
            s.executeUpdate("UPDATE flyway_schema_history SET success = 1 WHERE version = '" + latest + "'");
            assertThat(Migrations.current(ds, latest)).isTrue();
            s.executeUpdate("UPDATE flyway_schema_history SET version = '" + (latest + 1) + "' WHERE version = '"
                    + latest + "'");
            assertThat(Migrations.current(ds, latest)).as("a newer version, one missing").isFalse();
        }
    }

    private SQLiteDataSource dataSource(String name) {
        SQLiteDataSource ds = new SQLiteDataSource();
        ds.setUrl("jdbc:sqlite:" + tmp.resolve(name));
        return ds;
    }
}
