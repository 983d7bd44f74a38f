package io.palisade.overload;

import io.palisade.time.Ticker;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the heap in use after garbage collection every 250 ms, off the event loops, and moves between three states by
 * {@link OverloadSettings}: {@link Level#NORMAL}, {@link Level#STOP_KEEPALIVE} (responses close their connections) and
 * {@link Level#SHED} (new requests get 503 {@code overloaded}, keep-alive stopped too). A state is entered when the
 * reading reaches its threshold and left only when the reading falls {@link #HYSTERESIS} below it, so a heap hovering
 * at a threshold does not flap between states on every reading.
 *
 * <p>The reading after a collection is only as fresh as the last collection: once load falls, little is allocated and
 * no collection may come to show that the heap emptied, which would leave a shedding gateway shedding. So while
 * overloaded, when no collection has run for {@link #STALE_NANOS}, the manager asks for one ({@code System.gc()}),
 * at most that often.
 *
 * <pre>{@code
 * OverloadManager overload = OverloadManager.start(OverloadSettings.DEFAULTS, ticker);
 * // per request: overload.shedRequest(), overload.stopKeepAlive(); metrics: level(), shed(), heapUsedAfterGc()
 * }</pre>
 */
public final class OverloadManager implements OverloadState, AutoCloseable {
    /** How far under a threshold the reading must fall for its state to end. */
    static final double HYSTERESIS = 0.05;
    static final long STALE_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long SAMPLE_MILLIS = 250;
    private static final Logger log = LoggerFactory.getLogger(OverloadManager.class);

    /** The manager's states, in order of severity. */
    public enum Level { NORMAL, STOP_KEEPALIVE, SHED }

    private final HeapGauge heap;
    private final Ticker ticker;
    private final ScheduledExecutorService sampler;
    private volatile OverloadSettings settings;
    private volatile Level level = Level.NORMAL;
    private volatile double lastReading;
    private final LongAdder shed = new LongAdder();
    private long lastCollections = -1;
    private long collectionsChangedAt;
    private long lastCollectAskedAt;

    OverloadManager(OverloadSettings settings, HeapGauge heap, Ticker ticker, ScheduledExecutorService sampler) {
        this.settings = settings;
        this.heap = heap;
        this.ticker = ticker;
        this.sampler = sampler;
        this.collectionsChangedAt = ticker.read();
        this.lastCollectAskedAt = collectionsChangedAt - STALE_NANOS;
    }

    /** A manager reading this JVM's heap on a daemon thread of its own. */
    public static OverloadManager start(OverloadSettings settings, Ticker ticker) {
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "palisade-overload");
            t.setDaemon(true);
            return t;
        });
        OverloadManager m = new OverloadManager(settings, HeapGauge.jvm(), ticker, sampler);
        sampler.scheduleWithFixedDelay(m::sampleSafely, 0, SAMPLE_MILLIS, TimeUnit.MILLISECONDS);
        return m;
    }

    private void sampleSafely() {
        try {
            sample();
        } catch (RuntimeException e) {
            log.warn("reading the heap failed; overload state kept at {}", level, e);
        }
    }

    /** One reading and the state it leads to; on the sampler's thread only. */
    void sample() {
        long now = ticker.read();
        long collections = heap.collections();
        if (collections != lastCollections) {
            lastCollections = collections;
            collectionsChangedAt = now;
        } else if (level != Level.NORMAL && now - collectionsChangedAt >= STALE_NANOS
                && now - lastCollectAskedAt >= STALE_NANOS) {
            lastCollectAskedAt = now;
            heap.collect();
        }
        double reading = heap.usedAfterGc();
        lastReading = reading;
        Level next = next(level, reading, settings);
        if (next != level) {
            if (next.ordinal() > level.ordinal()) {
                log.warn("heap {}% in use after GC: overload state {} (was {}; server.overload: heap_stop_keepalive"
                        + " {}, heap_shed {})", Math.round(reading * 100), next, level, settings.heapStopKeepAlive(),
                        settings.heapShed());
            } else {
                log.info("heap {}% in use after GC: overload state {} (was {})", Math.round(reading * 100), next,
                        level);
            }
            level = next;
        }
    }

    static Level next(Level current, double reading, OverloadSettings s) {
        if (reading >= s.heapShed()) {
            return Level.SHED;
        }
        if (current == Level.SHED && reading >= s.heapShed() - HYSTERESIS) {
            return Level.SHED;
        }
        if (reading >= s.heapStopKeepAlive()) {
            return Level.STOP_KEEPALIVE;
        }
        if (current != Level.NORMAL && reading >= s.heapStopKeepAlive() - HYSTERESIS) {
            return Level.STOP_KEEPALIVE;
        }
        return Level.NORMAL;
    }

    /** A reload's thresholds; the next reading applies them. */
    public void settings(OverloadSettings settings) {
        this.settings = settings;
    }

    public Level level() {
        return level;
    }

    /** Requests shed since start. */
    public long shed() {
        return shed.sum();
    }

    /** The last reading: heap in use after GC, as a fraction of its limit. */
    public double heapUsedAfterGc() {
        return lastReading;
    }

    @Override
    public boolean stopKeepAlive() {
        return level != Level.NORMAL;
    }

    @Override
    public boolean shedRequest() {
        if (level == Level.SHED) {
            shed.increment();
            return true;
        }
        return false;
    }

    @Override
    public void close() {
        sampler.shutdownNow();
        heap.close();
    }
}
