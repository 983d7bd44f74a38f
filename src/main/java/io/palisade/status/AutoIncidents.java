package io.palisade.status;

import io.palisade.config.ConfigNode;
import io.palisade.status.StatusPageSettings.ComponentSettings;
import io.palisade.status.StatusPageSettings.IncidentMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Incidents nobody had to type: a page alert that concerns a component of the page opens an incident by itself
 * ({@code investigating}, components and impact from the burn), later changes update it, the end of the burn moves
 * it to {@code monitoring} (its components back to {@code operational}), and {@code resolve_after} of quiet resolves
 * it. A fault that comes back before that, flapping, continues the same incident (back to {@code investigating});
 * alerts on other components meanwhile join it too, so one episode is one incident.
 *
 * <p>From the share of bad requests ({@link PageAlert#badShare()}, the burn rate times the error budget):
 * <table>
 *   <caption>What an alert does to its components</caption>
 *   <tr><th>alert</th><th>component status</th><th>impact</th></tr>
 *   <tr><td>errors, at least {@value #CRITICAL_SHARE_PERCENT}% failing</td><td>major_outage</td><td>critical</td></tr>
 *   <tr><td>errors, at least {@value #MAJOR_SHARE_PERCENT}% failing</td><td>partial_outage</td><td>major</td></tr>
 *   <tr><td>errors, fewer</td><td>degraded_performance</td><td>minor</td></tr>
 *   <tr><td>latency, at least {@value #CRITICAL_SHARE_PERCENT}% slow</td><td>degraded_performance</td>
 *       <td>major</td></tr>
 *   <tr><td>latency, fewer</td><td>degraded_performance</td><td>minor</td></tr>
 * </table>
 * A component affected by several alerts takes the worst; an incident's impact never goes down while it is open.
 *
 * <p>{@code incidents: draft} opens drafts an operator publishes; {@code off} opens nothing. If an operator resolves
 * the incident while alerts still fire, the next alert that starts firing opens a new one. Time comes from the
 * injected clock: {@link #tick()} (every few seconds, from the caller's scheduler) resolves after the quiet.
 *
 * <pre>{@code
 * AutoIncidents auto = new AutoIncidents(settings, book, Clock.systemUTC());
 * auto.attach(alertFeed);
 * scheduler.scheduleWithFixedDelay(auto::tick, 1, 1, TimeUnit.SECONDS);
 * }</pre>
 *
 * <p>Thread-safe; it calls the book on the caller's thread (the feed's, the scheduler's).
 */
public final class AutoIncidents {
    static final int CRITICAL_SHARE_PERCENT = 50;
    static final int MAJOR_SHARE_PERCENT = 5;
    static final double CRITICAL_SHARE = CRITICAL_SHARE_PERCENT / 100.0;
    static final double MAJOR_SHARE = MAJOR_SHARE_PERCENT / 100.0;

    private final StatusPageSettings settings;
    private final IncidentBook book;
    private final Clock clock;
    /** The page-relevant alerts firing now, by alert id, in the order they started. */
    private final Map<String, Effect> active = new LinkedHashMap<>();
    private Optional<String> current = Optional.empty();
    /** When the last alert of the current incident cleared; empty while one fires. */
    private Optional<Instant> quietSince = Optional.empty();

    /** What one firing alert does to the page. */
    private record Effect(Map<String, ComponentStatus> components, Impact impact, PageAlert.Signal signal,
                          double share) {}

    /** One component's trouble: the worst of the effects that name it. */
    private record Trouble(ComponentStatus status, PageAlert.Signal signal, double share) {}

    /**
     * Adopts the newest open automatic incident of the book (one a restart interrupted): alerts that still fire
     * continue it, and without them it resolves after the quiet.
     */
    public AutoIncidents(StatusPageSettings settings, IncidentBook book, Clock clock) {
        this.settings = settings;
        this.book = book;
        this.clock = clock;
        book.incidents().stream().filter(i -> i.isOpen() && i.isAutomatic())
                .max(Comparator.comparing(Incident::createdAt))
                .ifPresent(i -> {
                    current = Optional.of(i.id());
                    quietSince = Optional.of(clock.instant());
                });
    }

    public void attach(AlertFeed feed) {
        feed.subscribe(this::onAlert);
    }

    /** The incident this episode is, while one is open. */
    public synchronized Optional<String> currentIncident() {
        refreshCurrent();
        return current;
    }

    public synchronized void onAlert(PageAlert alert) {
        if (settings.incidents() == IncidentMode.OFF) {
            return;
        }
        boolean newlyFiring = false;
        if (alert.state() == PageAlert.State.FIRING) {
            Effect effect = effectOf(alert);
            if (effect.components().isEmpty()) {
                active.remove(alert.id()); // about nothing on this page: a flooded tenant's route, say
            } else {
                newlyFiring = active.put(alert.id(), effect) == null;
            }
        } else {
            active.remove(alert.id());
        }
        evaluate(newlyFiring);
    }

    /** Resolves the current incident once it has been quiet for {@code resolve_after}. */
    public synchronized void tick() {
        refreshCurrent();
        if (current.isEmpty() || !active.isEmpty() || quietSince.isEmpty()) {
            return;
        }
        Instant now = clock.instant();
        if (Duration.between(quietSince.get(), now).compareTo(settings.resolveAfter()) < 0) {
            return;
        }
        book.resolve(current.get(), "Everything has worked within its objectives for "
                + ConfigNode.format(settings.resolveAfter()) + ": this incident is resolved.", Actor.palisade());
        current = Optional.empty();
        quietSince = Optional.empty();
    }

    private void evaluate(boolean newlyFiring) {
        refreshCurrent();
        Map<String, Trouble> troubles = troubles();
        if (current.isEmpty()) {
            if (troubles.isEmpty() || !newlyFiring) {
                return;
            }
            open(troubles);
            return;
        }
        Incident incident = book.incident(current.get()).orElseThrow();
        if (troubles.isEmpty()) {
            if (incident.status() != IncidentStatus.MONITORING) {
                Map<String, ComponentStatus> operational = new LinkedHashMap<>();
                incident.components().keySet().forEach(c -> operational.put(c, ComponentStatus.OPERATIONAL));
                book.update(incident.id(), IncidentEdit.status(IncidentStatus.MONITORING, recoveredMessage(incident))
                        .withComponents(operational), Actor.palisade());
            }
            quietSince = Optional.of(clock.instant());
            return;
        }
        quietSince = Optional.empty();
        Map<String, ComponentStatus> target = new LinkedHashMap<>();
        for (String c : settings.componentIds()) {
            if (troubles.containsKey(c)) {
                target.put(c, troubles.get(c).status());
            } else if (incident.components().containsKey(c)) {
                target.put(c, ComponentStatus.OPERATIONAL);
            }
        }
        Map<String, ComponentStatus> changed = new LinkedHashMap<>();
        boolean worse = false;
        for (Map.Entry<String, ComponentStatus> e : target.entrySet()) {
            ComponentStatus was = incident.components().getOrDefault(e.getKey(), ComponentStatus.OPERATIONAL);
            if (was != e.getValue()) {
                changed.put(e.getKey(), e.getValue());
                worse |= e.getValue().worseThan(was);
            }
        }
        boolean reopen = incident.status() == IncidentStatus.MONITORING && (newlyFiring || worse);
        if (!reopen && changed.isEmpty()) {
            return; // the same trouble with other figures: no news for the public
        }
        Impact impact = Impact.worst(incident.impact(), impactOf(troubles));
        IncidentEdit edit = reopen
                ? IncidentEdit.status(IncidentStatus.INVESTIGATING, "The problem is back. " + details(troubles,
                        troubles.keySet()) + " We are investigating.")
                : IncidentEdit.message(details(troubles, changed.keySet()));
        edit = edit.withComponents(changed).withImpact(impact);
        Set<String> everAffected = new LinkedHashSet<>(incident.components().keySet());
        if (everAffected.addAll(troubles.keySet())) {
            edit = edit.withName(title(troubles, everAffected));
        }
        book.update(incident.id(), edit, Actor.palisade());
    }

    private void open(Map<String, Trouble> troubles) {
        Map<String, ComponentStatus> components = new LinkedHashMap<>();
        troubles.forEach((c, t) -> components.put(c, t.status()));
        String message = "We are investigating " + phrase(troubles) + " on " + names(troubles.keySet()) + ". "
                + details(troubles, troubles.keySet());
        Incident opened = book.open(new NewIncident(title(troubles, troubles.keySet()), message,
                IncidentStatus.INVESTIGATING, Optional.of(impactOf(troubles)), components,
                settings.incidents() == IncidentMode.PUBLISH), Actor.palisade());
        current = Optional.of(opened.id());
        quietSince = Optional.empty();
    }

    /** Forgets the current incident when it is no longer open: an operator resolved it. */
    private void refreshCurrent() {
        if (current.isPresent() && book.incident(current.get()).filter(Incident::isOpen).isEmpty()) {
            current = Optional.empty();
            quietSince = Optional.empty();
        }
    }

    private Effect effectOf(PageAlert alert) {
        double share = alert.badShare();
        ComponentStatus status;
        Impact impact;
        if (alert.signal() == PageAlert.Signal.LATENCY) {
            status = ComponentStatus.DEGRADED_PERFORMANCE; // slow is degraded, not down
            impact = share >= CRITICAL_SHARE ? Impact.MAJOR : Impact.MINOR;
        } else if (share >= CRITICAL_SHARE) {
            status = ComponentStatus.MAJOR_OUTAGE;
            impact = Impact.CRITICAL;
        } else if (share >= MAJOR_SHARE) {
            status = ComponentStatus.PARTIAL_OUTAGE;
            impact = Impact.MAJOR;
        } else {
            status = ComponentStatus.DEGRADED_PERFORMANCE;
            impact = Impact.MINOR;
        }
        Map<String, ComponentStatus> components = new LinkedHashMap<>();
        for (ComponentSettings c : settings.components()) {
            if (c.slos().stream().anyMatch(alert.slos()::contains)
                    || c.routes().stream().anyMatch(alert.routes()::contains)) {
                components.put(c.id(), status);
            }
        }
        return new Effect(components, impact, alert.signal(), share);
    }

    private Map<String, Trouble> troubles() {
        Map<String, Trouble> out = new LinkedHashMap<>();
        for (String c : settings.componentIds()) {
            Trouble worst = null;
            for (Effect e : active.values()) {
                ComponentStatus s = e.components().get(c);
                if (s == null) {
                    continue;
                }
                Trouble t = new Trouble(s, e.signal(), e.share());
                if (worst == null || s.worseThan(worst.status())
                        || (s == worst.status() && t.share() > worst.share())) {
                    worst = t;
                }
            }
            if (worst != null) {
                out.put(c, worst);
            }
        }
        return out;
    }

    private Impact impactOf(Map<String, Trouble> troubles) {
        Impact worst = Impact.NONE;
        for (Effect e : active.values()) {
            if (e.components().keySet().stream().anyMatch(troubles::containsKey)) {
                worst = Impact.worst(worst, e.impact());
            }
        }
        return worst;
    }

    private String title(Map<String, Trouble> troubles, Set<String> components) {
        String phrase = phrase(troubles);
        return Character.toUpperCase(phrase.charAt(0)) + phrase.substring(1) + " on " + names(components);
    }

    private static String phrase(Map<String, Trouble> troubles) {
        Set<PageAlert.Signal> signals = EnumSet.noneOf(PageAlert.Signal.class);
        troubles.values().forEach(t -> signals.add(t.signal()));
        if (signals.size() > 1) {
            return "errors and slow responses";
        }
        return signals.contains(PageAlert.Signal.LATENCY) ? "slow responses" : "elevated error rates";
    }

    /** One sentence per component: "Orders API: about 12% of requests are failing." */
    private String details(Map<String, Trouble> troubles, Set<String> which) {
        List<String> sentences = new ArrayList<>();
        for (String c : which) {
            Trouble t = troubles.get(c);
            String name = componentName(c);
            if (t == null) {
                sentences.add(name + " is back to normal.");
            } else {
                sentences.add(name + ": " + t.status().label().toLowerCase(Locale.ROOT) + ", about "
                        + percent(t.share()) + " of requests "
                        + (t.signal() == PageAlert.Signal.LATENCY ? "are slower than their objective."
                        : "are failing."));
            }
        }
        return String.join(" ", sentences);
    }

    private String recoveredMessage(Incident incident) {
        return "Requests to " + names(incident.components().keySet())
                + " are back within their objectives. We are monitoring.";
    }

    private String names(Set<String> componentIds) {
        List<String> names = componentIds.stream().map(this::componentName).toList();
        if (names.size() <= 1) {
            return String.join("", names);
        }
        return String.join(", ", names.subList(0, names.size() - 1)) + " and " + names.getLast();
    }

    private String componentName(String id) {
        return settings.component(id).map(ComponentSettings::name).orElse(id);
    }

    static String percent(double share) {
        double p = share * 100;
        if (p < 1) {
            return "less than 1%";
        }
        return p < 10 ? String.format(Locale.ROOT, "%.1f%%", p) : Math.round(p) + "%";
    }
}
