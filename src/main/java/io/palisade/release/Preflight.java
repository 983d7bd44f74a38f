package io.palisade.release;

import io.palisade.time.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Probes what a config version adds or changes before any traffic reaches it (seed 004: an auth-server address that
 * was never tried hung every serving thread). All probes run at once, each on a virtual thread of its own, and each
 * is bounded by its own timeout, so a run takes about as long as its slowest probe, never the sum.
 *
 * <pre>{@code
 * List<ProbeFailure> failures = Preflight.run(probes);
 * if (!failures.isEmpty()) {
 *     refuse(failures.stream().map(ProbeFailure::message).toList());
 * }
 * }</pre>
 *
 * <p>Blocks the calling thread for the run: call it from the release (control) thread, never an event loop.
 */
public final class Preflight {
    /**
     * How long past a probe's deadline the run waits for the probe to report its own timeout before reporting it
     * itself: the two reasons read the same, this only lets a step that is finishing finish.
     */
    static final Duration SLACK = Duration.ofMillis(50);

    private Preflight() {}

    /**
     * Runs all probes at once and returns the failures in the order of {@code probes}, empty when all passed.
     * Returns within the largest probe timeout plus {@link #SLACK} (and thread scheduling), whatever the servers do;
     * a probe still waiting then is reported with the step it was waiting in. Never throws for a probe's failure. If
     * the calling thread is interrupted, the probes not finished yet are reported as failed, and the thread's
     * interrupt status is set again.
     */
    public static List<ProbeFailure> run(List<Probe> probes) {
        return run(probes, Ticker.system());
    }

    /** As {@link #run(List)}, measuring the deadlines on {@code ticker}; the sockets still wait in real time. */
    static List<ProbeFailure> run(List<Probe> probes, Ticker ticker) {
        // Everything from here on counts against the deadlines, even what a cold JVM is slow at (loading classes).
        long start = ticker.read();
        List<Probe> all = List.copyOf(probes);
        if (all.isEmpty()) {
            return List.of();
        }
        try (HttpChecks.Client http = new HttpChecks.Client()) {
            List<ProbeAttempt> attempts = all.stream().map(p -> new ProbeAttempt(p, start, ticker, http)).toList();
            attempts.forEach(ProbeAttempt::start);
            List<ProbeFailure> failures = new ArrayList<>();
            for (ProbeAttempt attempt : attempts) {
                attempt.await(SLACK.toNanos()).ifPresent(reason -> failures.add(new ProbeFailure(
                        attempt.probe().subject(), ProbeAttempt.target(attempt.probe()), reason)));
            }
            return List.copyOf(failures);
        }
    }
}
