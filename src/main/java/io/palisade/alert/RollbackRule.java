package io.palisade.alert;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;

/**
 * {@code config_rolled_back}: the release path rolled a config version back (its canary regressed, or an operator
 * asked). An event, not a state: it fires at the next evaluation after {@link AlertEngine#configRolledBack} and
 * resolves by itself after {@link #HOLD}, long enough to be seen on {@code /alerts} and the status page. Severity
 * info: the gateway did what it should; someone should read why.
 */
final class RollbackRule implements Rule {
    static final String NAME = "config_rolled_back";
    static final Duration HOLD = Duration.ofHours(1);
    /** Events kept at once; more within an hour is a loop someone will notice anyway. */
    static final int MAX_EVENTS = 20;

    record Event(String version, String reason, Instant at) {}

    private final ConcurrentLinkedQueue<Event> incoming = new ConcurrentLinkedQueue<>();
    private final Deque<Event> events = new ArrayDeque<>();

    /** Any thread. */
    void rolledBack(String version, String reason, Instant at) {
        incoming.add(new Event(version, reason, at));
    }

    @Override
    public List<Observation> observe(Instant now, Predicate<String> firing) {
        for (Event polled = incoming.poll(); polled != null; polled = incoming.poll()) {
            Event e = polled;
            events.removeIf(old -> old.version().equals(e.version()));
            events.addLast(e);
            while (events.size() > MAX_EVENTS) {
                events.removeFirst();
            }
        }
        List<Observation> out = new ArrayList<>();
        for (var it = events.iterator(); it.hasNext(); ) {
            Event e = it.next();
            boolean on = now.isBefore(e.at().plus(HOLD));
            Map<String, Object> evidence = new LinkedHashMap<>();
            evidence.put("version", e.version());
            evidence.put("reason", e.reason());
            evidence.put("at", e.at().toString());
            out.add(new Observation(NAME, Map.of("version", e.version()), Severity.INFO, on ? Check.TRUE : Check.FALSE,
                    on ? "config version " + e.version() + " was rolled back: " + e.reason()
                            : "config version " + e.version() + " was rolled back over " + Durations.format(HOLD)
                                    + " ago",
                    evidence, Duration.ZERO, Duration.ZERO, HOLD));
            if (!on) {
                it.remove(); // this observation resolves it; the next evaluation has nothing left to say
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "RollbackRule";
    }
}
