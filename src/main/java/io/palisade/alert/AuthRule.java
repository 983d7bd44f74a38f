package io.palisade.alert;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * {@code auth_unavailable}: a route answered {@code 503 auth_unavailable} (its auth dependency, a JWKS endpoint or an
 * external auth service, could not answer) at least {@link #MIN_COUNT} times in the last minute, and for at least
 * {@link #MIN_SHARE} of its requests. It resolves after a whole minute without one; between the two it holds.
 * Severity page: callers with valid credentials are being turned away.
 */
final class AuthRule implements Rule {
    static final String NAME = "auth_unavailable";
    static final long MIN_COUNT = 5;
    static final double MIN_SHARE = 0.01;

    private final TrafficWatch traffic;

    AuthRule(TrafficWatch traffic) {
        this.traffic = traffic;
    }

    @Override
    public List<Observation> observe(Instant now, Predicate<String> firing) {
        long ms = now.toEpochMilli();
        List<Observation> out = new ArrayList<>();
        traffic.routes().forEach((route, series) -> {
            Map<String, String> labels = Map.of("route", route);
            long[] minute = series.lastMinute(ms);
            long n = minute[TrafficWatch.TOTAL];
            long x = minute[TrafficWatch.AUTH_UNAVAILABLE];
            Check check = x >= MIN_COUNT && x >= MIN_SHARE * n ? Check.TRUE : x == 0 ? Check.FALSE : Check.HOLD;
            if (check != Check.TRUE && !firing.test(Alert.key(NAME, Severity.PAGE, labels))) {
                return;
            }
            Map<String, Object> evidence = new LinkedHashMap<>();
            evidence.put("auth_unavailable_1m", x);
            evidence.put("requests_1m", n);
            if (n > 0) {
                evidence.put("share_1m", Durations.figure((double) x / n));
            }
            String summary = x == 0 ? "route " + route + " had no auth_unavailable answer in the last minute"
                    : "route " + route + " answered 503 auth_unavailable " + x + " times in the last minute ("
                            + Durations.percent((double) x / n) + " of " + n + " requests): its auth dependency"
                            + " cannot answer";
            out.add(new Observation(NAME, labels, Severity.PAGE, check, summary, evidence, Duration.ZERO,
                    Duration.ZERO, Duration.ofMinutes(10)));
        });
        return out;
    }

    @Override
    public String toString() {
        return "AuthRule";
    }
}
