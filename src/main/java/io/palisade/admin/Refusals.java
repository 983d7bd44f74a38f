package io.palisade.admin;

import io.palisade.time.RateLimitedLog;
import io.palisade.time.Ticker;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Hands refused admin calls to {@link ReleaseApi#refused} for the audit; a failure there never changes the answer. */
final class Refusals {
    private static final Logger log = LoggerFactory.getLogger(Refusals.class);
    private final ReleaseApi api;
    private final RateLimitedLog failures;

    Refusals(ReleaseApi api, Ticker ticker) {
        this.api = api;
        this.failures = RateLimitedLog.every(Duration.ofSeconds(10), log, ticker);
    }

    void report(Caller caller, String method, String path, int status, String reason) {
        try {
            api.refused(caller, method, path, status, reason);
        } catch (RuntimeException e) {
            failures.warn("recording a refused admin call for the audit failed", e);
        }
    }
}
