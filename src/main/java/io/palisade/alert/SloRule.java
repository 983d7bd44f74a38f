package io.palisade.alert;

import io.palisade.config.ConfigNode;
import io.palisade.slo.BurnRule;
import io.palisade.slo.BurnSignal;
import io.palisade.slo.BurnWindow;
import io.palisade.slo.SloEngine;
import io.palisade.slo.SloStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.function.Predicate;

/**
 * {@code slo_burn}: per SLO a page and a ticket alert from the multi-window scheme ({@link BurnRule}), read from the
 * SLO engine's latest statuses. Either fires at the first evaluation that its condition holds (the long windows
 * already ask for a sustained burn); it resolves once the condition has been false for the SLO's scaled "5m" (page)
 * or "30m" (ticket), and after the scaled "1h" (page) or "6h" (ticket) without signal.
 */
final class SloRule implements Rule {
    static final String NAME = "slo_burn";

    private final SloEngine slos;

    SloRule(SloEngine slos) {
        this.slos = slos;
    }

    @Override
    public List<Observation> observe(Instant now, Predicate<String> firing) {
        List<Observation> out = new ArrayList<>();
        for (SloStatus s : slos.statuses()) {
            out.add(observation(s, true));
            out.add(observation(s, false));
        }
        return out;
    }

    static Observation observation(SloStatus s, boolean page) {
        Duration window = s.settings().window();
        BurnSignal signal = page ? s.page() : s.ticket();
        Check check = switch (signal) {
            case BURNING -> Check.TRUE;
            case NOT_BURNING -> Check.FALSE;
            case NO_SIGNAL -> Check.NO_SIGNAL;
        };
        String severity = page ? "page" : "ticket";
        String summary;
        if (signal == BurnSignal.BURNING) {
            BurnRule rule = BurnRule.of(page).stream().filter(r -> s.check(r) == BurnSignal.BURNING).findFirst()
                    .orElseThrow();
            summary = s.name() + " is burning its error budget " + rate(s, rule.longWindow()) + " over "
                    + length(rule.longWindow(), window) + " and " + rate(s, rule.shortWindow()) + " over "
                    + length(rule.shortWindow(), window) + " (" + severity + " above " + factor(rule) + ")"
                    + budget(s);
        } else if (signal == BurnSignal.NOT_BURNING) {
            summary = s.name() + " burns below the " + severity + " thresholds: " + rates(s, page) + budget(s);
        } else {
            summary = s.name() + " has too few requests to judge (fewer than " + SloEngine.MIN_EVENTS
                    + " in a window the " + severity + " needs): " + rates(s, page);
        }
        Duration clearAfter = (page ? BurnWindow.M5 : BurnWindow.M30).scaled(window);
        Duration staleAfter = (page ? BurnWindow.H1 : BurnWindow.H6).scaled(window);
        return new Observation(NAME, Map.of("slo", s.name()), page ? Severity.PAGE : Severity.TICKET, check, summary,
                evidence(s, page), Duration.ZERO, clearAfter, staleAfter);
    }

    private static String rates(SloStatus s, boolean page) {
        List<String> parts = new ArrayList<>();
        for (BurnRule r : BurnRule.of(page)) {
            for (BurnWindow w : List.of(r.longWindow(), r.shortWindow())) {
                String text = length(w, s.settings().window()) + " " + rate(s, w);
                if (!parts.contains(text)) {
                    parts.add(text);
                }
            }
        }
        return String.join(", ", parts);
    }

    private static String rate(SloStatus s, BurnWindow w) {
        OptionalDouble burn = s.burnRate(w);
        return burn.isPresent() ? Durations.rate(burn.getAsDouble())
                : "no signal (" + s.window(w).total() + " requests)";
    }

    private static String length(BurnWindow w, Duration sloWindow) {
        Duration scaled = w.scaled(sloWindow);
        String label = w.label();
        return scaled.equals(w.nominal()) ? label : label + " (" + Durations.format(scaled) + ")";
    }

    private static String factor(BurnRule r) {
        return r.factor() == Math.rint(r.factor()) ? Long.toString((long) r.factor()) : Double.toString(r.factor());
    }

    private static String budget(SloStatus s) {
        OptionalDouble left = s.budgetRemaining();
        return left.isPresent() ? "; " + Durations.percent(left.getAsDouble()) + " of the "
                + ConfigNode.format(s.settings().window()) + " error budget left" : "";
    }

    private static Map<String, Object> evidence(SloStatus s, boolean page) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("objective", s.settings().objective());
        e.put("window", ConfigNode.format(s.settings().window()));
        List<BurnWindow> windows = new ArrayList<>();
        for (BurnRule r : BurnRule.of(page)) {
            windows.add(r.shortWindow());
            windows.add(r.longWindow());
        }
        windows.stream().distinct().sorted().forEach(w -> {
            OptionalDouble burn = s.burnRate(w);
            if (burn.isPresent()) {
                e.put("burn_rate_" + w.label(), Durations.figure(burn.getAsDouble()));
            }
            e.put("requests_" + w.label(), s.window(w).total());
            e.put("bad_" + w.label(), s.window(w).bad());
        });
        OptionalDouble left = s.budgetRemaining();
        if (left.isPresent()) {
            e.put("budget_remaining", Durations.figure(left.getAsDouble()));
        }
        for (BurnRule r : BurnRule.of(page)) {
            if (s.check(r) == BurnSignal.BURNING) {
                e.put("rule", r.longWindow().label() + " and " + r.shortWindow().label() + " above " + factor(r));
                break;
            }
        }
        return e;
    }

    @Override
    public String toString() {
        return "SloRule";
    }
}
