package io.palisade.status;

import io.palisade.status.StatusPageSettings.ComponentSettings;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Everything the page, its JSON and its feed show at one instant, computed once per render so the three agree: the
 * public incidents (drafts left out), each component's status (the worst an open published incident or an
 * in-progress maintenance gives it), the overall indicator, and the uptime bars.
 */
record PageView(StatusPageSettings settings, String pageId, Instant now, Instant updatedAt, Indicator indicator,
                List<ComponentView> components, List<Incident> incidents, List<Maintenance> maintenances) {
    static final int UPTIME_DAYS = 90;

    /** Statuspage's overall {@code status}: an indicator and its description. */
    enum Indicator {
        NONE("All Systems Operational"),
        MINOR("Minor Service Outage"),
        MAJOR("Partial System Outage"),
        CRITICAL("Major System Outage"),
        MAINTENANCE("Service Under Maintenance");

        final String description;

        Indicator(String description) {
            this.description = description;
        }

        String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Indicator of(Impact impact) {
            return switch (impact) {
                case NONE -> NONE;
                case MINOR -> MINOR;
                case MAJOR -> MAJOR;
                case CRITICAL -> CRITICAL;
            };
        }
    }

    /**
     * @param position 1-based, in config order
     * @param days     {@link #UPTIME_DAYS} days ending today, oldest first
     */
    record ComponentView(ComponentSettings settings, int position, ComponentStatus status, Instant createdAt,
                         Instant updatedAt, List<Day> days) {
        String id() {
            return settings.id();
        }

        String name() {
            return settings.name();
        }

        /** The mean over the days with data, empty when none has any. */
        OptionalDouble uptime() {
            return days.stream().filter(d -> d.uptime().isPresent()).mapToDouble(d -> d.uptime().getAsDouble())
                    .average();
        }
    }

    record Day(LocalDate date, OptionalDouble uptime) {}

    /**
     * @param since when the page started (components' {@code created_at}, and {@code updated_at} before any change)
     */
    static PageView of(StatusPageSettings settings, IncidentBook.View book, UptimeSource uptime, Instant now,
                       Instant since) {
        List<Incident> published = book.incidents().stream().filter(Incident::isPublished).toList();
        List<Maintenance> maintenances = book.maintenances();
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        List<ComponentView> components = new ArrayList<>();
        ComponentStatus worst = ComponentStatus.OPERATIONAL;
        int position = 1;
        for (ComponentSettings c : settings.components()) {
            ComponentStatus status = ComponentStatus.OPERATIONAL;
            Instant updated = since;
            for (Incident i : published) {
                ComponentStatus s = i.components().get(c.id());
                if (s == null) {
                    continue;
                }
                if (i.isOpen()) {
                    status = ComponentStatus.worst(status, s);
                }
                updated = later(updated, i.updatedAt());
            }
            for (Maintenance m : maintenances) {
                if (!m.components().contains(c.id())) {
                    continue;
                }
                Maintenance.Status ms = m.status(now);
                if (ms == Maintenance.Status.IN_PROGRESS) {
                    status = ComponentStatus.worst(status, ComponentStatus.UNDER_MAINTENANCE);
                    updated = later(updated, m.scheduledFor());
                } else if (ms == Maintenance.Status.COMPLETED) {
                    updated = later(updated, m.endsAt().isAfter(now) ? now : m.endsAt());
                }
            }
            List<Day> days = new ArrayList<>(UPTIME_DAYS);
            for (int d = UPTIME_DAYS - 1; d >= 0; d--) {
                LocalDate date = today.minusDays(d);
                days.add(new Day(date, clamp(uptime.uptime(c.id(), date))));
            }
            worst = ComponentStatus.worst(worst, status);
            components.add(new ComponentView(c, position++, status, since, updated, List.copyOf(days)));
        }
        Impact impact = worst.impact();
        for (Incident i : published) {
            if (i.isOpen()) {
                impact = Impact.worst(impact, i.impact());
            }
        }
        Indicator indicator = Indicator.of(impact);
        if (indicator == Indicator.NONE && worst == ComponentStatus.UNDER_MAINTENANCE) {
            indicator = Indicator.MAINTENANCE;
        }
        Instant updatedAt = since;
        for (Incident i : published) {
            updatedAt = later(updatedAt, i.updatedAt());
        }
        for (Maintenance m : maintenances) {
            updatedAt = later(updatedAt, m.updatedAt());
            if (!m.scheduledFor().isAfter(now)) {
                updatedAt = later(updatedAt, m.scheduledFor());
            }
            if (!m.endsAt().isAfter(now)) {
                updatedAt = later(updatedAt, m.endsAt());
            }
        }
        return new PageView(settings, pageId(settings.title()), now, updatedAt, indicator, List.copyOf(components),
                published, maintenances);
    }

    /** Statuspage's page id: 12 characters, stable for a title, so clients keying on it keep working. */
    static String pageId(String title) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(title.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    List<Incident> unresolved() {
        return incidents.stream().filter(Incident::isOpen).toList();
    }

    List<Incident> closed() {
        return incidents.stream().filter(i -> !i.isOpen()).toList();
    }

    List<Maintenance> maintenances(Maintenance.Status status) {
        return maintenances.stream().filter(m -> m.status(now) == status)
                .sorted(Comparator.comparing(Maintenance::scheduledFor)).toList();
    }

    Optional<ComponentView> component(String id) {
        return components.stream().filter(c -> c.id().equals(id)).findFirst();
    }

    String componentName(String id) {
        return component(id).map(ComponentView::name).orElse(id);
    }

    Map<String, ComponentStatus> statuses() {
        Map<String, ComponentStatus> out = new LinkedHashMap<>();
        components.forEach(c -> out.put(c.id(), c.status()));
        return out;
    }

    private static OptionalDouble clamp(OptionalDouble v) {
        if (v.isEmpty() || Double.isNaN(v.getAsDouble())) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(Math.max(0, Math.min(1, v.getAsDouble())));
    }

    private static Instant later(Instant a, Instant b) {
        return b.isAfter(a) ? b : a;
    }
}
