package io.palisade.store;

import com.zaxxer.hikari.HikariConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Set;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/** One of the two databases the store runs on: how its pool is set up, and which failures a retry cures. */
final class Engine {
    /** Seconds a connection waits for the SQLite write lock (or a pool connection) before the write fails. */
    private static final int LOCK_WAIT_SECONDS = 30;
    /**
     * PostgreSQL's unique_violation (two writers took the same next number; the first committed), serialization
     * failure and deadlock: each means another writer was in the way, and the transaction, run again, can pass.
     */
    private static final Set<String> POSTGRES_CONFLICTS = Set.of("23505", "40001", "40P01");

    private final String description;
    private final HikariConfig pool;
    private final boolean retriesConflicts;

    private Engine(String description, HikariConfig pool, boolean retriesConflicts) {
        this.description = description;
        this.pool = pool;
        this.retriesConflicts = retriesConflicts;
        pool.setPoolName("palisade-store");
        pool.setConnectionTimeout(LOCK_WAIT_SECONDS * 1000L);
        pool.setMinimumIdle(1);
    }

    static Engine sqlite(Path dir) {
        Objects.requireNonNull(dir, "dir");
        Path file = dir.resolve("palisade.db");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StoreException("creating the state directory " + dir, e);
        }
        SQLiteConfig config = new SQLiteConfig();
        // WAL: readers never wait for the writer; FULL: each commit is fsynced, so it survives a crash.
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.setBusyTimeout(LOCK_WAIT_SECONDS * 1000);
        // A write transaction takes the write lock when it begins: one that began as a reader and then wrote could
        // fail with SQLITE_BUSY_SNAPSHOT, which waiting does not cure. So writers queue, and never collide.
        config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        config.enforceForeignKeys(true);
        SQLiteDataSource ds = new SQLiteDataSource(config);
        ds.setUrl("jdbc:sqlite:" + file.toAbsolutePath());
        HikariConfig pool = new HikariConfig();
        pool.setDataSource(ds);
        // One writer at a time is SQLite's rule anyway; a few connections let readers run beside it.
        pool.setMaximumPoolSize(4);
        return new Engine("SQLite at " + file, pool, false);
    }

    static Engine postgres(String jdbcUrl, String user, String password) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        HikariConfig pool = new HikariConfig();
        pool.setJdbcUrl(jdbcUrl);
        pool.setUsername(user);
        pool.setPassword(password);
        pool.setMaximumPoolSize(4);
        // Finite waits on the network (seconds); parameters in the URL take precedence over these.
        pool.addDataSourceProperty("connectTimeout", "10");
        pool.addDataSourceProperty("socketTimeout", "60");
        pool.addDataSourceProperty("ApplicationName", "palisade");
        // Messages name the database without the URL's parameters, which may hold a password.
        int query = jdbcUrl.indexOf('?');
        return new Engine("PostgreSQL at " + (query < 0 ? jdbcUrl : jdbcUrl.substring(0, query)), pool, true);
    }

    String description() {
        return description;
    }

    HikariConfig pool() {
        return pool;
    }

    /** True when {@code e} means another writer committed first, so running the transaction again can succeed. */
    boolean isConflict(SQLException e) {
        return retriesConflicts && POSTGRES_CONFLICTS.contains(e.getSQLState());
    }
}
