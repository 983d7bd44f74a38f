package io.palisade.proxy;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import io.palisade.config.AccessLogConfig;
import io.palisade.config.Address;
import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One JSON line per request. Lines are formatted on the event loop (cheap) and written by a background thread, because
 * writing to stdout or a file can block and an event loop must never wait on a disk or a pipe. If the writer falls
 * behind, lines are dropped and counted rather than slowing requests down.
 *
 * <p>Per request this costs no allocation of its own: each event loop formats its lines into one reusable buffer (JSON
 * written directly, the time from a per-second cache) and hands what it wrote to the writer once per pass of the loop
 * (a task queued behind the I/O it is processing), or sooner when the buffer is full, instead of one queue operation,
 * with its lock, per line.
 */
public final class AccessLog implements AutoCloseable {
    /** Lines handed over and not yet written, beyond which lines are dropped. */
    private static final int MAX_QUEUED_LINES = 65_536;
    /** A buffer this full is handed over at once. */
    private static final int HAND_OVER_BYTES = 32 * 1024;

    private final boolean enabled;
    private final BlockingQueue<Chunk> queue;
    private final AtomicLong queuedLines = new AtomicLong();
    private final FastThreadLocal<Lines> lines;
    private final Thread writer;
    private final AtomicLong dropped = new AtomicLong();
    private volatile boolean closed;

    /** Some lines, whole, as the writer gets them. */
    private record Chunk(byte[] bytes, int lines) {}

    private AccessLog(boolean enabled, OutputStream out) {
        this.enabled = enabled;
        if (enabled) {
            queue = new LinkedBlockingQueue<>();
            lines = new FastThreadLocal<>() {
                @Override
                protected Lines initialValue() {
                    return new Lines(AccessLog.this);
                }
            };
            writer = new Thread(() -> drain(out), "palisade-access-log");
            writer.setDaemon(true);
            writer.start();
        } else {
            queue = null;
            lines = null;
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

    /** An access log writing to {@code out}, for tests. */
    static AccessLog to(OutputStream out) {
        return new AccessLog(true, out);
    }

    public long dropped() {
        return dropped.get();
    }

    /** Called on {@code loop}, the exchange's event loop. */
    void log(Exchange ex, int status, long durationNanos, String cluster, EventExecutor loop) {
        if (!enabled) {
            return;
        }
        Lines out = lines.get();
        out.write(ex, status, durationNanos, cluster);
        if (out.size >= HAND_OVER_BYTES || !loop.inEventLoop()) {
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
        if (queuedLines.addAndGet(count) > MAX_QUEUED_LINES) {
            queuedLines.addAndGet(-count);
            dropped.addAndGet(count);
            return;
        }
        queue.add(new Chunk(bytes, count));
    }

    private void drain(OutputStream target) {
        OutputStream out = new BufferedOutputStream(target, 64 * 1024);
        try {
            while (!closed || !queue.isEmpty()) {
                Chunk chunk = queue.poll(100, TimeUnit.MILLISECONDS);
                if (chunk == null) {
                    out.flush();
                    continue;
                }
                do {
                    queuedLines.addAndGet(-chunk.lines());
                    out.write(chunk.bytes());
                } while ((chunk = queue.poll()) != null);
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

    /** One thread's lines not yet handed over; the task that hands them over at the end of its loop's pass. */
    private static final class Lines extends JsonLine implements Runnable {
        private final AccessLog log;
        private int count;
        boolean scheduled;

        Lines(AccessLog log) {
            this.log = log;
        }

        void write(Exchange ex, int status, long durationNanos, String cluster) {
            raw("{\"time\":\"");
            time(Instant.now());
            raw("\",\"request_id\":");
            string(ex.requestId());
            raw(",\"client\":");
            string(ex.clientIp());
            raw(",\"method\":");
            string(ex.method());
            raw(",\"path\":");
            string(ex.path(), ex.query());
            raw(",\"route\":");
            string(ex.routeId());
            raw(",\"cluster\":");
            string(cluster);
            raw(",\"endpoint\":");
            address(ex.endpointAddress());
            String consumer = ex.consumerOrNull();
            if (consumer != null) {
                raw(",\"consumer\":");
                string(consumer);
            }
            raw(",\"status\":");
            number(status);
            raw(",\"bytes_in\":");
            number(ex.bodyBytes());
            raw(",\"bytes_out\":");
            number(ex.responseBytes());
            raw(",\"duration_ms\":");
            millis(durationNanos);
            raw(",\"upstream_ms\":");
            millis(ex.upstreamNanos());
            if (ex.attempts() > 1) {
                raw(",\"attempts\":");
                number(ex.attempts());
            }
            if (ex.upstreamFailureKind() != null) {
                raw(",\"upstream_failure\":");
                string(ex.upstreamFailureKind());
            }
            raw("}\n");
            count++;
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
     * A growable byte buffer of JSON text, written directly: the output Jackson's generator gave this log before
     * (strings escaped and UTF-8 encoded the same way, the time as {@code Instant.toString()}), with durations in
     * milliseconds as exact decimals of their nanoseconds ({@code 0.000123} where {@code Double.toString} would give
     * {@code 1.23E-4}: the same number).
     */
    static class JsonLine {
        private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] buf = new byte[1024];
        int size;
        /** The epoch second whose "yyyy-MM-ddTHH:mm:ss" is in {@link #secondText}. */
        private long cachedSecond = Long.MIN_VALUE;
        private final byte[] secondText = new byte[19];

        private void ensure(int more) {
            if (size + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
            }
        }

        final void raw(String ascii) {
            int n = ascii.length();
            ensure(n);
            for (int i = 0; i < n; i++) {
                buf[size++] = (byte) ascii.charAt(i);
            }
        }

        private void put(int b) {
            ensure(1);
            buf[size++] = (byte) b;
        }

        /** A JSON string, or {@code null} for null. */
        final void string(String s) {
            if (s == null) {
                raw("null");
                return;
            }
            put('"');
            chars(s);
            put('"');
        }

        /** {@code path} and, when not empty, {@code ?query}, as one JSON string. */
        final void string(String path, String query) {
            put('"');
            chars(path);
            if (!query.isEmpty()) {
                put('?');
                chars(query);
            }
            put('"');
        }

        /** An endpoint as {@code Address.toString()} writes it, or {@code null}. */
        final void address(Address a) {
            if (a == null) {
                raw("null");
                return;
            }
            put('"');
            boolean v6 = a.host().indexOf(':') >= 0;
            if (v6) {
                put('[');
            }
            chars(a.host());
            if (v6) {
                put(']');
            }
            put(':');
            digits(a.port());
            put('"');
        }

        private void chars(String s) {
            int n = s.length();
            for (int i = 0; i < n; i++) {
                char c = s.charAt(i);
                if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
                    put(c);
                } else {
                    special(s, i, c);
                    if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                        i++;
                    }
                }
            }
        }

        private void special(String s, int i, char c) {
            switch (c) {
                case '"' -> { put('\\'); put('"'); }
                case '\\' -> { put('\\'); put('\\'); }
                case '\b' -> { put('\\'); put('b'); }
                case '\t' -> { put('\\'); put('t'); }
                case '\n' -> { put('\\'); put('n'); }
                case '\f' -> { put('\\'); put('f'); }
                case '\r' -> { put('\\'); put('r'); }
                default -> {
                    if (c < 0x20) {
                        put('\\');
                        put('u');
                        put('0');
                        put('0');
                        put(HEX[c >> 4]);
                        put(HEX[c & 0xf]);
                    } else if (c < 0x800) {
                        put(0xc0 | c >> 6);
                        put(0x80 | c & 0x3f);
                    } else if (Character.isHighSurrogate(c) && i + 1 < s.length()
                            && Character.isLowSurrogate(s.charAt(i + 1))) {
                        int cp = Character.toCodePoint(c, s.charAt(i + 1));
                        put(0xf0 | cp >> 18);
                        put(0x80 | cp >> 12 & 0x3f);
                        put(0x80 | cp >> 6 & 0x3f);
                        put(0x80 | cp & 0x3f);
                    } else if (Character.isSurrogate(c)) {
                        put('?'); // an unpaired surrogate has no UTF-8 encoding
                    } else {
                        put(0xe0 | c >> 12);
                        put(0x80 | c >> 6 & 0x3f);
                        put(0x80 | c & 0x3f);
                    }
                }
            }
        }

        final void number(long v) {
            if (v < 0) {
                put('-');
                if (v == Long.MIN_VALUE) {
                    raw("9223372036854775808");
                    return;
                }
                v = -v;
            }
            digits(v);
        }

        private void digits(long v) {
            int n = 1;
            for (long t = v; t >= 10; t /= 10) {
                n++;
            }
            ensure(n);
            for (int i = size + n - 1; i >= size; i--) {
                buf[i] = (byte) ('0' + v % 10);
                v /= 10;
            }
            size += n;
        }

        /** {@code nanos} in milliseconds, exactly: at least one decimal, no trailing zeros after it. */
        final void millis(long nanos) {
            if (nanos < 0) {
                put('-');
                nanos = nanos == Long.MIN_VALUE ? Long.MAX_VALUE : -nanos;
            }
            digits(nanos / 1_000_000);
            put('.');
            int frac = (int) (nanos % 1_000_000);
            int width = 6;
            while (width > 1 && frac % 10 == 0) {
                frac /= 10;
                width--;
            }
            ensure(width);
            for (int i = size + width - 1; i >= size; i--) {
                buf[i] = (byte) ('0' + frac % 10);
                frac /= 10;
            }
            size += width;
        }

        /** As {@code Instant.toString()}: {@code yyyy-MM-ddTHH:mm:ss}, the fraction in 0, 3, 6 or 9 digits, {@code Z}. */
        final void time(Instant t) {
            long second = t.getEpochSecond();
            if (second != cachedSecond) {
                LocalDateTime d = LocalDateTime.ofEpochSecond(second, 0, ZoneOffset.UTC);
                if (d.getYear() < 0 || d.getYear() > 9999) {
                    raw(t.toString());
                    return;
                }
                cachedSecond = second;
                fixed(secondText, 0, d.getYear(), 4);
                secondText[4] = '-';
                fixed(secondText, 5, d.getMonthValue(), 2);
                secondText[7] = '-';
                fixed(secondText, 8, d.getDayOfMonth(), 2);
                secondText[10] = 'T';
                fixed(secondText, 11, d.getHour(), 2);
                secondText[13] = ':';
                fixed(secondText, 14, d.getMinute(), 2);
                secondText[16] = ':';
                fixed(secondText, 17, d.getSecond(), 2);
            }
            ensure(secondText.length + 11);
            System.arraycopy(secondText, 0, buf, size, secondText.length);
            size += secondText.length;
            int nano = t.getNano();
            if (nano != 0) {
                buf[size++] = '.';
                if (nano % 1_000_000 == 0) {
                    fixed(buf, size, nano / 1_000_000, 3);
                    size += 3;
                } else if (nano % 1000 == 0) {
                    fixed(buf, size, nano / 1000, 6);
                    size += 6;
                } else {
                    fixed(buf, size, nano, 9);
                    size += 9;
                }
            }
            buf[size++] = 'Z';
        }

        private static void fixed(byte[] out, int at, int v, int width) {
            for (int i = at + width - 1; i >= at; i--) {
                out[i] = (byte) ('0' + v % 10);
                v /= 10;
            }
        }

        /** What was written, as text; for tests. */
        final String text() {
            return new String(buf, 0, size, java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
