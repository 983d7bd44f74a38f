package io.palisade.gateway;

import io.netty.channel.EventLoopGroup;
import io.palisade.alert.Alert;
import io.palisade.alert.AlertEngine;
import io.palisade.alert.Severity;
import io.palisade.notify.WebhookNotifier;
import io.palisade.notify.WebhookSettings;
import io.palisade.server.Transport;
import io.palisade.slo.DayFigures;
import io.palisade.slo.SloEngine;
import io.palisade.slo.SloSettings;
import io.palisade.status.AutoIncidents;
import io.palisade.status.IncidentBook;
import io.palisade.status.IncidentStore;
import io.palisade.status.PageAlert;
import io.palisade.status.StatusPage;
import io.palisade.status.StatusPageServer;
import io.palisade.status.StatusPageSettings;
import io.palisade.status.UptimeSource;
import io.palisade.store.StateStore;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.time.LocalDate;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The public status page of a gateway with a {@code status_page:} section: its incident book, the automatic
 * incidents the alert engine's SLO page alerts open (adapted here, so the status package knows nothing of how alerts
 * are computed), the 90-day uptime bars from the SLOs' daily history, the rendered page and its own listener.
 */
final class StatusPageRuntime implements AutoCloseable {
    /** How often automatic incidents look for the quiet that resolves them. */
    static final long TICK_MILLIS = 1000;
    /** How long one read of the SLOs' daily history serves the uptime bars. */
    static final long HISTORY_FRESH_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final IncidentBook book;
    private final StatusPage page;
    private final StatusPageServer server;
    private final EventLoopGroup group;
    private final ScheduledExecutorService ticker;
    /** Null without {@code notify.webhooks}. */
    private final WebhookNotifier webhooks;

    private StatusPageRuntime(IncidentBook book, StatusPage page, StatusPageServer server, EventLoopGroup group,
                              ScheduledExecutorService ticker, WebhookNotifier webhooks) {
        this.webhooks = webhooks;
        this.book = book;
        this.page = page;
        this.server = server;
        this.group = group;
        this.ticker = ticker;
    }

    /**
     * With the incidents and maintenances in {@code incidents} (loaded here), so they survive a restart; and the
     * webhooks of {@code notify}, whose outbox is in {@code store}.
     */
    static StatusPageRuntime start(StatusPageSettings settings, SloEngine slo, AlertEngine alerts,
                                   Transport transport, IncidentStore incidents, WebhookSettings notify,
                                   StateStore store, Clock clock) throws InterruptedException {
        IncidentBook book = new IncidentBook(settings.componentIds(), incidents, clock);
        // before anything can change the book, so no change goes unsent
        WebhookNotifier webhooks = notify.webhooks().isEmpty() ? null : WebhookNotifier.start(notify,
                settings.title(), settings.components().stream().collect(Collectors.toMap(
                        StatusPageSettings.ComponentSettings::id, StatusPageSettings.ComponentSettings::name)),
                store, clock);
        if (webhooks != null) {
            book.addListener(webhooks);
        }
        AutoIncidents auto = new AutoIncidents(settings, book, clock);
        auto.attach(subscriber -> alerts.addListener((before, after) -> pageAlert(slo, before, after)
                .ifPresent(subscriber)));
        StatusPage page = StatusPage.start(settings, book, uptime(settings, slo), clock);
        EventLoopGroup group = transport.newGroup(1, "palisade-status");
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "palisade-status-incidents");
            t.setDaemon(true);
            return t;
        });
        try {
            StatusPageServer server = StatusPageServer.start(settings.address(), group, transport.serverChannel(),
                    page);
            ticker.scheduleWithFixedDelay(auto::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
            return new StatusPageRuntime(book, page, server, group, ticker, webhooks);
        } catch (RuntimeException | InterruptedException e) {
            ticker.shutdownNow();
            page.close();
            if (webhooks != null) {
                webhooks.close();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    /**
     * An SLO's page alert as the page needs it: firing while the engine's {@code slo_burn} page alert fires, with
     * the worst burn rate of its evidence; cleared when it resolves. Other alerts open no public incident: the page
     * speaks of what users felt (the SLOs), not of the gateway's internals.
     */
    static Optional<PageAlert> pageAlert(SloEngine slo, Alert before, Alert after) {
        Alert a = after != null ? after : before;
        if (a == null || !a.name().equals("slo_burn") || a.severity() != Severity.PAGE) {
            return Optional.empty();
        }
        String name = a.labels().getOrDefault("slo", "");
        Optional<SloSettings> settings = slo.slos().stream().filter(s -> s.name().equals(name)).findFirst();
        if (settings.isEmpty()) {
            return Optional.empty();
        }
        SloSettings s = settings.get();
        String id = "slo_page:" + name;
        PageAlert.Signal signal = s.latency().isPresent() ? PageAlert.Signal.LATENCY : PageAlert.Signal.ERRORS;
        Instant at = a.until().orElse(a.since());
        if (!a.firing()) {
            return Optional.of(PageAlert.firing(id, Set.of(name), Set.copyOf(s.routes()), 0, s.objective(), signal,
                    at).cleared(at));
        }
        double burn = 0;
        for (Map.Entry<String, Object> e : a.evidence().entrySet()) {
            if (e.getKey().startsWith("burn_rate_") && e.getValue() instanceof Double d && Double.isFinite(d)) {
                burn = Math.max(burn, d);
            }
        }
        return Optional.of(PageAlert.firing(id, Set.of(name), Set.copyOf(s.routes()), burn, s.objective(), signal,
                at));
    }

    /**
     * A component's day: the worst good share of the SLOs it names (no SLO with traffic that day: no data). The page
     * asks once per component and day, 90 times per component per render; each SLO's history is read once per render
     * (it is built under the SLO engine's lock) and looked up by day.
     */
    static UptimeSource uptime(StatusPageSettings settings, SloEngine slo) {
        Map<String, Map<LocalDate, DayFigures>> histories = new ConcurrentHashMap<>();
        AtomicLong readAt = new AtomicLong(Long.MIN_VALUE);
        return (componentId, day) -> {
            Optional<StatusPageSettings.ComponentSettings> c = settings.component(componentId);
            if (c.isEmpty()) {
                return OptionalDouble.empty();
            }
            long now = System.nanoTime();
            long last = readAt.get();
            if (now - last > HISTORY_FRESH_NANOS && readAt.compareAndSet(last, now)) {
                histories.clear(); // a render is over in far less: the next one reads the SLOs again
            }
            OptionalDouble worst = OptionalDouble.empty();
            for (String name : c.get().slos()) {
                DayFigures d = histories.computeIfAbsent(name, n -> byDay(slo.history(n))).get(day);
                OptionalDouble share = d == null ? OptionalDouble.empty() : d.goodRatio();
                if (share.isPresent() && (worst.isEmpty() || share.getAsDouble() < worst.getAsDouble())) {
                    worst = share;
                }
            }
            return worst;
        };
    }

    private static Map<LocalDate, DayFigures> byDay(List<DayFigures> days) {
        Map<LocalDate, DayFigures> out = new HashMap<>(days.size() * 2);
        for (DayFigures d : days) {
            out.put(d.day(), d);
        }
        return out;
    }

    int port() {
        return server.port();
    }

    IncidentBook book() {
        return book;
    }

    @Override
    public void close() {
        ticker.shutdownNow();
        server.close();
        page.close();
        if (webhooks != null) {
            webhooks.close(); // after the page: the last changes are in the outbox before the store closes
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }
}
