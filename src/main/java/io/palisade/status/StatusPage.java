package io.palisade.status;

import io.palisade.time.RateLimitedLog;
import io.palisade.time.Ticker;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rendered status page: its HTML, Statuspage v2 JSON and Atom feed, re-rendered on the {@code palisade-status}
 * thread after every change in the {@link IncidentBook} (changes that come while a render waits share it) and every
 * {@link #REFRESH} (maintenance windows open and close, days roll over), then swapped in whole for
 * {@link StatusPageServer} to serve, and written to {@code export_dir} when one is set.
 *
 * <pre>{@code
 * StatusPage page = StatusPage.start(settings, book, uptime, Clock.systemUTC());
 * StatusPageServer server = StatusPageServer.start(settings.address(), group, channelClass, page);
 * }</pre>
 */
public final class StatusPage implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StatusPage.class);
    /** How often the page is rendered without a change: time alone moves maintenances and uptime days. */
    static final Duration REFRESH = Duration.ofSeconds(30);

    private final StatusPageSettings settings;
    private final IncidentBook book;
    private final UptimeSource uptime;
    private final Clock clock;
    private final Instant since;
    private final Optional<Exporter> exporter;
    private final ScheduledExecutorService thread;
    private final AtomicBoolean pending = new AtomicBoolean();
    private final AtomicLong renders = new AtomicLong();
    private final RateLimitedLog failures = RateLimitedLog.every(Duration.ofMinutes(1), log, Ticker.system());
    private volatile PageSnapshot snapshot;

    private StatusPage(StatusPageSettings settings, IncidentBook book, UptimeSource uptime, Clock clock) {
        this.settings = settings;
        this.book = book;
        this.uptime = uptime;
        this.clock = clock;
        this.since = clock.instant();
        this.exporter = settings.exportDir().map(Exporter::new);
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "palisade-status");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Renders the first page before it returns (so the listener never serves nothing), then follows the book. Call
     * it from a thread that may wait, not an event loop.
     *
     * @param uptime the daily uptime behind the bars ({@link UptimeSource#none()} for none)
     * @throws IllegalStateException when the first page cannot be rendered
     */
    public static StatusPage start(StatusPageSettings settings, IncidentBook book, UptimeSource uptime, Clock clock) {
        return start(settings, book, uptime, clock, REFRESH);
    }

    static StatusPage start(StatusPageSettings settings, IncidentBook book, UptimeSource uptime, Clock clock,
                            Duration refresh) {
        StatusPage page = new StatusPage(Objects.requireNonNull(settings, "settings"),
                Objects.requireNonNull(book, "book"), Objects.requireNonNull(uptime, "uptime"),
                Objects.requireNonNull(clock, "clock"));
        book.addListener(event -> page.refresh()); // before the first render, so no change falls between
        // Every render runs on the page's thread, the first too: two at once could swap an older page over a newer.
        page.renderNow().join();
        if (page.snapshot == null) {
            page.close();
            throw new IllegalStateException("the status page could not be rendered (the log says why)");
        }
        page.thread.scheduleWithFixedDelay(page::refresh, refresh.toMillis(), refresh.toMillis(),
                TimeUnit.MILLISECONDS);
        return page;
    }

    /** Asks for a render soon, off the caller's thread; asks made while one waits share it. */
    public void refresh() {
        if (pending.compareAndSet(false, true)) {
            try {
                thread.execute(() -> {
                    pending.set(false);
                    render();
                });
            } catch (RejectedExecutionException e) {
                pending.set(false); // closed
            }
        }
    }

    /**
     * Renders once more after everything queued so far, and completes when that render is swapped in: it sees every
     * change made before the call.
     */
    CompletableFuture<Void> renderNow() {
        return CompletableFuture.runAsync(this::render, thread);
    }

    public StatusPageSettings settings() {
        return settings;
    }

    /** How many renders have been swapped in, for tests and metrics. */
    public long renders() {
        return renders.get();
    }

    PageSnapshot snapshot() {
        return snapshot;
    }

    private void render() {
        try {
            PageView view = PageView.of(settings, book.view(), uptime, clock.instant(), since);
            Map<String, byte[]> files = PageSnapshot.files(view);
            snapshot = PageSnapshot.of(files, view.now());
            renders.incrementAndGet();
            if (exporter.isPresent()) {
                try {
                    exporter.get().write(files);
                } catch (IOException e) {
                    failures.warn("export", "status page export to " + settings.exportDir().get() + " failed: "
                            + e, null);
                }
            }
        } catch (RuntimeException e) {
            failures.warn("render", "status page render failed; the last page stays", e);
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
