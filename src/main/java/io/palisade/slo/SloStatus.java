package io.palisade.slo;

import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * One SLO as the engine saw it at its latest tick: its requests over every burn window and over the whole SLO
 * window, and what the multi-window conditions say ({@link BurnRule}).
 *
 * @param at      when the figures were taken
 * @param windows every {@link BurnWindow}'s figures
 * @param whole   the whole SLO window's figures (label {@link WindowFigures#WHOLE}): the error budget's span
 */
public record SloStatus(SloSettings settings, Instant at, Map<BurnWindow, WindowFigures> windows,
                        WindowFigures whole) {
    public SloStatus {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(at, "at");
        EnumMap<BurnWindow, WindowFigures> copy = new EnumMap<>(BurnWindow.class);
        copy.putAll(windows);
        if (copy.size() != BurnWindow.values().length) {
            throw new IllegalArgumentException("windows: " + copy.keySet() + " (expected: every BurnWindow)");
        }
        windows = Collections.unmodifiableMap(copy);
        Objects.requireNonNull(whole, "whole");
    }

    public String name() {
        return settings.name();
    }

    public WindowFigures window(BurnWindow w) {
        return windows.get(w);
    }

    /** The burn rate over {@code w}; empty with fewer than {@link SloEngine#MIN_EVENTS} requests in it. */
    public OptionalDouble burnRate(BurnWindow w) {
        return windows.get(w).burnRate(settings.errorBudget());
    }

    /**
     * The share of the error budget left over the whole SLO window: {@code 1 - bad / (total x (1 - objective))}. 1 is
     * untouched, 0 is spent, below 0 is overspent. Empty with fewer than {@link SloEngine#MIN_EVENTS} requests.
     */
    public OptionalDouble budgetRemaining() {
        if (!whole.hasSignal()) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(1 - whole.bad() / (whole.total() * settings.errorBudget()));
    }

    /** One row of the scheme: both its windows above its factor. */
    public BurnSignal check(BurnRule rule) {
        double budget = settings.errorBudget();
        return BurnSignal.and(windows.get(rule.longWindow()).above(budget, rule.factor()),
                windows.get(rule.shortWindow()).above(budget, rule.factor()));
    }

    /** Page: 1h and 5m above 14.4, or 6h and 30m above 6 (scaled). */
    public BurnSignal page() {
        return BurnSignal.or(check(BurnRule.PAGE_FAST), check(BurnRule.PAGE_SLOW));
    }

    /** Ticket: 1d and 2h above 3, or 3d and 6h above 1 (scaled). */
    public BurnSignal ticket() {
        return BurnSignal.or(check(BurnRule.TICKET_FAST), check(BurnRule.TICKET_SLOW));
    }
}
