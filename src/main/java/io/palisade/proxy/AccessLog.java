package io.palisade.proxy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.palisade.config.AccessLogConfig;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One JSON line per request. Lines are formatted on the event loop (cheap) and written by a background thread, because
 * writing to stdout or a file can block and an event loop must never wait on a disk or a pipe. If the writer falls
 * behind, lines are dropped and counted rather than slowing requests down.
 */
public final class AccessLog implements AutoCloseable {
    private static final JsonFactory JSON = new JsonFactory();
    private static final int QUEUE = 65_536;

    private final boolean enabled;
    private final BlockingQueue<byte[]> queue;
    private final Thread writer;
    private final AtomicLong dropped = new AtomicLong();
    private volatile boolean closed;

    private AccessLog(boolean enabled, OutputStream out) {
        this.enabled = enabled;
        this.queue = enabled ? new ArrayBlockingQueue<>(QUEUE) : null;
        if (enabled) {
            writer = new Thread(() -> drain(out), "palisade-access-log");
            writer.setDaemon(true);
            writer.start();
        } else {
            writer = null;
        }
    }

    public static AccessLog create(AccessLogConfig config) {
        if (!config.enabled()) {
            return new AccessLog(false, null);
        }
        try {
            OutputStream out = "stdout".equals(config.target()) ? System.out
                    : new FileOutputStream(config.target(), true);
            return new AccessLog(true, out);
        } catch (IOException e) {
            throw new UncheckedIOException("access_log.target: cannot open " + config.target(), e);
        }
    }

    public static AccessLog disabled() {
        return new AccessLog(false, null);
    }

    public long dropped() {
        return dropped.get();
    }

    void log(Exchange ex, int status, long durationNanos, String cluster) {
        if (!enabled) {
            return;
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream(384);
        try (JsonGenerator g = JSON.createGenerator(buf)) {
            g.writeStartObject();
            g.writeStringField("time", Instant.now().toString());
            g.writeStringField("request_id", ex.requestId());
            g.writeStringField("client", ex.clientIp());
            g.writeStringField("method", ex.method());
            g.writeStringField("path", ex.uriForLog());
            g.writeStringField("route", ex.routeId());
            g.writeStringField("cluster", cluster);
            g.writeStringField("endpoint", ex.endpointForLog());
            if (ex.consumer().isPresent()) {
                g.writeStringField("consumer", ex.consumer().get());
            }
            g.writeNumberField("status", status);
            g.writeNumberField("bytes_in", ex.bodyBytes());
            g.writeNumberField("bytes_out", ex.responseBytes());
            g.writeNumberField("duration_ms", durationNanos / 1e6);
            g.writeNumberField("upstream_ms", ex.upstreamNanos() / 1e6);
            if (ex.attempts() > 1) {
                g.writeNumberField("attempts", ex.attempts());
            }
            if (ex.upstreamFailureKind() != null) {
                g.writeStringField("upstream_failure", ex.upstreamFailureKind());
            }
            g.writeEndObject();
        } catch (IOException e) {
            return; // a ByteArrayOutputStream does not fail
        }
        buf.write('\n');
        if (!queue.offer(buf.toByteArray())) {
            dropped.incrementAndGet();
        }
    }

    private void drain(OutputStream target) {
        OutputStream out = new BufferedOutputStream(target, 64 * 1024);
        try {
            while (!closed || !queue.isEmpty()) {
                byte[] line = queue.poll(100, TimeUnit.MILLISECONDS);
                if (line == null) {
                    out.flush();
                    continue;
                }
                out.write(line);
                byte[] more;
                while ((more = queue.poll()) != null) {
                    out.write(more);
                }
                out.flush();
            }
            out.flush();
        } catch (IOException | InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        if (writer != null) {
            try {
                writer.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
