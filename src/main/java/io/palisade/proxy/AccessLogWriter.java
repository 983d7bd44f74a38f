package io.palisade.proxy;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access log's writer thread, {@code palisade-access-log}: takes the lines the event loops formatted and writes
 * them to the target, because writing to stdout or a file can block and an event loop must never wait on a disk or a
 * pipe. Apart from {@link AccessLog}, which formats, so that the blocking side (its queue bound, failed writes, the
 * stream it owns) is in one place. Lines it cannot take or write are dropped and counted, never waited for.
 */
final class AccessLogWriter {
    /** Lines handed over and not yet written, beyond which lines are dropped. */
    private static final int MAX_QUEUED_LINES = 65_536;
    private static final long FAILURE_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** Under the access log's name, where operators already look for (and configure) its warnings. */
    private static final Logger LOG = LoggerFactory.getLogger(AccessLog.class);

    private final BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
    private final AtomicLong queuedLines = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final Thread thread;
    private volatile boolean closed;
    /** When the writer last logged a failed write, if it has, and how many it has not logged since. */
    private boolean failureLogged;
    private long lastFailureLog;
    private long unloggedFailures;

    /** Some lines, whole, as the writer gets them. */
    private record Chunk(byte[] bytes, int lines) {}

    /**
     * Starts the thread.
     *
     * @param target what the log is written to, for the warnings
     * @param owned  the stream is the writer's to close when it stops (a file the log opened, not stdout)
     */
    AccessLogWriter(OutputStream out, String target, boolean owned) {
        thread = new Thread(() -> drain(out, target, owned), "palisade-access-log");
        thread.setDaemon(true);
        thread.start();
    }

    /** Lines not written since the log was created: dropped, failed, or never formatted. */
    long dropped() {
        return dropped.get();
    }

    /** Counts {@code lines} that never reached the writer (their formatting failed). */
    void drop(int lines) {
        dropped.addAndGet(lines);
    }

    /** Takes {@code count} whole lines, or drops them when too many are waiting already; never blocks. */
    void handOver(byte[] bytes, int count) {
        if (closed) {
            dropped.addAndGet(count); // no writer to take them
            return;
        }
        if (queuedLines.addAndGet(count) > MAX_QUEUED_LINES) {
            queuedLines.addAndGet(-count);
            dropped.addAndGet(count);
            return;
        }
        queue.add(new Chunk(bytes, count));
    }

    /**
     * The writer thread. A failed write (disk full, a closed pipe, a file removed under it) drops the lines of that
     * batch, counted, and logs a warning at most every {@link #FAILURE_LOG_INTERVAL_NANOS}; the writer goes on with the
     * next batch, since the target may recover, and closes the stream it owns when the log closes.
     */
    private void drain(OutputStream target, String name, boolean owned) {
        OutputStream out = new BufferedOutputStream(target, 64 * 1024);
        try {
            while (!closed || !queue.isEmpty()) {
                Chunk chunk = queue.poll(100, TimeUnit.MILLISECONDS);
                if (chunk == null) {
                    out = flush(out, target, name);
                    continue;
                }
                int batchLines = 0;
                try {
                    do {
                        queuedLines.addAndGet(-chunk.lines());
                        batchLines += chunk.lines();
                        out.write(chunk.bytes());
                    } while ((chunk = queue.poll()) != null);
                    out.flush();
                } catch (IOException e) {
                    // Whatever the buffer still holds is part of this batch: dropped with it, not retried in front
                    // of the next one.
                    out = new BufferedOutputStream(target, 64 * 1024);
                    dropped.addAndGet(batchLines);
                    writeFailed(name, e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("access log: the writer for {} stopped; lines are dropped from now on", name, e);
            closed = true;
        } finally {
            flush(out, target, name);
            if (owned) {
                try {
                    target.close();
                } catch (IOException e) {
                    LOG.warn("access log: closing {} failed: {}", name, e.toString());
                }
            }
        }
    }

    private OutputStream flush(OutputStream out, OutputStream target, String name) {
        try {
            out.flush();
            return out;
        } catch (IOException e) {
            writeFailed(name, e);
            return new BufferedOutputStream(target, 64 * 1024);
        }
    }

    /** On the writer thread only. */
    private void writeFailed(String name, IOException e) {
        long now = System.nanoTime();
        if (failureLogged && now - lastFailureLog < FAILURE_LOG_INTERVAL_NANOS) {
            unloggedFailures++;
            return;
        }
        LOG.warn("access log: writing to {} failed ({}); its lines are dropped, {} so far{}", name, e.toString(),
                dropped.get(), unloggedFailures == 0 ? "" : " (" + unloggedFailures + " failures not logged since)");
        failureLogged = true;
        lastFailureLog = now;
        unloggedFailures = 0;
    }

    /**
     * Lets the thread finish what was handed over, flush, close the stream it owns and stop, without waiting for it;
     * lines handed over later are dropped and counted.
     */
    void shutdown() {
        closed = true;
    }

    /** As {@link #shutdown()}, then waits a bounded time for the thread to finish. */
    void close() {
        closed = true;
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
