package io.palisade.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Set;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * Flyway's migrate, skipped when the schema history already holds every migration this build carries, each applied
 * with success, and nothing newer. That is every start but the first after an upgrade: Flyway's own check loads about
 * 400 classes and scans the class path for scripts (0.3 s of each start, and the classes' metadata for the life of
 * the process) to find nothing to do. Anything else (a new store, a missing, failed or newer version) goes to Flyway,
 * which migrates, or refuses with its own message; it also still validates checksums then. {@link #LATEST} must name
 * the highest script of each location (a test reads the scripts and checks it).
 */
final class Migrations {
    /** The config store's scripts, {@code db/migration/V1..V5}. */
    static final Location STATE = new Location("classpath:db/migration", 5);
    /** The ingest log's scripts, {@code db/ingest/V1}. */
    static final Location INGEST = new Location("classpath:db/ingest", 1);
    static final Location[] LATEST = {STATE, INGEST};

    record Location(String path, int latest) {}

    private Migrations() {}

    /** Brings the schema behind {@code dataSource} to {@code location}'s latest version; see the class. */
    static void migrate(DataSource dataSource, Location location) {
        if (current(dataSource, location.latest())) {
            return;
        }
        Flyway.configure().dataSource(dataSource).locations(location.path()).failOnMissingLocations(true)
                .load().migrate();
    }

    /** True when Flyway's history holds versions 1 to {@code latest}, each a success, and no other version. */
    static boolean current(DataSource dataSource, int latest) {
        try (Connection c = dataSource.getConnection();
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(
                     "SELECT version, success FROM flyway_schema_history WHERE version IS NOT NULL")) {
            Set<Integer> applied = new HashSet<>();
            while (rs.next()) {
                int version;
                try {
                    version = Integer.parseInt(rs.getString(1).trim());
                } catch (NumberFormatException e) {
                    return false; // a version this build does not number that way: Flyway decides
                }
                if (!rs.getBoolean(2) || version < 1 || version > latest) {
                    return false;
                }
                applied.add(version);
            }
            return applied.size() == latest;
        } catch (SQLException | RuntimeException e) {
            // No history table (a new store), or one unreadable: Flyway's job.
            return false;
        }
    }
}
