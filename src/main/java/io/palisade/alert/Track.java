package io.palisade.alert;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * One alert key's hysteresis: turns a rule's run of checks into raise and resolve.
 * <ul>
 *   <li>not firing: it fires once the check has been {@link Check#TRUE} for {@code raiseAfter} without a break;</li>
 *   <li>firing: {@link Check#TRUE} and {@link Check#HOLD} keep it; it resolves once the check has been
 *       {@link Check#FALSE} for {@code clearAfter} (a {@code TRUE} or {@code HOLD} in between starts that over), or
 *       {@link Check#NO_SIGNAL} for {@code staleAfter} (no evidence left either way);</li>
 *   <li>while firing it takes each observation's figures; listeners hear of it at most once per
 *       {@link AlertEngine#UPDATE_INTERVAL}, when the summary changed.</li>
 * </ul>
 */
final class Track {
    /** A change to tell listeners about. */
    record Change(Alert before, Alert after) {}

    final String key;
    final Rule rule;
    Alert firing;
    private Instant trueSince;
    private Instant falseSince;
    private Instant noSignalSince;
    /** What listeners last heard of the firing alert: the {@code before} of the next change. */
    private Alert told;
    private Instant lastTold;

    Track(String key, Rule rule) {
        this.key = key;
        this.rule = rule;
    }

    /** Whether this track can be dropped: not firing and not on its way to. */
    boolean idle() {
        return firing == null && trueSince == null;
    }

    /** Applies one observation; the change to tell, or null. */
    Change step(Observation o, Instant now) {
        switch (o.check()) {
            case TRUE -> {
                falseSince = null;
                noSignalSince = null;
                if (firing == null) {
                    if (trueSince == null) {
                        trueSince = now;
                    }
                    if (!now.isBefore(trueSince.plus(o.raiseAfter()))) {
                        trueSince = null;
                        firing = new Alert(o.name(), o.labels(), o.severity(), Alert.State.FIRING, now,
                                Optional.empty(), o.summary(), o.evidence());
                        lastTold = now;
                        told = firing;
                        return new Change(null, firing);
                    }
                    return null;
                }
                return update(o, now);
            }
            case HOLD -> {
                trueSince = null;
                falseSince = null;
                noSignalSince = null;
                return firing == null ? null : update(o, now);
            }
            case FALSE -> {
                trueSince = null;
                noSignalSince = null;
                if (firing == null) {
                    return null;
                }
                if (falseSince == null) {
                    falseSince = now;
                }
                return due(falseSince, o.clearAfter(), now) ? resolve(now, o.summary()) : null;
            }
            default -> {
                trueSince = null;
                if (firing == null) {
                    return null;
                }
                if (noSignalSince == null) {
                    noSignalSince = now;
                }
                return due(noSignalSince, o.staleAfter(), now) ? resolve(now, "no signal for "
                        + Durations.format(o.staleAfter()) + ": " + o.summary()) : null;
            }
        }
    }

    private static boolean due(Instant since, Duration after, Instant now) {
        return !now.isBefore(since.plus(after));
    }

    private Change update(Observation o, Instant now) {
        firing = firing.updated(o.summary(), o.evidence());
        if (!o.summary().equals(told.summary()) && due(lastTold, AlertEngine.UPDATE_INTERVAL, now)) {
            Alert before = told;
            lastTold = now;
            told = firing;
            return new Change(before, firing);
        }
        return null;
    }

    /** Resolves a firing alert now (with its latest figures); the change to tell. */
    Change resolve(Instant now, String why) {
        Alert before = told;
        Alert after = firing.resolved(now, why);
        told = null;
        firing = null;
        trueSince = null;
        falseSince = null;
        noSignalSince = null;
        return new Change(before, after);
    }
}
