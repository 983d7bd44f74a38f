package io.palisade.upstream.health;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The active-check state machine of one endpoint: counts consecutive passes and failures and moves between
 * {@link HealthState}s only through {@link HealthTransition}s.
 *
 * <ul>
 *   <li>UNKNOWN: the first completed check decides at once (pass: HEALTHY, fail: UNHEALTHY), so a new endpoint that
 *       is down stops getting traffic after one check instead of {@code unhealthy_after}.</li>
 *   <li>HEALTHY: {@code unhealthy_after} failures in a row make it UNHEALTHY.</li>
 *   <li>UNHEALTHY: {@code healthy_after} passes in a row make it HEALTHY.</li>
 * </ul>
 *
 * <p>Lock-free: results may be recorded from any thread (normally one checker's event loop; during a config change an
 * old and a new checker can briefly overlap).
 *
 * <pre>{@code
 * HealthTracker tracker = new HealthTracker();
 * tracker.record(false, 2, 3).ifPresent(t -> log.warn("{} -> {}", t.from(), t.to()));
 * }</pre>
 */
public final class HealthTracker {
    private record Counts(HealthState state, int passes, int failures) {}

    private static final Counts INITIAL = new Counts(HealthState.UNKNOWN, 0, 0);

    private final AtomicReference<Counts> counts = new AtomicReference<>(INITIAL);

    public HealthState state() {
        return counts.get().state();
    }

    public int consecutivePasses() {
        return counts.get().passes();
    }

    public int consecutiveFailures() {
        return counts.get().failures();
    }

    /**
     * Records one completed check.
     *
     * @param healthyAfter   passes in a row that make an UNHEALTHY endpoint HEALTHY (values below 1 count as 1)
     * @param unhealthyAfter failures in a row that make a HEALTHY endpoint UNHEALTHY (values below 1 count as 1)
     * @return the transition this result caused, if any
     */
    public Optional<HealthTransition> record(boolean passed, int healthyAfter, int unhealthyAfter) {
        for (;;) {
            Counts cur = counts.get();
            Counts next = passed ? afterPass(cur, healthyAfter) : afterFailure(cur, unhealthyAfter);
            if (counts.compareAndSet(cur, next)) {
                return cur.state() == next.state()
                        ? Optional.empty()
                        : Optional.of(HealthTransition.between(cur.state(), next.state()));
            }
        }
    }

    /**
     * Forgets everything and returns to UNKNOWN. Not a transition: used only when the endpoint's active check is
     * removed from the config, since an UNHEALTHY mark nobody will ever clear would keep the endpoint out forever.
     *
     * @return the state before the reset
     */
    public HealthState reset() {
        return counts.getAndSet(INITIAL).state();
    }

    private static Counts afterPass(Counts cur, int healthyAfter) {
        int passes = saturatingIncrement(cur.passes());
        HealthState state = switch (cur.state()) {
            case UNKNOWN -> HealthState.HEALTHY;
            case HEALTHY -> HealthState.HEALTHY;
            case UNHEALTHY -> passes >= Math.max(1, healthyAfter) ? HealthState.HEALTHY : HealthState.UNHEALTHY;
        };
        return new Counts(state, passes, 0);
    }

    private static Counts afterFailure(Counts cur, int unhealthyAfter) {
        int failures = saturatingIncrement(cur.failures());
        HealthState state = switch (cur.state()) {
            case UNKNOWN -> HealthState.UNHEALTHY;
            case HEALTHY -> failures >= Math.max(1, unhealthyAfter) ? HealthState.UNHEALTHY : HealthState.HEALTHY;
            case UNHEALTHY -> HealthState.UNHEALTHY;
        };
        return new Counts(state, 0, failures);
    }

    private static int saturatingIncrement(int n) {
        return n == Integer.MAX_VALUE ? n : n + 1;
    }
}
