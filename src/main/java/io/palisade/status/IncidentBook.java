package io.palisade.status;

import io.palisade.status.BookEvent.IncidentEvent;
import io.palisade.status.BookEvent.MaintenanceEvent;
import io.palisade.time.RateLimitedLog;
import io.palisade.time.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The incidents and maintenances of one status page, and every change made to them: by operators (open, update with
 * a status and a message, publish, resolve, postmortem; schedule and end maintenances) and by {@link AutoIncidents}
 * (the same calls, with {@link Actor#palisade()}). Each change is checked (the {@link IncidentStatus} state machine,
 * known components, sizes), saved whole to the {@link IncidentStore}, applied, and told to the listeners, in that
 * order and under one lock, so listeners see changes in the order they happened.
 *
 * <pre>{@code
 * IncidentBook book = new IncidentBook(List.of("orders", "collect"), IncidentStore.inMemory(), Clock.systemUTC());
 * book.addListener(event -> statusPage.refresh());
 * Incident i = book.open(new NewIncident("Checkout errors", "Investigating.", IncidentStatus.INVESTIGATING,
 *         Optional.empty(), Map.of("orders", ComponentStatus.PARTIAL_OUTAGE), true), Actor.person("ana"));
 * book.update(i.id(), IncidentEdit.status(IncidentStatus.IDENTIFIED, "A bad deploy."), Actor.person("ana"));
 * book.resolve(i.id(), "Rolled back.", Actor.person("ana"));
 * }</pre>
 *
 * <p>Thread-safe. The store is called on the calling thread (it may block), so never call from an event loop.
 *
 * <p>What the methods throw, changing nothing: {@link NoSuchElementException} when no incident or maintenance has the
 * id; {@link IllegalTransitionException} when the state machine does not allow the change;
 * {@link IllegalArgumentException} for a blank or oversized name or message, an unknown component, or a window that
 * ends before it starts or in the past; whatever the store throws when it cannot save.
 */
public final class IncidentBook {
    private static final Logger log = LoggerFactory.getLogger(IncidentBook.class);
    public static final int MAX_NAME = 200;
    public static final int MAX_MESSAGE = 10_000;
    public static final int MAX_POSTMORTEM = 200_000;
    /** Closed incidents kept in memory for the page (all of them stay in the store): the page shows far fewer. */
    static final int RETAINED_CLOSED = 500;
    static final String RESOLVED_MESSAGE = "This incident has been resolved.";

    private final List<String> componentIds;
    private final IncidentStore store;
    private final Clock clock;
    private final List<IncidentListener> listeners = new CopyOnWriteArrayList<>();
    private final RateLimitedLog listenerFailures = RateLimitedLog.every(Duration.ofSeconds(10), log,
            Ticker.system());
    private final Map<String, Incident> incidents = new LinkedHashMap<>();
    private final Map<String, Maintenance> maintenances = new LinkedHashMap<>();
    private volatile View view;

    /** What the page is rendered from: newest first. */
    record View(List<Incident> incidents, List<Maintenance> maintenances) {}

    /**
     * @param componentIds the page's components: incidents and maintenances may name only these
     * @param store        loaded here, once
     */
    public IncidentBook(Collection<String> componentIds, IncidentStore store, Clock clock) {
        this.componentIds = List.copyOf(componentIds);
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
        List<Incident> loaded = new ArrayList<>(store.incidents());
        loaded.sort(Comparator.comparing(Incident::createdAt));
        loaded.forEach(i -> incidents.put(i.id(), i));
        List<Maintenance> loadedMaintenances = new ArrayList<>(store.maintenances());
        loadedMaintenances.sort(Comparator.comparing(Maintenance::scheduledFor));
        loadedMaintenances.forEach(m -> maintenances.put(m.id(), m));
        trimAndPublishView();
    }

    public void addListener(IncidentListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public List<String> componentIds() {
        return componentIds;
    }

    /** Every incident kept in memory (the open ones and the newest closed ones), newest first. */
    public List<Incident> incidents() {
        return view.incidents();
    }

    public Optional<Incident> incident(String id) {
        return view.incidents().stream().filter(i -> i.id().equals(id)).findFirst();
    }

    /** Every maintenance, the latest scheduled first. */
    public List<Maintenance> maintenances() {
        return view.maintenances();
    }

    View view() {
        return view;
    }

    public synchronized Incident open(NewIncident spec, Actor actor) {
        checkText("name", spec.name(), MAX_NAME);
        checkText("message", spec.message(), MAX_MESSAGE);
        if (!spec.status().isOpen()) {
            throw new IllegalArgumentException("an incident opens as one of " + IncidentStatus.describe(
                    IncidentStatus.open()) + ", not " + spec.status().wire());
        }
        checkComponents(spec.components().keySet());
        Instant now = clock.instant();
        String id = newIncidentId();
        Map<String, ComponentStatus> components = new LinkedHashMap<>();
        List<ComponentChange> changes = new ArrayList<>();
        for (String c : componentIds) { // page order, so the timeline reads the way the page does
            ComponentStatus s = spec.components().get(c);
            if (s != null) {
                components.put(c, s);
                if (s != ComponentStatus.OPERATIONAL) {
                    changes.add(new ComponentChange(c, ComponentStatus.OPERATIONAL, s));
                }
            }
        }
        Impact impact = spec.impact().orElse(impliedImpact(components.values()));
        IncidentUpdate first = new IncidentUpdate(newUpdateId(), id, spec.status(), spec.message(), now, actor,
                changes);
        Incident incident = new Incident(id, spec.name(), spec.status(), impact, now, now, now,
                spec.status() == IncidentStatus.MONITORING ? Optional.of(now) : Optional.empty(), Optional.empty(),
                components, List.of(first), spec.publish() ? Optional.of(now) : Optional.empty(), actor,
                spec.publish() ? Optional.of(actor) : Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty());
        apply(incident);
        tell(new IncidentEvent(IncidentEvent.Kind.OPENED, Optional.empty(), incident, actor, now));
        return incident;
    }

    public synchronized Incident update(String id, IncidentEdit edit, Actor actor) {
        Incident current = find(id);
        IncidentStatus target = edit.status().orElse(current.status());
        if (!current.isOpen() || !current.status().canMoveTo(target)) {
            throw new IllegalTransitionException(id, current.status(), target);
        }
        checkText("message", edit.message(), MAX_MESSAGE);
        edit.name().ifPresent(n -> checkText("name", n, MAX_NAME));
        checkComponents(edit.components().keySet());
        Instant now = clock.instant();
        Map<String, ComponentStatus> components = new LinkedHashMap<>(current.components());
        List<ComponentChange> changes = new ArrayList<>();
        Set<String> touched = new LinkedHashSet<>();
        for (String c : componentIds) {
            ComponentStatus to = edit.components().get(c);
            if (to == null && target == IncidentStatus.RESOLVED && components.containsKey(c)) {
                to = ComponentStatus.OPERATIONAL; // a resolved incident gives no component trouble any more
            }
            if (to == null) {
                continue;
            }
            ComponentStatus from = components.getOrDefault(c, ComponentStatus.OPERATIONAL);
            components.put(c, to);
            touched.add(c);
            if (from != to) {
                changes.add(new ComponentChange(c, from, to));
            }
        }
        Impact impact = edit.impact().orElseGet(() -> Impact.worst(current.impact(), impliedImpact(
                touched.stream().map(components::get).toList())));
        Optional<Instant> monitoringAt = target == IncidentStatus.MONITORING
                && current.status() != IncidentStatus.MONITORING ? Optional.of(now) : current.monitoringAt();
        Optional<Instant> resolvedAt = target == IncidentStatus.RESOLVED ? Optional.of(now) : Optional.empty();
        List<IncidentUpdate> updates = new ArrayList<>(current.updates());
        updates.add(new IncidentUpdate(newUpdateId(), id, target, edit.message(), now, actor, changes));
        Incident next = current.with(edit.name().orElse(current.name()), target, impact, now, monitoringAt,
                resolvedAt, components, updates);
        apply(next);
        tell(new IncidentEvent(target == IncidentStatus.RESOLVED ? IncidentEvent.Kind.RESOLVED
                : IncidentEvent.Kind.UPDATED, Optional.of(current), next, actor, now));
        return next;
    }

    /** Resolves an open incident; its components go back to {@code operational}. An empty message says so plainly. */
    public Incident resolve(String id, String message, Actor actor) {
        return update(id, IncidentEdit.status(IncidentStatus.RESOLVED, message.isBlank() ? RESOLVED_MESSAGE
                : message), actor);
    }

    /** Puts a draft on the public page; an incident already published is returned as it is. */
    public synchronized Incident publish(String id, Actor actor) {
        Incident current = find(id);
        if (current.isPublished()) {
            return current;
        }
        Instant now = clock.instant();
        Incident next = current.published(now, actor);
        apply(next);
        tell(new IncidentEvent(IncidentEvent.Kind.PUBLISHED, Optional.of(current), next, actor, now));
        return next;
    }

    /** Adds (or replaces) the postmortem of a resolved incident, which moves it to {@code postmortem}. */
    public synchronized Incident postmortem(String id, String body, Actor actor) {
        Incident current = find(id);
        if (!current.status().canMoveTo(IncidentStatus.POSTMORTEM)) {
            throw new IllegalTransitionException(id, current.status(), IncidentStatus.POSTMORTEM);
        }
        checkText("postmortem", body, MAX_POSTMORTEM);
        Instant now = clock.instant();
        Incident next = current.withPostmortem(body, now, actor);
        apply(next);
        tell(new IncidentEvent(IncidentEvent.Kind.POSTMORTEM, Optional.of(current), next, actor, now));
        return next;
    }

    public synchronized Maintenance schedule(NewMaintenance spec, Actor actor) {
        checkText("name", spec.name(), MAX_NAME);
        checkText("message", spec.message(), MAX_MESSAGE);
        checkComponents(spec.components());
        if (spec.components().isEmpty()) {
            throw new IllegalArgumentException("a maintenance names at least one component (expected some of: "
                    + String.join(", ", componentIds) + ")");
        }
        Instant now = clock.instant();
        if (!spec.scheduledUntil().isAfter(spec.scheduledFor())) {
            throw new IllegalArgumentException("scheduled_until " + spec.scheduledUntil()
                    + " (expected: after scheduled_for " + spec.scheduledFor() + ")");
        }
        if (!spec.scheduledUntil().isAfter(now)) {
            throw new IllegalArgumentException("scheduled_until " + spec.scheduledUntil()
                    + " (expected: in the future)");
        }
        String id;
        do {
            id = Ids.next();
        } while (maintenances.containsKey(id));
        Maintenance m = new Maintenance(id, spec.name(), spec.message(), spec.scheduledFor(), spec.scheduledUntil(),
                List.copyOf(new LinkedHashSet<>(spec.components())), now, now, actor, Optional.empty(),
                Optional.empty());
        store.save(m);
        maintenances.put(id, m);
        trimAndPublishView();
        tell(new MaintenanceEvent(MaintenanceEvent.Kind.SCHEDULED, Optional.empty(), m, actor, now));
        return m;
    }

    /** Ends a maintenance now; one already over is returned as it is. */
    public synchronized Maintenance completeMaintenance(String id, Actor actor) {
        Maintenance current = maintenances.get(id);
        if (current == null) {
            throw new NoSuchElementException("no maintenance " + id);
        }
        Instant now = clock.instant();
        if (current.status(now) == Maintenance.Status.COMPLETED) {
            return current;
        }
        Maintenance next = current.completed(now, actor);
        store.save(next);
        maintenances.put(id, next);
        trimAndPublishView();
        tell(new MaintenanceEvent(MaintenanceEvent.Kind.COMPLETED, Optional.of(current), next, actor, now));
        return next;
    }

    private Incident find(String id) {
        Incident i = incidents.get(id);
        if (i == null) {
            throw new NoSuchElementException("no incident " + id);
        }
        return i;
    }

    private void apply(Incident next) {
        store.save(next);
        incidents.put(next.id(), next);
        trimAndPublishView();
    }

    private void trimAndPublishView() {
        List<Incident> newestFirst = new ArrayList<>(incidents.values());
        newestFirst.sort(Comparator.comparing(Incident::createdAt).reversed());
        int closed = 0;
        List<Incident> kept = new ArrayList<>(newestFirst.size());
        for (Incident i : newestFirst) {
            if (!i.isOpen() && ++closed > RETAINED_CLOSED) {
                incidents.remove(i.id());
                continue;
            }
            kept.add(i);
        }
        List<Maintenance> latestFirst = new ArrayList<>(maintenances.values());
        latestFirst.sort(Comparator.comparing(Maintenance::scheduledFor).reversed());
        if (latestFirst.size() > RETAINED_CLOSED) {
            latestFirst.subList(RETAINED_CLOSED, latestFirst.size()).forEach(m -> maintenances.remove(m.id()));
            latestFirst = latestFirst.subList(0, RETAINED_CLOSED);
        }
        view = new View(List.copyOf(kept), List.copyOf(latestFirst));
    }

    private void tell(BookEvent event) {
        for (IncidentListener l : listeners) {
            try {
                l.onChange(event);
            } catch (RuntimeException e) {
                listenerFailures.warn("incident listener failed", e);
            }
        }
    }

    private String newIncidentId() {
        String id;
        do {
            id = Ids.next();
        } while (incidents.containsKey(id));
        return id;
    }

    private static String newUpdateId() {
        return Ids.next();
    }

    private void checkComponents(Collection<String> named) {
        for (String c : named) {
            if (!componentIds.contains(c)) {
                throw new IllegalArgumentException("unknown component " + c + " (expected one of: "
                        + String.join(", ", componentIds) + ")");
            }
        }
    }

    private static void checkText(String what, String text, int max) {
        if (text.isBlank()) {
            throw new IllegalArgumentException(what + " is empty (expected: some text)");
        }
        if (text.length() > max) {
            throw new IllegalArgumentException(what + " has " + text.length() + " characters (expected: at most "
                    + max + ")");
        }
    }

    static Impact impliedImpact(Collection<ComponentStatus> statuses) {
        Impact worst = Impact.NONE;
        for (ComponentStatus s : statuses) {
            worst = Impact.worst(worst, s.impact());
        }
        return worst;
    }
}
