package io.palisade.ingest;

import io.palisade.store.IngestLog;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Figures for the ingest note, not a test (no assertion; Surefire's default includes skip this name, and it runs only
 * with {@code -Dpalisade.bench=true}):
 * <pre>
 * mvn -B -o -q -Dtest=JournalBench -Dpalisade.bench=true -Dsurefire.failIfNoSpecifiedTests=false test
 * </pre>
 * 64 submitters each append 1 KiB records through the journal in a closed loop (the next once the last is durable)
 * for {@code palisade.bench.seconds} (10) after a 2-second warm-up, with {@code fsync: always} and with a 100 ms
 * interval, on the disk under {@code java.io.tmpdir}; and the raw cost of one fsynced SQLite commit (WAL,
 * {@code synchronous=FULL}, one row per transaction, one writer). Prints a table and writes it to
 * {@code target/bench/journal.txt}.
 */
@EnabledIfSystemProperty(named = "palisade.bench", matches = "true")
class JournalBench {
    private static final int SUBMITTERS = 64;
    private static final int BODY = 1024;
    private static final Duration WARM_UP = Duration.ofSeconds(2);
    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    @TempDir
    Path tmp;

    @Test
    void figures() throws Exception {
        long seconds = Long.getLong("palisade.bench.seconds", 10);
        List<String> lines = new ArrayList<>();
        lines.add("journal bench: " + SUBMITTERS + " submitters, " + BODY + "-byte bodies, " + seconds
                + " s each after " + WARM_UP.toSeconds() + " s warm-up, files in " + tmp);
        lines.add(rawFsync(Duration.ofSeconds(Math.max(3, seconds / 2))));
        lines.add(run("always", IngestLog.Durability.ALWAYS, Optional.empty(), Duration.ofSeconds(seconds)));
        lines.add(run("interval 100ms", IngestLog.Durability.INTERVAL, Optional.of(Duration.ofMillis(100)),
                Duration.ofSeconds(seconds)));
        String text = String.join("\n", lines) + "\n";
        System.out.print(text);
        Path out = Path.of("target", "bench", "journal.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, text, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
    }

    /** One row per transaction, each commit fsynced: what a group commit of one costs at least. */
    private String rawFsync(Duration length) throws Exception {
        Path file = tmp.resolve("fsync.db");
        Histogram commits = new Histogram(3);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement()) {
            s.execute("PRAGMA journal_mode = WAL");
            s.execute("PRAGMA synchronous = FULL");
            s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)");
            byte[] body = new byte[BODY];
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO t (body) VALUES (?)")) {
                long end = System.nanoTime() + length.toNanos();
                while (System.nanoTime() < end) {
                    long start = System.nanoTime();
                    s.execute("BEGIN IMMEDIATE");
                    ps.setBytes(1, body);
                    ps.executeUpdate();
                    s.execute("COMMIT");
                    commits.recordValue(System.nanoTime() - start);
                }
            }
        }
        return String.format("raw fsync (SQLite WAL, synchronous=FULL, 1 row per commit, %d commits): mean %.2f ms,"
                        + " p50 %.2f ms, p99 %.2f ms, max %.2f ms, %.0f commits/s", commits.getTotalCount(),
                commits.getMean() / 1e6, ms(commits, 50), ms(commits, 99), commits.getMaxValue() / 1e6,
                commits.getTotalCount() / (length.toNanos() / 1e9));
    }

    private String run(String name, IngestLog.Durability durability, Optional<Duration> interval, Duration length)
            throws Exception {
        IngestLog real = IngestLog.sqlite(tmp.resolve(name.replace(' ', '-')).resolve("ingest.db"), durability);
        Recorder commitTimes = new Recorder(3);
        IngestLog timed = timed(real, commitTimes);
        Journal journal = Journal.start(timed, interval, 65_536);
        Recorder acks = new Recorder(3);
        AtomicBoolean running = new AtomicBoolean(true);
        CountDownLatch done = new CountDownLatch(SUBMITTERS);
        byte[] body = new byte[BODY];
        ThreadLocalRandom.current().nextBytes(body);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < SUBMITTERS; t++) {
            Thread thread = new Thread(() -> {
                try {
                    while (running.get()) {
                        long start = System.nanoTime();
                        journal.append(new IngestLog.NewRecord(uuidV7(), "track", T0, "POST",
                                "/v1/track", "", List.of(new IngestLog.Header("Content-Type", "application/json")),
                                Optional.empty(), body, BODY + 60, Optional.empty(), T0)).join();
                        acks.recordValue(System.nanoTime() - start);
                    }
                } finally {
                    done.countDown();
                }
            }, "bench-submitter-" + t);
            thread.start();
            threads.add(thread);
        }
        Thread.sleep(WARM_UP.toMillis());
        Journal.Stats stats = journal.stats();
        long commits0 = stats.commits();
        long records0 = stats.records();
        commitTimes.getIntervalHistogram();
        acks.getIntervalHistogram();
        long start = System.nanoTime();
        Thread.sleep(length.toMillis());
        long commits = stats.commits() - commits0;
        long records = stats.records() - records0;
        double elapsed = (System.nanoTime() - start) / 1e9;
        Histogram commitHistogram = commitTimes.getIntervalHistogram();
        Histogram ackHistogram = acks.getIntervalHistogram();
        running.set(false);
        done.await(60, TimeUnit.SECONDS);
        journal.close();
        long fileBytes = real.fileBytes();
        real.close();
        return String.format("%s: %.0f records/s, %.0f commits/s, mean group %.1f records; commit (log.append) p50"
                        + " %.2f ms, p99 %.2f ms, mean %.2f ms; append until durable p50 %.2f ms, p99 %.2f ms;"
                        + " %d syncs; files %.1f MiB", name, records / elapsed, commits / elapsed,
                commits == 0 ? 0.0 : (double) records / commits, ms(commitHistogram, 50), ms(commitHistogram, 99),
                commitHistogram.getMean() / 1e6, ms(ackHistogram, 50), ms(ackHistogram, 99), stats.syncs(),
                fileBytes / 1048576.0);
    }

    /** As the gateway names records: time-ordered, so new ids go to the end of the id index. */
    private static String uuidV7() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long msb = System.currentTimeMillis() << 16 | 0x7000 | random.nextInt(0x1000);
        long lsb = random.nextLong() & 0x3fffffffffffffffL | 0x8000000000000000L;
        return new UUID(msb, lsb).toString();
    }

    private static double ms(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1e6;
    }

    /** {@code log} with the time of each append recorded (only the journal's thread calls it). */
    private static IngestLog timed(IngestLog log, Recorder appends) {
        return (IngestLog) Proxy.newProxyInstance(IngestLog.class.getClassLoader(), new Class<?>[] {IngestLog.class},
                (proxy, method, args) -> {
                    long start = System.nanoTime();
                    try {
                        return method.invoke(log, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    } finally {
                        if (method.getName().equals("append")) {
                            appends.recordValue(System.nanoTime() - start);
                        }
                    }
                });
    }
}
