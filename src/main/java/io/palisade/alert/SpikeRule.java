package io.palisade.alert;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * {@code http_4xx_spike}: a route's or a consumer's share of 4xx answers, or of 403s alone, far above its own recent
 * baseline (seed 000: a burst of bad credentials; Xandr's 403s ran ten days before anyone noticed). Per route and per
 * identified consumer, over the last minute against the 30 minutes before it:
 * <ul>
 *   <li>it needs at least {@link #MIN_REQUESTS} requests in the minute, of which at least {@link #MIN_MATCHING} 4xx
 *       (or 403): fewer is no signal;</li>
 *   <li><b>far above</b>: the minute's share {@code s} is at least {@link #RATIO} times the baseline share {@code b}
 *       and at least {@link #MARGIN} above it ({@code s >= max(3b, b + 25 points)}). The ratio is what makes it a
 *       spike; the margin keeps a route whose baseline is near zero from firing on a few stray 404s;</li>
 *   <li>the baseline share is smoothed towards {@link #PRIOR_SHARE} as if {@link #PRIOR_WEIGHT} more requests had
 *       been seen, {@code b = (4xx + 1) / (requests + 20)}: a quiet baseline is taken as about 5%, not as an exact
 *       0% that any 4xx would be infinitely far above;</li>
 *   <li>a steady high share is its own baseline and never fires (60% every minute is not above 60%);</li>
 *   <li>once firing, the baseline is frozen at what it was before the spike, so a spike that lasts does not become
 *       its own baseline and resolve itself after half an hour (Xandr's lasted ten days); it resolves when the share
 *       has been below {@code max(2b, b + 12.5 points)} for {@link #CLEAR_AFTER}, or without signal (no traffic) for
 *       {@link #STALE_AFTER};</li>
 *   <li>nothing fires in the first {@link #WARM_UP} after start, while there is no baseline at all.</li>
 * </ul>
 * Severity ticket: the requests are the clients' own mistakes until proven otherwise, but someone should look.
 */
final class SpikeRule implements Rule {
    static final String NAME = "http_4xx_spike";
    static final long MIN_REQUESTS = 20;
    static final long MIN_MATCHING = 10;
    static final double RATIO = 3;
    static final double MARGIN = 0.25;
    static final double CLEAR_RATIO = 2;
    static final double CLEAR_MARGIN = 0.125;
    static final double PRIOR_SHARE = 0.05;
    static final double PRIOR_WEIGHT = 20;
    static final Duration WARM_UP = Duration.ofMinutes(2);
    static final Duration CLEAR_AFTER = Duration.ofMinutes(2);
    static final Duration STALE_AFTER = Duration.ofMinutes(10);

    private final TrafficWatch traffic;
    /** Baseline shares ({@code [4xx, 403]}) frozen when an alert of the key fired. */
    private final Map<String, double[]> frozen = new HashMap<>();

    SpikeRule(TrafficWatch traffic) {
        this.traffic = traffic;
    }

    @Override
    public List<Observation> observe(Instant now, Predicate<String> firing) {
        long ms = now.toEpochMilli();
        boolean warm = traffic.watchedMillis(ms) >= WARM_UP.toMillis();
        List<Observation> out = new ArrayList<>();
        traffic.routes().forEach((route, s) -> observe(out, "route", route, s, ms, warm, firing));
        traffic.consumers().forEach((consumer, s) -> observe(out, "consumer", consumer, s, ms, warm, firing));
        return out;
    }

    private void observe(List<Observation> out, String scope, String subject, TrafficWatch.Series series, long now,
                         boolean warm, Predicate<String> firing) {
        Map<String, String> labels = Map.of(scope, subject);
        String key = Alert.key(NAME, Severity.TICKET, labels);
        boolean on = firing.test(key);
        if (!on && !warm) {
            frozen.remove(key);
            return;
        }
        long[] minute = series.lastMinute(now);
        long[] base = series.baseline(now);
        long n = minute[TrafficWatch.TOTAL];
        double[] baseline = frozen.get(key);
        if (baseline == null || !on) {
            baseline = new double[] {smoothed(base[TrafficWatch.C4XX], base[TrafficWatch.TOTAL]),
                smoothed(base[TrafficWatch.C403], base[TrafficWatch.TOTAL])};
        }
        Check check;
        String which = "4xx";
        if (n < MIN_REQUESTS) {
            check = Check.NO_SIGNAL;
        } else {
            boolean spike403 = spike(minute[TrafficWatch.C403], n, baseline[1], on);
            boolean spike4xx = spike(minute[TrafficWatch.C4XX], n, baseline[0], on);
            check = spike403 || spike4xx ? Check.TRUE : Check.FALSE;
            which = spike403 ? "403" : "4xx";
        }
        if (!on) {
            if (check != Check.TRUE) {
                frozen.remove(key);
                return; // nothing fires and nothing is about to: no observation needed
            }
            frozen.put(key, baseline);
        }
        int index = which.equals("403") ? 1 : 0;
        long matching = minute[which.equals("403") ? TrafficWatch.C403 : TrafficWatch.C4XX];
        String where = scope + " " + subject;
        String summary = n < MIN_REQUESTS
                ? "too few requests on " + where + " to judge its 4xx share (" + n + " in the last minute)"
                : which + " share on " + where + " is " + Durations.percent((double) matching / n)
                        + " over the last minute (" + matching + " of " + n + " requests; baseline "
                        + Durations.percent(baseline[index]) + ")";
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("class", which);
        evidence.put("requests_1m", n);
        evidence.put("4xx_1m", minute[TrafficWatch.C4XX]);
        evidence.put("403_1m", minute[TrafficWatch.C403]);
        if (n > 0) {
            evidence.put("share_4xx_1m", Durations.figure((double) minute[TrafficWatch.C4XX] / n));
            evidence.put("share_403_1m", Durations.figure((double) minute[TrafficWatch.C403] / n));
        }
        evidence.put("baseline_requests_30m", base[TrafficWatch.TOTAL]);
        evidence.put("baseline_share_4xx", Durations.figure(baseline[0]));
        evidence.put("baseline_share_403", Durations.figure(baseline[1]));
        evidence.put("baseline_frozen", on);
        out.add(new Observation(NAME, labels, Severity.TICKET, check, summary, evidence, Duration.ZERO, CLEAR_AFTER,
                STALE_AFTER));
    }

    /** The baseline share, smoothed towards {@link #PRIOR_SHARE} with {@link #PRIOR_WEIGHT} requests' weight. */
    static double smoothed(long matching, long total) {
        return (matching + PRIOR_SHARE * PRIOR_WEIGHT) / (total + PRIOR_WEIGHT);
    }

    /** Far above the baseline to raise; still above the lower clear line to stay firing. */
    static boolean spike(long matching, long total, double baseline, boolean firing) {
        double share = (double) matching / total;
        if (firing) {
            return share >= Math.max(CLEAR_RATIO * baseline, baseline + CLEAR_MARGIN);
        }
        return matching >= MIN_MATCHING && share >= Math.max(RATIO * baseline, baseline + MARGIN);
    }

    @Override
    public String toString() {
        return "SpikeRule";
    }
}
