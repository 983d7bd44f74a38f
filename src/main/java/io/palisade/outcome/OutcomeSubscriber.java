package io.palisade.outcome;

/**
 * Receives every {@link Outcome} published to the {@link OutcomePublisher} it subscribed to.
 *
 * <p>Called synchronously on the thread that publishes, which is the request's event loop: it must be cheap and must
 * never block. Work that may take time (I/O, locks held across I/O, anything that waits) is handed off, the way the
 * access log formats a line into a per-loop buffer and leaves the writing to its own thread. Called from every event
 * loop at once, so any state it keeps is thread-safe or per thread. One that throws is logged (rate-limited) and the
 * other subscribers still run.
 */
@FunctionalInterface
public interface OutcomeSubscriber {
    void onOutcome(Outcome outcome);
}
