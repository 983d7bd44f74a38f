package io.palisade.store;

import io.palisade.time.RateLimitedLog;
import io.palisade.time.Ticker;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
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
 *
 * <p>The same checkpoint makes commits durable without the writer's lock, for {@code synchronous=NORMAL}
 * ({@link #syncRound()}): with NORMAL or FULL, SQLite fsyncs the WAL before it copies frames and the main file once it
 * copied them all. So when a checkpoint reports every frame of the log checkpointed, each frame committed before it
 * began is on disk: copied by this one after the WAL's fsync, or by an earlier one after an earlier fsync that found
 * it already written. When it cannot copy everything (a reader still reads an older snapshot, or another checkpoint
 * holds the lock) it may have synced nothing, and it says so.
 */
final class Checkpointer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpointer.class);

    private final Connection connection;
    private final long periodNanos;
    private final Ticker ticker = Ticker.system();
    private final RateLimitedLog failures = RateLimitedLog.every(Duration.ofSeconds(30), LOG, ticker);
    private final AtomicBoolean written = new AtomicBoolean();
    /** Sync requests so far; a round serves those made before it began. */
    private final AtomicLong requested = new AtomicLong();
    private final Object rounds = new Object();
    /** Guarded by {@link #rounds}: the requests the last finished round served, and whether it copied everything. */
    private long served;
    private boolean servedComplete;
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

    /**
     * Runs a checkpoint now (on the checkpoint thread) and waits for it.
     *
     * @return true when it copied the whole log, which makes every commit before this call durable (see the class);
     *         false when it could not (the caller makes them durable another way) or the checkpointer is closed
     */
    boolean syncRound() {
        long ticket = requested.incrementAndGet();
        LockSupport.unpark(thread);
        boolean interrupted = false;
        try {
            synchronized (rounds) {
                while (served < ticket) {
                    if (closed) {
                        return false;
                    }
                    try {
                        rounds.wait(100);
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                return servedComplete;
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        while (!closed) {
            long serving = requested.get();
            boolean syncWanted = serving > servedSoFar();
            if (!written.getAndSet(false) && !syncWanted) {
                LockSupport.park(this);
                continue;
            }
            boolean complete = checkpoint();
            synchronized (rounds) {
                served = serving;
                servedComplete = complete;
                rounds.notifyAll();
            }
            // Commits of the next period are copied together (one fsync of the main file per period at most),
            // unless a sync asks for a round sooner.
            long until = ticker.read() + periodNanos;
            long left;
            while (!closed && requested.get() == serving && (left = until - ticker.read()) > 0) {
                LockSupport.parkNanos(this, left);
            }
        }
        synchronized (rounds) {
            rounds.notifyAll();
        }
    }

    private long servedSoFar() {
        synchronized (rounds) {
            return served;
        }
    }

    /** One PASSIVE checkpoint; true when it reports every frame of the log checkpointed. */
    private boolean checkpoint() {
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
            if (!rs.next()) {
                return false;
            }
            int busy = rs.getInt(1);
            long log = rs.getLong(2);
            long checkpointed = rs.getLong(3);
            return busy == 0 && log >= 0 && checkpointed == log;
        } catch (SQLException e) {
            failures.warn("ingest log: checkpointing the WAL failed (the writer's own checkpoint takes over): "
                    + e.getMessage(), null);
            return false;
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
