package io.palisade.proxy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.internal.ThreadExecutorMap;
import io.palisade.outcome.Outcome;
import io.palisade.outcome.OutcomeSubscriber;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.concurrent.RejectedExecutionException;

/**
 * One JSON line per request: an {@link OutcomeSubscriber}, so every request that ends in an outcome (proxied, answered
 * by the gateway, refused by the protocol handlers, cut, or abandoned) gets its line. Lines are formatted on the event
 * loop (cheap) and written by a background thread ({@link AccessLogWriter}), because writing to stdout or a file can
 * block and an event loop must never wait on a disk or a pipe. If the writer falls behind, lines are dropped and
 * counted rather than slowing requests down.
 *
 * <p>Per request this costs no allocation of its own beyond the time: each event loop formats its lines into one
 * reusable buffer (with one long-lived Jackson generator, the time from a per-second cache) and hands what it wrote to
 * the writer once per pass of the loop (a task queued behind the I/O it is processing), or sooner when the buffer is
 * full, instead of one queue operation, with its lock, per line. Outcomes published off an event loop are handed over
 * at once.
 */
public final class AccessLog implements OutcomeSubscriber, AutoCloseable {
    /** A buffer this full is handed over at once. */
    private static final int HAND_OVER_BYTES = 32 * 1024;

    /** Null when the log is disabled. */
    private final AccessLogWriter writer;
    private final FastThreadLocal<Lines> lines;

    /**
     * @param target what the log is written to, for the warnings
     * @param owned  the stream is the log's to close when it closes (a file it opened, not stdout)
     */
    private AccessLog(boolean enabled, OutputStream out, String target, boolean owned) {
        if (enabled) {
            lines = new FastThreadLocal<>() {
                @Override
                protected Lines initialValue() {
                    return new Lines(AccessLog.this);
                }
            };
            writer = new AccessLogWriter(out, target, owned);
        } else {
            lines = null;
            writer = null;
        }
    }

    public static AccessLog create(AccessLogConfig config) {
        if (!config.enabled()) {
            return disabled();
        }
        if ("stdout".equals(config.target())) {
            return new AccessLog(true, System.out, "stdout", false);
        }
        try {
            return new AccessLog(true, new FileOutputStream(config.target(), true), config.target(), true);
        } catch (IOException e) {
            throw new UncheckedIOException("access_log.target: cannot open " + config.target(), e);
        }
    }

    public static AccessLog disabled() {
        return new AccessLog(false, null, "", false);
    }

    /** An access log writing to {@code out}, which it closes when it closes; for tests. */
    static AccessLog to(OutputStream out) {
        return new AccessLog(true, out, "test stream", true);
    }

    public long dropped() {
        return writer == null ? 0 : writer.dropped();
    }

    /** Formats the outcome's line on the calling thread, normally the request's event loop. */
    @Override
    public void onOutcome(Outcome outcome) {
        if (writer == null) {
            return;
        }
        Lines out = lines.get();
        if (!out.write(outcome)) {
            writer.drop(1);
            return;
        }
        out.count++;
        EventExecutor loop = out.loop;
        if (out.size >= HAND_OVER_BYTES || loop == null) {
            out.handOver();
        } else if (!out.scheduled) {
            try {
                loop.execute(out);
                out.scheduled = true;
            } catch (RejectedExecutionException e) {
                out.handOver(); // the loop is shutting down: no later pass to wait for
            }
        }
    }

    /** Gives the writer {@code count} whole lines, or drops them when too many are waiting already. */
    void handOver(byte[] bytes, int count) {
        writer.handOver(bytes, count);
    }

    /**
     * Lets the writer finish what was handed over, flush, close the stream it owns and stop, without waiting for it;
     * lines handed over later are dropped and counted.
     */
    void shutdown() {
        if (writer != null) {
            writer.shutdown();
        }
    }

    /** Forgets the calling thread's line buffer, once it has handed over its lines for the last time. */
    void releaseLoopBuffer() {
        if (writer != null) {
            Lines out = lines.getIfExists();
            if (out != null) {
                out.handOver();
                lines.remove();
            }
        }
    }

    @Override
    public void close() {
        if (writer != null) {
            writer.close();
        }
    }

    /** One thread's lines not yet handed over; the task that hands them over at the end of its loop's pass. */
    private static final class Lines extends JsonLine implements Runnable {
        private final AccessLog log;
        /** The event loop this thread runs, or null off an event loop (then each line is handed over at once). */
        final EventExecutor loop = ThreadExecutorMap.currentExecutor();
        int count;
        boolean scheduled;

        Lines(AccessLog log) {
            this.log = log;
        }

        @Override
        public void run() {
            scheduled = false;
            handOver();
        }

        void handOver() {
            if (size > 0) {
                log.handOver(Arrays.copyOf(buf, size), count);
                size = 0;
                count = 0;
            }
        }
    }

    /**
     * A growable byte buffer that one Jackson generator, kept for the thread's lifetime, writes JSON into: Jackson
     * escapes and encodes the strings, and a long-lived generator over a reused buffer allocates nothing per line. What
     * Jackson cannot write without building a String is formatted here into a reused char array: the time as
     * {@code Instant.toString()} (the date and clock part cached per second), the path with its query, and durations
     * in milliseconds as the exact decimal of their nanoseconds ({@code 0.000123} where {@code Double.toString} would
     * give {@code 1.23E-4}: the same number).
     */
    static class JsonLine extends OutputStream {
        private static final JsonFactory FACTORY = new JsonFactory();
        JsonGenerator json;
        byte[] buf = new byte[1024];
        int size;
        private char[] chars = new char[256];
        private int length;
        /** The epoch second whose "yyyy-MM-ddTHH:mm:ss" is in {@link #secondText}. */
        private long cachedSecond = Long.MIN_VALUE;
        private final char[] secondText = new char[19];

        JsonLine() {
            newGenerator();
        }

        /**
         * Appends the line of {@code o}, stamped with the time now.
         *
         * @return false when the line could not be written (nothing of it stays in the buffer)
         */
        final boolean write(Outcome o) {
            int lineStart = size;
            try {
                json.writeStartObject();
                json.writeFieldName("time");
                time(Instant.now());
                json.writeStringField("request_id", o.requestId());
                json.writeStringField("client", o.clientIp());
                json.writeStringField("method", o.method());
                json.writeFieldName("path");
                string(o.path(), o.query());
                json.writeStringField("route", o.route());
                json.writeStringField("config_version", o.configVersion());
                // A field that does not apply to this request is left out, as consumer, attempts and
                // upstream_failure are: a request refused before an upstream was picked has no cluster or endpoint.
                if (!o.cluster().isEmpty()) {
                    json.writeStringField("cluster", o.cluster());
                }
                if (!o.endpoint().isEmpty()) {
                    json.writeStringField("endpoint", o.endpoint());
                }
                if (!o.consumer().isEmpty()) {
                    json.writeStringField("consumer", o.consumer());
                }
                json.writeNumberField("status", o.status());
                if (o.error().isPresent()) {
                    json.writeStringField("error", o.error().get().code());
                }
                json.writeNumberField("bytes_in", o.bytesIn());
                json.writeNumberField("bytes_out", o.bytesOut());
                json.writeFieldName("duration_ms");
                millis(o.totalNanos());
                json.writeFieldName("upstream_ms");
                millis(o.upstreamNanos());
                if (o.attempts() > 1) {
                    json.writeNumberField("attempts", o.attempts());
                }
                if (!o.upstreamFailure().isEmpty()) {
                    json.writeStringField("upstream_failure", o.upstreamFailure());
                }
                json.writeEndObject();
                json.writeRaw('\n');
                json.flush();
                return true;
            } catch (IOException e) {
                // The generator writes into memory and escapes any string (an unpaired surrogate too), so only a bug
                // gets here: drop the line, and let a fresh generator take the next, rather than throw on the event
                // loop.
                size = lineStart;
                newGenerator();
                return false;
            }
        }

        final void newGenerator() {
            try {
                json = FACTORY.createGenerator(this);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            // Lines end with '\n', written after each object; no separator of Jackson's own between root values.
            json.setRootValueSeparator(null);
        }

        @Override
        public void write(int b) {
            ensure(1);
            buf[size++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, buf, size, len);
            size += len;
        }

        private void ensure(int more) {
            if (size + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
            }
        }

        private void add(char c) {
            if (length == chars.length) {
                chars = Arrays.copyOf(chars, chars.length * 2);
            }
            chars[length++] = c;
        }

        private void add(String s) {
            int n = s.length();
            if (length + n > chars.length) {
                chars = Arrays.copyOf(chars, Math.max(chars.length * 2, length + n));
            }
            s.getChars(0, n, chars, length);
            length += n;
        }

        /**
         * {@code path} and, when not empty, {@code ?query}, as one JSON string (the exchange took the API key's value
         * out of the query before it published the outcome).
         */
        final void string(String path, String query) throws IOException {
            length = 0;
            add(path);
            if (!query.isEmpty()) {
                add('?');
                add(query);
            }
            json.writeString(chars, 0, length);
        }

        private void digits(long v) {
            int start = length;
            do {
                add((char) ('0' + v % 10));
                v /= 10;
            } while (v > 0);
            for (int i = start, j = length - 1; i < j; i++, j--) {
                char t = chars[i];
                chars[i] = chars[j];
                chars[j] = t;
            }
        }

        /** {@code nanos} in milliseconds, exactly, as a JSON number: at least one decimal, no trailing zeros. */
        final void millis(long nanos) throws IOException {
            length = 0;
            if (nanos < 0) {
                add('-');
                nanos = nanos == Long.MIN_VALUE ? Long.MAX_VALUE : -nanos;
            }
            digits(nanos / 1_000_000);
            add('.');
            int frac = (int) (nanos % 1_000_000);
            int width = 6;
            while (width > 1 && frac % 10 == 0) {
                frac /= 10;
                width--;
            }
            fixed(frac, width);
            json.writeNumber(chars, 0, length);
        }

        /** As {@code Instant.toString()}, a JSON string: {@code yyyy-MM-ddTHH:mm:ss}, a 0/3/6/9-digit fraction, Z. */
        final void time(Instant t) throws IOException {
            long second = t.getEpochSecond();
            if (second != cachedSecond) {
                LocalDateTime d = LocalDateTime.ofEpochSecond(second, 0, ZoneOffset.UTC);
                if (d.getYear() < 0 || d.getYear() > 9999) {
                    json.writeString(t.toString());
                    return;
                }
                cachedSecond = second;
                length = 0;
                fixed(d.getYear(), 4);
                add('-');
                fixed(d.getMonthValue(), 2);
                add('-');
                fixed(d.getDayOfMonth(), 2);
                add('T');
                fixed(d.getHour(), 2);
                add(':');
                fixed(d.getMinute(), 2);
                add(':');
                fixed(d.getSecond(), 2);
                System.arraycopy(chars, 0, secondText, 0, secondText.length);
            }
            length = 0;
            for (char c : secondText) {
                add(c);
            }
            int nano = t.getNano();
            if (nano != 0) {
                add('.');
                if (nano % 1_000_000 == 0) {
                    fixed(nano / 1_000_000, 3);
                } else if (nano % 1000 == 0) {
                    fixed(nano / 1000, 6);
                } else {
                    fixed(nano, 9);
                }
            }
            add('Z');
            json.writeString(chars, 0, length);
        }

        /** {@code v} in exactly {@code width} digits, zero-padded. */
        private void fixed(int v, int width) {
            for (int i = 0; i < width; i++) {
                add('0');
            }
            for (int i = length - 1; i >= length - width; i--) {
                chars[i] = (char) ('0' + v % 10);
                v /= 10;
            }
        }

        /** What was written, as text; for tests. */
        final String text() throws IOException {
            json.flush();
            return new String(buf, 0, size, java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
