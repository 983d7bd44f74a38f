package io.palisade.store;

import io.palisade.time.RateLimitedLog;
import io.palisade.time.Ticker;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies committed WAL frames into the main database file on a thread and connection of its own, so that the ingest
 * log's writer rarely does. SQLite's automatic checkpoint runs inside the commit that crosses its threshold: that
 * commit, and every append group-committed with it, then waits while a few MiB are copied and the main file is
 * fsynced. Here a PASSIVE checkpoint runs at most once per period while commits come in; it never blocks the writer
 * (nor waits for it), and the writer's own automatic checkpoint, at a much higher threshold, only finishes the last
 * frames when the log is to start over from its beginning.
 */
final class Checkpointer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpointer.class);

    private final Connection connection;
    private final long periodNanos;
    private final Ticker ticker = Ticker.system();
    private final RateLimitedLog failures = RateLimitedLog.every(Duration.ofSeconds(30), LOG, ticker);
    private final AtomicBoolean written = new AtomicBoolean();
    private final Thread thread;
    private volatile boolean closed;

    private Checkpointer(Connection connection, Duration period, String name) {
        this.connection = connection;
        this.periodNanos = period.toNanos();
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
    }

    /** Starts the thread; {@code connection} is its own from now on and closed with it. */
    static Checkpointer start(Connection connection, Duration period, String name) {
        Checkpointer c = new Checkpointer(connection, period, name);
        c.thread.start();
        return c;
    }

    /** Something was committed: a checkpoint is due within the period. Cheap; called after every commit. */
    void committed() {
        if (!written.get() && !written.getAndSet(true)) {
            LockSupport.unpark(thread);
        }
    }

    private void run() {
        while (!closed) {
            if (!written.getAndSet(false)) {
                LockSupport.park(this);
                continue;
            }
            try (Statement s = connection.createStatement()) {
                s.execute("PRAGMA wal_checkpoint(PASSIVE)");
            } catch (SQLException e) {
                failures.warn("ingest log: checkpointing the WAL failed (the writer's own checkpoint takes over): "
                        + e.getMessage(), null);
            }
            // Commits of the next period are copied together: one fsync of the main file per period at most.
            long until = ticker.read() + periodNanos;
            long left;
            while (!closed && (left = until - ticker.read()) > 0) {
                LockSupport.parkNanos(this, left);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.warn("ingest log: closing the checkpoint connection failed: {}", e.getMessage());
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
